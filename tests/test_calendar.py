"""Civil Code period counting (民法典 Arts. 200–204, 1259), pinned at its boundaries."""

from datetime import date, timedelta

import pytest

from engine.calendar import add_months, add_years, age_on, full_days, full_months, full_years


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2019, 7, 15), 6, date(2020, 1, 15)),  # crosses a year end
        (date(2019, 8, 31), 6, date(2020, 2, 29)),  # Art. 202: no 31 Feb → month end (leap year)
        (date(2018, 8, 31), 6, date(2019, 2, 28)),  # … and in a common year
        (date(2020, 1, 31), 1, date(2020, 2, 29)),
        (date(2020, 1, 31), 3, date(2020, 4, 30)),
        (date(2020, 3, 31), -1, date(2020, 2, 29)),  # backwards too
        (date(2020, 1, 15), -1, date(2019, 12, 15)),
        (date(2020, 1, 15), -13, date(2018, 12, 15)),
        (date(2020, 5, 20), 0, date(2020, 5, 20)),
        (date(2020, 2, 29), 12, date(2021, 2, 28)),
    ],
)
def test_add_months(start: date, n: int, expected: date) -> None:
    assert add_months(start, n) == expected


def test_add_years() -> None:
    assert add_years(date(2020, 2, 29), 1) == date(2021, 2, 28)
    assert add_years(date(2020, 2, 29), 4) == date(2024, 2, 29)
    assert add_years(date(2021, 3, 1), -1) == date(2020, 3, 1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2019, 7, 15), date(2020, 1, 15), 6),  # "半年以上" includes exactly six months
        (date(2019, 7, 15), date(2020, 1, 14), 5),  # one day short is "不满6个月"
        (date(2019, 8, 31), date(2020, 2, 29), 6),  # month-end rule
        (date(2019, 8, 31), date(2020, 2, 28), 5),
        (date(2019, 8, 30), date(2020, 2, 29), 6),
        (date(2020, 3, 1), date(2020, 3, 31), 0),
        (date(2020, 3, 1), date(2020, 3, 1), 0),
        (date(2020, 1, 15), date(2019, 7, 15), -6),  # usable both ways
        (date(2020, 1, 14), date(2019, 7, 15), -5),
    ],
)
def test_full_months(start: date, end: date, expected: int) -> None:
    assert full_months(start, end) == expected


def _largest_n(start: date, end: date) -> int:
    """The definition, by brute force: the largest n >= 0 with add_months(start, n) <= end."""
    n = 0
    while add_months(start, n + 1) <= end:
        n += 1
    return n


def test_full_months_matches_its_definition() -> None:
    starts = [date(2019, 1, 25) + timedelta(days=i) for i in range(40)]  # covers Jan/Feb ends
    ends = [date(2019, 1, 20) + timedelta(days=i) for i in range(560)]
    for start in starts:
        for end in ends:
            if end >= start:
                assert full_months(start, end) == _largest_n(start, end), (start, end)
            else:
                assert full_months(start, end) == -_largest_n(end, start), (start, end)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2019, 3, 1), date(2020, 3, 1), 1),  # "1年以上" includes exactly one year
        (date(2019, 3, 1), date(2020, 2, 29), 0),  # "不足1年"
        (date(2000, 2, 29), date(2021, 2, 28), 21),
        (date(2000, 2, 29), date(2021, 2, 27), 20),
        (date(2020, 3, 1), date(2019, 3, 1), -1),
    ],
)
def test_full_years(start: date, end: date, expected: int) -> None:
    assert full_years(start, end) == expected


@pytest.mark.parametrize(
    ("birth", "on", "expected"),
    [
        (date(2000, 2, 29), date(2021, 2, 28), 21),  # leap-day birthday is reached on 28 Feb
        (date(2000, 2, 29), date(2024, 2, 28), 23),  # … but on 29 Feb when there is one
        (date(2000, 2, 29), date(2024, 2, 29), 24),
        (date(1960, 6, 10), date(2020, 6, 9), 59),  # the day before the 60th birthday
        (date(1960, 6, 10), date(2020, 6, 10), 60),  # "60岁以上" includes the birthday itself
        (date(2000, 1, 1), date(2000, 1, 1), 0),
    ],
)
def test_age_on(birth: date, on: date, expected: int) -> None:
    assert age_on(birth, on) == expected


def test_full_days() -> None:
    assert full_days(date(2020, 2, 28), date(2020, 3, 1)) == 2
    assert full_days(date(2020, 3, 1), date(2020, 2, 28)) == -2
    assert full_days(date(2020, 3, 1), date(2020, 3, 1)) == 0
