"""A CSV registry read as records, each with the physical line it starts on and where it ends.

Registries come from Excel/WPS and from the employment-service system: UTF-8 with or without BOM,
or GB18030. Nothing in a damaged file may vanish or stop the run: an undecodable byte, a quote
that is never closed or a record with the wrong number of fields becomes a bad record naming its
line, and reading goes on. Byte offsets are tracked so a killed run can resume exactly where it
stopped.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import deque
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import BinaryIO, NamedTuple

from engine.batch.refusal import Refusal
from engine.values import Words, in_lang

SAMPLE = 1 << 20  # bytes read to choose the encoding
MAX_RECORD_LINES = 100  # a quoted field spanning more lines is taken for an unclosed quote
_UNDECODABLE = re.compile("[\udc80-\udcff]")


class FileError(Refusal):
    """The whole file cannot be read (no header, UTF-16, unknown columns): nothing is evaluated."""


Row = tuple[int, list[str], str | None]  # (physical line, fields, why it cannot be read)


class Plain(NamedTuple):
    """Whole lines holding no quote, no lone CR and only text in the file's encoding.

    For such lines CSV is nothing but commas: the fields are the line split at them, exactly as
    ``csv.reader`` reads them (tests compare the two). A worker splits them itself, so the main
    process neither parses them nor pickles their fields, and a quote anywhere sends the whole
    chunk through ``csv.reader``.
    """

    line: int  # the first line's number
    text: str

    def rows(self) -> list[Row]:
        text = self.text.replace("\r", "") if "\r" in self.text else self.text  # CRs all end lines
        lines = text.split("\n")
        if lines[-1] == "":  # the text ends with a line break (unless the file ends without one)
            lines.pop()
        first = self.line
        return [(first + i, line.split(",") if line else [], None) for i, line in enumerate(lines)]


class Chunk(NamedTuple):
    rows: list[Row] | Plain
    end: int  # byte offset just after the chunk
    next_line: int  # the physical line that starts at ``end``


class Record(NamedTuple):
    line: int  # physical line the record starts on; the header is line 1
    fields: list[str]
    error: str | None  # why the record cannot be read at all (then ``fields`` may be partial)
    end: int  # byte offset just after the record
    next_line: int  # the physical line that starts at ``end``


def detect_encoding(path: Path) -> str:
    """UTF-8 unless the first MB reads as GB18030 (a BOM is read as U+FEFF and dropped).

    A UTF-8 file with a few rows pasted in from a GB18030 one stays UTF-8 (those rows are bad
    rows); a GB18030 file fails as UTF-8 on nearly every Chinese character.
    """
    with path.open("rb") as f:
        sample = f.read(SAMPLE)
    refuse_shape(sample)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8"
    text = sample.decode("utf-8", "surrogateescape")
    if len(sample) == SAMPLE:  # the sample may end inside a character
        text = text[:-3]
    bad = len(_UNDECODABLE.findall(text))
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return "gb18030" if bad > non_ascii // 4 else "utf-8"


WORKBOOKS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (a zip) and .xls (OLE)
SAVE_AS = "请在 Excel 或 WPS 中另存为“CSV UTF-8（逗号分隔）”后再试"
SAVE_AS_EN = "save it as “CSV UTF-8 (Comma delimited)” in Excel or WPS and try again"
EMPTY = ("文件是空的：第1行应为列名", "The file is empty: line 1 should hold the column names")
NO_HEADER = (
    "第1行没有列名（是空行或只有逗号）：列名应在第1行，请删去文件开头的空行",
    "Line 1 holds no column names (it is blank or only commas): the names belong on line 1, so delete "
    "the blank lines at the top",
)


def refuse_shape(sample: bytes) -> None:
    """Refuse, with the real reason, a file that is no CSV text at all (judged on its first MB).

    Without this, UTF-16 without a BOM and old-Mac line ends (CR only) were reported as empty
    files, and a workbook renamed .csv as a flood of undecodable bytes.
    """
    if sample.startswith(WORKBOOKS):
        raise FileError(
            f"这是 Excel 工作簿（.xlsx/.xls），不是 CSV 文件；{SAVE_AS}",
            f"This is an Excel workbook (.xlsx/.xls), not a CSV file: {SAVE_AS_EN}",
        )
    utf16 = sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    # Text in UTF-16 without a BOM: every other byte of ASCII (commas, digits) is NUL.
    if utf16 or max(sample[0::2].count(0), sample[1::2].count(0)) > len(sample) // 4 > 0:
        raise FileError(
            f"文件是 UTF-16 编码（Excel“Unicode 文本”）；{SAVE_AS}",
            f"The file is in UTF-16 (Excel's “Unicode Text”): {SAVE_AS_EN}",
        )
    if b"\r" in sample and b"\n" not in sample:
        raise FileError(
            f"文件的换行符只有 CR（Excel“CSV (Macintosh)”格式），无法分行；{SAVE_AS}",
            f"The file's lines end in CR alone (Excel's “CSV (Macintosh)”): it cannot be split into lines; "
            f"{SAVE_AS_EN}",
        )


def readable(text: str) -> str:
    """Text fit to write out: bytes that could not be decoded shown as �."""
    return _UNDECODABLE.sub("\ufffd", text)


def _undecodable(fields: list[str], headers: list[str], encoding: str) -> Words:
    """Which columns hold bytes that are not text in the file's encoding."""
    where = [
        readable(headers[i]) if i < len(headers) else f"第{i + 1}列"
        for i, f in enumerate(fields)
        if _UNDECODABLE.search(f)
    ]
    name = "UTF-8" if encoding == "utf-8" else "GB18030"
    return Words(
        f"含有无法按 {name} 解码的字节（{'、'.join(where) or '整行'}）；请检查文件编码",
        f"holds bytes that are not {name} text ({', '.join(where) or 'the whole row'}): "
        "check the file's encoding",
    )


