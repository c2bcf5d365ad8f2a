"""The column reader vouches for the rows a clean registry holds; the column writers make cells safe
as the one CSV writer does.

A row the column reader cannot vouch for is read one by one by the per-row reader: the answer is
the same, only slower, so no differential test notices when a change to the case models (a new
validator, a new shared reader) silently sends every row that way. These tests do.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.batch.columns import map_columns, row_case
from engine.batch.layout import csv_text, safe_cell
from engine.columnar.output import Coded, arrow_columns, csv_lines, safe
from engine.columnar.parquet import as_cells, batches, dataset
from engine.columnar.parse import VALIDATORS_KNOWN, limits, read_block
from engine.evaluate import default_engine

AS_OF = date(2020, 9, 15)


def test_every_validator_of_the_case_models_is_one_the_column_reader_reproduces():
    assert VALIDATORS_KNOWN


def _read(path: Path, as_of: date = AS_OF):
    engine = default_engine()
    with path.open(encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    cols = map_columns(header, "person", engine.book.confirmation_keys())
    cells = [pl.Series([r[i] for r in rows], dtype=pl.String) for i in range(len(header))]
    return cols, read_block(cols, cells, as_of)


def test_a_clean_registry_is_read_entirely_as_columns(tmp_path: Path, make_registry):
    source = tmp_path / "registry.csv"
    make_registry.write_registry(source, 3_000)
    cols, (suspect, reads, _) = _read(source)
    assert not [c.spec.name for c in cols.facts["person"] if limits(c).unknown]
    assert int(suspect.sum()) == 0
    assert len(reads["person"].rows) == 3_000


def test_a_birth_after_the_evaluation_date_is_left_to_the_per_row_reader(tmp_path: Path, make_registry):
    source = tmp_path / "registry.csv"
    make_registry.write_registry(source, 500)
    _, (suspect, _, _) = _read(source, as_of=date(1975, 1, 1))
    assert suspect.any() and not suspect.all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=12), min_size=1, max_size=30))
def test_cells_are_made_safe_and_quoted_on_columns_as_one_by_one(texts: list[str]):
    """The column writers' Rust regexes (engine/columnar/output.py) against the one CSV writer."""
    series = pl.Series(texts, dtype=pl.String)
    assert safe(series).to_list() == [safe_cell(t) or None for t in texts]
    assert csv_lines([[safe(series)]]).to_list() == [csv_text([[t]]) for t in texts]


def test_formulas_control_characters_and_quotes_in_particular():
    texts = ["=1+1", "+x", "-1", "@a", "\tx", "\rx", 'a"b', "a,b", "a\nb", "\x00\x1b", "\u202eabc", "ok"]
    series = pl.Series(texts, dtype=pl.String)
    assert csv_lines([[safe(series)]]).to_list() == [csv_text([[t]]) for t in texts]


WORDS = ["", "符合", "不符合", "=x", "a"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(WORDS)), min_size=1, max_size=6, unique=True),
    st.lists(st.integers(-1, 5), max_size=40),
    st.randoms(use_true_random=False),
)
def test_a_coded_column_as_arrow_holds_its_cells_in_one_form_however_it_was_coded(
    entries: list[tuple[str, str]], rows: list[int], random
):
    """A coded column's arrays hold its rows' texts ("" as null) over the distinct non-empty texts
    its rows use, sorted: the same arrays from its entries in another order, with unused ones."""
    index = np.array([min(r, len(entries) - 1) for r in rows], dtype=np.int64)
    cells = [entries[i] if i >= 0 else ("", "") for i in index]
    shuffled = [*entries, ("unused", "")]
    random.shuffle(shuffled)
    again = Coded(shuffled, np.array([shuffled.index(entries[i]) if i >= 0 else -1 for i in index], np.int64))
    coded = Coded(entries, index)
    arrays, shared = arrow_columns([[coded], [coded]])
    assert all(a is b for a, b in zip(shared, arrays, strict=True))  # shared by two tables: converted once
    for k, array in enumerate(arrays):
        array.validate(full=True)
        assert array.to_pylist() == [c[k] or None for c in cells]
        assert array.dictionary.to_pylist() == sorted({c[k] for c in cells} - {""})
    assert arrow_columns([[again]]) == [arrays]


