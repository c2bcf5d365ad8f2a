"""The batch output's columns and cells, worded from plain verdicts (no pydantic per row).

Each row starts with the case number, the input line, the kind and the input's identifying columns
(names, ID numbers, credit codes) as written. Wide: one row per case, six columns per program
(status, amount and period, failed condition ids, facts still needed, key dates, the days the
status changes). Long (``--long``): one row per case and program. Missing
facts are written as the input headers that would supply them, so staff can fill them in and
run the file again.

The columnar evaluator words each distinct verdict shape, set of key dates and set of changes once
through ``cells``, ``date_texts`` and ``change_text``. ``lines`` words one case's verdicts as CSV
text: the per-case statement of the output that tests/test_columnar.py holds the columnar
evaluator to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from engine.decision import Status
from engine.facts import FACTS
from engine.judge import Dates, Verdict
from engine.rulebook import KeyDate, RuleBook
from engine.text import STATUS_WORDS, status_words
from engine.timeline import Changes

KIND = {
    "zh": {"person": "个人", "enterprise": "单位"},
    "en": {"person": "person", "enterprise": "enterprise"},
}
HEAD = {
    "zh": ["案件编号", "行号", "类型"],
    "en": ["case_id", "line", "kind"],
}
PER_PROGRAM = {
    "zh": ["结论", "标准和期限", "未满足的条件", "需补充的信息", "重要日期", "何时变化"],
    "en": ["status", "grant", "failed", "missing", "dates", "changes"],
}
LONG = {"zh": ["项目", "项目名称"], "en": ["program", "title"]}
ERROR_HEAD = ["行号", "案件编号", "列", "原因"]
_QUOTED = re.compile(r'[",\r\n]')
FORMULA_START = "=+-@\t\r"
# Control characters other than the line breaks and tabs CSV quotes faithfully (see values.CONTROL).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe_cell(text: str) -> str:
    """A cell's text as every output writes it (CSV and Parquet alike).

    People open the results in Excel or WPS: a cell starting with = + - @ would run there as a
    formula (``=HYPERLINK(…)`` from a registry's case number), so it gets a leading ' and stays text
    (so does one starting with a tab or CR). Control characters such as NUL and ESC are written as �;
    line breaks and tabs are kept (CSV quotes them).
    """
    if _CONTROL.search(text) is not None:
        text = _CONTROL.sub("\ufffd", text)
    if text[:1] in FORMULA_START and text:
        text = "'" + text
    return text


def csv_field(text: str) -> str:
    """One field as ``csv.writer`` writes it by default (quoted only if it holds , " CR or LF), made
    safe first (``safe_cell``). Every CSV the product writes goes through here."""
    return quote(safe_cell(text))


def quote(text: str) -> str:
    """CSV's quoting of a field (its text already safe)."""
    if _QUOTED.search(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


def csv_text(rows: Iterable[list[str]]) -> str:
    """Rows as CSV text, CRLF-terminated (what Excel and WPS expect)."""
    return "".join([",".join([csv_field(c) for c in row]) + "\r\n" for row in rows])


class Layout:
    """How verdicts become CSV cells, for one language and shape (wide or long)."""

    def __init__(
        self, book: RuleBook, lang: str = "zh", long: bool = False, carried: list[str] | None = None
    ):
        self.lang = "zh" if lang == "zh" else "en"
        self.long = long
        self.carried = list(carried or [])  # the headers of input columns carried into the output
        self.rules = list(book.rules.values())
        self._status = STATUS_WORDS[self.lang]
        # Chinese cells are read by people (合规/不合规 for a compliance check); English ones by scripts.
        self._words = {
            r.id: status_words(r.kind, "zh") if self.lang == "zh" else self._status for r in self.rules
        }
        self._kind = KIND[self.lang]
        self._labels = self._missing_labels() if self.lang == "zh" else {}
        self._sep = "、" if self.lang == "zh" else ";"
        self._grant_sep = "；" if self.lang == "zh" else "; "
        # A wide row: one slot per program, each five cells, empty for programs of another subject;
        # a case's verdicts come in rule-book order for its subject (RuleBook.for_subject).
        self._wide = {
            subject: "".join(",{}" if rule.subject == subject else ",,,,,," for rule in self.rules) + "\r\n"
            for subject in KIND[self.lang]
        }
        self._program = {r.id: f"{r.id},{csv_field(r.title(self.lang))}" for r in self.rules}

    def kind_word(self, subject: str) -> str:
        return self._kind[subject]

    def program_cells(self, rule_id: str) -> tuple[str, str]:
        """The long shape's program and title cells."""
        return rule_id, self.rules[[r.id for r in self.rules].index(rule_id)].title(self.lang)

    def header(self) -> list[str]:
        head = [*HEAD[self.lang], *self.carried]
        if self.long:
            return [*head, *LONG[self.lang], *PER_PROGRAM[self.lang]]
        titles = [rule.title(self.lang) for rule in self.rules]
        unique = len(set(titles)) == len(titles) and self.lang == "zh"
        out = list(head)
        for rule, title in zip(self.rules, titles, strict=True):
            prefix = f"{title}·" if unique else f"{rule.id}."
            out += [prefix + word for word in PER_PROGRAM[self.lang]]
        return out

    def lines(
        self, case_id: str, line: int, kind: str, verdicts: list[Verdict], carried: list[str] | None = None
    ) -> str:
        """One case's output as CSV text; ``verdicts`` in rule-book order for the case's subject;
        ``carried``: the row's cells of the carried input columns."""
        head = f"{csv_field(case_id)},{line},{self._kind[kind]}"
        if carried:
            head += "".join(["," + csv_field(c) for c in carried])
        if self.long:
            return "".join([f"{head},{self._program[v.rule.id]},{self._segment(v)}\r\n" for v in verdicts])
        return head + self._wide[kind].format(*[self._segment(v) for v in verdicts])

    def _segment(self, v: Verdict) -> str:
        """A verdict's six cells as CSV text: status, grant, failed conditions, questions, dates,
        changes."""
        dates = self._date_text(v.dates) if v.dates.days else ""
        changes = self.change_text(v.changes) if v.changes else ""
        return ",".join([csv_field(c) for c in [*self.cells(v), dates, changes]])

    def change_text(self, changes: Changes) -> str:
        """Each later day the status changes, the other facts staying as they are."""
        if self.lang == "zh":
            return "；".join([f"{day.isoformat()}起{self._status[status]}" for day, status in changes])
        return ";".join([f"{day.isoformat()}={status.value}" for day, status in changes])

    def _date_text(self, dates: Dates) -> str:
        if self.lang == "zh":
            return "；".join([f"{d.label.zh} {day.isoformat()}" for d, day in dates.days if day])
        return ";".join([f"{d.id}={day.isoformat()}" for d, day in dates.days if day])

    def date_texts(self, dates: list[tuple[KeyDate, Any, Any]]) -> Any:
        """``_date_text`` for a column of rows (the columnar evaluator's): each key date as
        (KeyDate, day numbers, known), worded as one cell per row (a polars Series; "" for none)."""
        import polars as pl

        from engine.columnar.cal import EPOCH

        parts = []
        for d, days, known in dates:
            iso = pl.Series(days - EPOCH, dtype=pl.Int64).cast(pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d")
            word = f"{d.label.zh} " if self.lang == "zh" else f"{d.id}="
            parts.append(pl.when(pl.Series(known)).then(pl.lit(word) + iso).otherwise(None))
        sep = "；" if self.lang == "zh" else ";"
        return pl.select(pl.concat_str(parts, separator=sep, ignore_nulls=True).fill_null("")).to_series()

    def cells(self, v: Verdict) -> list[str]:
        """A verdict's first four cells: status, grant, failed conditions, questions (the dates
        and changes are the row's own)."""
        if v.status is Status.not_eligible:
            return [self.phase_word(v.rule.id, v.phase), "", ";".join(v.failed), ""]
        grant = v.amount.text if v.amount else ""
        if v.period_text:
            grant = f"{grant}{self._grant_sep}{v.period_text}" if grant else v.period_text
        labels = self._labels
        missing = self._sep.join([labels.get(n, n) for n in v.missing])
        return [self._words[v.rule.id][v.status], grant, ";".join(v.failed), missing]

    def phase_word(self, rule_id: str, phase: str) -> str:
        """The status cell's word: in Chinese, "not yet" and "ended" are not worded as refusals; the
        English cells, which scripts read, keep the three statuses of the contract."""
        words = self._words[rule_id]
        return words.get(phase, words[Status.not_eligible])

    def _missing_labels(self) -> dict[str, str]:
        """Each fact a program may ask for by its form label (a confirmation: by its condition)."""
        labels = {name: spec.zh for name, spec in FACTS.items()}
        for rule in self.rules:
            for leaf in rule.leaves:
                if leaf.confirm is not None:
                    labels[f"confirm.{rule.confirmation_key(leaf)}"] = f"经办人确认：{leaf.text('zh')}"
        return labels
