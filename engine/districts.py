"""District settings: what the notice leaves to each district (“有条件的地区”), declared by its office.

The applicant does not say whether their district runs a measure; the district does, once, with
the document and the day it applies from (``rules/districts.yaml``, or the file named by
``SUBSIDY_DISTRICTS_FILE``). A setting no district has declared stays unknown: the decision says
so and names who must declare it, it never assumes yes.
"""

from __future__ import annotations

import os
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

SHIPPED = Path(str(resources.files("rules"))) / "districts.yaml"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    zh: str
    en: str

    def __call__(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


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


class DistrictBook(Strict):
    """Every district's declarations. Compared and hashed by identity: engines key their memories on
    the settings they were given, so two tables never share an answer."""

    terms: dict[str, Term]
    districts: dict[str, dict[str, list[Declared]]]

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other

    @model_validator(mode="after")
    def _known_terms(self) -> DistrictBook:
        for name, settings in self.districts.items():
            for term in settings:
                if term not in self.terms:
                    raise ValueError(f"{name}: unknown setting `{term}` (known: {', '.join(self.terms)})")
        return self

    def value(self, district: str, term: str, day: date) -> bool | None:
        """The declared value in force on ``day``; False before the first declaration starts (the
        district runs it from a later day); None when the district has declared nothing."""
        declarations = sorted(self.districts.get(district, {}).get(term, []), key=lambda d: d.from_)
        found = None
        for declared in declarations:
            if declared.from_ <= day:
                found = declared.value
        return False if found is None and declarations else found


def load_districts(path: Path | None = None) -> DistrictBook:
    text = (path or SHIPPED).read_text(encoding="utf-8")
    return DistrictBook.model_validate(yaml.safe_load(text))


@cache
def districts() -> DistrictBook:
    """The settings in force: ``SUBSIDY_DISTRICTS_FILE`` if set, else the shipped table."""
    configured = os.environ.get("SUBSIDY_DISTRICTS_FILE")
    return load_districts(Path(configured) if configured else None)


@cache
def shipped_names() -> tuple[str, ...]:
    """Chongqing's 38 district- and county-level divisions, in the table's order."""
    return tuple(load_districts().districts)
