"""CSV columns as case facts: headers are the form's Chinese labels or the English dotted names.

A registry row becomes the same nested case dict a JSON case file holds, and is validated by the
same pydantic models, so a row is accepted exactly when the equivalent case file would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from pydantic import ValidationError

from engine.batch.reader import FileError, readable
from engine.errors import describe
from engine.facts import FactSpec
from engine.labels import FALSE, TRUE, UnknownLabel, fact_by_label, input_facts, parse_value
from engine.models import EnterpriseCase, PersonCase, parse_case
from engine.text import CHOICES
from engine.values import Words, visible

SUBJECTS = ("person", "enterprise")
SUBJECT_ZH = {"person": "个人", "enterprise": "单位"}
CASE_ID = ("案件编号", "case_id")
KIND = ("类型", "kind")
KINDS = {
    "个人": "person",
    "person": "person",
    "单位": "enterprise",
    "企业": "enterprise",
    "enterprise": "enterprise",
}
CONFIRM = "confirm."  # a caseworker's confirmation: confirm.<program>.<condition>, 是/否
APPLIED = ("申请项目", "applied_for")  # what the row applies for: program ids or titles
APPLIED_SEPARATORS = "、,，;； \t"

Problem = tuple[str, str]  # (column, reason: ``Words``, Chinese with its English beside it)
Cell = tuple[int, tuple[str, ...], str, dict[str, Any] | None, bool, FactSpec]  # see Columns.cells


@dataclass(frozen=True)
class Column:
    """A fact's column, with what reading a cell needs worked out once for the whole file."""

    index: int
    spec: FactSpec
    path: tuple[str, ...]  # the nested case dict's keys down to the field, e.g. ("hire", "person")
    field: str
    words: dict[str, Any] | None  # yes/no and option words: written form (bool: lowercased) → value


def _column(index: int, spec: FactSpec) -> Column:
    *path, name = spec.name.split(".")
    words: dict[str, Any] | None = None
    if spec.type == "bool":
        words = dict.fromkeys(TRUE, True) | dict.fromkeys(FALSE, False)
    elif spec.type == "choice":
        words = {v: v for v in spec.choices} | {CHOICES[v][0]: v for v in spec.choices if v in CHOICES}
    return Column(index, spec, tuple(path), name, words)


