"""The facts rules may read: every input field of the case models, and the derived facts.

A fact has a dotted name (``person.age``, ``hire.contract_months``), a type, labels in both
languages and the question to ask when it is unknown. Derived facts are computed here once, in
one place, from the input facts and the evaluation date; rules only compare them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cache, lru_cache
from operator import itemgetter
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from engine import calendar
from engine.districts import DistrictBook, districts, load_districts
from engine.models import District, Enterprise, EnterpriseCase, Hire, Person, PersonCase, Sex
from engine.retirement import RetirementGroup, retirement_date

FactType = Literal["bool", "int", "number", "date", "text", "choice"]
Subject = Literal["person", "enterprise"]


@dataclass(frozen=True)
class FactSpec:
    name: str
    type: FactType
    zh: str
    en: str
    ask: str
    subjects: tuple[Subject, ...]
    choices: tuple[str, ...] = ()
    derived_from: tuple[str, ...] = ()
    unit: str = ""
    asked_of: Literal["applicant", "district"] = "applicant"  # a district setting: its office declares it
    ask_en: str = ""  # the question in English (models.fact's ask_en)

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


def scalar_type(annotation: Any) -> tuple[FactType, tuple[str, ...]] | None:
    """Map a field annotation to a fact type; None for nested models and containers."""
    if get_origin(annotation) in (Union, UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        annotation = inner[0] if len(inner) == 1 else annotation
    if get_origin(annotation) is not None and hasattr(annotation, "__metadata__"):
        annotation = get_args(annotation)[0]
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return "bool", ()
        if issubclass(annotation, StrEnum):
            return "choice", tuple(m.value for m in annotation)
        if issubclass(annotation, int):
            return "int", ()
        if issubclass(annotation, Decimal | float):
            return "number", ()
        if issubclass(annotation, date):
            return "date", ()
        if issubclass(annotation, str):
            return "text", ()
    return None


def _about(question: str, zh_prefix: str) -> str:
    """A person's question asked about the person an enterprise hired, not the applicant."""
    if zh_prefix != "被吸纳人员":
        return question
    return (
        question.replace("申请人", "被吸纳人员")
        .replace("the applicant's", "the hired person's")
        .replace("The applicant", "The hired person")
        .replace("the applicant", "the hired person")
    )


def _model_facts(
    model: type[BaseModel], prefix: str, zh_prefix: str, en_prefix: str, subjects: tuple[Subject, ...]
) -> list[FactSpec]:
    specs = []
    for name, field in model.model_fields.items():
        kind = scalar_type(field.annotation)
        if kind is None:
            continue
        extra = field.json_schema_extra or {}
        assert isinstance(extra, dict)
        zh = f"{zh_prefix}{field.title}"
        specs.append(
            FactSpec(
                name=f"{prefix}.{name}",
                type=kind[0],
                choices=kind[1],
                zh=zh,
                en=f"{en_prefix}{extra.get('en', name)}",
                ask=_about(str(extra.get("ask", f"请提供：{zh}")), zh_prefix),
                ask_en=_about(str(extra.get("ask_en", "")), zh_prefix),
                subjects=subjects,
                unit=str(extra.get("unit", "")),
            )
        )
    return specs


DerivedFn = Callable[..., Any]


@dataclass(frozen=True)
class Derived:
    spec: FactSpec
    fn: DerivedFn
    optional: tuple[str, ...] = ()  # inputs the function can do without (it may return None)


