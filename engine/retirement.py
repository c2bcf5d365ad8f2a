"""Statutory retirement age, with the gradual delay in force from 2025-01-01.

Before 2025: men 60, women in cadre posts 55, women workers 50 (国发〔1978〕104号). The decision
of the NPC Standing Committee of 2024-09-13 adds one month per band of birth months from a first
affected birth month, up to a cap. The table is rules/SOURCES.md's, row for row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from engine.calendar import add_months


class RetirementGroup(StrEnum):
    male = "male"  # men, base age 60
    female_55 = "female_55"  # women in cadre posts, original age 55
    female_50 = "female_50"  # women workers, original age 50


@dataclass(frozen=True)
class Schedule:
    base_years: int
    first_birth_month: tuple[int, int]  # (year, month) of the first birth month delayed
    band_months: int  # birth months per extra month of age
    cap_months: int


SCHEDULES = {
    RetirementGroup.male: Schedule(60, (1965, 1), 4, 36),
    RetirementGroup.female_55: Schedule(55, (1970, 1), 4, 36),
    RetirementGroup.female_50: Schedule(50, (1975, 1), 2, 60),
}


def delay_months(group: RetirementGroup, birth: date) -> int:
    """Months added to the base age; only the birth month matters, the day never does."""
    s = SCHEDULES[group]
    d = (birth.year * 12 + birth.month) - (s.first_birth_month[0] * 12 + s.first_birth_month[1])
    return 0 if d < 0 else min(d // s.band_months + 1, s.cap_months)


def retirement_age_months(group: RetirementGroup, birth: date) -> int:
    """The statutory age in months, because the delayed ages are not whole years (60y2m)."""
    return SCHEDULES[group].base_years * 12 + delay_months(group, birth)


@lru_cache(maxsize=1 << 15)  # a registry has some 20,000 birth days, each seen many times
def retirement_date(group: RetirementGroup, birth: date) -> date:
    """The day the person reaches statutory retirement age (month-end rule of Art. 202)."""
    return add_months(birth, retirement_age_months(group, birth))


def retirement_month(group: RetirementGroup, birth: date) -> str:
    """The retirement time as ``YYYY-MM``, the form official tables and examples use."""
    return retirement_date(group, birth).strftime("%Y-%m")