@dataclass
class Columns:
    """Which column holds what, for each kind of case a row may be."""

    headers: list[str]
    default_kind: str
    case_id: int | None = None
    kind: int | None = None
    applied: int | None = None  # the 申请项目 column
    # every way a program may be named (id, Chinese or English title) → (id, subject)
    programs: dict[str, tuple[str, str]] = field(default_factory=dict)
    facts: dict[str, list[Column]] = field(default_factory=dict)
    foreign: dict[str, list[int]] = field(default_factory=dict)  # columns that are no fact of a kind
    confirmations: list[tuple[int, str]] = field(default_factory=list)
    header_of: dict[str, str] = field(default_factory=dict)  # fact name → its column's header
    # Columns no rule reads that people match rows by (names, ID numbers, credit codes): carried into
    # the results as written, in their input order.
    carried: list[int] = field(default_factory=list)

    @property
    def subjects(self) -> tuple[str, ...]:
        """The kinds of case a row may be: both with a 类型 column, else the default kind only."""
        return SUBJECTS if self.kind is not None else (self.default_kind,)

    @property
    def carried_headers(self) -> list[str]:
        return [self.headers[i] for i in self.carried]

    def carried_cells(self, fields: list[str]) -> list[str]:
        return [readable(fields[i].strip()) for i in self.carried]

    @cached_property
    def cells(self) -> dict[str, list[Cell]]:
        """Per kind, each fact column as what reading a cell takes: (index, path, field, words,
        lowercase the words?, spec); a registry has millions of rows."""
        return {
            kind: [(c.index, c.path, c.field, c.words, c.spec.type == "bool", c.spec) for c in columns]
            for kind, columns in self.facts.items()
        }

    def applied_for(self, text: str, subject: str) -> tuple[tuple[str, ...], Words | None]:
        """A 申请项目 cell's programs (ids, in order, once each), or why the cell is bad.

        Programs are separated by 、 , ; or spaces; a title that holds one of them itself
        (纳入低保、临时救助等社会救助) is read whole, the longest name first."""
        ids: list[str] = []
        unknown: list[str] = []
        other: list[str] = []
        other_en: list[str] = []
        names = sorted(self.programs, key=len, reverse=True)
        i, text = 0, text.strip()
        while i < len(text):
            if text[i] in APPLIED_SEPARATORS:
                i += 1
                continue
            found = next(
                (
                    n
                    for n in names
                    if text.startswith(n, i)
                    and (i + len(n) == len(text) or text[i + len(n)] in APPLIED_SEPARATORS)
                ),
                None,
            )
            if found is None:
                end = min([text.find(c, i) for c in APPLIED_SEPARATORS if c in text[i:]] or [len(text)])
                unknown.append(text[i:end])
                i = end
                continue
            program, theirs = self.programs[found]
            if theirs != subject:
                other.append(f"{found}（{SUBJECT_ZH[theirs]}的项目）")
                other_en.append(f'"{found}" ({theirs})')
            elif program not in ids:
                ids.append(program)
            i += len(found)
        if unknown:
            named = "、".join(map(visible, unknown))
            quoted = ", ".join('"' + visible(u) + '"' for u in unknown)
            return (), Words(
                f"没有这个项目：{named}（项目ID或名称，用 subsidy rules 查看全部项目）",
                f"no such program: {quoted} (an id or a title: see subsidy rules)",
            )
        if other:
            return (), Words(
                f"{'、'.join(other)}不能由{SUBJECT_ZH[subject]}案件申请",
                f"{', '.join(other_en)}: not a program a {subject} case applies for",
            )
        return tuple(ids), None

    def case_id_of(self, fields: list[str]) -> str:
        if self.case_id is None or self.case_id >= len(fields):
            return ""
        return visible(readable(fields[self.case_id].strip()))


def known_headers(subjects: tuple[str, ...]) -> str:
    """The headers a file may use, for the error that refuses an unknown one."""
    parts = [f"{'/'.join(CASE_ID)}、{'/'.join(KIND)}"]
    parts += [f"{SUBJECT_ZH[s]}案件：{'、'.join(spec.zh for spec in input_facts(s))}" for s in subjects]
    return "；".join(parts) + "（也可用英文字段名，如 person.birth_date）"


def book_columns(
    headers: list[str],
    default_kind: str,
    book: Any,
    carry: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
) -> Columns:
    """``map_columns`` for a run of ``book``'s rules: its confirmations and its programs' names."""
    return map_columns(headers, default_kind, book.confirmation_keys(), carry, ignore, program_names(book))


def program_names(book: Any) -> dict[str, tuple[str, str]]:
    """Every way a 申请项目 cell may name a program of ``book``: its id, its Chinese and English
    titles (engine/applications.py ``find_program`` reads the same three)."""
    names: dict[str, tuple[str, str]] = {}
    for rule in book.rules.values():
        for name in (rule.title.en, rule.title.zh, rule.id):
            names[name] = (rule.id, rule.subject)
    return names


