"""居民身份证号码 (GB 11643-1999): checksum, birth date and sex.

A caseworker types the number; reading birth date and sex from it (and checking its check
character) catches typing errors before they silently change an age or a retirement date.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache
from operator import mul
from typing import Literal, NamedTuple

from engine.values import MAX_DATE, Worded

FIRST_BIRTH = date(1800, 1, 1)  # the standard's own example was born in 1880; a case needs 1900 on

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
_ZERO_WEIGHT = ord("0") * sum(WEIGHTS)
# ASCII only: ``\d`` would also accept other scripts' digits, which int() happily reads.
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


class IdNumberError(Worded):
    """An ID number that cannot be right; the message is the caseworker's, in both languages."""


class IdNumber(NamedTuple):  # a tuple: built several times faster than a frozen dataclass
    number: str
    area_code: str
    birth_date: date
    sex: Literal["male", "female"]


def check_char(first17: str) -> str:
    """The 18th character for 17 digits; public so tests and samples can build valid numbers."""
    if len(first17) != len(WEIGHTS):
        raise ValueError("check_char() takes the first 17 digits")
    # The digits' code points less 48 each (batch reads millions of numbers; int() per digit is slow).
    return CHECK[(sum(map(mul, first17.encode("ascii"), WEIGHTS)) - _ZERO_WEIGHT) % 11]


def folded(text: str) -> str:
    """A number as typed, folded as ``parse_id_number`` reads it: full-width digits and ``Ｘ`` to
    ASCII, whitespace dropped, ``x`` upper-case (also for finding a kept case by its number)."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


@lru_cache(maxsize=256)  # validating a case reads its number up to four times (models.Person)
def parse_id_number(text: str) -> IdNumber:
    """Validate and read a number; raises IdNumberError with a message a caseworker can act on.

    Full-width digits and ``Ｘ`` (typed with a Chinese input method) are folded to ASCII, and
    whitespace anywhere is dropped, so ``110105 19491231 002x`` is accepted.
    """
    number = folded(text)
    if len(number) != 18:
        raise IdNumberError("身份证号码应为18位", "an ID number has 18 characters")
    if not _SHAPE.fullmatch(number):
        raise IdNumberError(
            "身份证号码前17位应为数字，末位为数字或X", "an ID number is 17 digits and a digit or X"
        )
    try:
        birth = date.fromisoformat(number[6:14])  # YYYYMMDD, eight ASCII digits by now
    except ValueError:
        raise IdNumberError(
            "身份证号码中的出生日期无效", "the birth date in the ID number is no date"
        ) from None
    if not FIRST_BIRTH <= birth <= MAX_DATE:  # year 0001 or 9999: a typing slip, and no age to count
        raise IdNumberError(
            f"身份证号码中的出生日期 {birth} 不在 {FIRST_BIRTH} 至 {MAX_DATE} 之间",
            f"the birth date in the ID number, {birth}, is not between {FIRST_BIRTH} and {MAX_DATE}",
        )
    expected = check_char(number[:17])
    if number[17] != expected:
        raise IdNumberError(
            f"身份证号码校验位错误（应为 {expected}）",
            f"the ID number's check character is wrong (should be {expected})",
        )
    sex: Literal["male", "female"] = "male" if int(number[16]) % 2 else "female"
    return IdNumber(number, number[:6], birth, sex)
