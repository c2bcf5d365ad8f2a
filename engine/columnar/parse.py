"""Registry cells read and validated as whole columns.

A row is accepted here only where the case models would surely accept it with the same values:
ISO dates, plain integers within the field's bounds, amounts with at most two decimals, yes/no
and option words, texts within their length, ID numbers of the plain 18-character shape whose
checksum, birth date and sex agree with the row. Every other row (a bad cell, an unusual spelling
the models may still accept, an unusual space) is *suspect*: it is read one by one by the per-row
reader (``engine.batch.work.read_row``), which words each problem with its line, column and the
same Chinese reason as always, or accepts it. So a row's fate and wording never depend on which
path read it; only the speed does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import get_args

import numpy as np
import polars as pl
import pyarrow.compute as pc
from annotated_types import Ge, Le, MaxLen
from pydantic import BaseModel, BeforeValidator, StringConstraints

from engine.batch.columns import KINDS, Column, Columns
from engine.columnar import cal
from engine.columnar.arrowtext import text_buffer
from engine.columnar.table import Col, empty
from engine.creditcode import CHARS as CREDIT_CHARS
from engine.creditcode import WEIGHTS as CREDIT_WEIGHTS
from engine.idcard import CHECK, WEIGHTS
from engine.labels import FALSE, TRUE
from engine.models import District, Enterprise, Hire, Person
from engine.values import CONTROL, MAX_DATE, MIN_DATE, a_number, parse_date, parse_yes_no

# Characters Python's str.strip() removes and polars' ASCII strip below does not: a cell holding
# one is read one by one (rare; the per-row reader then decides).
ODD_SPACE = "[\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# A cell holding an odd space or a control character (which a case number may not hold) is read
# one by one too.
SUSPECT_CHARS = f"{ODD_SPACE}|{CONTROL.pattern}"
ASCII_SPACE = " \t\n\r\x0b\x0c"
MODELS: dict[str, type[BaseModel]] = {
    "person": Person,
    "hire": Hire,
    "enterprise": Enterprise,
    "district": District,
}
# The validators this reader reproduces; a model with any other is read one row at a time.
KNOWN_VALIDATORS = {
    Person: ({"_id_number_valid", "_birth_date_agrees", "_sex_agrees"}, {"_fill_from_id_number"}),
    Hire: ({"_no_end_date"}, {"_contract_in_order"}),  # 9999-… lies beyond MAX_DATE: suspect
    Enterprise: ({"_credit_code_valid"}, set()),
}
# The shared readers of engine/values.py a field may name: their common spellings are read here
# (``a_number`` refuses only JSON's true/false, which no cell holds: a cell is text).
KNOWN_READERS = {parse_date, parse_yes_no, a_number}
# A credit code's characters (ASCII bytes) as the values GB 32100-2015 gives them; -1: none.
CREDIT_VALUE = np.full(256, -1, dtype=np.int64)
CREDIT_VALUE[np.frombuffer(CREDIT_CHARS.encode("ascii"), dtype=np.uint8)] = np.arange(len(CREDIT_CHARS))
FIRST_DAY, LAST_DAY = MIN_DATE.toordinal(), MAX_DATE.toordinal()


def _validators_known() -> bool:
    for model in MODELS.values():
        fields, models = KNOWN_VALIDATORS.get(model, (set(), set()))
        d = model.__pydantic_decorators__
        if set(d.field_validators) - fields or set(d.model_validators) - models:
            return False
    return True


VALIDATORS_KNOWN = _validators_known()


@dataclass
class Limits:
    """What a field's metadata allows, as far as this reader understands it (else ``unknown``)."""

    ge: int | None = None
    le: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    unknown: bool = False