def map_columns(
    headers: list[str],
    default_kind: str,
    confirmation_keys: set[str],
    carry: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    programs: dict[str, tuple[str, str]] | None = None,
) -> Columns:
    """Resolve every header once; an unknown or repeated header refuses the whole file, unless it
    is named in ``carry`` (written into the results as it is) or ``ignore`` (left out)."""
    absent = [h for h in (*carry, *ignore) if h not in headers]
    if absent:
        raise FileError(
            f"--carry/--ignore 指定的列不在文件中：{'、'.join(absent)}",
            f"--carry/--ignore name columns the file does not have: {', '.join(absent)}",
        )
    cols = Columns(headers, default_kind, programs=dict(programs or {}))
    roles = {
        name: role
        for role, names in (("case_id", CASE_ID), ("kind", KIND), ("applied", APPLIED if programs else ()))
        for name in names
    }
    subjects = SUBJECTS if any(h in KIND for h in headers) else (default_kind,)
    cols.facts = {s: [] for s in SUBJECTS}
    cols.foreign = {s: [] for s in SUBJECTS}
    unknown, seen = [], {}
    for i, header in enumerate(headers):
        if header in roles:
            where = roles[header]
            if getattr(cols, where) is not None:
                raise FileError(
                    f"列名重复：“{header}”（第{i + 1}列）",
                    f"A repeated column name: “{header}” (column {i + 1})",
                )
            setattr(cols, where, i)
            if where == "applied":
                cols.carried.append(i)  # shown in the results as written, beside what it decided
            continue
        if header.startswith(CONFIRM) and header[len(CONFIRM) :] in confirmation_keys:
            cols.confirmations.append((i, header[len(CONFIRM) :]))
            continue
        if header in ignore:
            continue
        if header in carry and not any(_is_fact(header, s) for s in SUBJECTS):
            cols.carried.append(i)
            continue
        found = False
        for subject in SUBJECTS:
            try:
                spec = fact_by_label(header, subject) if header else None
            except UnknownLabel:
                spec = None
            if spec is None:
                cols.foreign[subject].append(i)
                continue
            found = found or subject in subjects
            if (subject, spec.name) in seen:
                first = seen[subject, spec.name] + 1
                raise FileError(
                    f"第{first}列和第{i + 1}列是同一个字段“{spec.zh}”",
                    f"Columns {first} and {i + 1} are the same field, “{spec.zh}” ({spec.name})",
                )
            seen[subject, spec.name] = i
            cols.facts[subject].append(_column(i, spec))
            cols.header_of[spec.name] = header
            if (spec.type == "text" or header in carry) and i not in cols.carried:
                cols.carried.append(i)
        if header and not found:
            unknown.append(header)
    if unknown:
        raise UnknownColumns(unknown, subjects)
    cols.carried.sort()  # in their input order
    return cols


NAMED = 10  # unknown columns named in the refusal; more are counted, not listed


class UnknownColumns(FileError):
    """Columns that are no fact, case number, kind or confirmation refuse the file: the first few
    named (a file of thousands of columns would make a line no one reads), with ``advice``, what
    the reader can do about them (Chinese, English). The command's advice is its --carry/--ignore;
    a caller without them (the desk's upload form) gives its own (``advised``)."""

    def __init__(
        self, columns: list[str], subjects: tuple[str, ...], advice: tuple[str, str] | None = None
    ) -> None:
        self.columns, self.subjects, self.advice = columns, subjects, advice
        more = len(columns) - NAMED
        if more > 0:
            listed = f"{'、'.join(columns[:NAMED])}等 {len(columns):,} 列"
            listed_en = f"{', '.join(columns[:NAMED])} and {more:,} more"
        else:
            listed, listed_en = "、".join(columns), ", ".join(columns)
        zh, en = advice or _command_advice(columns)
        super().__init__(
            f"不认识的列名：{listed}。{zh}。可用的列名有：{known_headers(subjects)}",
            f"Unknown columns: {listed_en}. {en}",
        )

    def __reduce__(self) -> tuple[Any, ...]:  # pickled by its parts, not by its words
        return UnknownColumns, (self.columns, self.subjects, self.advice)

    def advised(self, zh: str, en: str) -> UnknownColumns:
        """The same refusal with other advice."""
        return UnknownColumns(self.columns, self.subjects, (zh, en))