def test_parquet_batches_start_at_the_checkpoint_s_row_and_read_one_row_group_at_a_time(tmp_path: Path):
    frame = pl.DataFrame({"案件编号": [f"C{i}" for i in range(500)], "出生日期": ["1970-01-01"] * 500})
    frame.write_parquet(tmp_path / "r.parquet", row_group_size=70)
    data = dataset(tmp_path / "r.parquet")
    for skip in (0, 1, 69, 70, 71, 299, 499, 500):
        read = [b for b in batches(data, 50, skip)]
        assert all(0 < b.num_rows <= 50 for b in read)
        ids = [x for b in read for x in b.column("案件编号").to_pylist()]
        assert ids == [f"C{i}" for i in range(skip, 500)]


def test_a_dataset_file_without_a_column_reads_it_as_unknown(tmp_path: Path):
    folder = tmp_path / "registry"
    folder.mkdir()
    pl.DataFrame({"案件编号": ["A"], "出生日期": ["1970-01-01"]}).write_parquet(folder / "a.parquet")
    pl.DataFrame({"案件编号": ["B"]}).write_parquet(folder / "b.parquet")
    read = list(batches(dataset(folder), 50, 0))
    assert [b.to_pylist() for b in read] == [
        [{"案件编号": "A", "出生日期": "1970-01-01"}],
        [{"案件编号": "B", "出生日期": None}],
    ]


def test_a_column_only_a_later_file_of_the_dataset_has_is_read(tmp_path: Path):
    folder = tmp_path / "registry"
    folder.mkdir()
    pl.DataFrame({"案件编号": ["A"]}).write_parquet(folder / "a.parquet")
    pl.DataFrame({"案件编号": ["B"], "出生日期": ["1970-01-01"]}).write_parquet(folder / "b.parquet")
    read = list(batches(dataset(folder), 50, 0))
    assert [row for b in read for row in b.to_pylist()] == [
        {"案件编号": "A", "出生日期": None},
        {"案件编号": "B", "出生日期": "1970-01-01"},
    ]


def _with_check(first17: str) -> str:
    from engine.idcard import check_char

    return first17 + check_char(first17)


BIRTHS = ["19000101", "18991231", "20200229", "20190229", "20201301", "20200001", "20200100"]
BIRTHS += ["20200132", "20200431", "00000101", "99991231", "20200915", "20200916", "19600229"]
ID_EDGES = [_with_check(f"500101{day}{tail}") for day in BIRTHS for tail in ("001", "002")]
ID_EDGES += ["50010119600101001x", "50010119600101001", "500101196001010010", "5001011960010100X1"]


def test_id_numbers_are_vouched_for_exactly_where_the_per_row_reader_accepts_them():
    engine = default_engine()
    cols = map_columns(["身份证号码"], "person", engine.book.confirmation_keys())
    suspect, reads, _ = read_block(cols, [pl.Series(ID_EDGES, dtype=pl.String)], AS_OF)
    for k, number in enumerate(ID_EDGES):
        case, _ = row_case(cols, [number], AS_OF)
        if not suspect[k]:  # read as columns: the per-row reader accepts it, with the same birth
            assert case is not None, number
            birth = reads["person"].inputs["person.birth_date"]
            row = list(reads["person"].rows).index(k)
            assert date.fromordinal(int(birth.values[row])) == case.person.birth_date
    assert not suspect[ID_EDGES.index(_with_check("50010119600229001"))]
    assert suspect[ID_EDGES.index(_with_check("50010120190229001"))]  # no such day
    assert suspect[ID_EDGES.index(_with_check("50010118991231001"))]  # before 1900
    assert suspect[ID_EDGES.index(_with_check("50010120200916001"))]  # after the evaluation date


# Cells of a few distinct texts, each read once per chunk: good, spaced, odd and bad spellings.
FEW_TEXTS = {
    "出生日期": ["1970-01-01", " 1970-01-01 ", "1970-1-1", "9999-12-31", "", "2020-02-30", "1970-01-01\x00"],
    "性别": ["男", "女", " 女", "male", "", "男性", "女\u3000"],
    "目前已就业": ["是", " 是", "否", "YES", "", "x", "true", "是\xa0"],
    "失业保险累计缴费月数": ["12", "012", " 12", "-1", "", "1.5", "999999999999", "=1+1"],
}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(*(st.sampled_from(v) for v in FEW_TEXTS.values())), min_size=1, max_size=40))
def test_a_column_read_once_per_distinct_cell_reads_each_row_as_if_alone(rows: list[tuple[str, ...]]):
    engine = default_engine()
    cols = map_columns(list(FEW_TEXTS), "person", engine.book.confirmation_keys())
    cells = [pl.Series([r[k] for r in rows], dtype=pl.String) for k in range(len(FEW_TEXTS))]
    suspect, reads, _ = read_block(cols, cells, AS_OF)
    for i, row in enumerate(rows):
        alone, read_alone, _ = read_block(cols, [pl.Series([c], dtype=pl.String) for c in row], AS_OF)
        assert suspect[i] == alone[0], row
        if suspect[i]:
            continue
        k = list(reads["person"].rows).index(i)
        for name, col in reads["person"].inputs.items():
            other = read_alone["person"].inputs[name]
            assert col.valid[k] == other.valid[0], (row, name)
            assert not col.valid[k] or col.values[k] == other.values[0], (row, name)


