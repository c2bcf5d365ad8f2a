"""``subsidy screen``: from a registry to the office's work (免申即享).

The registry is read and judged as ``subsidy batch`` reads and judges it (the same reader, bad-row
handling and columnar evaluator, in worker processes); each worker keeps only the people the office
must act on, for each program:

- 现在符合: eligible now on the registry's facts alone: no application needed (免申即享);
- 即将期满: eligible now, and the entitlement's last day falls within the horizon: call before it;
- 即将符合: not yet eligible, eligible from a day within the horizon (the day);
- 差一项信息: one answer decides it (the question, and who answers it: the person, the caseworker
  or the district's office).

Per district and lead unit it writes a worklist (who, which program, the dates, the question, why
listed) and a 公示 list of those granted (name with its middle masked, ID number masked, program,
amount where set; never a full ID number); bad rows go to one file with their line numbers.
"""

from __future__ import annotations

import functools
import os
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from engine.batch.checkpoint import (
    Checkpoint,
    ResumeError,
    fingerprint,
    read_checkpoint,
    same_options,
    write_checkpoint,
)
from engine.batch.columns import Columns
from engine.batch.layout import ERROR_HEAD, csv_text
from engine.batch.refusal import Refusal
from engine.columnar.judged import Judgement
from engine.evaluate import Engine, default_engine
from engine.screen.listing import NO_DISTRICT, listing
from engine.screen.options import Options
from engine.screen.source import Registry, judge_registry
from engine.screen.words import APPLICANT, Words, folder_name, mask_id, mask_name
from engine.values import visible

BOM = b"\xef\xbb\xbf"
CATEGORIES = {  # the worklist's order: what must be done first
    "ending": "即将期满",
    "from": "即将符合",
    "now": "现在符合（免申即享）",
    "one": "差一项信息",
}
PHASE_WORDS = {
    "eligible": "符合",
    "not_yet": "尚未符合",
    "needs_information": "需补充信息",
    "not_eligible": "不符合",
    "ended": "已期满",
}
WORKLIST_HEAD = [
    "类别",
    "区县",
    "牵头单位",
    "案件编号",
    "行号",
    "姓名/单位",
    "身份证号码/统一社会信用代码",
    "项目",
    "项目名称",
    "结论",
    "符合起始日期",
    "享受截止日期",
    "待问事项",
    "由谁回答",
    "标准和期限",
    "列入原因",
]
PUBLIC_HEAD = ["序号", "姓名/单位", "身份证号码/统一社会信用代码", "项目", "金额"]
PUBLISHED_KINDS = ("grant", "extension")  # 公示 lists grants, not registrations or compliance checks


def categorize(frame: pl.DataFrame, as_of: date, horizon: int, district: str | None) -> pl.DataFrame:
    """The rows the office acts on, each with its category (see the module's docstring)."""
    end = as_of + timedelta(days=horizon)
    phase, until, start = pl.col("phase"), pl.col("eligible_until"), pl.col("eligible_from")
    category = (
        pl.when((phase == "eligible") & until.is_not_null() & (until <= end))
        .then(pl.lit("ending"))
        .when(phase == "eligible")
        .then(pl.lit("now"))
        .when((phase == "not_yet") & (start <= end))
        .then(pl.lit("from"))
        .when((pl.col("status") == "needs_information") & (pl.col("missing").list.len() == 1))
        .then(pl.lit("one"))
        .otherwise(None)
    )
    out = frame.with_columns(category.alias("category")).filter(pl.col("category").is_not_null())
    return out.filter(pl.col("district") == district) if district else out


@dataclass
class Part:
    """What a worker sends back for a chunk."""

    listed: pl.DataFrame
    errors: list[list[str]]
    decided: int
    rejected: int
    blank: int
    examples: int


def reduce(
    as_of: date, horizon: int, district: str | None, judgements: list[Judgement], columns: list[Columns]
) -> Part:
    j = judgements[0]
    listed = categorize(listing(j, columns[0]), as_of, horizon, district)
    return Part(listed, j.errors, j.decided, j.rejected, j.blank, j.examples)


