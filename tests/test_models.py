"""The case models: ID numbers are checked on their own field and fill what was not typed."""

import pytest
from pydantic import ValidationError

from engine.errors import describe
from engine.models import parse_case


def _errors(person: dict) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as err:
        parse_case({"kind": "person", "person": person})
    return [(e.field, e.message) for e in describe(err.value)]


def test_id_number_fills_birth_date_and_sex():
    case = parse_case({"kind": "person", "person": {"id_number": "110105 19491231 002x"}})
    assert case.person.id_number == "11010519491231002X"
    assert str(case.person.birth_date) == "1949-12-31"
    assert case.person.sex == "female"


def test_bad_checksum_is_reported_on_the_id_field():
    assert _errors({"id_number": "110105194912310021"}) == [
        ("person.id_number", "身份证号码校验位错误（应为 X）")
    ]


def test_contradicting_birth_date_and_sex_are_reported_on_their_fields():
    errors = _errors({"id_number": "11010519491231002X", "birth_date": "1949-12-30", "sex": "male"})
    assert [field for field, _ in errors] == ["person.birth_date", "person.sex"]


def test_an_agreeing_birth_date_is_accepted():
    case = parse_case(
        {"kind": "person", "person": {"id_number": "11010519491231002X", "birth_date": "1949-12-31"}}
    )
    assert case.person.sex == "female"


def test_unknown_field_is_refused_by_name():
    assert _errors({"birthday": "1990-01-01"}) == [("person.birthday", "不认识的字段")]


def test_a_head_count_beyond_any_employer_is_a_typing_slip():
    counts = ("staff_count", "insured_staff_count", "laid_off_count", "new_eligible_hires")
    ok = parse_case({"kind": "enterprise", "enterprise": dict.fromkeys(counts, 10_000_000)})
    assert ok.enterprise.staff_count == 10_000_000
    with pytest.raises(ValidationError) as err:
        parse_case({"kind": "enterprise", "enterprise": dict.fromkeys(counts, 10_000_001)})
    assert [(e.field, e.message) for e in describe(err.value)] == [
        (f"enterprise.{name}", "不能大于 10000000") for name in counts
    ]