def _person_derived(prefix: str, zh: str, en: str, subjects: tuple[Subject, ...]) -> list[Derived]:
    p = prefix

    def d(
        name: str,
        type_: FactType,
        zh_label: str,
        en_label: str,
        needs: list[str],
        fn: DerivedFn,
        unit: str = "",
    ) -> Derived:
        return Derived(
            FactSpec(
                f"{p}.{name}",
                type_,
                f"{zh}{zh_label}",
                f"{en}{en_label}",
                "",
                subjects,
                derived_from=tuple(needs),
                unit=unit,
            ),
            fn,
        )

    return [
        d(
            "age",
            "int",
            "年龄（周岁）",
            "Age in full years",
            [f"{p}.birth_date", "case.as_of"],
            calendar.age_on,
            "岁",
        ),
        d(
            "age_at_training_start",
            "int",
            "培训开始时年龄（周岁）",
            "Age in full years when training starts",
            [f"{p}.birth_date", f"{p}.training_start_date"],
            calendar.age_on,
            "岁",
        ),
        d(
            "retirement_date",
            "date",
            "法定退休日期",
            "Statutory retirement date",
            [f"{p}.birth_date", f"{p}.retirement_group"],
            retirement_day,
        ),
        d(
            "days_to_retirement",
            "int",
            "距法定退休日期天数",
            "Days until statutory retirement",
            ["case.as_of", f"{p}.retirement_date"],
            calendar.full_days,
            "天",
        ),
        d(
            "registered_unemployed_months",
            "int",
            "登记失业时长（月）",
            "Months registered unemployed",
            [f"{p}.unemployment_registration_date", "case.as_of"],
            calendar.full_months,
            "个月",
        ),
        d(
            "months_to_retirement_at_benefit_end",
            "int",
            "失业保险金期满时距法定退休年龄（月）",
            "Months from benefit end to retirement",
            [f"{p}.ui_benefit_end_date", f"{p}.retirement_date"],
            calendar.full_months,
            "个月",
        ),
        d(
            "days_since_benefit_end",
            "int",
            "失业保险金期满后天数",
            "Days since the benefit period ended",
            [f"{p}.ui_benefit_end_date", "case.as_of"],
            calendar.full_days,
            "天",
        ),
        d(
            "days_to_retirement_at_benefit_end",
            "int",
            "失业保险金期满时距法定退休日期天数",
            "Days from benefit end to retirement",
            [f"{p}.ui_benefit_end_date", f"{p}.retirement_date"],
            calendar.full_days,
            "天",
        ),
        d(
            "days_since_flexible_subsidy_end",
            "int",
            "灵活就业社保补贴期满后天数",
            "Days since the flexible-employment subsidy ended",
            [f"{p}.flexible_subsidy_end_date", "case.as_of"],
            calendar.full_days,
            "天",
        ),
        d(
            "days_since_public_welfare_post_end",
            "int",
            "公益性岗位期满后天数",
            "Days since the public-welfare post period ended",
            [f"{p}.public_welfare_post_end_date", "case.as_of"],
            calendar.full_days,
            "天",
        ),
        d(
            "business_months",
            "int",
            "正常经营时长（月）",
            "Months in business",
            [f"{p}.business_start_date", "case.as_of"],
            calendar.full_months,
            "个月",
        ),
    ]


# Derived facts are computed for every row of a registry, from a few thousand distinct inputs:
# the cached functions below answer a repeated question without running Python code.
@lru_cache(maxsize=1 << 15)
def retirement_day(birth: date, group: str) -> date:
    return retirement_date(RetirementGroup(group), birth)


@lru_cache(maxsize=64)
def retirement_group_of(sex: str, female_post: str | None) -> str | None:
    """A man's group needs only his sex; a woman's also needs her post (55 or 50)."""
    if sex == Sex.male:
        return RetirementGroup.male.value
    if sex == Sex.female and female_post:
        return (RetirementGroup.female_55 if female_post == "cadre" else RetirementGroup.female_50).value
    return None


def percent(part: int, whole: int) -> float | None:
    """Exact for every ratio whose true value is a representable threshold (20, 10, 5.5 …)."""
    return None if whole == 0 else 100 * part / whole


def contract_months(start: date, end: date) -> int:
    """A contract 2020-03-01..2021-02-28 runs 12 full months: count up to the day after its end."""
    return calendar.full_months(start, end + timedelta(days=1))