def _as_csv_text(table: pa.Table) -> list[list[str]]:
    """Each column as a CSV holds it, worded by polars row by row (dates ISO, booleans true/false)."""
    frame = pl.from_arrow(table)
    out = []
    for s in frame.get_columns():
        if s.dtype == pl.Date:
            s = s.dt.strftime("%Y-%m-%d")
        out.append(s.cast(pl.String).fill_null("").to_list())
    return out


def test_typed_and_dictionary_columns_are_worded_once_per_distinct_value_as_row_by_row():
    days = [date(1970, 1, 1), None, date(2020, 2, 29), date(1970, 1, 1), date(9999, 12, 31)]
    table = pa.table(
        {
            "narrow dates": pa.array([date(2020, 1, 2), None, date(2019, 12, 31), date(2020, 1, 2), None]),
            "wide dates": pa.array(days),
            "no dates": pa.nulls(5, pa.date32()),
            "yes/no": pa.array([True, None, False, True, True]),
            "int8": pa.array([-128, 127, None, 0, -128], pa.int8()),
            "uint32": pa.array([0, 2**32 - 1, 7, 7, None], pa.uint32()),
            "int64": pa.array([-(2**63), 2**63 - 1, 0, None, 5], pa.int64()),
            "uint64": pa.array([2**64 - 1, 0, None, 1, 1], pa.uint64()),
            "dictionary": pa.array(["是", None, "", "否", "是"]).dictionary_encode(),
            "text": pa.array(["a", None, " b", "a", ""]),
        }
    )
    for part in (table, table.slice(1, 3), table.slice(0, 0)):
        cells, distinct = as_cells(part)
        assert [c.to_list() for c in cells] == _as_csv_text(part)
        assert set(distinct) == {0, 1, 2, 3, 4, 5, 6, 8}
        for k, d in distinct.items():
            assert d.texts.gather(pl.Series(d.places)).to_list() == cells[k].to_list()


# 统一社会信用代码 (GB 32100-2015): valid ones worked by hand in tests/test_creditcode.py; then each
# with a wrong check character, an ID number in the code's place (its check would be L), a lower-case
# code and other shapes the pattern refuses.
CREDIT_CODES = ["91350100M000100Y43", "91500000MA5U00000W", "91500000MA5U000010", " 91500000MA5U00000W "]
CREDIT_CODES += ["91350100M000100Y44", "91500000MA5U000000", "91500000MA5U00001W", "500101196103100038"]
CREDIT_CODES += [
    "91500000ma5u00000w",
    "91500000MA5U00000",
    "9150000\u0660MA5U00000W",
    "91500000MA5U00000W\u3000",
]


def test_credit_codes_are_vouched_for_exactly_where_the_per_row_reader_accepts_them():
    engine = default_engine()
    cols = map_columns(["类型", "统一社会信用代码"], "person", engine.book.confirmation_keys())
    cells = [
        pl.Series(["单位"] * len(CREDIT_CODES), dtype=pl.String),
        pl.Series(CREDIT_CODES, dtype=pl.String),
    ]
    suspect, reads, _ = read_block(cols, cells, AS_OF)
    accepted = []
    for k, code in enumerate(CREDIT_CODES):
        case, _ = row_case(cols, ["单位", code], AS_OF)
        if case is not None:
            accepted.append(k)
        if not suspect[k]:  # read as columns: the per-row reader accepts it, as the same code
            assert case is not None, code
            row = list(reads["enterprise"].rows).index(k)
            assert (
                reads["enterprise"].inputs["enterprise.credit_code"].values[row]
                == case.enterprise.credit_code
            )
    assert accepted == [0, 1, 2, 3, 11]  # the models strip the ideographic space
    assert list(np.flatnonzero(~suspect)) == [0, 1, 2, 3]  # an odd space is read one by one
