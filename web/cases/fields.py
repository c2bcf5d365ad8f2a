"""The case form, generated from the pydantic case models plus a small grouping table.

Each model field becomes one input: its Chinese label is the field's title, its English label and
question come from ``fact()``, its input type from the annotation. The tables below only say which
group a field sits in; a field added to a model later and not named here still appears, in the
"其他" (other) group, so the form can never silently lack a fact the rules read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from flask_babel import lazy_gettext as _l
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from engine.facts import scalar_type
from engine.models import District, Enterprise, Hire, Person
from engine.text import CHOICES

InputKind = Literal["text", "date", "int", "number", "choice", "bool"]
TEXT_LIMIT = 200  # no field of the case needs more; anything longer is refused before pydantic


@dataclass(frozen=True)
class Choice:
    value: str
    zh: str
    en: str

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


UNITS_EN = {"元": "CNY", "个月": "months", "人": "people"}


@dataclass(frozen=True)
class FormField:
    name: str  # the dotted fact path, also the input's name: person.birth_date
    zh: str
    en: str
    ask: str
    kind: InputKind
    group: str
    choices: tuple[Choice, ...] = ()
    nullable: bool = True  # False: the model has a default and no "unknown" (district settings)
    default: Any = None
    max_length: int = TEXT_LIMIT
    unit: str = ""  # 元, 个月, 人: shown with the label of every amount and count

    @property
    def dom_id(self) -> str:
        return "f-" + self.name.replace(".", "-")

    def label(self, lang: str) -> str:
        if lang == "zh":
            return f"{self.zh}（{self.unit}）" if self.unit else self.zh
        return f"{self.en} ({UNITS_EN.get(self.unit, self.unit)})" if self.unit else self.en


@dataclass
class FormGroup:
    key: str
    title: Any  # a lazy string: translated when rendered
    fields: list[FormField] = field(default_factory=list)
    secondary: bool = False  # shown folded (<details>) unless it holds a value or an error


GROUP_TITLES: dict[str, Any] = {
    "case": _l("案件"),
    "identity": _l("身份信息"),
    "registration": _l("失业登记与求职"),
    "employment": _l("就业情况"),
    "insurance": _l("失业保险"),
    "assistance": _l("困难帮扶"),
    "education": _l("学历与培训"),
    "business": _l("创业"),
    "basic": _l("单位基本情况"),
    "ent_insurance": _l("参保缴费"),
    "layoffs": _l("裁员"),
    "hiring": _l("招用人员"),
    "district": _l("区县设置"),
    "other": _l("其他"),
}

PERSON_GROUPS = {
    "identity": [
        "name", "id_number", "birth_date", "sex", "female_post", "hukou_type",
    ],
    "registration": [
        "registered_unemployed", "unemployment_registration_date", "able_to_work", "wants_work",
        "at_usual_residence", "employment_difficulty",
    ],
    "employment": [
        "employed", "employment_start_date", "stably_employed", "flexible_subsidy_end_date",
        "public_welfare_post_end_date",
    ],
    "insurance": [
        "ui_contribution_months", "involuntary_unemployment", "ui_benefit_start_date", "ui_benefit_end_date",
    ],
    "assistance": [
        "dibao_recipient", "living_difficulty", "laid_off", "family_in_difficulty", "registered_poor",
    ],
    "education": ["school_level", "continuing_education", "wants_training"],
    "business": ["returning_migrant_worker", "first_business", "business_start_date", "operating_normally"],
}  # fmt: skip

ENTERPRISE_GROUPS = {
    "basic": [
        "name", "credit_code", "org_type", "application_date", "staff_count", "small_or_micro",
        "in_difficulty", "temporary_difficulty", "recovery_expected", "new_eligible_hires",
        "on_job_training", "training_date", "serves_key_enterprises",
    ],
    "ent_insurance": [
        "ui_insured", "insured_staff_count", "prior_year_ui_contributions", "wage_arrears_settled",
        "insurance_arrears_settled",
    ],
    "layoffs": [
        "laid_off_count", "economic_layoff_planned", "layoff_explained_date", "layoff_date",
        "severance_paid",
    ],
}  # fmt: skip

HIRE_GROUPS = {
    "hiring": [
        "hire_date", "contract_start_date", "contract_end_date", "open_ended_contract",
        "social_insurance_paid",
    ],
}  # fmt: skip

# For the hired person only identity and registration matter to today's rules; the rest folds away.
HIRED_PERSON_PRIMARY = {"identity", "registration"}


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``| None``, and whether None was allowed."""
    if get_origin(annotation) in (Union, UnionType):
        args = get_args(annotation)
        inner = [a for a in args if a is not type(None)]
        return (inner[0] if len(inner) == 1 else annotation), type(None) in args
    return annotation, False