def limits(column: Column) -> Limits:
    model = MODELS.get(column.path[-1]) if column.path else None
    if model is None or column.field not in model.model_fields:
        return Limits(unknown=True)
    info = model.model_fields[column.field]
    out = Limits()
    metadata = list(info.metadata)
    for arg in get_args(info.annotation):
        metadata += list(getattr(arg, "__metadata__", ()))
    for m in metadata:
        if isinstance(m, Ge):
            out.ge = m.ge  # type: ignore[assignment]
        elif isinstance(m, Le):
            out.le = m.le  # type: ignore[assignment]
        elif isinstance(m, MaxLen):
            out.max_length = m.max_length
        elif isinstance(m, StringConstraints):
            extra = (m.to_upper, m.to_lower, m.strict, m.min_length, m.pattern, m.ascii_only)
            if any(x is not None for x in extra):
                out.unknown = True
            out.max_length = m.max_length
        elif isinstance(m, BeforeValidator) and m.func in KNOWN_READERS:
            pass
        elif type(m).__name__ == "_PydanticGeneralMetadata":
            known = {"pattern", "max_digits", "decimal_places"}
            if set(vars(m)) - known:
                out.unknown = True
            for k in known & set(vars(m)):
                setattr(out, k, getattr(m, k))
        else:
            out.unknown = True
    return out


@dataclass(frozen=True)
class Distinct:
    """A column's cells as its distinct texts, as written, and each row's place among them (a
    text may be held by no row)."""

    places: np.ndarray
    texts: pl.Series

    def take(self, rows: np.ndarray) -> Distinct:
        return Distinct(self.places[rows], self.texts)


@dataclass
class Read:
    """A kind's clean rows as typed columns."""

    rows: np.ndarray  # positions in the block
    inputs: dict[str, Col]
    confirmations: dict[str, np.ndarray]


def _np(s: pl.Series) -> np.ndarray:
    return s.to_numpy()


def read_block(
    cols: Columns, cells: list[pl.Series], as_of: date, distinct: dict[int, Distinct] | None = None
) -> tuple[np.ndarray, dict[str, Read], pl.Series]:
    """(suspect rows, each kind's clean rows as columns, case ids) for a block of rows that each
    have exactly the header's number of fields, validated for the evaluation date ``as_of``;
    ``distinct``: the columns (by position) whose distinct cells are known already."""
    distinct = distinct or {}
    n = len(cells[0]) if cells else 0
    suspect = np.zeros(n, dtype=bool)
    # Only cells taken as written can hold an odd space or a control character unnoticed: every
    # other cell must match a word, a date, a number exactly, and fails (goes one by one) if not.
    free = {c.index for columns in cols.facts.values() for c in columns if c.spec.type == "text"}
    for i in sorted(free | ({cols.case_id} if cols.case_id is not None else set())):
        suspect |= _np(cells[i].str.contains(SUSPECT_CHARS))
    # the facts' cells are stripped as they are read (``_read_all``); the others here, when used

    @cache
    def stripped(i: int) -> pl.Series:
        return cells[i].str.strip_chars(ASCII_SPACE)

    if cols.case_id is not None:
        case_ids = stripped(cols.case_id)
        suspect |= _np(case_ids.str.len_chars() > 100)
    else:
        case_ids = pl.Series([""] * n, dtype=pl.String)
    if cols.kind is not None:
        written = stripped(cols.kind)
        kind = written.replace_strict(KINDS, default=None, return_dtype=pl.String)
        kind = kind.fill_null(
            written.str.to_lowercase().replace_strict(KINDS, default=None, return_dtype=pl.String)
        )
        kind = pl.select(pl.when(written == "").then(pl.lit(cols.default_kind)).otherwise(kind)).to_series()
        suspect |= _np(kind.is_null())
        kinds = _np(kind.fill_null(""))
    else:
        kinds = np.full(n, cols.default_kind, dtype=object)
    if not VALIDATORS_KNOWN:
        suspect[:] = True
    out: dict[str, Read] = {}
    for subject in ("person", "enterprise"):
        rows = np.flatnonzero(kinds == subject)
        if not len(rows):
            continue
        every = len(rows) == n  # a registry of one kind: its rows are all the block's, in order
        idx = pl.Series(rows, dtype=pl.Int64)

        def of(c: pl.Series, idx: pl.Series = idx, every: bool = every) -> pl.Series:
            return c if every else c.gather(idx)

        bad = np.zeros(len(rows), dtype=bool)
        inputs: dict[str, Col] = {}
        facts = cols.facts[subject]
        given = [
            of(cells[c.index])
            if c.spec.type == "text" or c.index not in distinct
            else distinct[c.index]
            if every
            else distinct[c.index].take(rows)
            for c in facts
        ]
        read, texts = _read_all(facts, given)
        for column, (col, wrong) in zip(facts, read, strict=True):
            inputs[column.spec.name] = col
            bad |= wrong
        for i in cols.foreign[subject]:
            bad |= _np(of(stripped(i)) != "")
        confirmations = {}
        for i, key in cols.confirmations:
            v = of(stripped(i)).str.to_lowercase()
            yes, no = _np(v.is_in(list(TRUE))), _np(v.is_in(list(FALSE)))
            bad |= ~(yes | no | _np(v == ""))
            confirmations[key] = np.where(yes, 1, np.where(no, 0, -1)).astype(np.int8)
        if cols.applied is not None:  # a 申请项目 cell naming no program goes one by one
            written = of(stripped(cols.applied))
            good = [t for t in written.unique().to_list() if cols.applied_for(t, subject)[1] is None]
            bad |= ~_np(written.is_in(good))
        bad |= _agree(inputs, texts, as_of.toordinal(), len(rows))
        suspect[rows[bad]] = True
        out[subject] = Read(rows, inputs, confirmations)
    # keep only the clean rows of each kind
    for read in out.values():
        keep = ~suspect[read.rows]
        read.rows = read.rows[keep]
        read.inputs = {k: _keep(c, keep) for k, c in read.inputs.items()}
        read.confirmations = {k: v[keep] for k, v in read.confirmations.items()}
    return suspect, out, case_ids