def _enterprise_derived() -> list[Derived]:
    e: tuple[Subject, ...] = ("enterprise",)
    return [
        Derived(
            FactSpec(
                "enterprise.layoff_rate",
                "number",
                "裁员率（%）",
                "Layoff rate (%)",
                "",
                e,
                derived_from=("enterprise.laid_off_count", "enterprise.insured_staff_count"),
                unit="%",
            ),
            percent,
        ),
        Derived(
            FactSpec(
                "enterprise.new_hire_ratio",
                "number",
                "新招用人员占现有职工比例（%）",
                "New eligible hires as % of staff",
                "",
                e,
                derived_from=("enterprise.new_eligible_hires", "enterprise.staff_count"),
                unit="%",
            ),
            percent,
        ),
        Derived(
            FactSpec(
                "enterprise.layoff_notice_days",
                "int",
                "提前说明天数",
                "Days of advance notice before layoff",
                "",
                e,
                derived_from=("enterprise.layoff_explained_date", "enterprise.layoff_date"),
                unit="天",
            ),
            calendar.full_days,
        ),
        Derived(
            FactSpec(
                "hire.unemployed_months_at_hire",
                "int",
                "被吸纳人员招用时已登记失业（月）",
                "Months registered unemployed at hire",
                "",
                e,
                derived_from=("hire.person.unemployment_registration_date", "hire.hire_date"),
                unit="个月",
            ),
            calendar.full_months,
        ),
        Derived(
            FactSpec(
                "hire.contract_months",
                "int",
                "劳动合同期限（月）",
                "Contract length (months)",
                "",
                e,
                derived_from=("hire.contract_start_date", "hire.contract_end_date"),
                unit="个月",
            ),
            contract_months,
        ),
    ]


def _group_spec(prefix: str, zh: str, en: str, subjects: tuple[Subject, ...]) -> Derived:
    return Derived(
        FactSpec(
            f"{prefix}.retirement_group",
            "choice",
            f"{zh}退休年龄类别",
            f"{en}Retirement group",
            "",
            subjects,
            choices=tuple(g.value for g in RetirementGroup),
            derived_from=(f"{prefix}.sex", f"{prefix}.female_post"),
        ),
        retirement_group_of,
        optional=(f"{prefix}.female_post",),
    )


def _district_settings() -> list[Derived]:
    """Each setting the notice leaves to districts, read from the case's district's declarations in
    the settings the engine was given (``district.settings``, an input no applicant supplies)."""
    out = []
    for term, spec in load_districts().terms.items():

        def declared(settings: DistrictBook, name: str, day: date, term: str = term) -> bool | None:
            return settings.value(name, term, day)

        out.append(
            Derived(
                FactSpec(
                    f"district.{term}",
                    "bool",
                    spec.label.zh,
                    spec.label.en,
                    "",
                    ("person", "enterprise"),
                    derived_from=("district.settings", "district.name", "case.as_of"),
                    asked_of="district",
                ),
                declared,
            )
        )
    return out


# What the engine is given rather than the caseworker: the evaluation date and the district settings.
ENGINE_INPUTS = frozenset({"case.as_of", "district.settings"})

PERSON: tuple[Subject, ...] = ("person",)
ENTERPRISE: tuple[Subject, ...] = ("enterprise",)
BOTH: tuple[Subject, ...] = ("person", "enterprise")

INPUT_FACTS: list[FactSpec] = [
    FactSpec("case.as_of", "date", "评估日期", "Evaluation date", "", BOTH),
    FactSpec("district.settings", "text", "区县设置", "District settings", "", BOTH),
    *_model_facts(Person, "person", "", "", PERSON),
    *_model_facts(Enterprise, "enterprise", "", "", ENTERPRISE),
    *_model_facts(Hire, "hire", "", "", ENTERPRISE),
    *_model_facts(Person, "hire.person", "被吸纳人员", "Hired person: ", ENTERPRISE),
    *_model_facts(District, "district", "", "", BOTH),
]

# Order matters: a derived fact may read one derived before it.
DERIVED: list[Derived] = [
    _group_spec("person", "", "", PERSON),
    *_person_derived("person", "", "", PERSON),
    _group_spec("hire.person", "被吸纳人员", "Hired person: ", ENTERPRISE),
    *_person_derived("hire.person", "被吸纳人员", "Hired person: ", ENTERPRISE),
    *_enterprise_derived(),
    *_district_settings(),
]

FACTS: dict[str, FactSpec] = {s.name: s for s in INPUT_FACTS} | {d.spec.name: d.spec for d in DERIVED}


