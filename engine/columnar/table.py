"""A block of cases of one subject as columns: each input fact an array and a validity mask.

Derived facts (ages, month counts, retirement dates, rates) are computed on whole arrays by the
vectorised twins of the scalar functions (engine/columnar/cal.py); a derivation with no twin (the
district settings) is computed by its own scalar function once per distinct combination of its
inputs. ``facts(i)`` gives row ``i`` exactly as ``engine.facts.case_facts`` does, for the work that
is done once per distinct combination by the per-case code itself (engine/columnar/judge.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from engine import calendar
from engine import facts as F
from engine.columnar import cal
from engine.districts import DistrictBook
from engine.facts import ENGINE_INPUTS, FACTS, derivation

KINDS = ("date", "int", "bool", "number", "choice", "text")


@dataclass
class Col:
    """One fact's values: day numbers (date), int64, bool, float64 (number, as durable-rules
    compares it) or objects (choice, text: the str); ``valid`` is False where the fact is unknown.
    ``exact`` holds a number's Decimal where the case model keeps one."""

    type: str
    values: np.ndarray
    valid: np.ndarray
    exact: np.ndarray | None = None
    _codes: np.ndarray | None = field(default=None, repr=False, compare=False)

    def python(self, i: int) -> Any:
        if not self.valid[i]:
            return None
        v = self.values[i]
        if self.type == "date":
            return date.fromordinal(int(v))
        if self.type == "bool":
            return bool(v)
        if self.type == "int":
            return int(v)
        if self.type == "number":
            return self.exact[i] if self.exact is not None else float(v)
        return v

    def codes(self) -> np.ndarray:
        """Non-negative int64 codes, equal exactly where the values are (0: unknown); worked out
        once per column (a column is never changed once made)."""
        if self._codes is None:
            self._codes = self._coded()
        return self._codes

    def _coded(self) -> np.ndarray:
        if self.type in ("choice", "text"):
            text = np.where(self.valid, self.values, "").astype(str)
            _, inverse = np.unique(text, return_inverse=True)
            return np.where(self.valid, inverse.astype(np.int64) + 1, 0)
        if self.type == "number":
            _, inverse = np.unique(np.where(self.valid, self.values, 0.0), return_inverse=True)
            return np.where(self.valid, inverse.astype(np.int64) + 1, 0)
        v = self.values.astype(np.int64)
        lo = int(v[self.valid].min()) if self.valid.any() else 0
        return np.where(self.valid, v - lo + 1, 0)


def empty(type_: str, n: int) -> Col:
    dtype = {"date": np.int64, "int": np.int64, "bool": bool, "number": np.float64}.get(type_, object)
    return Col(type_, np.zeros(n, dtype=dtype), np.zeros(n, dtype=bool))


def input_names(subject: str) -> list[str]:
    """The input facts a case of ``subject`` states (what ``case_facts`` flattens from the models)."""
    return [
        n for n, s in FACTS.items() if subject in s.subjects and not s.derived_from and n not in ENGINE_INPUTS
    ]


