"""Statutory retirement age with the 2025 gradual delay; every expected value is worked by hand.

Rows come from /work/shared/policy/rules/SOURCES.md ("Statutory retirement age"): the checked examples,
the last birth month before each schedule starts, and the month the full delay is reached.
"""

from datetime import date

import pytest

from engine.retirement import (
    SCHEDULES,
    RetirementGroup,
    Schedule,
    delay_months,
    retirement_age_months,
    retirement_date,
    retirement_month,
)

M = RetirementGroup.male
F55 = RetirementGroup.female_55
F50 = RetirementGroup.female_50


def test_schedule_table_is_facts_md() -> None:
    expected = {
        M: Schedule(base_years=60, first_birth_month=(1965, 1), band_months=4, cap_months=36),
        F55: Schedule(base_years=55, first_birth_month=(1970, 1), band_months=4, cap_months=36),
        F50: Schedule(base_years=50, first_birth_month=(1975, 1), band_months=2, cap_months=60),
    }
    assert expected == SCHEDULES


def test_group_values() -> None:
    assert [g.value for g in RetirementGroup] == ["male", "female_55", "female_50"]


@pytest.mark.parametrize(
    ("group", "birth", "delay", "month"),
    [
        # men, base 60
        (M, date(1964, 12, 15), 0, "2024-12"),  # before the first affected birth month
        (M, date(1965, 1, 10), 1, "2025-02"),  # rules/SOURCES.md: 60y1m, 2025-02
        (M, date(1965, 4, 30), 1, "2025-05"),  # last month of the first band
        (M, date(1965, 5, 10), 2, "2025-07"),  # rules/SOURCES.md: 60y2m, 2025-07
        (M, date(1965, 8, 10), 2, "2025-10"),  # rules/SOURCES.md: Tianjin example, 2025-10
        (M, date(1965, 9, 10), 3, "2025-12"),
        (M, date(1976, 8, 10), 35, "2039-07"),  # one month before the full delay
        (M, date(1976, 9, 10), 36, "2039-09"),  # full delay: 63
        (M, date(1990, 1, 10), 36, "2053-01"),  # stays capped
        # women in cadre posts, original age 55
        (F55, date(1969, 12, 15), 0, "2024-12"),
        (F55, date(1970, 1, 10), 1, "2025-02"),
        (F55, date(1981, 8, 10), 35, "2039-07"),
        (F55, date(1981, 9, 10), 36, "2039-09"),  # full delay: 58
        (F55, date(1995, 6, 10), 36, "2053-06"),
        # women workers, original age 50
        (F50, date(1974, 12, 15), 0, "2024-12"),
        (F50, date(1975, 1, 10), 1, "2025-02"),
        (F50, date(1975, 3, 10), 2, "2025-05"),  # rules/SOURCES.md: 50y2m, 2025-05
        (F50, date(1984, 10, 10), 59, "2039-09"),
        (F50, date(1984, 11, 10), 60, "2039-11"),  # full delay: 55
        (F50, date(2000, 6, 10), 60, "2055-06"),
    ],
)
def test_schedule_rows(group: RetirementGroup, birth: date, delay: int, month: str) -> None:
    base = {M: 60, F55: 55, F50: 50}[group]
    assert delay_months(group, birth) == delay
    assert retirement_age_months(group, birth) == base * 12 + delay
    assert retirement_month(group, birth) == month


@pytest.mark.parametrize("day", [1, 15, 31])
def test_day_of_birth_does_not_change_the_delay(day: int) -> None:
    assert delay_months(M, date(1965, 5, day)) == 2
    assert delay_months(F50, date(1975, 1, day)) == 1


@pytest.mark.parametrize(
    ("group", "birth", "expected"),
    [
        (M, date(1964, 12, 15), date(2024, 12, 15)),  # the 60th birthday itself
        (M, date(1965, 1, 31), date(2025, 2, 28)),  # 60y1m: no 31 Feb → month end (Art. 202)
        (M, date(1965, 7, 31), date(2025, 9, 30)),  # 60y2m
        (M, date(1964, 2, 29), date(2024, 2, 29)),  # leap-day birth, leap retirement year
        (F55, date(1969, 2, 28), date(2024, 2, 28)),
        (F50, date(1975, 3, 31), date(2025, 5, 31)),  # 50y2m
        (F50, date(1984, 11, 30), date(2039, 11, 30)),  # 55
    ],
)
def test_retirement_date(group: RetirementGroup, birth: date, expected: date) -> None:
    assert retirement_date(group, birth) == expected


def test_group_from_string() -> None:
    assert retirement_month(RetirementGroup("female_50"), date(1975, 3, 10)) == "2025-05"