@cache
def days_since(date_fact: str) -> str | None:
    """The derived fact counting full days from ``date_fact`` to the evaluation date (None if none
    is derived): what a rule's ``period_ended`` compares."""
    for spec in FACTS.values():
        if spec.derived_from == (date_fact, "case.as_of") and spec.unit == "天":
            return spec.name
    return None


def ask(name: str, lang: str = "zh") -> str:
    """The question that obtains an input fact."""
    spec = FACTS[name]
    if lang == "zh":
        return spec.ask
    return spec.ask_en or f"Please provide: {spec.en}"


@cache
def derivation(name: str) -> tuple[str, ...]:
    """A fact and every fact it is derived from, down to the inputs: all ``missing_inputs`` reads."""
    out = [name]
    for dep in FACTS[name].derived_from:
        out += [n for n in derivation(dep) if n not in out]
    return tuple(out)


def missing_inputs(name: str, facts: dict[str, Any]) -> list[str]:
    """The unknown input facts that keep ``name`` unknown, following only unknown derived facts.

    A derived fact can be unknown with every input given (a rate over a staff count of 0): then
    its inputs are what to check with the applicant, never an empty question list.
    """
    if facts.get(name) is not None:
        return []
    spec = FACTS[name]
    if not spec.derived_from:
        return [name]
    if spec.asked_of == "district" and all(facts.get(dep) is not None for dep in spec.derived_from):
        return [name]  # the district has not declared it: asked of the district, not the applicant
    out: list[str] = []
    for dep in spec.derived_from:
        if facts.get(dep) is not None:
            continue
        for leaf in missing_inputs(dep, facts) if FACTS[dep].derived_from else (dep,):
            if leaf not in out:
                out.append(leaf)
    return out or list(spec.derived_from)


@dataclass(frozen=True)
class _Reader:
    """How one model's fields become facts, worked out once per model (batch reads millions)."""

    names: tuple[str, ...]  # dotted fact names, in field order
    values: Callable[[dict[str, Any]], tuple[Any, ...]]  # their values, read from ``__dict__``
    choices: tuple[str, ...]  # the dotted names whose values are enum members
    nested: tuple[tuple[str, str], ...]  # (attribute, dotted prefix) of nested models


@cache
def _reader(model: type[BaseModel], prefix: str) -> _Reader:
    facts = [name for name in model.model_fields if f"{prefix}.{name}" in FACTS]
    return _Reader(
        names=tuple(f"{prefix}.{name}" for name in facts),
        values=_getter(facts),
        choices=tuple(f"{prefix}.{n}" for n in facts if FACTS[f"{prefix}.{n}"].type == "choice"),
        nested=tuple(
            (name, f"{prefix}.{name}")
            for name, field in model.model_fields.items()
            if f"{prefix}.{name}" not in FACTS and scalar_type(field.annotation) is None
        ),
    )