@dataclass
class Table:
    subject: str
    n: int
    as_of: date
    settings: DistrictBook
    cols: dict[str, Col]  # every input fact of the subject, then every derived one
    confirmations: dict[str, np.ndarray] = field(default_factory=dict)  # key → int8: -1 unset, 0, 1
    _rows: dict[int, RowFacts] = field(default_factory=dict)
    # work the programs judging this table share (engine/columnar/judge.py: the days a condition
    # changes on, the answers its unknowns could take), kept with the rows it was worked out for
    memo: dict[Any, Any] = field(default_factory=dict)

    def facts(self, i: int) -> RowFacts:
        """Row ``i``'s facts as ``case_facts`` gives them, each worked out when first read (the
        per-case code reads a few of them once per distinct combination)."""
        found = self._rows.get(i)
        if found is None:
            found = self._rows[i] = RowFacts(self, i)
        return found

    def confirmed(self, i: int) -> dict[str, bool]:
        return {k: bool(v[i]) for k, v in self.confirmations.items() if v[i] >= 0}

    def take(self, rows: np.ndarray) -> Table:
        """The same facts for ``rows`` only (each column taken when first read)."""
        cols = _Taken(self.cols, rows)
        confirmed = {k: v[rows] for k, v in self.confirmations.items()}
        return Table(self.subject, len(rows), self.as_of, self.settings, cols, confirmed)

    def answered(self, inputs: dict[str, Any], facts: tuple[str, ...] | None = None) -> Table:
        """The same facts had the applicant answered ``inputs`` (``facts.with_inputs``); given
        ``facts``, only they and what they are derived from are worked out again (as
        ``timeline.answered`` does), the other derived facts keep today's values."""
        cols = _copy(self.cols)
        for name, value in inputs.items():
            c = empty(FACTS[name].type, self.n)
            c.values[:] = _store(c.type, value)
            c.valid[:] = value is not None
            cols[name] = c
        table = Table(self.subject, self.n, self.as_of, self.settings, cols, self.confirmations)
        moved = [s for s in F.derivations(self.subject) if set(inputs) & set(F.depends_on(s[0]))]
        if facts is not None:
            names = F.reading(self.subject, facts, timed=False)[0]
            moved = [s for s in moved if s[0] in names]
        derive_columns(table, cols["case.as_of"].values, moved)
        return table

    def moving(self, facts: tuple[str, ...]) -> Moving:
        """``facts`` ready to be read on other evaluation dates (``Moving.on``)."""
        steps = F.reading(self.subject, facts)[1]
        made = {step[0] for step in steps}
        reads = dict.fromkeys([*(i for step in steps for i in step[2]), *facts])
        fixed = {n: self.cols[n] for n in reads if n not in made and n not in ENGINE_INPUTS}
        return Moving(self.subject, self.as_of, self.settings, fixed, steps)

    def inputs_of(self, names: list[str] | tuple[str, ...]) -> list[str]:
        """The input facts the given facts are computed from (themselves when they are inputs)."""
        out: list[str] = []
        for name in names:
            for n in derivation(name):
                if not FACTS[n].derived_from and n not in ENGINE_INPUTS and n not in out:
                    out.append(n)
        return out


@dataclass
class Moving:
    """Some facts of a table's rows on other evaluation dates (``facts.on_day``), asked for many
    days (each candidate day and bisection step of engine/columnar/judge.py's timeline): only the
    steps of their derivations that read the date are worked out, from the columns those steps
    read that do not move with it (a retirement date, a birth date), read once."""

    subject: str
    as_of: date
    settings: DistrictBook
    fixed: dict[str, Col]  # what the steps read that does not move, and the facts that do not
    steps: list  # the derivation steps that read the date

    def on(self, rows: np.ndarray, days: np.ndarray) -> Table:
        """The facts (and the evaluation date) of ``rows`` on ``days``, one per row."""
        cols = {name: _take(c, rows) for name, c in self.fixed.items()}
        table = Table(self.subject, len(rows), self.as_of, self.settings, cols)
        derive_columns(table, days, self.steps)
        return table


class RowFacts(Mapping[str, Any]):
    """One row's facts: inputs read from the table's columns, derived facts worked out by their
    scalar functions from those (as ``facts.derive`` does), each when first read."""

    def __init__(self, table: Table, i: int):
        self._table, self._i = table, i
        self._known: dict[str, Any] = {
            "case.as_of": date.fromordinal(int(table.cols["case.as_of"].values[i])),
            "district.settings": table.settings,
        }

    def __getitem__(self, name: str) -> Any:
        known = self._known
        if name in known:
            return known[name]
        step = F.derivation_step(self._table.subject, name)
        if step is not None:
            value = F.derived(step, self.get)
        elif name in FACTS and self._table.subject in FACTS[name].subjects:
            col = self._table.cols.get(name)
            value = col.python(self._i) if col is not None else None
        else:
            raise KeyError(name)
        known[name] = value
        return value

    def __iter__(self) -> Iterator[str]:
        return iter([n for n, s in FACTS.items() if self._table.subject in s.subjects])

    def __len__(self) -> int:
        return sum(1 for _ in self)


def build(
    subject: str, n: int, as_of: date, settings: DistrictBook, inputs: dict[str, Col], confirmations: dict
) -> Table:
    cols = {name: inputs.get(name) or empty(FACTS[name].type, n) for name in input_names(subject)}
    table = Table(subject, n, as_of, settings, cols, confirmations)
    derive_columns(table)
    return table