def worklist(frame: pl.DataFrame, words: Words, horizon: int) -> pl.DataFrame:
    """The worklist's rows (WORKLIST_HEAD, every cell text) in the order to work through them:
    category, then the day (the entitlement's last, or its first), then the registry's order.
    Worded by polars from a few distinct texts per program; the questions once per distinct one."""
    asked = frame.filter(pl.col("category") == "one").select(
        "program", pl.col("missing").list.first().alias("fact"), "district"
    )
    questions = [(*key, *words.question(*key)) for key in asked.unique().iter_rows()]
    table = pl.DataFrame(
        questions, schema=["program", "fact", "district", "question", "who"], orient="row"
    ).with_columns(pl.col("*").cast(pl.String))
    programs = frame.get_column("program").unique().to_list()
    leads = {p: words.lead(p) for p in programs}
    titles = {p: words.title(p) for p in programs}
    day = pl.coalesce("eligible_until", "eligible_from")
    iso = {c: pl.col(c).dt.strftime("%Y-%m-%d").fill_null("") for c in ("eligible_from", "eligible_until")}
    whom = pl.col("kind").replace_strict(APPLICANT, return_dtype=pl.String)
    reason = (
        pl.when(pl.col("category") == "now")
        .then(pl.concat_str(pl.lit("名册信息已满足全部条件，无需申请（免申即享）：请告知"), whom))
        .when(pl.col("category") == "ending")
        .then(
            pl.concat_str(
                pl.lit("享受至"),
                iso["eligible_until"],
                pl.lit(f"止（{horizon}天内到期）：请在此前联系"),
                whom,
            )
        )
        .when(pl.col("category") == "from")
        .then(pl.concat_str(pl.lit("自"), iso["eligible_from"], pl.lit("起符合：请在当日告知"), whom))
        .otherwise(
            pl.concat_str(pl.lit("只差一项信息："), "question", pl.lit("（由"), "who", pl.lit("回答）"))
        )
    )
    out = (
        frame.with_columns(pl.col("missing").list.first().alias("fact"))
        .join(table, on=["program", "fact", "district"], how="left")
        .with_columns(pl.col("question").fill_null(""), pl.col("who").fill_null(""))
        .sort(
            [pl.col("category").replace_strict({c: k for k, c in enumerate(CATEGORIES)}), day, "line"],
            nulls_last=True,
            maintain_order=True,
        )
        .select(
            [
                expr.alias(head)
                for head, expr in zip(
                    WORKLIST_HEAD,
                    [
                        pl.col("category").replace_strict(CATEGORIES, return_dtype=pl.String),
                        pl.col("district"),
                        pl.col("program").replace_strict(leads, return_dtype=pl.String),
                        pl.col("case_id"),
                        pl.col("line").cast(pl.String),
                        pl.col("name"),
                        pl.col("id_number"),
                        pl.col("program"),
                        pl.col("program").replace_strict(titles, return_dtype=pl.String),
                        pl.col("phase").replace_strict(PHASE_WORDS, return_dtype=pl.String),
                        iso["eligible_from"],
                        iso["eligible_until"],
                        pl.col("question"),
                        pl.col("who"),
                        pl.col("grant"),
                        reason,
                    ],
                    strict=True,
                )
            ]
        )
    )
    return out


def _write_frame(path: Path, frame: pl.DataFrame) -> None:
    """A frame of text as CSV, every cell made safe and quoted as ``csv_field`` does."""
    from engine.columnar.output import csv_lines, safe

    path.parent.mkdir(parents=True, exist_ok=True)
    body = csv_lines([[safe(frame.get_column(c)) for c in frame.columns]]) if frame.height else None
    text = csv_text([frame.columns]) + (body.str.join("").item() if body is not None else "")
    path.write_bytes(BOM + text.encode("utf-8"))


def public_rows(frame: pl.DataFrame, words: Words) -> list[list[str]]:
    """The 公示 list: those granted now, a person's name and ID number masked (an enterprise's name
    and credit code are public and printed as they are)."""
    kinds = {rid for rid, rule in words.book.rules.items() if rule.kind in PUBLISHED_KINDS}
    granted = frame.filter(pl.col("category").is_in(["now", "ending"]) & pl.col("program").is_in(kinds))
    out = [PUBLIC_HEAD]
    for k, r in enumerate(granted.sort(["line"], maintain_order=True).iter_rows(named=True), 1):
        amount = r["amount_text"] or "按当地标准"
        person = r["kind"] == "person"
        name = mask_name(r["name"]) if person else r["name"]
        number = mask_id(r["id_number"]) if person else r["id_number"]
        out.append([str(k), name, number, words.title(r["program"]), amount])
    return out