def _getter(names: list[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """The values of ``names`` as a tuple, whatever their number (itemgetter alone is not)."""
    if len(names) > 1:
        return itemgetter(*names)
    if names:
        only = names[0]
        return lambda values: (values[only],)
    return lambda values: ()


def _flatten(model: BaseModel | None, prefix: str, out: dict[str, Any]) -> None:
    if model is None:
        return
    reader = _reader(type(model), prefix)
    values = model.__dict__
    out.update(zip(reader.names, reader.values(values), strict=True))
    for name in reader.choices:
        if (value := out[name]) is not None:
            out[name] = value.value
    for name, dotted in reader.nested:
        if isinstance(nested := values[name], BaseModel):
            _flatten(nested, dotted, out)


_Step = tuple[str, DerivedFn, tuple[str, ...], tuple[str, ...] | None]
_plans: dict[str, tuple[list[Derived], list[_Step], dict[str, _Step]]] = {}


def derivations(subject: str) -> list[_Step]:
    """(name, function, inputs, required inputs if some are optional) of a subject's derived facts,
    in order; worked out again whenever ``DERIVED`` is replaced (tests wrap its functions)."""
    return _plan(subject)[1]


def derivation_step(subject: str, name: str) -> _Step | None:
    """How ``name`` is derived for ``subject`` (None for an input)."""
    return _plan(subject)[2].get(name)


def _plan(subject: str) -> tuple[list[Derived], list[_Step], dict[str, _Step]]:
    known = _plans.get(subject)
    if known is None or known[0] is not DERIVED:
        steps = [
            (
                d.spec.name,
                d.fn,
                d.spec.derived_from,
                tuple(n for n in d.spec.derived_from if n not in d.optional) if d.optional else None,
            )
            for d in DERIVED
            if subject in d.spec.subjects
        ]
        known = _plans[subject] = (DERIVED, steps, {step[0]: step for step in steps})
    return known


def case_facts(
    case: PersonCase | EnterpriseCase, as_of: date, settings: DistrictBook | None = None
) -> dict[str, Any]:
    """Every fact of the case's subject: input values, then derived ones (None where unknown).
    ``settings``: the district settings in force (the shipped or configured table by default)."""
    out: dict[str, Any] = {"case.as_of": as_of, "district.settings": settings or districts()}
    if isinstance(case, PersonCase):
        _flatten(case.person, "person", out)
    else:
        _flatten(case.enterprise, "enterprise", out)
        _flatten(case.hire, "hire", out)
    _flatten(case.district, "district", out)
    return derive(out, case.kind)


def derive(out: dict[str, Any], subject: str, steps: list[_Step] | None = None) -> dict[str, Any]:
    """Fill the derived facts of ``out`` (all of the subject's, or only ``steps``) from its inputs."""
    get = out.get
    for step in derivations(subject) if steps is None else steps:
        out[step[0]] = derived(step, get)
    return out


def derived(step: _Step, get: Any) -> Any:
    """One derived fact from its inputs as ``get`` gives them (None: unknown)."""
    _, fn, inputs, required = step
    args = [*map(get, inputs)]
    if None not in args or (required is not None and None not in map(get, required)):
        try:
            return fn(*args)
        except (OverflowError, ValueError):  # a date past year 9999 or before year 1
            return None
    return None


@cache
def depends_on(name: str) -> frozenset[str]:
    """Every input and derived fact ``name`` is computed from, however indirectly."""
    return frozenset(derivation(name)) - {name}


_timed: dict[str, tuple[list[_Step], list[_Step]]] = {}


def timed_steps(subject: str) -> list[_Step]:
    """The derivations that read the evaluation date, directly or through another derived fact."""
    steps = derivations(subject)
    known = _timed.get(subject)
    if known is None or known[0] is not steps:
        known = _timed[subject] = (steps, [s for s in steps if "case.as_of" in depends_on(s[0])])
    return known[1]


def on_day(facts: dict[str, Any], day: date, subject: str, reads: Reads) -> dict[str, Any]:
    """The facts ``reads`` names (``reading``), on another evaluation date: only what is derived
    from that date moves."""
    return rederive(facts, subject, reads, {"case.as_of": day})


Reads = tuple[tuple[str, ...], list[_Step]]
_reads: dict[tuple[str, tuple[str, ...], bool], tuple[list[_Step], Reads]] = {}


def reading(subject: str, facts: tuple[str, ...], timed: bool = True) -> Reads:
    """What ``rederive`` needs to work out only ``facts`` again: their derivations, and the steps
    among them (only those that read the evaluation date, when ``timed``)."""
    steps = timed_steps(subject) if timed else derivations(subject)
    key = (subject, facts, timed)
    known = _reads.get(key)
    if known is None or known[0] is not steps:
        names = tuple(dict.fromkeys(["case.as_of", *(n for f in facts for n in derivation(f))]))
        known = _reads[key] = (steps, (names, [s for s in steps if s[0] in names]))
    return known[1]


def rederive(facts: dict[str, Any], subject: str, reads: Reads, changes: dict[str, Any]) -> dict[str, Any]:
    """Only the facts of ``reads``, with ``changes`` made and what derives from them worked out again
    (the timeline and the answers-that-agree check ask this many times per case)."""
    names, steps = reads
    small = {name: facts.get(name) for name in names}
    small.update(changes)
    return derive(small, subject, steps)