class _Taken(dict):
    """Another table's columns for some of its rows, each taken when first read."""

    def __init__(self, source: dict[str, Col], rows: np.ndarray):
        super().__init__()
        self._source, self._rows = source, rows

    def __missing__(self, name: str) -> Col:
        found = self[name] = _take(self._source[name], self._rows)
        return found

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or name in self._source

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[name] if name in self else default  # noqa: SIM401 (dict.get skips __missing__)


def _copy(cols: dict[str, Col]) -> dict[str, Col]:
    if isinstance(cols, _Taken):
        out = _Taken(cols._source, cols._rows)
        out.update(dict(cols.items()))
        return out
    return dict(cols)


def _take(c: Col, rows: np.ndarray) -> Col:
    return Col(c.type, c.values[rows], c.valid[rows], None if c.exact is None else c.exact[rows])


def derive_columns(table: Table, as_of: np.ndarray | None = None, steps: list | None = None) -> None:
    """The derived facts of the table's subject (all, or ``steps``), in ``facts.DERIVED``'s order,
    on the evaluation date (or on one day per row)."""
    cols, n = table.cols, table.n
    if as_of is None:
        as_of = np.full(n, table.as_of.toordinal(), dtype=np.int64)
    cols["case.as_of"] = Col("date", as_of, np.ones(n, bool))
    if "district.settings" not in cols:  # given by the engine, never unknown
        cols["district.settings"] = Col("text", np.full(n, None, dtype=object), np.ones(n, bool))
    for name, fn, inputs, required in F.derivations(table.subject) if steps is None else steps:
        spec = FACTS[name]
        args = [cols[i] for i in inputs if i != "district.settings"]
        valid = np.ones(n, dtype=bool)
        for i, a in zip([i for i in inputs if i != "district.settings"], args, strict=True):
            if required is None or i in required:
                valid &= a.valid
        vec = _VECTOR.get(fn)
        if vec is not None:
            values, ok = vec(*args)
            cols[name] = Col(spec.type, values, valid & ok)
        else:
            cols[name] = _distinct(table, spec.type, fn, inputs, valid)


def _distinct(table: Table, type_: str, fn: Any, inputs: tuple[str, ...], valid: np.ndarray) -> Col:
    """A derivation with no vectorised twin: its scalar function, once per distinct input."""
    out = empty(type_, table.n)
    if not valid.any():
        return out
    args = [table.cols[i] for i in inputs if i != "district.settings"]
    rows = np.flatnonzero(valid)
    inverse, firsts = groups([a.codes()[rows] for a in args])
    values, ok = [], []
    for first in firsts:
        i = rows[first]
        call = [
            table.settings if name == "district.settings" else _python(table.cols[name], i) for name in inputs
        ]
        try:
            v = fn(*call)
        except (OverflowError, ValueError):
            v = None
        values.append(v)
        ok.append(v is not None)
    got = np.array([_store(type_, v) for v in values], dtype=out.values.dtype)
    out.values[rows] = got[inverse]
    out.valid[rows] = np.array(ok, dtype=bool)[inverse]
    return out


def _python(c: Col, i: int) -> Any:
    return c.python(i)


def _store(type_: str, v: Any) -> Any:
    if v is None:
        return 0 if type_ in ("date", "int", "bool", "number") else None
    if type_ == "date":
        return v.toordinal()
    if type_ == "number":
        return float(v)
    return v


def _years(a: Col, b: Col) -> tuple[np.ndarray, np.ndarray]:
    return cal.full_years(a.values, b.values), np.ones(len(a.values), bool)


def _months(a: Col, b: Col) -> tuple[np.ndarray, np.ndarray]:
    return cal.full_months(a.values, b.values), np.ones(len(a.values), bool)


def _days(a: Col, b: Col) -> tuple[np.ndarray, np.ndarray]:
    return b.values - a.values, np.ones(len(a.values), bool)


def _retirement(birth: Col, group: Col) -> tuple[np.ndarray, np.ndarray]:
    safe = np.where(birth.valid, birth.values, date(2000, 1, 1).toordinal())
    return cal.retirement_date(group.values, safe)