def _quote_problem(error: str, line: int, quoted: bool) -> Words:
    """The csv module's complaint, in the caseworker's words (``quoted``: the record's first line
    holds a quote; a long field without one is just long)."""
    limit = f"{csv.field_size_limit():,}"
    if "field limit" in error and not quoted:
        return Words(
            f"第{line}行的字段过长（超过 {limit} 个字符），不是名册的一行",
            f"line {line} holds a field longer than {limit} characters: no row of a registry",
        )
    if "expected after" in error:
        return Words(
            f"引号不成对：第{line}行起的字段在引号结束后没有紧跟逗号或换行",
            f"unpaired quotes: the field from line {line} goes on after its closing quote",
        )
    if "end of data" in error:
        return Words(
            f"引号不成对：第{line}行起的字段直到文件末尾都没有结束",
            f"unpaired quotes: the field from line {line} runs to the end of the file",
        )
    if "field limit" in error:
        return Words(
            f"引号不成对：第{line}行起的字段过长（超过 {limit} 个字符）",
            f"unpaired quotes: the field from line {line} is longer than {limit} characters",
        )
    if "more than" in error:
        return Words(
            f"引号不成对：第{line}行起的记录超过 {MAX_RECORD_LINES} 行仍未结束",
            f"unpaired quotes: the record from line {line} is still open after {MAX_RECORD_LINES} lines",
        )
    if "new-line character" in error:  # a CR alone, outside quotes (CR LF ends a line)
        return Words(
            f"第{line}行中有单独的回车符（CR），不在引号内：请删去它，或给该字段加上引号",
            f"line {line} holds a carriage return (CR) alone, outside quotes: remove it or quote the field",
        )
    return Words(f"第{line}行无法按 CSV 读取（不符合 CSV 的格式）", f"line {line} is not CSV")


def _decode(raw: bytes, encoding: str) -> tuple[str, bool]:
    """A line's text, and whether it held bytes that are not text (kept as surrogates)."""
    try:
        return raw.decode(encoding), False
    except UnicodeDecodeError:
        return raw.decode(encoding, "surrogateescape"), True


class _Lines:
    """Physical lines, decoded, with their numbers and end offsets; lines can be pushed back.

    An iterator class, not a generator: it raises to cut a runaway record short, and a generator
    that has raised cannot be resumed.
    """

    def __init__(self, f: BinaryIO, encoding: str, offset: int, line: int):
        self.f, self.encoding = f, encoding
        self.offset, self.next_line = offset, line
        self.taken: list[tuple[int, int, str, bool]] = []  # (line, end offset, text, undecodable)
        self.pushed: deque[tuple[int, int, str, bool]] = deque()

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if len(self.taken) >= MAX_RECORD_LINES:
            raise csv.Error(f"a record of more than {MAX_RECORD_LINES} lines")
        if self.pushed:
            item = self.pushed.popleft()
        else:
            raw = self.f.readline()
            if not raw:
                raise StopIteration
            self.offset += len(raw)
            item = (self.next_line, self.offset, *_decode(raw, self.encoding))
            self.next_line += 1
        self.taken.append(item)
        return item[2]


