"""``subsidy compare``: what a change to the rules would do to the people of a registry.

The registry is read once; each chunk is judged by both rule books in the same worker (the columnar
evaluator, as ``subsidy batch``), and only counts leave the worker: per program, district and pair
of statuses, how many people and which amounts. Per program and district the result says how many
are eligible under each book, how many become eligible and how many lose it, and the money where
an amount is set (a source's figure or a district's local standard; elsewhere “按当地标准”, counted
as people without a figure, never as zero).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from engine.batch.columns import Columns
from engine.batch.layout import ERROR_HEAD, csv_text
from engine.batch.options import is_parquet_name
from engine.columnar.judged import Judgement
from engine.districts import DistrictBook, districts, load_districts
from engine.rulebook import RuleBook, load_rulebook
from engine.screen.listing import listing, money_unit
from engine.screen.source import Registry, judge_registry

ELIGIBLE = "eligible"
ABSENT = "absent"  # the program is not in that rule book

HEAD = [
    "项目",
    "项目名称",
    "区县",
    "人数",
    "原规则符合",
    "新规则符合",
    "新增符合",
    "不再符合",
    "原规则金额合计（元）",
    "新规则金额合计（元）",
    "金额变化（元）",
    "原规则符合但金额未定",
    "新规则符合但金额未定",
    "原规则版本",
    "新规则版本",
]


@dataclass(frozen=True)
class Book:
    """A rule book as ``--rules DIR`` names it: its rule files, and its district settings when the
    folder holds a districts.yaml (else the settings in force)."""

    directory: Path
    book: RuleBook
    settings: DistrictBook
    settings_hash: str | None

    @property
    def version(self) -> str:
        """The rule files' hash, and the district table's when the folder has its own."""
        return self.book.version + (f"+区县设置{self.settings_hash}" if self.settings_hash else "")


def load_book(directory: Path) -> Book:
    table = directory / "districts.yaml"
    if table.is_file():
        digest = hashlib.sha256(table.read_bytes()).hexdigest()[:12]
        return Book(directory, load_rulebook(directory), load_districts(table), digest)
    return Book(directory, load_rulebook(directory), districts(), None)


@dataclass
class Tally:
    """Counts carried from the workers: (program, district, status A, status B, amount A, amount B)
    → people; and the rows read."""

    groups: Counter[tuple[str, str, str, str, str | None, str | None]] = field(default_factory=Counter)
    decided: int = 0
    rejected: int = 0
    blank: int = 0
    examples: int = 0
    errors: list[list[str]] = field(default_factory=list)


def reduce(judgements: list[Judgement], columns: list[Columns]) -> Tally:
    """A chunk judged by both books, as counts (a worker's work: nothing per row leaves it)."""
    a, b = (listing(j, c, lean=True) for j, c in zip(judgements, columns, strict=True))
    keys = ["line", "program"]
    left = a.select(*keys, "district", pl.col("status").alias("a"), pl.col("amount").alias("amount_a"))
    right = b.select(*keys, pl.col("district").alias("district_b"), pl.col("status").alias("b"))
    right = right.with_columns(b.get_column("amount").alias("amount_b"))
    both = left.join(right, on=keys, how="full", coalesce=True).with_columns(
        pl.coalesce("district", "district_b").alias("district"),
        pl.col("a").fill_null(ABSENT),
        pl.col("b").fill_null(ABSENT),
    )
    grouped = both.group_by(["program", "district", "a", "b", "amount_a", "amount_b"]).len()
    tally = Tally()
    for program, district, sa, sb, ma, mb, n in grouped.iter_rows():
        tally.groups[(program, district, sa, sb, ma, mb)] += n
    first = judgements[0]  # both books read the same rows: the first one's errors stand for both
    tally.decided, tally.rejected, tally.blank = first.decided, first.rejected, first.blank
    tally.examples = first.examples
    tally.errors = first.errors
    return tally


@dataclass
class Row:
    program: str
    district: str
    people: int = 0
    eligible_a: int = 0
    eligible_b: int = 0
    gained: int = 0
    lost: int = 0
    cost_a: Decimal = Decimal(0)
    cost_b: Decimal = Decimal(0)
    unpriced_a: int = 0
    unpriced_b: int = 0


@dataclass
class Comparison:
    a: Book
    b: Book
    as_of: date
    rows: list[Row]
    decided: int
    rejected: int
    blank: int
    examples: int  # a template's example rows, skipped
    errors: list[list[str]]

    @property
    def unchanged(self) -> bool:
        return all(r.gained == 0 and r.lost == 0 and r.cost_a == r.cost_b for r in self.rows)


def compare(
    source: Path,
    a: Book,
    b: Book,
    as_of: date,
    kind: str = "person",
    workers: int | None = None,
    chunk: int | None = None,
    log: Any = None,
    quiet: bool = True,
    ignore: tuple[str, ...] = (),
) -> Comparison:
    registry = Registry(source, ignore)
    books = [(a.book, a.settings), (b.book, b.settings)]
    total = Tally()
    for part, _, _ in judge_registry(registry, books, kind, as_of, reduce, workers, chunk, log, quiet):
        total.groups.update(part.groups)
        total.decided += part.decided
        total.rejected += part.rejected
        total.blank += part.blank
        total.examples += part.examples
        total.errors += part.errors
    rows: dict[tuple[str, str], Row] = {}
    for (program, district, sa, sb, ma, mb), n in total.groups.items():
        row = rows.setdefault((program, district), Row(program, district))
        row.people += n
        if sa == ELIGIBLE:
            row.eligible_a += n
            row.cost_a += Decimal(ma) * n if ma is not None else 0
            row.unpriced_a += n if ma is None and _money(a, program) else 0
        if sb == ELIGIBLE:
            row.eligible_b += n
            row.cost_b += Decimal(mb) * n if mb is not None else 0
            row.unpriced_b += n if mb is None and _money(b, program) else 0
        row.gained += n if sb == ELIGIBLE and sa != ELIGIBLE else 0
        row.lost += n if sa == ELIGIBLE and sb != ELIGIBLE else 0
    order = {rid: k for k, rid in enumerate([*a.book.rules, *b.book.rules])}
    ordered = sorted(rows.values(), key=lambda r: (order[r.program], r.district))
    t = total
    return Comparison(a, b, as_of, ordered, t.decided, t.rejected, t.blank, t.examples, t.errors)


def _money(book: Book, program: str) -> bool:
    """Whether the program pays a sum of money in that book (its figure may be left unset)."""
    rule = book.book.rules.get(program)
    return rule is not None and money_unit(rule) is not None


def _title(c: Comparison, program: str) -> str:
    rule = c.b.book.rules.get(program) or c.a.book.rules[program]
    return rule.title("zh")


def csv_rows(c: Comparison) -> list[list[str]]:
    out = [HEAD]
    for r in c.rows:
        out.append(
            [
                r.program,
                _title(c, r.program),
                r.district,
                *map(str, (r.people, r.eligible_a, r.eligible_b, r.gained, r.lost)),
                *map(str, (r.cost_a, r.cost_b, r.cost_b - r.cost_a)),
                str(r.unpriced_a),
                str(r.unpriced_b),
                c.a.version,
                c.b.version,
            ]
        )
    return out


def write_table(c: Comparison, path: Path) -> None:
    """The rows as Parquet (every cell text, as the screen's worklists) or CSV, as the name says."""
    rows = csv_rows(c)
    if is_parquet_name(path):
        pl.DataFrame(rows[1:], schema={h: pl.String for h in rows[0]}, orient="row").write_parquet(path)
    else:
        path.write_bytes(b"\xef\xbb\xbf" + csv_text(rows).encode("utf-8"))


def write_errors(c: Comparison, path: Path) -> None:
    """The bad rows (line, case number, column, reason), as ``subsidy batch`` and screen write them."""
    path.write_bytes(b"\xef\xbb\xbf" + csv_text([ERROR_HEAD["zh"], *c.errors]).encode("utf-8"))


def _where(c: Comparison, errors: Path | None) -> str:
    """Where the bad rows are, or how to have them written."""
    if not c.rejected:
        return ""
    return f"（见 {errors}）" if errors else "（加 --errors 有误行.csv 写出）"


def summary(c: Comparison, errors: Path | None = None) -> str:
    """A few lines a policy officer reads: the two books, the rows read (the bad ones in ``errors``),
    then each program that changes (people gained and lost, the money where set), largest change
    first."""
    lines = [
        f"评估日期 {c.as_of.isoformat()}；原规则 {c.a.directory}（版本 {c.a.version}），"
        f"新规则 {c.b.directory}（版本 {c.b.version}）",
        f"名册读取 {c.decided + c.rejected:,} 行：已评估 {c.decided:,} 行，数据有误 {c.rejected:,} 行"
        + _where(c, errors)
        + (f"，空行 {c.blank:,} 行" if c.blank else "")
        + (f"，模板示例行 {c.examples:,} 行（已跳过）" if c.examples else ""),
    ]
    if c.unchanged:
        lines.append("两份规则对本名册的结论完全相同：没有人新增符合或不再符合，金额不变。")
        return "\n".join(lines)
    programs: dict[str, Row] = {}
    for r in c.rows:
        p = programs.setdefault(r.program, Row(r.program, ""))
        for name in ("people", "eligible_a", "eligible_b", "gained", "lost", "cost_a", "cost_b"):
            setattr(p, name, getattr(p, name) + getattr(r, name))
        p.unpriced_a += r.unpriced_a
        p.unpriced_b += r.unpriced_b
    changed = [p for p in programs.values() if p.gained or p.lost or p.cost_a != p.cost_b]
    changed.sort(key=lambda p: -(p.gained + p.lost))
    for p in changed:
        text = (
            f"- {_title(c, p.program)}：符合 {p.eligible_a:,} 人 → {p.eligible_b:,} 人"
            f"（新增 {p.gained:,} 人，不再符合 {p.lost:,} 人）"
        )
        if p.cost_a or p.cost_b or p.unpriced_a or p.unpriced_b:
            text += f"；金额 {_sum(p.cost_a, p.unpriced_a)} → {_sum(p.cost_b, p.unpriced_b)}"
            if not (p.unpriced_a or p.unpriced_b):  # a change only where both sums are whole
                text += f"（{_signed(p.cost_b - p.cost_a)} 元）"
        lines.append(text)
    lines.append(f"未变化的项目 {len(programs) - len(changed)} 个；各区县明细见 CSV。")
    return "\n".join(lines)


def _sum(cost: Decimal, unpriced: int) -> str:
    """A book's sum for a program: people whose amount is not set (按当地标准) are never counted as
    zero, and a sum of nobody priced is 未定, not 0 元."""
    if not unpriced:
        return f"{cost:,} 元"
    if not cost:
        return f"未定（{unpriced:,} 人按当地标准）"
    return f"{cost:,} 元（另有 {unpriced:,} 人按当地标准，未计入）"


def _signed(x: Decimal) -> str:
    return f"+{x:,}" if x > 0 else f"{x:,}"
