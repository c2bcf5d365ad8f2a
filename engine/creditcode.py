"""统一社会信用代码 (GB 32100-2015 法人和其他组织统一社会信用代码编码规则): the check character.

A caseworker types the enterprise's code; its 18th character is computed from the other 17, so
checking it catches a mistyped character, or an 18-digit ID number typed in the code's place,
before a case is kept under a code that names no one.

The standard's characters are 0-9 and the capital letters but I, O, S, V and Z, worth 0 to 30 in
that order; the 17 characters are weighted 3**(i-1) mod 31 (1 3 9 27 19 26 …); the check value is
31 − (Σ value × weight mod 31), 31 being written 0. The standard's example: 91350100M000100Y43.
"""

from __future__ import annotations

import re

from engine.values import Worded

CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
VALUES = {c: v for v, c in enumerate(CHARS)}
# 登记管理部门代码 and 机构类别代码 (2), 登记管理机关行政区划码 (6 digits), 主体标识码 (9), check (1).
# ASCII digits only: ``\d`` would also accept other scripts' digits, which no code holds.
SHAPE = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
_SHAPE = re.compile(SHAPE)


class CreditCodeError(Worded):
    """A credit code that cannot be right; the message is the caseworker's, in both languages."""


def check_char(first17: str) -> str:
    """The 18th character for the first 17; public so tests and samples can build valid codes."""
    if len(first17) != len(WEIGHTS) or any(c not in VALUES for c in first17):
        raise ValueError("check_char() takes the first 17 characters of a credit code")
    return CHARS[-sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True)) % 31]


def check_credit_code(code: str) -> str:
    """The code, if its shape and check character are right; else CreditCodeError."""
    if not _SHAPE.fullmatch(code):
        raise CreditCodeError(
            "统一社会信用代码应为18位数字或大写字母（不含I、O、S、V、Z），第3至8位为数字",
            "a unified social credit code is 18 digits or capital letters (no I, O, S, V or Z), "
            "the 3rd to 8th digits",
        )
    expected = check_char(code[:17])
    if code[17] != expected:
        raise CreditCodeError(
            f"统一社会信用代码校验位错误（应为 {expected}）",
            f"the unified social credit code's check character is wrong (should be {expected})",
        )
    return code
