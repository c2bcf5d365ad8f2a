"""The batch output's columns and cells, worded from plain verdicts (no pydantic per row).

Each row starts with the case number, the input line, the kind and the input's identifying columns
(names, ID numbers, credit codes) as written. Wide: one row per case, seven columns per program
(status, amount and period, the failed conditions in words and by id, facts still needed, key
dates, the days the status changes). Long (``--long``): one row per case and program. Missing
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
from engine.plan import Changes, Dates, Verdict
from engine.rulebook import KeyDate, RuleBook
from engine.text import STATUS_WORDS, status_words

KIND = {
    "zh": {"person": "个人", "enterprise": "单位"},
    "en": {"person": "person", "enterprise": "enterprise"},
}
HEAD = {
    "zh": ["案件编号", "行号", "类型"],
    "en": ["case_id", "line", "kind"],
}
PER_PROGRAM = {
    "zh": ["结论", "标准和期限", "未满足的条件", "未满足的条件编号", "需补充的信息", "重要日期", "何时变化"],
    "en": ["status", "grant", "failed", "failed_ids", "missing", "dates", "changes"],
}
HEAD_CELLS = 5  # the cells ``Layout.cells`` words from a verdict (the dates and changes follow)
LONG = {"zh": ["项目", "项目名称"], "en": ["program", "title"]}
# With a 申请项目 column: the other programs the person may get, never worded as refusals.
SUGGESTIONS = {"zh": "可能还符合", "en": "suggestions"}
Suggested = tuple[str, str, Any, str | None]  # (kind, program id, date or None, fact or None)
ERROR_HEAD = {"zh": ["行号", "案件编号", "列", "原因"], "en": ["line", "case_id", "column", "reason"]}
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
        self,
        book: RuleBook,
        lang: str = "zh",
        long: bool = False,
        carried: list[str] | None = None,
        subjects: tuple[str, ...] | None = None,
        applications: bool = False,
    ):
        self.lang = "zh" if lang == "zh" else "en"
        self.long = long
        self.applications = applications  # the registry has a 申请项目 column
        self.carried = list(carried or [])  # the headers of input columns carried into the output
        # Columns only for the programs of the kinds of case the registry holds (None: every kind).
        self.rules = [r for r in book.rules.values() if subjects is None or r.subject in subjects]
        self._status = STATUS_WORDS[self.lang]
        # Chinese cells are read by people (合规/不合规 for a compliance check); English ones by scripts.
        self._words = {
            r.id: status_words(r.kind, "zh") if self.lang == "zh" else self._status for r in self.rules
        }
        self._kind = KIND[self.lang]
        self._labels = self._missing_labels() if self.lang == "zh" else {}
        self._sep = "、" if self.lang == "zh" else ";"
        self._grant_sep = "；" if self.lang == "zh" else "; "
        # A wide row: one slot per program, each seven cells, empty for programs of another subject;
        # a case's verdicts come in rule-book order for its subject (RuleBook.for_subject).
        empty = "," * len(PER_PROGRAM["zh"])
        self._wide = {
            subject: "".join(",{}" if rule.subject == subject else empty for rule in self.rules) + "\r\n"
            for subject in KIND[self.lang]
        }
        self._conditions = {r.id: self._condition_words(r) for r in self.rules}
        self._titles = {r.id: r.title(self.lang) for r in self.rules}
        self._program = {r.id: f"{r.id},{csv_field(r.title(self.lang))}" for r in self.rules}

    @classmethod
    def of(cls, book: RuleBook, lang: str, long: bool, columns: Any) -> Layout:
        """The layout of a registry's results: its carried columns, the programs of its kinds of case."""
        return cls(book, lang, long, columns.carried_headers, columns.subjects, columns.applied is not None)

    def kind_word(self, subject: str) -> str:
        return self._kind[subject]

    def program_cells(self, rule_id: str) -> tuple[str, str]:
        """The long shape's program and title cells."""
        return rule_id, self.rules[[r.id for r in self.rules].index(rule_id)].title(self.lang)

    def header(self) -> list[str]:
        head = [*HEAD[self.lang], *self.carried, *([SUGGESTIONS[self.lang]] if self.applications else [])]
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
        self,
        case_id: str,
        line: int,
        kind: str,
        verdicts: list[Verdict],
        carried: list[str] | None = None,
        applied: tuple[str, ...] | list[str] = (),
        suggested: list[Suggested] | None = None,
    ) -> str:
        """One case's output as CSV text; ``verdicts`` in rule-book order for the case's subject;
        ``carried``: the row's cells of the carried input columns; ``applied``: the programs the
        row applies for (only those are decided: the others' cells stay empty, long rows are left
        out) and ``suggested`` the others it may get."""
        head = f"{csv_field(case_id)},{line},{self._kind[kind]}"
        if carried:
            head += "".join(["," + csv_field(c) for c in carried])
        if self.applications:
            head += "," + csv_field(self.suggestion_text(suggested or []))
        shown = [not applied or v.rule.id in applied for v in verdicts]
        if self.long:
            return "".join(
                [
                    f"{head},{self._program[v.rule.id]},{self._segment(v)}\r\n"
                    for v, show in zip(verdicts, shown, strict=True)
                    if show
                ]
            )
        empty = "," * (len(PER_PROGRAM["zh"]) - 1)
        segments = [self._segment(v) if show else empty for v, show in zip(verdicts, shown, strict=True)]
        return head + self._wide[kind].format(*segments)

    def suggestion_text(self, suggested: list[Suggested]) -> str:
        """The 可能还符合 cell: each program with what it needs (engine/applications.py's kinds)."""
        parts = []
        for kind, program, day, fact in suggested:
            if self.lang == "en":
                detail = {"eligible": "", "eligible_from": f":{day}", "one_answer": f":{fact}"}[kind]
                parts.append(f"{program}={kind}{detail}")
                continue
            title = self._titles[program]
            if kind == "eligible":
                parts.append(f"{title}（符合）")
            elif kind == "eligible_from":
                parts.append(f"{title}（{day}起符合）")
            else:
                parts.append(f"{title}（只差“{self._labels.get(fact or '', fact)}”）")
        return ("；" if self.lang == "zh" else ";").join(parts)

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

    def change_texts(self, days: Any, status: Any) -> Any:
        """``change_text`` for a column of rows (the columnar evaluator's ``Changes``: a day number
        and a status index per slot, -1 for none), as one cell per row (a polars Series)."""
        import polars as pl

        from engine.columnar.cal import EPOCH

        statuses = list(Status)
        if self.lang == "zh":
            words = [self._status[s] for s in statuses]
            joint, sep = "起", "；"
        else:
            words = [s.value for s in statuses]
            joint, sep = "=", ";"
        parts = []
        for k in range(status.shape[1]):
            slot = status[:, k]
            iso = (
                pl.Series(days[:, k] - EPOCH, dtype=pl.Int64)
                .cast(pl.Int32)
                .cast(pl.Date)
                .dt.strftime("%Y-%m-%d")
            )
            word = pl.Series(words, dtype=pl.String).gather(pl.Series(slot.clip(0), dtype=pl.Int64))
            parts.append(pl.when(pl.Series(slot >= 0)).then(iso + joint + word).otherwise(None))
        return pl.select(pl.concat_str(parts, separator=sep, ignore_nulls=True).fill_null("")).to_series()

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
        """A verdict's first five cells: status, grant, failed conditions in words and by id,
        questions (the dates and changes are the row's own)."""
        words = self._conditions[v.rule.id]
        failed = self._sep.join([words.get(c, c) for c in v.failed])
        if v.status is Status.not_eligible:
            return [self.phase_word(v.rule.id, v.phase), "", failed, ";".join(v.failed), ""]
        grant = v.amount.text if v.amount else ""
        if v.period_text:
            grant = f"{grant}{self._grant_sep}{v.period_text}" if grant else v.period_text
        labels = self._labels
        missing = self._sep.join([labels.get(n, n) for n in v.missing])
        return [self._words[v.rule.id][v.status], grant, failed, ";".join(v.failed), missing]

    def _condition_words(self, rule: Any) -> dict[str, str]:
        """Each condition of a program (and its 实施期限, ``window``) as the rule file words it."""
        from engine.text import T

        words = {leaf.id: leaf.text(self.lang) for leaf in rule.leaves}
        if rule.window is not None:
            words["window"] = rule.window.text(self.lang)
        words["entitlement_ended"] = T("ended_text", self.lang)  # as evaluate() words it
        return words

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