def _write(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(BOM + csv_text(rows).encode("utf-8"))


@dataclass
class Result:
    listed: pl.LazyFrame  # the rows the office acts on, read from the run's parts on disk
    errors: Path  # the bad rows, as CSV rows without a header
    decided: int
    rejected: int
    blank: int
    examples: int  # a template's example rows, skipped
    files: list[Path]
    warnings: list[str] = field(default_factory=list)


def screen(opts: Options, log: Any = None, engine: Engine | None = None) -> str:
    """Run the screen and write its files; returns the summary printed at the end. ``engine``: the
    rule book and district settings to judge by (default: the shipped ones, or those configured)."""
    engine = engine or default_engine()
    result = judge(opts, engine, log)
    words = Words(engine.book, engine.settings)
    write(result, opts, words)
    if opts.letters:
        from engine.screen.letters import write_letters

        files, result.warnings = write_letters(result.listed, opts, words)
        result.files += files
    text = report(result, opts)
    shutil.rmtree(opts.out / PARTS, ignore_errors=True)  # complete: nothing to resume
    return text


PARTS = ".screen"  # each chunk's listed rows and the bad rows, with the checkpoint, until complete


def judge(opts: Options, engine: Engine, log: Any = None) -> Result:
    """The registry read once and judged, chunk by chunk, each chunk's rows the office acts on kept
    as a Parquet part and checkpointed (``--resume`` reads on after the last one), so memory holds
    the chunks in flight only."""
    if opts.district and opts.district not in engine.settings.districts and opts.district != NO_DISTRICT:
        raise ValueError(f"--district：没有这个区县：{opts.district}（应为重庆市38个区县之一，如 渝中区）")
    reducer = functools.partial(reduce, opts.as_of, opts.horizon, opts.district)
    books = [(engine.book, engine.settings)]
    registry = Registry(opts.source, opts.ignore)
    parts = opts.out / PARTS
    checkpoint, errors = parts / "checkpoint.json", parts / "errors.csv"
    options = {
        "as_of": opts.as_of.isoformat(),
        "horizon": opts.horizon,
        "district": opts.district,
        "kind": opts.kind,
        "rules_version": engine.book.version,
        "source": str(opts.source.resolve()),
    }
    cp = read_checkpoint(checkpoint) if opts.resume else None
    if cp is None and (earlier := earlier_results(opts.out)):
        raise earlier
    zero = {"read": 0, "decided": 0, "rejected": 0, "blank": 0, "examples": 0}
    if opts.resume and cp is None and log is not None:
        print("没有可续跑的检查点，从头开始。", file=log)
    elif not opts.resume and checkpoint.exists() and log is not None:
        print(f"发现未完成的运行（{parts}）；未用 --resume，从头开始。", file=log)
    chunks = judge_registry(
        registry,
        books,
        opts.kind,
        opts.as_of,
        reducer,
        opts.workers,
        opts.chunk,
        log,
        opts.quiet,
        (cp.offset, cp.line) if cp else None,
    )
    if cp is not None:
        same_options(cp, options)
        if not registry.parquet and cp.input != fingerprint(opts.source, cp.offset):
            raise ResumeError("名册文件与中断的运行不同，不能续跑；请去掉 --resume 重新运行")
        with errors.open("r+b") as f:
            f.truncate(cp.err_bytes)
        for late in parts.glob("part-*.parquet"):
            if int(late.stem[5:]) >= cp.out_bytes:
                late.unlink()
        totals, done = zero | cp.totals, cp.out_bytes
    else:
        shutil.rmtree(parts, ignore_errors=True)
        parts.mkdir(parents=True)
        errors.write_bytes(b"")
        totals, done = zero, 0
    with errors.open("ab") as err:
        for part, end, line in chunks:
            target = parts / f"part-{done:06d}.parquet"
            part.listed.write_parquet(target.with_suffix(".tmp"))
            os.replace(target.with_suffix(".tmp"), target)
            err.write(csv_text(part.errors).encode("utf-8"))
            err.flush()
            os.fsync(err.fileno())
            done += 1
            for k in ("decided", "rejected", "blank", "examples"):
                totals[k] += getattr(part, k)
            totals["read"] = totals["decided"] + totals["rejected"]
            identity = {} if registry.parquet else fingerprint(opts.source, end)
            write_checkpoint(checkpoint, Checkpoint(options, end, line, done, err.tell(), totals, identity))
    found = sorted(parts.glob("part-*.parquet"))
    listed = pl.scan_parquet(found) if found else categorize(listing_empty(), opts.as_of, 1, None).lazy()
    counted = (totals[k] for k in ("decided", "rejected", "blank", "examples"))
    return Result(listed, errors, *counted, [])


RESULT_FILES = ("有误行.csv", "*/*-工作清单.csv", "*/*-工作清单.parquet", "*/*-公示名单.csv", "*/告知信.pdf")


def earlier_results(out: Path) -> Refusal | None:
    """A folder holding another run's lists is not written into: the new lists would lie beside
    the old ones (a district or unit the new run does not list keeps its old list), and nobody
    could tell which is which. Only ``--resume`` of that run's checkpoint goes on in it."""
    found = sorted(p.relative_to(out).as_posix() for pattern in RESULT_FILES for p in out.glob(pattern))
    if not found:
        return None
    names = "、".join(found[:3]) + (f" 等 {len(found)} 个文件" if len(found) > 3 else "")
    shown = visible(str(out))
    return Refusal(
        f"输出文件夹 {shown} 中已有一次筛查的结果（{names}）：新旧清单会混在一起。"
        "请换一个新的文件夹，或先移走这些文件",
        f"The output folder {shown} holds another screen's results ({', '.join(found[:3])}): the lists "
        "would be mixed. Give a new folder, or move those files away first",
    )


def listing_empty() -> pl.DataFrame:
    from engine.screen.listing import SCHEMA

    return pl.DataFrame(schema=SCHEMA)


def write(result: Result, opts: Options, words: Words) -> None:
    """The bad rows, then per district and lead unit its worklist and 公示 list."""
    opts.out.mkdir(parents=True, exist_ok=True)
    errors = opts.out / "有误行.csv"
    errors.write_bytes(BOM + csv_text([ERROR_HEAD["zh"]]).encode("utf-8") + result.errors.read_bytes())
    result.files.append(errors)
    districts = sorted(result.listed.select("district").unique().collect().to_series().to_list())
    for district in districts:  # one district's rows in memory at a time
        rows_of = (
            result.listed.filter(pl.col("district") == district).collect().sort("line", maintain_order=True)
        )
        leads: dict[str, list[str]] = {}
        for program in rows_of.get_column("program").unique().to_list():
            leads.setdefault(words.lead(program), []).append(program)
        for lead, programs in sorted(leads.items()):
            frame = rows_of.filter(pl.col("program").is_in(programs))
            folder = opts.out / folder_name(district)
            path = folder / f"{folder_name(lead)}-工作清单.csv"
            rows = worklist(frame, words, opts.horizon)
            _write_frame(path, rows)
            result.files.append(path)
            if opts.parquet:
                rows.write_parquet(path.with_suffix(".parquet"))
                result.files.append(path.with_suffix(".parquet"))
            published = public_rows(frame, words)
            if len(published) > 1:  # nobody granted: no list to publish
                public = folder / f"{folder_name(lead)}-公示名单.csv"
                _write(public, published)
                result.files.append(public)


def report(result: Result, opts: Options) -> str:
    lines = [
        f"评估日期 {opts.as_of.isoformat()}，向前看 {opts.horizon} 天（至 "
        f"{(opts.as_of + timedelta(days=opts.horizon)).isoformat()}）"
        + (f"，只列 {opts.district}" if opts.district else ""),
        f"名册读取 {result.decided + result.rejected:,} 行：已评估 {result.decided:,} 行，"
        f"数据有误 {result.rejected:,} 行（见 {opts.out / '有误行.csv'}）"
        + (f"，空行 {result.blank:,} 行" if result.blank else "")
        + (f"，模板示例行 {result.examples:,} 行（已跳过）" if result.examples else ""),
    ]
    counts = (
        result.listed.group_by("category").agg(pl.len(), pl.col("line").n_unique().alias("people")).collect()
    )
    found = {c: (n, people) for c, n, people in counts.iter_rows()}
    for c, word in CATEGORIES.items():
        n, people = found.get(c, (0, 0))
        lines.append(f"  {word}：{people:,} 人，{n:,} 项")
    lines += result.warnings
    lines.append(f"已写出 {len(result.files)} 个文件，在 {opts.out}")
    return "\n".join(lines)
