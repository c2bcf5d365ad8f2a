"""Rule files: their schema, and the loader that refuses a bad one with file and line.

A rule file is YAML a policy reviewer can read: the notice's words, the conditions that encode
them, the dated parameters (OpenFisca-style: values keyed by the date they take effect, each with
a reference) and the outcome. Nothing in a rule file is executed; conditions are data.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import string
from datetime import date
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, Field, ValidationError, ValidationInfo, model_validator

from engine import safeyaml
from engine.facts import FACTS, FactSpec, days_since
from engine.safeyaml import FileRefused, SafeLoader
from engine.validation_words import said_in_words
from engine.values import Worded, Words
from engine.words import Strict, Text

Op = Literal["==", "!=", ">=", "<=", ">", "<", "in"]
Scalar = bool | int | float | str | date
SUBJECTS = {"person": "个人", "enterprise": "单位"}
TYPES = {
    "bool": "是否（true/false）",
    "int": "整数",
    "number": "数字",
    "date": "日期",
    "text": "文字",
    "choice": "选项",
}

# No amount, count or period a notice sets comes near a trillion; durable_rules compares 64-bit
# integers, and an infinite or 25-digit number crashed every worker of a run, again and again.
LARGEST = 10**12
# Units no value can be below zero in (a rate in % or a ratio may well be a reduction).
NOT_NEGATIVE = frozenset({"个月", "人", "元", "元/月", "岁"})


def _bounded(value: Any) -> Any:
    """A number (or each of a list's) as the engine can compare it: finite and below ``LARGEST``."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, bool) or not isinstance(item, int | float):
            continue
        if isinstance(item, float) and not math.isfinite(item):
            raise Worded(
                "应为有限的数字（不能是 .inf、.nan 或超出范围的数）",
                "a finite number (not .inf, .nan or out of range)",
            )
        if abs(item) > LARGEST:
            raise Worded(
                f"数字过大（绝对值最多 {LARGEST:,}）", f"too large a number (at most {LARGEST:,} either way)"
            )
    return value


Number = Annotated[float, AfterValidator(_bounded)]


class Bracket(Strict):
    """One step of a scale: from this threshold (inclusive, 以上) the value applies."""

    threshold: Number
    value: Number | None


def _in_unit(value: Any, info: ValidationInfo) -> Any:
    """A parameter's value as its unit allows: a number of months, persons or yuan is never negative."""
    _bounded(value)
    numbers = [b.value for b in value] if isinstance(value, list) else [value]
    if info.data.get("unit") in NOT_NEGATIVE and any(
        not isinstance(n, bool) and isinstance(n, int | float) and n < 0 for n in numbers
    ):
        raise Worded(
            f"单位为“{info.data['unit']}”的值不能为负数", f"a value in {info.data['unit']} cannot be negative"
        )
    return value


ParamValue = float | int | bool | list[Bracket] | None


class Parameter(Strict):
    label: Text
    unit: str = ""
    reference: Text  # where the value comes from; English names Chinese documents as written
    values: dict[date, Annotated[ParamValue, AfterValidator(_in_unit)]]

    @model_validator(mode="after")
    def _has_dates(self) -> Parameter:
        if not self.values:
            raise Worded(
                "参数至少要有一个带日期的值（按当地标准的写 null）",
                "a parameter needs at least one dated value (null for 按当地标准)",
            )
        return self

    def at(self, day: date) -> ParamValue:
        """The value in force on ``day``: the latest entry that started on or before it."""
        current: ParamValue = None
        for start in sorted(self.values):
            if start <= day:
                current = self.values[start]
        return current

    def periods(self) -> list[tuple[date, date | None, ParamValue]]:
        """(start, next start or None, value) for each dated value, in order."""
        starts = sorted(self.values)
        ends: list[date | None] = [*starts[1:], None]
        return [(s, e, self.values[s]) for s, e in zip(starts, ends, strict=True)]


class ParamRef(Strict):
    param: str


class Timing(Strict):
    """A condition that moves with time, worded as the notice words its event (“失业保险金将于{date}期满”):
    ``before`` while the day it changes is still to come, ``after`` once it has passed."""

    before: Text
    after: Text


PLACES = {"value", "expected"}  # what a fact's ``holds``/``fails`` sentence may quote


def _places(text: Text) -> set[str]:
    """The placeholders a sentence names, in either language ("" for a bare ``{}``)."""
    parsed = [part for lang in (text.zh, text.en) for part in string.Formatter().parse(lang)]
    return {name for _, name, _, _ in parsed if name is not None}


class Leaf(Strict):
    """One condition: a fact compared with a value, or a confirmation the caseworker gives.

    ``holds`` / ``fails`` are the sentences a caseworker or citizen reads when it is met / not met,
    about the person in the notice's terms (“申请人目前未就业”); a fact's sentence may quote
    ``{value}`` (the case's) and ``{expected}`` (the rule's), formatted as the reasons format them.

    ``period_ended: <date fact>`` is the notice's “期满”: a period whose last day is that date has
    ended. A period's last day belongs to it (民法典第203条: it runs to 24:00), so the condition holds
    from the day after; the loader writes it as the comparison ``days since that date > 0``, and
    the rest of the engine reads that comparison like any other.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: Text
    holds: Text
    fails: Text
    fact: str | None = None
    op: Op = "=="
    value: Annotated[Scalar | list[Scalar] | ParamRef | None, AfterValidator(_bounded)] = None
    confirm: Text | None = None
    timing: Timing | None = None
    period_ended: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _period_ended(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("period_ended") is None:
            return data
        if any(key in data for key in ("fact", "op", "value")):
            raise Worded(
                "`period_ended` 已代替 fact、op 和 value：三者都不要再写",
                "`period_ended` stands for fact, op and value: give none of them",
            )
        last_day = data["period_ended"]
        fact = days_since(last_day) if isinstance(last_day, str) else None
        if fact is None:
            raise Worded(
                f"period_ended：`{last_day}` 不是计算距今天数的日期事实",
                f"period_ended: `{last_day}` is no date fact whose days since are counted",
            )
        return {**data, "fact": fact, "op": ">", "value": 0}

    @model_validator(mode="after")
    def _fact_or_confirm(self) -> Leaf:
        if (self.fact is None) == (self.confirm is None):
            raise Worded(
                "条件应有 `fact`（及 op、value）或 `confirm`，且只有其一",
                "a condition has either `fact` (with op and value) or `confirm`",
            )
        if self.fact is not None and self.value is None:
            raise Worded("对事实的条件需要 `value`", "a condition on a fact needs a `value`")
        if self.op == "in" and not isinstance(self.value, list):
            raise Worded("op `in` 的 value 应为列表", "op `in` needs a list value")
        allowed = PLACES if self.fact is not None else set()
        for name in ("holds", "fails"):
            try:
                unknown = _places(getattr(self, name)) - allowed
            except ValueError as err:  # an unpaired brace
                raise Worded(f"`{name}`：花括号不成对（{err}）", f"`{name}`: {err}") from None
            if unknown:
                may = "only {value} and {expected}" if allowed else "no placeholders"
                may_zh = "只能引用 {value} 和 {expected}" if allowed else "不能有占位符"
                raise Worded(
                    f"`{name}` 引用了 {'、'.join(sorted(unknown))}：句子中{may_zh}",
                    f"`{name}` names {', '.join(sorted(unknown))}: a sentence may quote {may}",
                )
        return self


class Group(Strict):
    """Conditions joined by `all` (每一项) or `any` (任一项); groups nest."""

    id: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    text: Text | None = None
    all: list[Node] | None = None
    any: list[Node] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Group:
        if (self.all is None) == (self.any is None) or not (self.all or self.any):
            raise Worded(
                "条件组应有且只有一个非空的 `all` 或 `any`",
                "a group has exactly one non-empty `all` or `any`",
            )
        return self

    @property
    def mode(self) -> Literal["all", "any"]:
        return "all" if self.all is not None else "any"

    @property
    def children(self) -> list[Node]:
        return self.all if self.all is not None else (self.any or [])


Node = Annotated[Leaf | Group, Field(union_mode="left_to_right")]
Group.model_rebuild()


class Window(Strict):
    """The notice's 实施期限, judged on the date the policy names, not on the evaluation date."""

    start: date | None = None
    end: date
    judged_on: str
    text: Text


class Amount(Strict):
    """A fixed amount (param) or a rate of a fact (rate × of)."""

    param: str | None = None
    rate: str | None = None
    of: str | None = None
    per: Text | None = None

    @model_validator(mode="after")
    def _shape(self) -> Amount:
        if (self.param is None) == (self.rate is None) or (self.rate is None) != (self.of is None):
            raise Worded("amount 应为 {param} 或 {rate, of} 之一", "amount is either {param} or {rate, of}")
        return self


class Period(Strict):
    """A period in months: a fixed parameter, or a scale read at a fact's value."""

    param: str
    by: str | None = None


class KeyDate(Strict):
    """A date the decision states. ``ends``: this is a last day of the entitlement, worded as the
    notice words the event ("已于{date}达到法定退休年龄"); after it the program grants nothing. Where
    several dates end it (a stated end and a computed one), the earliest known one does."""

    id: str
    label: Text
    fact: str
    add_months: Annotated[int | ParamRef | Literal["period"] | None, AfterValidator(_bounded)] = None
    # days counted back (the notice's 30 days, the day before): within a century, where the date
    # arithmetic holds (a million days back is before year 1 and stopped every evaluation)
    minus_days: int = Field(0, ge=0, le=36_525)
    ends: Text | None = None


class Outcome(Strict):
    grant: Text
    amount: Amount | None = None
    period: Period | None = None
    dates: list[KeyDate] = Field(default_factory=list)


class Rule(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    subject: Literal["person", "enterprise"]
    kind: Literal["grant", "extension", "compliance", "registration"]
    tasks: list[Annotated[int, Field(ge=1, le=66)]] = Field(min_length=1)
    quote: str = Field(min_length=1)
    lead_units: list[str] = Field(min_length=1)
    responsible_units: list[str] = Field(default_factory=list)
    window: Window | None = None
    dated_by: str | None = None  # the date dated parameters are read at; default below
    notes: list[Text] = Field(default_factory=list)
    conditions: Group
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    outcome: Outcome

    @cached_property
    def leaves(self) -> list[Leaf]:
        out: list[Leaf] = []

        def walk(node: Leaf | Group) -> None:
            if isinstance(node, Leaf):
                out.append(node)
            else:
                for child in node.children:
                    walk(child)

        walk(self.conditions)
        return out

    @property
    def reference_fact(self) -> str | None:
        """The fact whose date selects parameter values: ``dated_by``, else the window's date."""
        return self.dated_by or (self.window.judged_on if self.window else None)

    def confirmation_key(self, leaf: Leaf) -> str:
        return f"{self.id}.{leaf.id}"

    @model_validator(mode="after")
    def _references_resolve(self) -> Rule:
        """Every fact a rule names must be one the case models define, for this subject."""
        seen: set[str] = set()
        for leaf in self.leaves:
            if leaf.id in seen:
                raise Worded(f"条件ID `{leaf.id}` 重复", f"duplicate condition id `{leaf.id}`")
            seen.add(leaf.id)
            if leaf.fact is not None:
                spec = self._fact(leaf.fact, Words(f"条件 `{leaf.id}`", f"condition `{leaf.id}`"))
                _check_value(spec, leaf, self.parameters)
        if self.window:
            self._fact(self.window.judged_on, Words("window.judged_on", "window.judged_on"))
        if self.dated_by and self._fact(self.dated_by, Words("dated_by", "dated_by")).type != "date":
            raise Worded(
                f"dated_by：`{self.dated_by}` 不是日期事实", f"dated_by: `{self.dated_by}` is not a date fact"
            )
        for ref in self._param_refs():
            if ref not in self.parameters:
                raise Worded(f"未定义的参数 `{ref}`", f"unknown parameter `{ref}`")
        o = self.outcome
        for name in [o.amount and o.amount.of, o.period and o.period.by, *(d.fact for d in o.dates)]:
            if name:
                self._fact(name, Words("outcome", "outcome"))
        return self

    def _fact(self, name: str, where: Words) -> FactSpec:
        spec = FACTS.get(name)
        if spec is None:
            raise Worded(
                f"{where}：未知的事实 `{name}`（案件模型中没有）",
                f"{where.en}: unknown fact `{name}` (no case model defines it)",
            )
        if self.subject not in spec.subjects:
            raise Worded(
                f"{where}：事实 `{name}` 不是{SUBJECTS[self.subject]}案件的事实",
                f"{where.en}: fact `{name}` is not a fact of a {self.subject} case",
            )
        return spec

    def _param_refs(self) -> list[str]:
        refs = [leaf.value.param for leaf in self.leaves if isinstance(leaf.value, ParamRef)]
        o = self.outcome
        refs += [
            x for x in [o.amount and (o.amount.param or o.amount.rate), o.period and o.period.param] if x
        ]
        refs += [d.add_months.param for d in o.dates if isinstance(d.add_months, ParamRef)]
        return refs


def _check_value(spec: FactSpec, leaf: Leaf, params: dict[str, Parameter]) -> None:
    """Refuse a comparison durable-rules would get wrong: text against number, 1 against True."""
    values = leaf.value if isinstance(leaf.value, list) else [leaf.value]
    for value in values:
        if isinstance(value, ParamRef):
            continue
        ok = {
            "bool": isinstance(value, bool),
            "int": isinstance(value, int | float) and not isinstance(value, bool),
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "date": isinstance(value, date),
            "text": isinstance(value, str),
            "choice": value in spec.choices,
        }[spec.type]
        if not ok:
            hint = f" (one of {', '.join(spec.choices)})" if spec.choices else ""
            hint_zh = f"（应为以下之一：{'、'.join(spec.choices)}）" if spec.choices else ""
            kind = TYPES[spec.type]
            raise Worded(
                f"条件 `{leaf.id}`：值 {value!r} 与事实 `{spec.name}` 的类型（{kind}）不符{hint_zh}",
                f"condition `{leaf.id}`: value {value!r} does not fit {spec.type} fact `{spec.name}`{hint}",
            )
    if spec.type in ("bool", "choice", "text") and leaf.op not in ("==", "!=", "in"):
        raise Worded(
            f"条件 `{leaf.id}`：{TYPES[spec.type]}类型的事实不能用 `{leaf.op}` 比较",
            f"condition `{leaf.id}`: `{leaf.op}` cannot compare a {spec.type} fact",
        )
    if isinstance(leaf.value, ParamRef) and leaf.value.param not in params:
        raise Worded(
            f"条件 `{leaf.id}`：未定义的参数 `{leaf.value.param}`",
            f"condition `{leaf.id}`: unknown parameter `{leaf.value.param}`",
        )


class _Loader(SafeLoader):  # type: ignore[valid-type,misc]
    """Safe YAML, except that an impossible date (2020-02-30) stays text for pydantic to report."""

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:  # type: ignore[override]
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[arg-type]
        except ValueError:
            return self.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


class RuleFileError(FileRefused):
    """A rule file the loader refuses; the message names the file and the line or key."""


def _line_index(text: str) -> dict[tuple[Any, ...], int]:
    """Map each key path of a YAML document to its 1-based line, for error messages."""
    index: dict[tuple[Any, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        index[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                index[(*path, key.value)] = key.start_mark.line + 1
                walk(value, (*path, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, ())
    return index


_DATE_KEY = re.compile(r"datetime\.date\((\d+), (\d+), (\d+)\)")


def _key(part: Any) -> Any:
    """A location's key as the file writes it: pydantic names a date key by its repr."""
    found = _DATE_KEY.fullmatch(part) if isinstance(part, str) else None
    return date(*map(int, found.groups())).isoformat() if found else part


BRANCHES = {"Leaf", "Group", "ParamRef", "bool", "int", "float", "str", "date"}  # a union's members


def _key_path(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """A pydantic error location as the file's keys: without the union's branch names
    (``Leaf``, ``float``, ``function-after[_fact_or_confirm(), Leaf]``)."""
    return tuple(_key(p) for p in loc if not (isinstance(p, str) and (p in BRANCHES or "[" in p)))


def _fits(data: Any, loc: tuple[Any, ...]) -> bool:
    """Whether an error's union branch (a condition or a group) is the one its node is written as:
    a leaf's error is not repeated as the errors it would have as a group, nor the other way."""
    node = data
    for part in loc:
        branch = "Group" if "Group" in str(part) else "Leaf" if "Leaf" in str(part) else None
        if branch is not None:
            if isinstance(node, dict) and branch != ("Group" if {"all", "any"} & set(node) else "Leaf"):
                return False
            continue
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return True
    return True


def _line_for(index: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    path = _key_path(loc)
    while path:
        if path in index:
            return index[path]
        path = path[:-1]
    return index.get(())


def parse_rule(text: str, source: str) -> Rule:
    """Validate one rule file's text; raise RuleFileError naming the source and line."""
    try:
        data = safeyaml.load(text, source, _Loader)  # no aliases: _line_index walks no bomb
    except FileRefused as err:
        raise RuleFileError(str(err), err.en) from None
    if not isinstance(data, dict):
        raise RuleFileError(
            f"{source}：规则文件应为一组键值（YAML 映射）", f"{source}: a rule file is a mapping of keys"
        )
    try:
        return Rule.model_validate(data)
    except ValidationError as err:
        index = _line_index(text)
        found: dict[tuple[int | None, str], list[Words]] = {}  # a union's errors: one line, each way
        for e in err.errors():
            loc = tuple(e["loc"])
            if _fits(data, loc):
                key = ".".join(str(p) for p in _key_path(loc))
                found.setdefault((_line_for(index, loc), key), []).append(said_in_words(e))
        zh = [
            f"{source}：第{line}行：{key + '：' if key else ''}{'，或'.join(said)}"
            for (line, key), said in found.items()
        ]
        en = [
            f"{source}:{line}: {key or '(file)'}: {'; or '.join(s.en for s in said)}"
            for (line, key), said in found.items()
        ]
        raise RuleFileError("\n".join(zh), "\n".join(en)) from None


class RuleBook:
    """All rules, validated together: ids unique, and a version hash of the files' bytes."""

    def __init__(self, sources: list[tuple[str, str]]):
        rules: dict[str, Rule] = {}
        origin: dict[str, str] = {}
        digest = hashlib.sha256()
        for source, text in sorted(sources):
            rule = parse_rule(text, source)
            if rule.id in rules:
                raise RuleFileError(
                    f"{source}：项目ID `{rule.id}` 重复（{origin[rule.id]} 中也有）",
                    f"{source}: duplicate rule id `{rule.id}` (also in {origin[rule.id]})",
                )
            rules[rule.id] = rule
            origin[rule.id] = source
            digest.update(source.encode() + b"\0" + text.encode() + b"\0")
        self.rules = rules
        self.sources = origin
        self.version = digest.hexdigest()[:12]

    def for_subject(self, subject: str) -> list[Rule]:
        return [r for r in self.rules.values() if r.subject == subject]

    def confirmation_keys(self) -> set[str]:
        return {r.confirmation_key(leaf) for r in self.rules.values() for leaf in r.leaves if leaf.confirm}


def rules_dir() -> Path:
    """The shipped rule files, or ``SUBSIDY_RULES_DIR`` (the mutation check runs the features on
    altered copies)."""
    configured = os.environ.get("SUBSIDY_RULES_DIR")
    return Path(configured) if configured else Path(str(resources.files("rules")))


def load_rulebook(directory: Path | None = None) -> RuleBook:
    """Load every ``task*.yaml`` rule file of ``directory`` (the shipped ``rules/`` by default)."""
    directory = directory or rules_dir()
    files = sorted(directory.glob("task*.yaml"))
    try:  # a folder or a dangling link named task*.yaml is refused by name, as a bad file is
        sources = [(f.name, safeyaml.read(f)) for f in files]
    except FileRefused as err:
        raise RuleFileError(str(err), err.en) from None
    return RuleBook(sources)
