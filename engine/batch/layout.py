"""The batch output's columns and cells, worded from plain verdicts (no pydantic per row).

Wide: one row per case, five columns per program (status, amount and period, failed condition
ids, facts still needed, key dates). Long (``--long``): one row per case and program. Missing
facts are written as the input headers that would supply them, so staff can fill them in and
run the file again.
"""

from __future__ import annotations

from engine.decision import Status
from engine.facts import FACTS
from engine.judge import Verdict
from engine.rulebook import RuleBook

STATUS = {
    "zh": {Status.eligible: "符合", Status.not_eligible: "不符合", Status.needs_information: "需补充信息"},
    "en": {s: s.value for s in Status},
}
KIND = {
    "zh": {"person": "个人", "enterprise": "单位"},
    "en": {"person": "person", "enterprise": "enterprise"},
}
HEAD = {
    "zh": ["案件编号", "行号", "类型"],
    "en": ["case_id", "line", "kind"],
}
PER_PROGRAM = {
    "zh": ["结论", "标准和期限", "未满足的条件", "需补充的信息", "重要日期"],
    "en": ["status", "grant", "failed", "missing", "dates"],
}
LONG = {"zh": ["项目", "项目名称"], "en": ["program", "title"]}
ERROR_HEAD = ["行号", "案件编号", "列", "原因"]


class Layout:
    """How verdicts become CSV cells, for one language and shape (wide or long)."""

    def __init__(self, book: RuleBook, lang: str = "zh", long: bool = False):
        self.lang = "zh" if lang == "zh" else "en"
        self.long = long
        self.rules = list(book.rules.values())
        self._status = STATUS[self.lang]
        self._kind = KIND[self.lang]
        self._labels = self._missing_labels() if self.lang == "zh" else {}
        self._asks: dict[tuple[str, ...], str] = {}  # the facts to ask for, as written
        self._sep = "、" if self.lang == "zh" else ";"
        self._grant_sep = "；" if self.lang == "zh" else "; "
        self._refused = self._status[Status.not_eligible]
        self._blank = [""] * len(PER_PROGRAM[self.lang])
        self._empty = self._blank * len(self.rules)  # a wide row's program cells, all empty
        self._at = {rule.id: len(HEAD[self.lang]) + i * len(self._blank) for i, rule in enumerate(self.rules)}

    def header(self) -> list[str]:
        head = HEAD[self.lang]
        if self.long:
            return [*head, *LONG[self.lang], *PER_PROGRAM[self.lang]]
        titles = [rule.title(self.lang) for rule in self.rules]
        unique = len(set(titles)) == len(titles) and self.lang == "zh"
        out = list(head)
        for rule, title in zip(self.rules, titles, strict=True):
            prefix = f"{title}·" if unique else f"{rule.id}."
            out += [prefix + word for word in PER_PROGRAM[self.lang]]
        return out

    def rows(self, case_id: str, line: int, kind: str, verdicts: list[Verdict]) -> list[list[str]]:
        """The output rows of one case; ``verdicts`` in rule-book order for the case's subject."""
        head = [case_id, str(line), self._kind[kind]]
        if self.long:
            return [[*head, v.rule.id, v.rule.title(self.lang), *self.cells(v)] for v in verdicts]
        row = head + self._empty
        width = len(self._blank)
        for v in verdicts:
            at = self._at[v.rule.id]
            row[at : at + width] = self.cells(v)
        return [row]

    def cells(self, v: Verdict) -> list[str]:
        if v.status is Status.not_eligible:
            return [self._refused, "", ";".join(v.failed), "", ""]
        grant = v.amount.text if v.amount else ""
        if v.period_text:
            grant = f"{grant}{self._grant_sep}{v.period_text}" if grant else v.period_text
        missing = ""
        if v.missing:
            missing = self._asks.get(v.missing)
            if missing is None:
                if len(self._asks) > 10_000:
                    self._asks.clear()
                labels = self._labels
                missing = self._asks[v.missing] = self._sep.join([labels.get(n, n) for n in v.missing])
        dates = ""
        if v.dates:
            if self.lang == "zh":
                dates = "；".join([f"{d.label.zh} {day.isoformat()}" for d, day in v.dates if day])
            else:
                dates = ";".join([f"{d.id}={day.isoformat()}" for d, day in v.dates if day])
        return [self._status[v.status], grant, ";".join(v.failed), missing, dates]

    def _missing_labels(self) -> dict[str, str]:
        """Each fact a program may ask for by its form label (a confirmation: by its condition)."""
        labels = {name: spec.zh for name, spec in FACTS.items()}
        for rule in self.rules:
            for leaf in rule.leaves:
                if leaf.confirm is not None:
                    labels[f"confirm.{rule.confirmation_key(leaf)}"] = f"经办人确认：{leaf.text('zh')}"
        return labels
