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


def _enterprise_errors(enterprise: dict) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as err:
        parse_case({"kind": "enterprise", "enterprise": enterprise})
    return [(e.field, e.message) for e in describe(err.value)]


@pytest.mark.parametrize(
    "code",
    [
        # GB 32100-2015's example: S = 9·1 + 1·3 + 3·9 + 5·27 + 1·26 + M21·20 + 1·8 + Y30·30 + 4·28
        # = 1640 = 52·31 + 28, check 31 − 28 = 3.
        "91350100M000100Y43",
        # S = 9·1 + 1·3 + 5·9 + M21·20 + A10·29 + 5·25 + U27·13 = 1243 = 40·31 + 3, check 28 = W.
        "91500000MA5U00000W",
        # S = 1243 + 1·28 = 1271 = 41·31, check 31, written 0.
        "91500000MA5U000010",
    ],
)
def test_a_credit_code_with_its_check_character_is_taken(code: str) -> None:
    case = parse_case({"kind": "enterprise", "enterprise": {"credit_code": f" {code} "}})
    assert case.enterprise.credit_code == code


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("91350100M000100Y44", "3"),  # the standard's example, its last character mistyped
        ("91500000MA5U000000", "W"),  # S = 1243 (above)
        # An ID number in the code's place: S = 5·1 + 1·27 + 1·26 + 1·16 + 9·17 + 6·20 + 1·29 + 3·13
        # + 1·8 + 3·28 = 507 = 16·31 + 11, check 31 − 11 = 20 = L.
        ("500101196103100038", "L"),
    ],
)
def test_a_wrong_credit_code_check_character_is_reported_on_its_field(code: str, expected: str) -> None:
    assert _enterprise_errors({"credit_code": code}) == [
        ("enterprise.credit_code", f"统一社会信用代码校验位错误（应为 {expected}）")
    ]


def test_a_credit_code_of_the_wrong_shape_is_still_refused_as_before() -> None:
    for code in ("91500000MA5U00000", "91500000ma5u00000w", "9150000\u0660MA5U00000W"):
        assert _enterprise_errors({"credit_code": code}) == [("enterprise.credit_code", "格式不正确")]
