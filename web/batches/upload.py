"""The upload form: a registry file and the run's options, checked before any run exists.

A file the engine would refuse as a whole (not a CSV, UTF-16, empty, unknown or repeated headers)
is refused here, on the form, in the engine's own words: its header check runs on the saved file
before the job is started, so nobody waits for a run that could only fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from engine.batch.columns import UnknownColumns, book_columns
from engine.batch.reader import FileError, Reader
from engine.evaluate import default_engine
from engine.values import in_lang, parse_date
from web.cases.forms import MAX_AS_OF, MIN_AS_OF
from web.i18n import LANGS, lang

KINDS = ("person", "enterprise")
SHAPES = ("wide", "long")
WORKBOOKS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (a zip) and .xls (OLE): not CSV
# Other files a registry is mistaken for (a scan, a photo, a compressed export), by their first
# bytes: the engine's reader took their NULs for UTF-16, or their first line for unknown columns.
NOT_TEXT = {
    b"%PDF-": "这是 PDF 文件",
    b"\x89PNG": "这是图片",
    b"\xff\xd8\xff": "这是图片",
    b"GIF8": "这是图片",
    b"\x1f\x8b": "这是压缩文件",
    b"Rar!": "这是压缩文件",
    b"7z\xbc\xaf": "这是压缩文件",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# What the desk's user can do about unknown columns: the upload form has no --carry or --ignore.
UNKNOWN_COLUMNS_ADVICE = (
    "请在 Excel 或 WPS 中删除这些列，或把列名改为可用的列名，再上传",
    "Delete these columns in Excel or WPS, or rename them to the columns of the templates above, "
    "then upload again",
)


@dataclass
class Upload:
    """The options as typed (kept on the form when it is refused) and what is wrong with them."""

    kind: str
    as_of: str
    shape: str
    lang: str
    errors: list[str] = field(default_factory=list)

    @property
    def as_of_date(self) -> date:
        return date.fromisoformat(self.as_of)


def defaults(lang: str) -> Upload:
    return Upload("person", date.today().isoformat(), "wide", lang)


def read_options(form: MultiDict[str, str]) -> Upload:
    up = Upload(
        form.get("kind", ""), form.get("as_of", "").strip(), form.get("shape", ""), form.get("lang", "")
    )
    if up.kind not in KINDS:
        up.errors.append(_("请选择案件类型（个人或单位）"))
    _read_as_of(up)
    if up.shape not in SHAPES:
        up.errors.append(_("请选择结果格式"))
    if up.lang not in LANGS:
        up.errors.append(_("请选择结果语言"))
    return up


def _read_as_of(up: Upload) -> None:
    """The date as the case form reads it (engine.values: 2020/9/15, full-width digits…), kept as
    YYYY-MM-DD for the job; Python's own reader took 2020-W01-1 as 2019-12-30 and years 1 and 9999."""
    try:
        day = parse_date(up.as_of)
    except ValueError as err:
        up.errors.append(_("评估日期：%(why)s", why=in_lang(err.args[0], lang())))
        return
    if not MIN_AS_OF <= day <= MAX_AS_OF:
        up.errors.append(_("评估日期应在 %(first)s 至 %(last)s 之间", first=MIN_AS_OF, last=MAX_AS_OF))
        return
    up.as_of = day.isoformat()


def clean_filename(name: str | None) -> str:
    """The uploaded file's own name, for lists and downloads: no folders, no control characters."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    return _CONTROL.sub("", base).strip()[:255] or _("名册.csv")


def refusal(path: Path, kind: str) -> str | None:
    """Why the whole file cannot be run, in the engine's words and the page's language; None when it
    can."""
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(WORKBOOKS):
        return _("这是 Excel 工作簿，不是 CSV 文件：请在 Excel 或 WPS 中另存为“CSV UTF-8（逗号分隔）”")
    what = next((what for sign, what in NOT_TEXT.items() if head.startswith(sign)), None)
    if what is not None:
        return _(
            "%(what)s，不是 CSV 文件：请上传在 Excel 或 WPS 中另存为“CSV UTF-8（逗号分隔）”的名册",
            what=_(what),
        )
    try:
        reader = Reader(path)
    except FileError as err:
        return err.text(lang())
    try:
        book_columns(reader.headers, kind, default_engine().book)
    except UnknownColumns as err:
        return err.advised(*UNKNOWN_COLUMNS_ADVICE).text(lang())
    except FileError as err:
        return err.text(lang())
    finally:
        reader.close()
    return None