def input_kind(annotation: Any) -> tuple[InputKind, tuple[Choice, ...]] | None:
    """The input for a field's type (the fact's own type); None for nested models and containers."""
    kind = scalar_type(annotation)
    if kind is None:
        return None
    fact_type, values = kind
    return fact_type, tuple(Choice(v, *CHOICES.get(v, (v, v))) for v in values)


def _max_length(info: FieldInfo) -> int:
    """The field's own max_length (Field or StringConstraints), capped at TEXT_LIMIT."""
    metadata = list(info.metadata)
    annotation, _ = _unwrap(info.annotation)
    metadata += list(getattr(annotation, "__metadata__", ()))
    limits = [m.max_length for m in metadata if isinstance(getattr(m, "max_length", None), int)]
    return min([TEXT_LIMIT, *limits])


def model_fields(model: type[BaseModel], prefix: str, table: dict[str, list[str]]) -> list[FormField]:
    """One FormField per scalar field of ``model``, placed by ``table`` (unnamed: 'other')."""
    where = {name: group for group, names in table.items() for name in names}
    out = []
    for name, info in model.model_fields.items():
        annotation, nullable = _unwrap(info.annotation)
        kind = input_kind(annotation)
        if kind is None:
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        title = info.title or name
        out.append(
            FormField(
                name=f"{prefix}.{name}",
                zh=title,
                en=str(extra.get("en", name)),
                ask=str(extra.get("ask", f"请提供：{title}")),
                kind=kind[0],
                choices=kind[1],
                group=where.get(name, "other"),
                nullable=nullable,
                default=None if info.is_required() else info.default,
                max_length=_max_length(info),
                unit=str(extra.get("unit", "")),
            )
        )
    # Keep the table's order inside each group, then the unnamed fields in model order.
    order = {name: i for i, name in enumerate(where)}
    return sorted(out, key=lambda f: order.get(f.name.rsplit(".", 1)[1], len(order)))


def _grouped(
    fields: list[FormField], keys: list[str], prefix_key: str = "", secondary: frozenset[str] = frozenset()
) -> list[FormGroup]:
    groups: dict[str, FormGroup] = {}
    for key in [*keys, "other"]:
        groups[key] = FormGroup(prefix_key + key, GROUP_TITLES[key], secondary=key in secondary)
    for f in fields:
        groups[f.group].fields.append(f)
    return [g for g in groups.values() if g.fields]


CASE_FIELDS = [
    FormField("case_id", "案件编号", "Case number", "", "text", "case", max_length=100),
    FormField("as_of", "评估日期", "Evaluation date", "", "date", "case", nullable=False),
]


@dataclass
class CaseForm:
    """The whole form of one kind of case: its groups in the order a caseworker fills them."""

    kind: Literal["person", "enterprise"]
    sections: list[tuple[Any, list[FormGroup]]]  # (section title or None, groups)

    @property
    def fields(self) -> list[FormField]:
        return [f for _, groups in self.sections for g in groups for f in g.fields]

    def field(self, name: str) -> FormField | None:
        return next((f for f in self.fields if f.name == name), None)


def _district() -> list[FormGroup]:
    table = {"district": list(District.model_fields)}
    return _grouped(model_fields(District, "district", table), ["district"])


@lru_cache(maxsize=1)
def person_form() -> CaseForm:
    person = model_fields(Person, "person", PERSON_GROUPS)
    return CaseForm(
        "person",
        [
            (None, [FormGroup("case", GROUP_TITLES["case"], list(CASE_FIELDS))]),
            (_l("申请人"), _grouped(person, list(PERSON_GROUPS))),
            (None, _district()),
        ],
    )


@lru_cache(maxsize=1)
def enterprise_form() -> CaseForm:
    enterprise = model_fields(Enterprise, "enterprise", ENTERPRISE_GROUPS)
    hire = model_fields(Hire, "hire", HIRE_GROUPS)
    hired = model_fields(Person, "hire.person", PERSON_GROUPS)
    folded = frozenset(PERSON_GROUPS) - HIRED_PERSON_PRIMARY
    return CaseForm(
        "enterprise",
        [
            (None, [FormGroup("case", GROUP_TITLES["case"], list(CASE_FIELDS))]),
            (_l("申请单位"), _grouped(enterprise, list(ENTERPRISE_GROUPS))),
            (_l("招用人员"), _grouped(hire, list(HIRE_GROUPS), "hire_")),
            (_l("被吸纳人员"), _grouped(hired, list(PERSON_GROUPS), "hired_", folded)),
            (None, _district()),
        ],
    )


def form_for(kind: str) -> CaseForm:
    return enterprise_form() if kind == "enterprise" else person_form()
