"""Values as people write them: the one date reader and the one yes/no reader of the product.

Standard library only (bench/make_registry.py runs with the system Python, through idcard.py).

A case file, a registry cell, a form field and a command-line option all hold dates written by
people or exported by Excel and WPS (``2019-09-01``, ``2019/9/1``, ``2019年9月1日``,
``20190901``). They are read here, by one function, so the same text means the same date
everywhere, and anything else is refused in Chinese instead of being guessed at: a number is
never a date (pydantic would read ``0`` as 1970-01-01), and a day-first or month-first form such
as ``01/09/2019`` is ambiguous.

Dates are also bounded: 1900-01-01 to 2199-12-31 covers every birth, contract and benefit date a
living applicant can have, and keeps the Civil-Code arithmetic (ages, retirement dates, periods
in months) inside the years Python can count, so ``9999-12-31`` ("no end date" in HR systems)
is refused with a hint rather than crashing an evaluation.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)
DATE_FORMS = "YYYY-MM-DD（也可写 2019/9/1、2019.9.1、2019年9月1日 或 20190901）"

# Year first, then month and day: with - / . as the separator, with 年月日, or eight digits.
# ASCII digits only: ``\d`` would also take other scripts' digits, which int() reads.
_FORMS = (
    re.compile(r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})"),
    re.compile(r"(?P<y>[0-9]{4})年(?P<m>[0-9]{1,2})月(?P<d>[0-9]{1,2})日?"),
    re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})"),
)


class Words(str):
    """Text in Chinese (the string itself) with its English beside it (``en``): a reason that is
    shown in the language of the output it goes to (a registry run's errors file, ``--lang``)."""

    en: str

    def __new__(cls, zh: str, en: str) -> Words:
        words = super().__new__(cls, zh)
        words.en = en
        return words

    def __reduce__(self) -> tuple[type, tuple[str, str]]:  # to worker processes and back
        return (Words, (str(self), self.en))


def in_lang(text: str, lang: str) -> str:
    """``text`` in ``lang``: a ``Words``' English, else the text as it is."""
    return text.en if lang == "en" and isinstance(text, Words) else str(text)


class Worded(ValueError):
    """A ValueError worded in both languages (``args[0]`` is ``Words``)."""

    def __init__(self, zh: str, en: str):
        super().__init__(Words(zh, en))


DATE_FORMS_EN = "YYYY-MM-DD (also 2019/9/1, 2019.9.1, 2019年9月1日 or 20190901)"

TRUE = frozenset({"是", "有", "true", "yes", "y", "1", "√"})
FALSE = frozenset({"否", "无", "false", "no", "n", "0", "×"})

# Control characters (C0, DEL, C1), the bidirectional overrides and the characters that do not
# show (soft hyphen, zero-width space and joiners, word joiner, BOM): in a case number or a name
# they can rewrite a terminal line (ESC, CR), be copied into output files (NUL), or make two
# numbers that look the same (H-1, and H-1 with a zero-width space in it).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\xad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def parse_date(value: Any) -> date:
    """A date from text in one of the accepted forms (or a ``date``); ValueError in Chinese."""
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:  # the common YYYY-MM-DD, read in C (a registry has millions of dates)
            day = date.fromisoformat(value)
        except ValueError:
            day = _read(value)
        if MIN_DATE <= day <= MAX_DATE:
            return day
    if isinstance(value, datetime):
        raise Worded(
            f"应为日期，不带时间；日期格式应为 {DATE_FORMS}", f"a date without a time: {DATE_FORMS_EN}"
        )
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        day = _read(value)
    else:
        raise Worded(
            f"应写成日期文字（数字不是日期）；日期格式应为 {DATE_FORMS}",
            f"a date written as text (a number is no date): {DATE_FORMS_EN}",
        )
    if not MIN_DATE <= day <= MAX_DATE:
        raise Worded(
            f"日期应在 {MIN_DATE} 至 {MAX_DATE} 之间，而不是 {day.isoformat()}",
            f"a date between {MIN_DATE} and {MAX_DATE}, not {day.isoformat()}",
        )
    return day


def _read(text: str) -> date:
    # NFKC folds full-width digits and separators typed with a Chinese input method.
    written = (text if text.isascii() else unicodedata.normalize("NFKC", text)).strip()
    match = next((m for form in _FORMS if (m := form.fullmatch(written))), None)
    if match is None:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise Worded(
            f"日期格式应为 {DATE_FORMS}，而不是“{visible(shown)}”",
            f'a date as {DATE_FORMS_EN}, not "{visible(shown)}"',
        )
    year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    try:
        return date(year, month, day)
    except ValueError:
        raise Worded(
            f"没有这一天：{year}年{month}月{day}日", f"no such day: {year}-{month:02d}-{day:02d}"
        ) from None


def parse_yes_no(value: Any) -> bool:
    """``True``/``False``, or a yes/no word as the form, the CSV and the feature files write it."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE:
            return True
        if word in FALSE:
            return False
    raise Worded("应为“是”或“否”", "yes or no (是/否)")


def visible(text: str) -> str:
    """Text safe to show on a terminal or write to a file: control and invisible characters
    (``CONTROL``) shown as �."""
    return CONTROL.sub("\ufffd", text)


PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def a_number(value: Any) -> Any:
    """A count or an amount is a number written plainly: JSON ``true`` is not 1, nor are "1_000",
    "1e3" or full-width "１２" (pydantic would read each so: Python's and Decimal's own forms, which
    no registry means). Other text is left to pydantic's own refusal."""
    if isinstance(value, bool):
        raise Worded("应为数字，而不是“是/否”（true/false）", "a number, not yes/no (true/false)")
    if isinstance(value, str) and not PLAIN_NUMBER.fullmatch(value.strip()) and _reads_as_number(value):
        raise Worded(
            "应写成普通数字，如 1000 或 3500.50（不用下划线、科学计数法或全角数字）",
            "a plain number such as 1000 or 3500.50 (no underscores, exponents or full-width digits)",
        )
    return value


def _reads_as_number(text: str) -> bool:
    try:
        Decimal(text)
    except (InvalidOperation, ValueError):
        return False
    return True


def no_control(text: Any) -> Any:
    """Refuse text holding control or invisible characters (``CONTROL``: a case number that could
    forge a terminal line, or look like another)."""
    if isinstance(text, str) and CONTROL.search(text):
        raise Worded(
            "含有控制字符或不可见的字符（如换行、制表符、零宽空格或方向控制符），请删去",
            "holds control or invisible characters (a line break, a tab, a zero-width space or a direction "
            "mark): remove them",
        )
    return text