def _command_advice(columns: list[str]) -> tuple[str, str]:
    """The command's way to take unknown columns: --carry or --ignore, naming them when they are
    few."""
    if len(columns) > NAMED:
        return (
            "要原样带入结果或忽略，用 --carry 或 --ignore 列出它们（逗号分隔）",
            "To carry them into the results as they are or leave them out, name them in --carry or "
            "--ignore. `subsidy schema --input` lists the columns a registry may have",
        )
    names = ",".join(columns)
    return (
        f"要原样带入结果，加 --carry {names}；要忽略，加 --ignore {names}",
        f"To carry them into the results as they are, add --carry {names}; to leave them out, "
        f"--ignore {names}. `subsidy schema --input` lists the columns a registry may have",
    )


def _is_fact(header: str, subject: str) -> bool:
    try:
        return bool(header) and fact_by_label(header, subject) is not None
    except UnknownLabel:
        return False


def row_case(
    cols: Columns, fields: list[str], as_of: date | None = None
) -> tuple[PersonCase | EnterpriseCase | None, list[Problem]]:
    """The validated case of one row, or the problems that refuse it (every one, not the first).

    ``as_of`` is the run's evaluation date: a row that cannot be true on it (born later) is refused.
    """
    kind = cols.default_kind
    problems: list[Problem] = []
    if cols.kind is not None and (written := fields[cols.kind].strip()):
        kind = KINDS.get(written) or KINDS.get(written.lower(), "")
        if not kind:
            return None, [
                (
                    cols.headers[cols.kind],
                    Words(
                        f"案件类型应为“个人”或“单位”，而不是“{written}”",
                        f'the kind is person or enterprise, not "{written}"',
                    ),
                )
            ]
    data: dict[str, Any] = {"kind": kind}
    if cols.case_id is not None:
        data["case_id"] = fields[cols.case_id]
    for index, path, name, words, lower, spec in cols.cells[kind]:
        text = fields[index]
        if not text or text.isspace():
            continue
        value: Any = text.strip()  # dates, numbers, text: pydantic reads them
        if words is not None:
            value = words.get(value.lower() if lower else value)
            if value is None:
                try:
                    value = parse_value(spec, text)  # refuses in the form's own words
                except ValueError as err:
                    problems.append((cols.headers[index], err.args[0]))
                    continue
        node = data
        for key in path:
            node = node.setdefault(key, {})
        node[name] = value
    if cols.applied is not None and (written := fields[cols.applied].strip()):
        ids, problem = cols.applied_for(written, kind)
        if problem is not None:
            problems.append((cols.headers[cols.applied], problem))
        else:
            data["applied_for"] = list(ids)
    for i in cols.foreign[kind]:
        if fields[i].strip():
            header = cols.headers[i] or Words(f"第{i + 1}列（没有列名）", f"column {i + 1} (no header)")
            problems.append(
                (
                    header,
                    Words(
                        f"不是{SUBJECT_ZH[kind]}案件的字段，{SUBJECT_ZH[kind]}案件此列应留空",
                        f"no field of a {kind} case: leave it empty for a {kind} case",
                    ),
                )
            )
    for i, key in cols.confirmations:
        try:
            value = parse_value(_CONFIRM, fields[i])
        except ValueError as err:
            problems.append((cols.headers[i], err.args[0]))
            continue
        if value is not None:
            data.setdefault("confirmations", {})[key] = value
    try:
        case = parse_case(data, as_of)
    except ValidationError as err:
        for e in describe(err):
            column = cols.header_of.get(e.field) or e.label
            if e.field == "case_id" and cols.case_id is not None:
                column = cols.headers[cols.case_id]
            problems.append((column, e.words))
        return None, problems
    return (None, problems) if problems else (case, [])


_CONFIRM = FactSpec(
    "confirm", "bool", "经办人确认", "Caseworker's confirmation", "", ("person", "enterprise")
)