def _keep(c: Col, keep: np.ndarray) -> Col:
    return Col(c.type, c.values[keep], c.valid[keep], None if c.exact is None else c.exact[keep])


_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_INT = r"^(0|[1-9][0-9]{0,8})$"
_NUMBER = r"^(0|[1-9][0-9]{0,10})(\.[0-9]{1,2})?$"


def _read_all(
    columns: list[Column], cells: list[pl.Series | Distinct]
) -> tuple[list[tuple[Col, np.ndarray]], dict[str, pl.Series]]:
    """Each column's cells (``cells[k]`` for ``columns[k]``, as written, or as their distinct
    texts when those are known): typed values and the cells this reader cannot vouch for; and the
    texts' cells without their ASCII spaces, by name.

    A cell's reading depends on its text alone, and a column of yes/no, options, dates or numbers
    holds few distinct texts: those are read once each (``_distinct``) and their readings handed
    to the rows that hold them. A text column (names, ID numbers: nearly one text a row) is read
    row by row. Columns are stripped and read together, one polars query for the text columns and
    one for each group of columns with alike counts of distinct cells (within a factor of four:
    each is padded to the longest of its group)."""
    coded = {
        k: s if isinstance(s, Distinct) else _distinct(s)
        for k, (c, s) in enumerate(zip(columns, cells, strict=True))
        if c.spec.type != "text"
    }
    by_row = {k: s for k, s in enumerate(cells) if k not in coded}
    read: dict[int, tuple[Col, np.ndarray]] = {}
    texts: dict[str, pl.Series] = {}
    alike: dict[int, dict[int, pl.Series]] = {}  # distinct cells of alike counts: read together
    for k, d in coded.items():
        alike.setdefault(len(d.texts).bit_length() // 2, {})[k] = d.texts
    for group in [*alike.values(), by_row]:
        if not group:
            continue
        found = _query({f"c{k}": (columns[k], s) for k, s in group.items()})
        for k in group:
            name = f"c{k}"
            col, wrong = _read(columns[k], found[name], found, name)
            if k in coded:  # each row takes its distinct cell's reading
                rows = coded[k].places
                exact = None if col.exact is None else col.exact[rows]
                col, wrong = Col(col.type, col.values[rows], col.valid[rows], exact), wrong[rows]
            else:
                texts[columns[k].spec.name] = found[name]
            read[k] = col, wrong
    return [read[k] for k in range(len(columns))], texts


def _distinct(cells: pl.Series) -> Distinct:
    encoded = pc.dictionary_encode(cells.fill_null("").to_arrow(compat_level=pl.CompatLevel.newest()))
    return Distinct(encoded.indices.to_numpy(), pl.Series(encoded.dictionary, dtype=pl.String))


def _query(columns: dict[str, tuple[Column, pl.Series]]) -> pl.DataFrame:
    """Each named column's cells stripped and its ``_reading``, in one polars query; a column
    shorter than the longest (fewer distinct cells) is padded with empty cells, which no row reads."""
    length = max(len(s) for _, s in columns.values())
    frame = pl.DataFrame({n: s.extend_constant("", length - len(s)) for n, (_, s) in columns.items()})
    exprs = [e for name, (column, _) in columns.items() for e in _reading(column, name)]
    stripped = frame.lazy().select(pl.col(n).str.strip_chars(ASCII_SPACE) for n in columns)
    return stripped.select(*columns, *exprs).collect()


def _reading(column: Column, name: str) -> list[pl.Expr]:
    """What ``_read`` needs of a column's text, as expressions named ``{name}.…``."""
    spec, text = column.spec, pl.col(name)
    if limits(column).unknown:
        return []
    if spec.type == "bool":
        assert column.words is not None
        words = {k: int(v) for k, v in column.words.items()}
        mapped = text.str.to_lowercase().replace_strict(words, default=None, return_dtype=pl.Int8)
        return [mapped.alias(f"{name}.mapped")]
    if spec.type == "choice":
        assert column.words is not None
        mapped = text.replace_strict(dict(column.words), default=None, return_dtype=pl.String)
        return [mapped.alias(f"{name}.mapped")]
    if spec.type == "date":
        days = text.str.to_date("%Y-%m-%d", strict=False).cast(pl.Int64)
        return [text.str.contains(_DATE).alias(f"{name}.shaped"), days.alias(f"{name}.days")]
    if spec.type in ("int", "number"):
        shaped = text.str.contains(_INT if spec.type == "int" else _NUMBER)
        value = pl.when(shaped).then(text).otherwise(None)
        value = (
            value.cast(pl.Int64).fill_null(0) if spec.type == "int" else value.cast(pl.Float64).fill_null(0.0)
        )
        return [shaped.alias(f"{name}.shaped"), value.alias(f"{name}.value")]
    return [text.str.len_chars().alias(f"{name}.length")]


def _read(column: Column, text: pl.Series, found: pl.DataFrame, name: str) -> tuple[Col, np.ndarray]:
    """One column's cells: typed values, and the cells this reader cannot vouch for (``found``
    holds the column's ``_reading``)."""
    spec = column.spec
    n = len(text)
    given = _np(text != "")
    col = empty(spec.type, n)
    lim = limits(column)
    if lim.unknown:
        return col, given
    if spec.type in ("bool", "choice"):
        mapped = found[f"{name}.mapped"]
        ok = _np(mapped.is_not_null())
        if spec.type == "bool":
            col.values = _np(mapped.fill_null(0)).astype(bool)
        else:
            col.values = _np(mapped).astype(object)
        col.valid = given & ok
        return col, given & ~ok
    if spec.type == "date":
        days = found[f"{name}.days"]
        ok = _np(found[f"{name}.shaped"]) & _np(days.is_not_null())
        values = _np(days.fill_null(0)) + cal.EPOCH
        ok &= (values >= FIRST_DAY) & (values <= LAST_DAY)
        col.values, col.valid = np.where(ok, values, 0), given & ok
        return col, given & ~ok
    if spec.type == "int":
        ok = _np(found[f"{name}.shaped"])
        values = _np(found[f"{name}.value"])
        if lim.ge is not None:
            ok &= values >= lim.ge
        if lim.le is not None:
            ok &= values <= lim.le
        col.values, col.valid = values, given & ok
        return col, given & ~ok
    if spec.type == "number":
        ok = _np(found[f"{name}.shaped"])
        if (lim.max_digits is not None and lim.max_digits < 13) or (
            lim.decimal_places is not None and lim.decimal_places < 2
        ):
            ok &= False
        if (lim.ge is not None and lim.ge > 0) or lim.le is not None:
            ok &= False
        values = _np(found[f"{name}.value"])
        col.values, col.valid = values, given & ok
        col.exact = np.where(given & ok, _np(text).astype(object), None)
        return col, given & ~ok
    # text
    ok = np.ones(n, dtype=bool)
    if lim.max_length is not None:
        ok &= _np(found[f"{name}.length"] <= lim.max_length)
    if lim.pattern is not None:
        pattern = re.compile(lim.pattern)
        ok &= np.array(
            [not g or pattern.search(t) is not None for t, g in zip(text.to_list(), given, strict=True)]
        )
    col.values = np.where(given, _np(text).astype(object), None)
    col.valid = given & ok
    return col, given & ~ok


def _agree(inputs: dict[str, Col], texts: dict[str, pl.Series], as_of: int, n: int) -> np.ndarray:
    """The models' validators for ``n`` rows: an ID number's checksum, birth date and sex, which
    also fill the birth date and sex when they are not written; a birth after the evaluation date;
    a contract that ends before it starts; a credit code's check character. ``texts``: each text
    input's cells as read (stripped)."""
    bad = np.zeros(n, dtype=bool)
    for name, col in inputs.items():
        if name.endswith(".birth_date"):
            bad |= col.valid & (col.values > as_of)
    for name in list(inputs):
        if not name.endswith(".id_number"):
            continue
        prefix = name.rsplit(".", 1)[0]
        ids = inputs[name]
        given = ids.valid
        ok = given & _np(texts[name].str.contains(r"^[0-9]{17}[0-9X]$"))
        chars = _id_chars(texts[name], ok)
        digits = chars[:, :17].astype(np.int64) - ord("0")
        ok &= np.array([ord(c) for c in CHECK])[digits @ np.array(WEIGHTS) % 11] == chars[:, 17]
        year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
        month, day = digits[:, 10] * 10 + digits[:, 11], digits[:, 12] * 10 + digits[:, 13]
        month_ok = (month >= 1) & (month <= 12)
        first = cal.first_of_month(year * 12 + np.where(month_ok, month, 1) - 1)
        length = cal.month_length(year, np.where(month_ok, month, 1))
        ok &= month_ok & (day >= 1) & (day <= length)
        birth_days = np.where(ok, first + day - 1, 0)
        ok &= (birth_days >= FIRST_DAY) & (birth_days <= as_of)
        male = digits[:, 16] % 2 == 1
        bad |= given & ~ok
        use = given & ok
        birth = inputs.setdefault(f"{prefix}.birth_date", empty("date", n))
        sex = inputs.setdefault(f"{prefix}.sex", empty("choice", n))
        bad |= use & birth.valid & (birth.values != birth_days)
        birth.values = np.where(use & ~birth.valid, birth_days, birth.values)
        birth.valid = birth.valid | use
        sexes = np.where(male, "male", "female")
        bad |= use & sex.valid & (sex.values != sexes)
        sex.values = np.where(use & ~sex.valid, sexes, sex.values).astype(object)
        sex.valid = sex.valid | use
    for name, codes in inputs.items():
        if name.endswith(".credit_code"):  # the pattern held already (``_read``): 18 ASCII characters
            values = CREDIT_VALUE[_id_chars(texts[name], codes.valid)]
            expected = -(values[:, :17] @ np.array(CREDIT_WEIGHTS)) % len(CREDIT_CHARS)
            bad |= codes.valid & (values[:, 17] != expected)
    start, end = inputs.get("hire.contract_start_date"), inputs.get("hire.contract_end_date")
    if start is not None and end is not None:
        bad |= start.valid & end.valid & (end.values < start.values)
    return bad


def _id_chars(text: pl.Series, ok: np.ndarray) -> np.ndarray:
    """The 18 characters of each ID number (or credit code) where ``ok`` (18 ASCII characters: as
    many bytes), read from the Arrow buffer the column's text sits in; a stand-in of 0s elsewhere."""
    out = np.full((len(ok), 18), ord("0"), dtype=np.uint8)
    rows = np.flatnonzero(ok)
    if not len(rows):
        return out
    starts, data = text_buffer(text)
    out[rows] = np.frombuffer(data, dtype=np.uint8)[starts[rows, None] + np.arange(18)]
    return out
