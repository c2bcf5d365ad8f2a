"""``subsidy batch`` on generated registries: at least 10,000 rows whose every cell is known to be
valid or not, then damaged files.

The oracle is the generator's own label: a row is decided exactly when every cell was generated
valid, each refused row reports exactly the columns generated invalid (in Chinese), a valid date
cell is read as the very date it was written from (never coerced: ``0`` is not 1970-01-01), and
rows read = decided + rejected.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from fuzzing import NOT_DATES, date_text, examples
from hypothesis import given
from hypothesis import strategies as st

from engine.batch.columns import map_columns, row_case
from engine.batch.template import is_example
from engine.cli import main
from engine.evaluate import default_engine
from engine.values import FALSE, TRUE

AS_OF = date(2020, 9, 15)
ROWS = 100  # rows per registry: 100 examples make the 10,000 rows
CJK = re.compile("[\u4e00-\u9fff]")
SUMMARY = re.compile(r"读取 ([\d,]+) 行：已评估 ([\d,]+) 行，数据有误 ([\d,]+) 行")
EXAMPLES = re.compile(r"模板示例行 ([\d,]+) 行（已跳过）")
COLUMNS = [
    "案件编号",
    "姓名",
    "出生日期",
    "性别",
    "目前已就业",
    "失业保险累计缴费月数",
    "失业保险金期满日期",
    "低保对象",
]

Cell = tuple[str, bool, Any]  # (text written, valid?, the value it must be read as)
LETTERS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cf", "Zl", "Zp"))


def valid(text: st.SearchStrategy[str], value: Any = None) -> st.SearchStrategy[Cell]:
    return text.map(lambda t: (t, True, value))


def invalid(text: st.SearchStrategy[str]) -> st.SearchStrategy[Cell]:
    return text.map(lambda t: (t, False, None))


def dates_between(first: date, last: date) -> st.SearchStrategy[Cell]:
    return st.builds(lambda d, form: (date_text(d, form), True, d), st.dates(first, last), st.integers(0, 5))


NOT_A_DATE = st.sampled_from([*NOT_DATES, "9999-12-31", "昨天"]) | st.builds(str, st.integers(0, 99_999))
WORDS = sorted(TRUE | FALSE)
CELLS: dict[str, st.SearchStrategy[Cell]] = {
    "案件编号": st.one_of(
        valid(st.text(LETTERS, max_size=20)),
        valid(st.sampled_from(["=HYPERLINK(1)", "+cmd|x", "@SUM(A1)", "-1"])),
        invalid(
            st.builds("A{}B{}".format, st.sampled_from("\x00\x1b\r\u202e"), st.text(LETTERS, max_size=5))
        ),
    ),
    "姓名": st.one_of(valid(st.text(max_size=30)), invalid(st.text("张王李abc", min_size=101, max_size=120))),
    "出生日期": st.one_of(
        valid(st.just("")),
        dates_between(date(1900, 1, 1), AS_OF),
        invalid(NOT_A_DATE),
        invalid(st.dates(date(2020, 9, 16), date(2199, 12, 31)).map(str)),  # born after the evaluation date
    ),
    "性别": st.one_of(
        valid(st.sampled_from(["", "男", "女", "male", "female"])), invalid(st.sampled_from(["M", "不详"]))
    ),
    "目前已就业": st.one_of(
        valid(st.sampled_from(["", *WORDS, "YES", " 是 "])), invalid(st.sampled_from(["也许", "2"]))
    ),
    "失业保险累计缴费月数": st.one_of(
        valid(st.integers(0, 1000).map(str)),
        invalid(st.sampled_from(["-1", "1001", "十二", "1.5", "1e3", "NaN"])),
    ),
    "失业保险金期满日期": st.one_of(dates_between(date(1900, 1, 1), date(2199, 12, 31)), invalid(NOT_A_DATE)),
    "低保对象": st.one_of(valid(st.sampled_from(["", *WORDS])), invalid(st.sampled_from(["是的", "ok"]))),
}
ROW = st.tuples(*(CELLS[c] for c in COLUMNS))


def write_registry(rows: list[tuple[Cell, ...]], bom: bool) -> tuple[bytes, list[int | None]]:
    """The registry's bytes, and each row's first physical line (None for a blank row)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    lines: list[int | None] = []
    for row in rows:
        texts = [text for text, _, _ in row]
        lines.append(None if not "".join(texts).strip() else buf.getvalue().count("\n") + 1)
        writer.writerow(texts)
    return (b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"), lines


def run_batch(data: bytes) -> tuple[int, str, list[list[str]], list[list[str]]]:
    """Run ``subsidy batch`` in-process; its exit code, stderr and both files' rows."""
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / "in.csv", Path(folder) / "out.csv"
        source.write_bytes(data)
        err = io.StringIO()
        argv = [
            "batch",
            str(source),
            "-o",
            str(out),
            "--as-of",
            AS_OF.isoformat(),
            "--quiet",
            "--workers",
            "1",
        ]
        with contextlib.redirect_stderr(err):
            code = main(argv)
        files = [out, out.with_name("out.errors.csv")]
        if code != 0:
            assert not any(f.exists() for f in files)
            return code, err.getvalue(), [], []
        raw = [f.read_bytes() for f in files]
    for data_out in raw:
        assert b"\x00" not in data_out and b"\x1b" not in data_out
    decided, errors = (list(csv.reader(io.StringIO(r.decode("utf-8-sig"))))[1:] for r in raw)
    return code, err.getvalue(), decided, errors


def examples_skipped(stderr: str) -> int:
    """The template example rows the summary says were skipped."""
    match = EXAMPLES.search(stderr)
    return int(match.group(1).replace(",", "")) if match else 0


def counts(stderr: str) -> tuple[int, int, int]:
    match = SUMMARY.search(stderr)
    assert match, stderr
    read, decided, rejected = (int(g.replace(",", "")) for g in match.groups())
    assert read == decided + rejected
    return read, decided, rejected


COLS = map_columns(COLUMNS, "person", default_engine().book.confirmation_keys())


@examples(10_000 // ROWS, shrink=False)
@given(rows=st.lists(ROW, min_size=ROWS, max_size=ROWS), bom=st.booleans())
def test_every_generated_row_is_decided_exactly_when_every_cell_is_valid(
    rows: list[tuple[Cell, ...]], bom: bool
) -> None:
    data, lines = write_registry(rows, bom)
    code, stderr, decided, errors = run_batch(data)
    assert code == 0, stderr
    # a case number of a template's example row (示例-…, which Hypothesis finds among the engine's
    # own constants) is skipped and counted apart, whatever its cells
    skipped = {line for line, row in zip(lines, rows, strict=True) if line and is_example(row[0][0])}
    judged = [(line, row) for line, row in zip(lines, rows, strict=True) if line and line not in skipped]
    expected_ok = [line for line, row in judged if all(c[1] for c in row)]
    expected_bad = {
        line: {COLUMNS[i] for i, c in enumerate(row) if not c[1]}
        for line, row in judged
        if not all(c[1] for c in row)
    }
    assert counts(stderr) == (len(expected_ok) + len(expected_bad), len(expected_ok), len(expected_bad))
    assert examples_skipped(stderr) == len(skipped)
    assert [int(r[1]) for r in decided] == expected_ok
    reported: dict[int, set[str]] = {}
    for line, _case_id, column, reason in errors:
        assert CJK.search(reason), reason
        reported.setdefault(int(line), set()).add(column)
    assert reported == expected_bad
    for out_row, (line, row) in zip(
        decided, [(n, r) for n, r in zip(lines, rows, strict=True) if n in expected_ok], strict=True
    ):
        case_id = row[0][0].strip()
        assert out_row[0] == ("'" + case_id if case_id[:1] in "=+-@" and case_id else case_id)
        case, problems = row_case(COLS, [c[0] for c in row], AS_OF)  # the value each date was read as
        assert case is not None and not problems, (line, problems)
        assert case.person.birth_date == row[2][2] and case.person.ui_benefit_end_date == row[6][2]


DAMAGE = st.sampled_from([b'"', b",", b"\r", b"\n", b"\x00", b"\xff\xfe", b"\xe4\xb8", b'"\r\n"', b""])


@examples(150, shrink=False)
@given(
    rows=st.lists(ROW, min_size=1, max_size=30),
    damage=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), DAMAGE), min_size=1, max_size=6),
)
def test_a_damaged_registry_loses_no_row_and_crashes_nothing(
    rows: list[tuple[Cell, ...]], damage: list
) -> None:
    data, _ = write_registry(rows, bom=True)
    for where, cut, insert in damage:  # cut 0-3 bytes at a point and put something else there
        at = int(where * len(data))
        data = data[:at] + insert + data[at + cut :]
    code, stderr, decided, errors = run_batch(data)
    assert code in (0, 2), stderr
    if code == 2:  # the whole file refused: said in Chinese, nothing written
        assert CJK.search(stderr) and "Traceback" not in stderr
        return
    _, n_decided, rejected = counts(stderr)
    assert len(decided) == n_decided and len({r[0] for r in errors}) == rejected
    assert all(CJK.search(r[3]) for r in errors)