class Reader:
    """Records of one CSV file from ``offset`` on; the header is always read from the start."""

    def __init__(self, path: Path, offset: int | None = None, line: int = 2):
        self.path = path
        self.encoding = detect_encoding(path)
        self.size = path.stat().st_size
        self._f = path.open("rb")
        self._lines = _Lines(self._f, self.encoding, 0, 1)
        # strict: a closing quote must be followed by a comma or the line's end. Without it, a quote
        # never closed pairs with the next row's quote and silently swallows the rows between.
        self._csv = csv.reader(self._lines, strict=True)
        self.headers: list[str] = []
        header = self._next()
        if header is not None and header.error:  # before its fields: an unreadable line has none
            raise FileError(
                f"第1行（列名）无法读取：{header.error}",
                f"Line 1 (the column names) cannot be read: {in_lang(header.error, 'en')}",
            )
        if header is None:
            raise FileError(*EMPTY)
        self.headers = [h.strip() for h in header.fields] or [""]
        self.headers[0] = self.headers[0].lstrip("\ufeff").strip()
        if not any(self.headers):  # a blank line, a BOM alone, or a line of commas: no column to read
            raise FileError(*(NO_HEADER if self._more() else EMPTY))
        self.header_end = header.end
        if offset is not None and offset != header.end:
            self._f.seek(offset)
            self._lines.offset, self._lines.next_line = offset, line

    def _more(self) -> bool:
        """Anything but blank lines after the line read last (then the file is not empty)."""
        while (record := self._next()) is not None:
            if record.error or "".join(record.fields).strip():
                return True
        return False

    def close(self) -> None:
        self._f.close()

    def __iter__(self) -> Iterator[Record]:
        """Every record to the end; a blank line comes as a record with no fields and no error."""
        while (record := self._next()) is not None:
            yield record

    def chunks(self, size: int) -> Iterator[Chunk]:
        """The records in chunks of ``size`` lines (plain) or records (read by ``csv.reader``)."""
        while True:
            plain = self._plain(size)
            if plain is not None:
                yield plain
                continue
            rows: list[Row] = []
            last = None
            while len(rows) < size and (record := self._next()) is not None:
                rows.append((record.line, record.fields, record.error))
                last = record
            if last is None:
                return
            yield Chunk(rows, last.end, last.next_line)

    def _plain(self, size: int) -> Chunk | None:
        """The next ``size`` lines as one ``Plain``, or None (they are pushed back to be read as CSV)."""
        lines = self._lines
        if lines.pushed:  # lines read again after a broken quote: the csv module's
            return None
        raw = list(islice(self._f, size))
        if not raw:
            return None
        data = b"".join(raw)
        first, start = lines.next_line, lines.offset
        lines.offset += len(data)
        lines.next_line += len(raw)
        if (
            b'"' not in data
            and data.count(b"\r") == data.count(b"\r\n")
            and max(map(len, raw)) <= csv.field_size_limit()
        ):
            try:
                return Chunk(Plain(first, data.decode(self.encoding)), lines.offset, lines.next_line)
            except UnicodeDecodeError:
                pass
        end = start
        for i, line in enumerate(raw):
            end += len(line)
            lines.pushed.append((first + i, end, *_decode(line, self.encoding)))
        return None

    def _next(self) -> Record | None:
        lines = self._lines
        lines.taken.clear()
        try:
            fields, problem = next(self._csv), None
        except StopIteration:
            if not lines.taken:
                return None
            fields, problem = (
                [],
                Words("文件在引号内结束（引号不成对）", "the file ends inside quotes (unpaired quotes)"),
            )
        except csv.Error as err:
            first = lines.taken[0]
            fields, problem = [], _quote_problem(str(err), first[0], '"' in first[2])
        taken = lines.taken
        first, last = taken[0], taken[-1]
        width = len(self.headers) or len(fields)
        if problem is None and len(taken) > 1 and len(fields) != width:
            problem = Words(
                f"引号不成对：从第{first[0]}行起的{len(taken)}行被读成一条{len(fields)}列的记录",
                f"unpaired quotes: {len(taken)} lines from line {first[0]} "
                f"read as one record of {len(fields)} fields",
            )
        if problem is not None and len(taken) > 1:
            # Read the following lines again on their own: only the line that opened it is bad.
            lines.pushed.extendleft(reversed(taken[1:]))
            return Record(first[0], [], problem, first[1], first[0] + 1)
        if problem is None and any(t[3] for t in taken):
            problem = _undecodable(fields, self.headers or fields, self.encoding)
        return Record(first[0], fields, problem, last[1], last[0] + 1)
