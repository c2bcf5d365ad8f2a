"""统一社会信用代码 (GB 32100-2015): shape and check character.

Values: 0-9 → 0-9, then A10 B11 C12 D13 E14 F15 G16 H17 J18 K19 L20 M21 N22 P23 Q24 R25 T26 U27
W28 X29 Y30; weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28; check = 31 − (S mod 31), 31 → 0.
The expected check characters below are worked by hand from these, not by the code under test.
"""

import pytest

from engine.creditcode import CHARS, WEIGHTS, CreditCodeError, check_char, check_credit_code

# The standard's own example, 91350100M000100Y43: S = 9·1 + 1·3 + 3·9 + 5·27 + 1·26 + M21·20 + 1·8
# + Y30·30 + 4·28 = 1640 = 52·31 + 28, check 31 − 28 = 3.
STANDARD_EXAMPLE = "91350100M000100Y43"
# 91500000MA5U00000W: S = 9·1 + 1·3 + 5·9 + M21·20 + A10·29 + 5·25 + U27·13 = 1243 = 40·31 + 3,
# check 31 − 3 = 28 = W.
CHONGQING = "91500000MA5U00000W"
# 91500000MA5U000010: S = 1243 + 1·28 = 1271 = 41·31, check 31 − 0 = 31, written 0.
CHECK_ZERO = "91500000MA5U000010"
VALID = [STANDARD_EXAMPLE, CHONGQING, CHECK_ZERO]


def test_the_standard_s_tables() -> None:
    assert len(CHARS) == 31 and not set("IOSVZ") & set(CHARS)
    assert tuple(3**i % 31 for i in range(17)) == WEIGHTS


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_are_taken(code: str) -> None:
    assert check_credit_code(code) == code
    assert check_char(code[:17]) == code[17]


def test_a_wrong_check_character_names_the_right_one() -> None:
    with pytest.raises(CreditCodeError, match=r"^统一社会信用代码校验位错误（应为 3）$") as err:
        check_credit_code("91350100M000100Y44")
    assert err.value.args[0].en == "the unified social credit code's check character is wrong (should be 3)"
    # The code the samples used to give: S = 1243 (above), so its check is W, not 0.
    with pytest.raises(CreditCodeError, match=r"^统一社会信用代码校验位错误（应为 W）$"):
        check_credit_code("91500000MA5U000000")


def test_an_id_number_typed_as_the_code_is_refused() -> None:
    # 500101196103100038: S = 5·1 + 1·27 + 1·26 + 1·16 + 9·17 + 6·20 + 1·29 + 3·13 + 1·8 + 3·28 = 507
    # = 16·31 + 11, check 31 − 11 = 20 = L.
    with pytest.raises(CreditCodeError, match=r"^统一社会信用代码校验位错误（应为 L）$"):
        check_credit_code("500101196103100038")


def test_every_single_character_typo_is_caught() -> None:
    """31 is prime and no weight is 0 mod 31: changing one character always changes the sum."""
    for code in VALID:
        for i in range(18):
            for c in "0123456789" if i in range(2, 8) else CHARS:
                if c != code[i]:
                    with pytest.raises(CreditCodeError):
                        check_credit_code(code[:i] + c + code[i + 1 :])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "91500000MA5U00000",  # 17
        "91500000MA5U00000W0",  # 19
        "91500000MI5U00000W",  # I is not in the standard's characters
        "91500000ma5u00000w",  # lower case
        "9150000AMA5U00000W",  # a letter among the area code's digits
        "9150000\u0660MA5U00000W",  # another script's digit
    ],
)
def test_a_code_of_the_wrong_shape_is_refused(text: str) -> None:
    with pytest.raises(CreditCodeError, match=r"^统一社会信用代码应为18位"):
        check_credit_code(text)


def test_check_char_takes_17_characters_of_the_standard() -> None:
    for bad in ("9150000", "91500000MA5U00000W", "91500000MI5U00000"):
        with pytest.raises(ValueError):
            check_char(bad)