def _group(sex: Col, post: Col) -> tuple[np.ndarray, np.ndarray]:
    """``retirement_group_of`` once per distinct (sex, post) of the rows whose sex is known (a post
    not given is None), found by comparing whole columns with each distinct value in turn."""
    values = np.full(len(sex.values), None, dtype=object)
    ok = np.zeros(len(sex.values), dtype=bool)
    for rows in _distinct_rows(sex.values, np.flatnonzero(sex.valid)):
        given = post.valid[rows]
        for part, known in ((rows[given], True), (rows[~given], False)):
            for same in _distinct_rows(post.values, part) if known else ([part] if len(part) else []):
                g = F.retirement_group_of(sex.values[same[0]], post.values[same[0]] if known else None)
                if g is not None:
                    values[same] = g
                    ok[same] = True
    return values, ok


def _distinct_rows(values: np.ndarray, rows: np.ndarray) -> Iterator[np.ndarray]:
    """``rows`` split by equal ``values`` (a few distinct ones: one comparison of the rest each)."""
    while len(rows):
        same = np.asarray(values[rows] == values[rows[0]], dtype=bool)
        same[0] = True  # a value unequal to itself is a group of its own
        yield rows[same]
        rows = rows[~same]


def _percent(part: Col, whole: Col) -> tuple[np.ndarray, np.ndarray]:
    ok = whole.values != 0
    with np.errstate(all="ignore"):
        values = (100 * part.values).astype(np.float64) / np.where(ok, whole.values, 1).astype(np.float64)
    return values, ok


def _contract(start: Col, end: Col) -> tuple[np.ndarray, np.ndarray]:
    ok = end.values < cal.MAX_ORDINAL
    return cal.full_months(start.values, np.where(ok, end.values + 1, end.values)), ok


_VECTOR = {
    calendar.age_on: _years,
    calendar.full_years: _years,
    calendar.full_months: _months,
    calendar.full_days: _days,
    F.retirement_day: _retirement,
    F.retirement_group_of: _group,
    F.percent: _percent,
    F.contract_months: _contract,
}


def groups(codes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Rows grouped by equal codes in every array: each row's group, and each group's first row
    (groups in the order of their codes, as ``np.unique`` numbers them)."""
    n = len(codes[0]) if codes else 0
    key = np.zeros(n, dtype=np.int64)
    for c in codes:
        radix = int(c.max()) + 1 if n else 1
        if n and (int(key.max()) + 1) * radix >= 1 << 62:
            key = _factorize(key)[0]
        key = key * radix + c
    return _factorize(key)


def _factorize(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True, return_index=True)``'s inverse and first rows. Codes
    span a small range (a few values per condition): counted in one pass instead of sorted."""
    n = len(key)
    if n and int(key.min()) >= 0 and (top := int(key.max())) < 4 * n + (1 << 16):
        present = np.zeros(top + 1, dtype=bool)
        present[key] = True
        numbers = np.cumsum(present) - 1
        inverse = numbers[key]
        firsts = np.full(int(numbers[-1]) + 1, n, dtype=np.int64)
        np.minimum.at(firsts, inverse, np.arange(n, dtype=np.int64))
        return inverse, firsts
    _, firsts, inverse = np.unique(key, return_index=True, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), firsts


def column(type_: str, values: list[Any]) -> Col:
    """A column from Python values as the case models hold them (None: unknown)."""
    col = empty(type_, len(values))
    valid = np.array([v is not None for v in values], dtype=bool)
    col.valid = valid
    if type_ == "number":
        col.exact = np.array(values, dtype=object)
    for i, v in enumerate(values):
        if v is not None:
            col.values[i] = _store(type_, v)
    return col


def from_facts(
    subject: str,
    rows: list[dict[str, Any]],
    confirmations: list[dict[str, bool]],
    as_of: date,
    settings: DistrictBook,
) -> Table:
    """A table of cases given as ``case_facts`` dicts (tests, and rows validated one by one)."""
    inputs = {name: column(FACTS[name].type, [r.get(name) for r in rows]) for name in input_names(subject)}
    keys = {k for c in confirmations for k in c}
    confirmed = {
        k: np.array([-1 if c.get(k) is None else int(c[k]) for c in confirmations], dtype=np.int8)
        for k in keys
    }
    return build(subject, len(rows), as_of, settings, inputs, confirmed)
