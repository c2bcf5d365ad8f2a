"""Property-based fuzzing of every way a case gets in: ``evaluate``, ``subsidy batch``, the API.

Seeded (``derandomize``) and sized for CI: the whole fuzz run stays under about a minute on two
cores. For a release, raise the example counts with ``SUBSIDY_FUZZ_SCALE`` (a multiplier, e.g.
``SUBSIDY_FUZZ_SCALE=20 .venv/bin/python -m pytest tests/fuzz -n auto``) and, to explore beyond
the seeded examples, ``SUBSIDY_FUZZ_RANDOM=1`` (fresh random examples each run; a failure prints
the ``@reproduce_failure`` line to replay it).
"""

from __future__ import annotations

import os
import string
from datetime import date
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from engine import creditcode
from engine.facts import scalar_type
from engine.idcard import check_char
from engine.models import District, Enterprise, Hire, Person
from engine.values import FALSE, TRUE

SCALE = max(1, int(os.environ.get("SUBSIDY_FUZZ_SCALE", "1")))
RANDOM = os.environ.get("SUBSIDY_FUZZ_RANDOM") == "1"


def examples(n: int, shrink: bool = True) -> settings:
    """Hypothesis settings for ``n`` examples at scale 1: seeded, no deadline (a shared 2-core
    machine times nothing reliably), no example database (CI starts clean anyway). Without
    ``shrink`` a failure is reported as generated (shrinking a 100-row registry takes minutes)."""
    return settings(
        max_examples=n * SCALE,
        derandomize=not RANDOM,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
        phases=list(Phase) if shrink else [p for p in Phase if p is not Phase.shrink],
    )


# --- values a caseworker, an export or an attacker might put in a case ----------------------

EDGE_DATES = [
    "0001-01-01",
    "1899-12-31",
    "1900-01-01",
    "2199-12-31",
    "2200-01-01",
    "9998-12-31",
    "9999-12-31",
]
NOT_DATES = [
    "0",
    "86400",
    "1e5",
    "01/09/2019",
    "9/1/2019",
    "2019-02-30",
    "2019/9/1 0:00",
    "2019-09-01T00:00:00",
]


def date_text(day: date, form: int) -> str:
    """``day`` in one of the accepted forms."""
    y, m, d = day.year, day.month, day.day
    return [
        day.isoformat(),
        f"{y}/{m}/{d}",
        f"{y}年{m}月{d}日",
        f"{y:04d}{m:02d}{d:02d}",
        f"{y}.{m}.{d}",
        f" {y}-{m}-{d} ",
    ][form]


dates = st.dates(date(1900, 1, 1), date(2199, 12, 31))
written_dates = st.builds(date_text, dates, st.integers(0, 5))
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.text(alphabet=string.printable, max_size=12),
    st.sampled_from(EDGE_DATES + NOT_DATES),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def valid(kind: str, choices: tuple[str, ...], field: Any) -> st.SearchStrategy[Any]:
    if kind == "date":
        return written_dates
    if kind == "bool":
        return st.one_of(st.booleans(), st.sampled_from(sorted(TRUE | FALSE)))
    if kind == "choice":
        return st.sampled_from(choices)
    if kind == "int":
        return st.integers(0, 1000)
    if kind == "number":
        return st.decimals(0, 10**6, places=2).map(str) | st.integers(0, 10**6)
    return st.text(max_size=40)


def model(cls: type[BaseModel], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """A dict for ``cls``: each field absent, valid or junk; now and then an unknown key."""
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in cls.model_fields.items():
        typed = scalar_type(info.annotation)
        if typed is not None:
            optional[name] = st.one_of(valid(*typed, info), valid(*typed, info), junk)
        elif name == "person":
            optional[name] = model(Person, depth + 1) | junk
    optional["unknown_field"] = junk
    return st.fixed_dictionaries({}, optional=optional)


def id_numbers() -> st.SearchStrategy[str]:
    def build(area: str, birth: date, seq: int, good: bool) -> str:
        first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
        check = check_char(first17)
        return first17 + (check if good else ("0" if check != "0" else "1"))

    return st.builds(
        build,
        st.sampled_from(["500101", "110105"]),
        st.dates(date(1850, 1, 1), date(2150, 1, 1)),
        st.integers(0, 999),
        st.booleans(),
    )


def credit_codes() -> st.SearchStrategy[str]:
    """统一社会信用代码 of the pattern's shape, with their right check character (GB 32100-2015) or
    a wrong one: generated from the pattern alone, nearly all would be wrong."""

    def build(first17: str, good: bool) -> str:
        check = creditcode.check_char(first17)
        chars = creditcode.CHARS
        return first17 + (check if good else chars[(chars.index(check) + 1) % len(chars)])

    return st.builds(
        build,
        st.from_regex(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{9}", fullmatch=True),
        st.booleans(),
    )


def cases(confirmation_keys: list[str], programs: tuple[str, ...] = ()) -> st.SearchStrategy[Any]:
    """Cases of both kinds, valid or not; with ``programs``, now and then an application for some
    of them (or for a program that does not exist)."""
    confirmations = st.dictionaries(
        st.sampled_from(confirmation_keys) | st.text(max_size=8), st.booleans() | junk, max_size=2
    )
    person = model(Person).flatmap(
        lambda p: st.fixed_dictionaries({}, optional={"id_number": id_numbers()}).map(lambda i: {**p, **i})
    )
    enterprise = model(Enterprise).flatmap(
        lambda e: st.fixed_dictionaries({}, optional={"credit_code": credit_codes()}).map(
            lambda c: {**e, **c}
        )
    )
    common = {
        "case_id": st.text(max_size=20) | junk,
        "district": model(District),
        "confirmations": confirmations,
    }
    if programs:
        known = st.lists(st.sampled_from(programs), min_size=1, max_size=2)
        named = st.sampled_from(programs) | st.text(max_size=8)
        common["applied_for"] = st.one_of(known, known, st.lists(named, max_size=3), junk)
    person_case = st.fixed_dictionaries({"kind": st.just("person")}, optional={"person": person, **common})
    enterprise_case = st.fixed_dictionaries(
        {"kind": st.just("enterprise")},
        optional={"enterprise": enterprise, "hire": model(Hire) | st.none(), **common},
    )
    no_kind = st.fixed_dictionaries({}, optional={"person": person, "kind": junk})
    return st.one_of(person_case, person_case, enterprise_case, enterprise_case, no_kind, junk)
