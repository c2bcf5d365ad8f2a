"""居民身份证号码 (GB 11643-1999): checksum, birth date and sex."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class IdNumberError(ValueError):
    """An ID number that cannot be right; the message is the caseworker's."""


@dataclass(frozen=True)
class IdNumber:
    number: str
    area_code: str
    birth_date: date
    sex: Literal["male", "female"]


def check_char(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def parse_id_number(text: str) -> IdNumber:
    number = text.replace(" ", "").upper()
    if len(number) != 18:
        raise IdNumberError("身份证号码应为18位")
    if not _SHAPE.match(number):
        raise IdNumberError("身份证号码前17位应为数字，末位为数字或X")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError("身份证号码中的出生日期无效") from None
    expected = check_char(number[:17])
    if number[17] != expected:
        raise IdNumberError(f"身份证号码校验位错误（应为 {expected}）")
    sex: Literal["male", "female"] = "male" if int(number[16]) % 2 else "female"
    return IdNumber(number=number, area_code=number[:6], birth_date=birth, sex=sex)
