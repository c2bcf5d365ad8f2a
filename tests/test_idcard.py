"""居民身份证号码 (GB 11643-1999): shape, birth date, check character and sex."""

from datetime import date

import pytest

from engine.idcard import IdNumber, IdNumberError, check_char, parse_id_number


def test_published_example_female() -> None:
    assert parse_id_number("11010519491231002X") == IdNumber(
        number="11010519491231002X", area_code="110105", birth_date=date(1949, 12, 31), sex="female"
    )


def test_published_example_male() -> None:
    assert parse_id_number("440524188001010014") == IdNumber(
        number="440524188001010014", area_code="440524", birth_date=date(1880, 1, 1), sex="male"
    )


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002x",  # lowercase x
        " 110105 19491231 002X\n",  # spaces and a pasted newline
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width, as a Chinese input method types it
    ],
)
def test_normalised_forms(typed: str) -> None:
    assert parse_id_number(typed).number == "11010519491231002X"


def test_check_char() -> None:
    assert check_char("11010519491231002") == "X"
    assert check_char("44052418800101001") == "4"


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        # "50010119900307120": S = 187 by hand; the last digit has weight 2, so k adds 2k.
        ("50010119900307120", "1"),  # S = 187, mod 11 = 0
        ("50010119900307126", "0"),  # S = 199, mod 11 = 1
        ("50010119900307121", "X"),  # S = 189, mod 11 = 2
        ("50010119900307123", "6"),  # S = 193, mod 11 = 6
        ("50010119900307125", "2"),  # S = 197, mod 11 = 10
    ],
)
def test_check_char_table_ends(first17: str, expected: str) -> None:
    assert check_char(first17) == expected


def test_sex_is_the_parity_of_the_17th_digit() -> None:
    for seq, sex in [("001", "male"), ("002", "female"), ("019", "male"), ("990", "female")]:
        first17 = "50010119900307" + seq
        assert parse_id_number(first17 + check_char(first17)).sex == sex


def test_wrong_check_character_names_the_right_one() -> None:
    with pytest.raises(IdNumberError, match=r"^身份证号码校验位错误（应为 X）$"):
        parse_id_number("110105194912310021")
    with pytest.raises(IdNumberError, match=r"^身份证号码校验位错误（应为 4）$"):
        parse_id_number("440524188001010015")


def test_any_single_digit_typo_is_caught() -> None:
    good = "440524188001010014"
    for i in range(17):
        for digit in "0123456789":
            if digit == good[i]:
                continue
            typo = good[:i] + digit + good[i + 1 :]
            with pytest.raises(IdNumberError):
                parse_id_number(typo)


@pytest.mark.parametrize("text", ["11010519491231002", "11010519491231002X1", ""])
def test_length(text: str) -> None:
    with pytest.raises(IdNumberError, match=r"^身份证号码应为18位$"):
        parse_id_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "1101051949123A002X",  # a letter inside
        "1101051949123100X2",  # X anywhere but last
        "11010519491231002Y",
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits: int() reads them, the standard does not
    ],
)
def test_shape(text: str) -> None:
    with pytest.raises(IdNumberError, match=r"^身份证号码前17位应为数字，末位为数字或X$"):
        parse_id_number(text)


@pytest.mark.parametrize("birth", ["19490231", "19491301", "19490000", "19000229"])
def test_impossible_birth_date(birth: str) -> None:
    first17 = "110105" + birth + "002"
    with pytest.raises(IdNumberError, match=r"^身份证号码中的出生日期无效$"):
        parse_id_number(first17 + check_char(first17))  # valid check char: only the date is wrong


def test_error_is_a_value_error() -> None:
    assert issubclass(IdNumberError, ValueError)
