"""District settings: what the notice leaves to each district (“有条件的地区”), declared by its office.

The applicant does not say whether their district runs a measure; the district does, once, with
the document and the day it applies from (``rules/districts.yaml``, or the file named by
``SUBSIDY_DISTRICTS_FILE``; the desk keeps the same model in its database). A setting no district
has declared stays unknown: the decision says so and names who must declare it, it never assumes yes.

Each district also names what a written decision must tell the applicant: the handling office with its
address, phone and hours, the days allowed to bring missing documents, the review body (行政复议机关)
and the court (行政诉讼) with their time limits, and its local standards
(an amount a rule leaves to 当地标准), each with its document and start date.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from engine import safeyaml
from engine.safeyaml import FileRefused
from engine.validation_words import said_in_words
from engine.values import Worded, visible
from engine.words import Strict, Text

SHIPPED = Path(str(resources.files("rules"))) / "districts.yaml"


class Term(Strict):
    """A setting the notice leaves to districts: its words, the tasks it serves, who declares it."""

    label: Text
    tasks: list[int] = Field(min_length=1)
    declared_by: Text


class Declared(Strict):
    """One declared value, in force from a day, with the document that declares it."""

    from_: date = Field(alias="from")
    value: bool
    document: str = Field(min_length=1)


class Standard(Strict):
    """A local standard (当地标准) for a rule's parameter the notice leaves to the district: the value
    in force from a day, with the document that sets it."""

    from_: date = Field(alias="from")
    value: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    document: str = Field(min_length=1, max_length=200)


REVIEW_DAYS = 60  # 行政复议法 (2023) Art. 20: within 60 days of knowing of the decision
SUIT_MONTHS = 6  # 行政诉讼法 Art. 46: within 6 months of knowing of the decision
SETTINGS_KEYS = (
    "declared",
    "standards",
    "office",
    "office_address",
    "office_phone",
    "office_hours",
    "supply_days",
    "review_body",
    "court",
    "review_days",
    "suit_months",
)


class DistrictSettings(Strict):
    """One district's settings. In YAML the declarations may also stand at the top level, as
    ``渝中区: {offers_hiring_subsidy: [...]}`` (the shorthand the shipped table uses)."""

    declared: dict[str, list[Declared]] = Field(default_factory=dict)
    # "<program id>.<parameter>" → values in force from their dates, e.g.
    # "task23_one_off_hiring_subsidy.amount_per_person"
    standards: dict[str, list[Standard]] = Field(default_factory=dict)
    office: str | None = Field(None, max_length=100)  # 经办机构: the office that handles and signs
    # where people go and whom they call (letters to those who qualify, notices)
    office_address: str | None = Field(None, max_length=200)  # 办公地址
    office_phone: str | None = Field(None, max_length=50)  # 联系电话
    office_hours: str | None = Field(None, max_length=100)  # 办公时间, e.g. 工作日 9:00-12:00、14:00-17:00
    # 补充材料期限: days from the notice's date to bring what is still needed. No law fixes it, so it
    # has no default: a notice that asks for documents is not issued until the district sets it.
    supply_days: int | None = Field(None, ge=1, le=365)
    review_body: str | None = Field(None, max_length=100)  # 行政复议机关
    court: str | None = Field(None, max_length=100)  # 行政诉讼管辖法院
    review_days: int = Field(REVIEW_DAYS, ge=1, le=365)
    suit_months: int = Field(SUIT_MONTHS, ge=1, le=24)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(k not in SETTINGS_KEYS for k in data):
            data = dict(data)
            declared = dict(data.get("declared") or {})
            for k in [k for k in data if k not in SETTINGS_KEYS]:
                declared[k] = data.pop(k)
            data["declared"] = declared
        return data

    def dump(self) -> dict[str, Any]:
        """The settings as stored (JSON), read back by ``DistrictSettings.model_validate``."""
        return self.model_dump(mode="json", by_alias=True)


class DistrictBook(Strict):
    """Every district's declarations. Compared and hashed by identity: a table is the one an engine
    was given, and comparing two cases' facts never walks every district."""

    terms: dict[str, Term]
    districts: dict[str, DistrictSettings]

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other

    @model_validator(mode="after")
    def _known_terms(self) -> DistrictBook:
        for name, settings in self.districts.items():
            for term in settings.declared:
                if term not in self.terms:
                    raise Worded(
                        f"{name}：没有“{term}”这项设置（可用的有：{'、'.join(self.terms)}）",
                        f"{name}: unknown setting `{term}` (known: {', '.join(self.terms)})",
                    )
        return self

    def settings(self, district: str | None) -> DistrictSettings | None:
        return self.districts.get(district) if district else None

    def value(self, district: str, term: str, day: date) -> bool | None:
        """The declared value in force on ``day``; False before the first declaration starts (the
        district runs it from a later day); None when the district has declared nothing."""
        settings = self.districts.get(district)
        declarations = settings.declared.get(term, []) if settings else []
        found = _in_force(declarations, day)
        return found.value if found else (False if declarations else None)

    def standard(self, district: str | None, key: str, day: date) -> Standard | None:
        """The district's local standard for ``key`` ("program.parameter") in force on ``day``."""
        if not district or district not in self.districts:
            return None
        return _in_force(self.districts[district].standards.get(key, []), day)

    def replace(self, name: str, settings: DistrictSettings) -> DistrictBook:
        """A new book with ``name``'s settings replaced (the desk's saved settings)."""
        return DistrictBook(terms=self.terms, districts={**self.districts, name: settings})


def _in_force(values: list[Any], day: date) -> Any:
    found = None
    for item in sorted(values, key=lambda v: v.from_):
        if item.from_ <= day:
            found = item
    return found


def load_districts(path: Path | None = None) -> DistrictBook:
    """The table at ``path`` (the shipped one by default); FileRefused, naming the file, where it
    cannot be read or its settings are wrong."""
    path = path or SHIPPED
    data = safeyaml.load(safeyaml.read(path), str(path))
    try:
        return DistrictBook.model_validate(data)
    except ValidationError as err:
        problems = [_problem(e) for e in err.errors()]
        raise FileRefused(
            f"{visible(str(path))}：区县设置有误：{'；'.join(zh for zh, _ in problems)}",
            f"{visible(str(path))}: the district settings are wrong: {'; '.join(en for _, en in problems)}",
        ) from None


def _problem(error: Any) -> tuple[str, str]:
    """One validation error of a district table: where (its keys) and what, in Chinese and English."""
    where, said = ".".join(str(p) for p in error["loc"]), said_in_words(error)
    return (f"{where}：{said}", f"{where}: {said.en}") if where else (said, said.en)


@cache
def districts() -> DistrictBook:
    """The settings in force: ``SUBSIDY_DISTRICTS_FILE`` if set, else the shipped table."""
    configured = os.environ.get("SUBSIDY_DISTRICTS_FILE")
    if not configured:
        return load_districts()
    try:
        return load_districts(Path(configured))
    except FileRefused as err:  # name the setting too: the command line shows no path
        raise FileRefused(f"SUBSIDY_DISTRICTS_FILE：{err}", f"SUBSIDY_DISTRICTS_FILE: {err.en}") from None


@cache
def shipped_names() -> tuple[str, ...]:
    """Chongqing's 38 district- and county-level divisions, in the table's order."""
    return tuple(load_districts().districts)
