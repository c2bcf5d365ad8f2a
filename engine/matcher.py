"""Compile the rule book to one durable-rules ruleset and match cases against it.

Each condition (and each program's window) becomes one durable-rules rule; a case is asserted as
one fact and the Rete network reports which conditions it matched. Which conditions *failed* is
the complement, and which are *unknown* is decided from the facts the case lacks (a missing field
never matches in durable-rules).

The engine is driven through its C module, without a ``Host``: a Host's timer threads walk states
and segfault when states are deleted (see shared/notes/durable-rules.md). Every call is under one
lock (the C calls do not release the GIL and are not thread-safe), facts carry explicit ids (no
32-bit hash collisions), values are typed before they are asserted (no numeric strings, dates as
day numbers), every state is deleted after use (at most 1024 live states), and ``cap`` delivers
all matches of a rule in one action.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import durable_rules_engine as dre
import orjson

from engine.rulebook import Leaf, ParamRef, Rule, RuleBook

BATCH = 500  # facts per durable-rules state; the measured sweet spot is 100–1000
# In an action's message each matched fact starts with the id it was asserted with first, spaced
# as it was asserted (orjson: none). JSON escapes every quote inside a string, so these sequences
# only ever occur as structure.
_HIT = re.compile(r'\{"m":\{(?:"id": ?(\d+),)?')  # every match; its id when the id comes first
_OPERATORS = {"all", "m", "cap"}
_names = itertools.count()
SEEN = "__seen"
SUBJECTS = ("person", "enterprise")


Matches = frozenset[str]  # the names of the rules a fact matched


def key(fact: str) -> str:
    """durable-rules reads dots as nesting; flatten names so each fact is one property."""
    return fact.replace(".", "__")


def encode(value: Any) -> Any:
    """Type a value as durable-rules must see it: dates as day numbers, decimals as floats."""
    if isinstance(value, date):
        return value.toordinal()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and value and not 1e-4 <= abs(value) < 1e16:
        return _fixed(value)
    return value


def _fixed(value: float) -> orjson.Fragment:
    """A float JSON would write with an exponent (1e-07, 1e+20), written out in full instead.

    durable-rules' number parser crashes the process on an exponent without a decimal point
    (measured with 2.0.28: "1e-07" segfaults, "1.5e-07" and "0.0000001" do not); a layoff rate of
    one person in ten million staff is such a number.
    """
    text = format(Decimal(repr(value)), "f")
    return orjson.Fragment(text if "." in text else text + ".0")


def ref_key(rule: Rule) -> str:
    """The per-program fact holding the date its dated parameters are read at."""
    return key(f"ref.{rule.id}")


def window_id(rule: Rule) -> str:
    return f"{rule.id}/__window"


def _compare(fact: str, op: str, value: Any) -> dict[str, Any]:
    k = key(fact)
    if op == "in":
        return {"$or": [{k: encode(v)} for v in value]}
    ops = {"==": None, "!=": "$neq", ">=": "$gte", "<=": "$lte", ">": "$gt", "<": "$lt"}
    return {k: encode(value)} if ops[op] is None else {ops[op]: {k: encode(value)}}


def _rule(subject: str, *terms: dict[str, Any]) -> dict[str, Any]:
    # The subject term keeps the state's own fact (which has no subject) out of every match.
    return {"all": [{"m": {"$and": [{"subject": subject}, *terms]}}], "cap": BATCH}


def leaf_rule_names(rule: Rule, leaf: Leaf) -> list[tuple[str, date | None, date | None]]:
    """(durable rule name, period start, period end) for each dated value the leaf compares to."""
    if not isinstance(leaf.value, ParamRef):
        return [(f"{rule.id}/{leaf.id}", None, None)]
    periods = rule.parameters[leaf.value.param].periods()
    return [(f"{rule.id}/{leaf.id}@{start}", start, end) for start, end, _ in periods]


def compile_rulebook(book: RuleBook) -> dict[str, Any]:
    """The durable-rules JSON ruleset for every condition and window of every program."""
    # Every fact matches SEEN: deleting a state in which nothing matched corrupts durable-rules'
    # heap (measured: "double free" on the next delete_state), so no state is ever left unmatched.
    out: dict[str, Any] = {SEEN: {"all": [{"m": {"$or": [{"subject": s} for s in SUBJECTS]}}], "cap": BATCH}}
    for rule in book.rules.values():
        if rule.window:
            w = rule.window
            terms = [_compare(w.judged_on, "<=", w.end)]
            if w.start:
                terms.append(_compare(w.judged_on, ">=", w.start))
            out[window_id(rule)] = _rule(rule.subject, *terms)
        for leaf in rule.leaves:
            if leaf.confirm is not None:
                out[f"{rule.id}/{leaf.id}"] = _rule(
                    rule.subject, {key(f"confirm.{rule.confirmation_key(leaf)}"): True}
                )
                continue
            assert leaf.fact is not None
            for name, start, end in leaf_rule_names(rule, leaf):
                if isinstance(leaf.value, ParamRef):
                    value = rule.parameters[leaf.value.param].values[start]  # type: ignore[index]
                    if value is None:
                        continue  # no value in force: the condition stays unknown
                    guard = [_compare(f"ref.{rule.id}", ">=", start)]
                    if end:
                        guard.append(_compare(f"ref.{rule.id}", "<", end))
                    out[name] = _rule(rule.subject, _compare(leaf.fact, leaf.op, value), *guard)
                else:
                    out[name] = _rule(rule.subject, _compare(leaf.fact, leaf.op, leaf.value))
    return out


def fields_read(ruleset: dict[str, Any]) -> frozenset[str]:
    """Every fact property some rule of the ruleset compares: all a case needs to assert."""
    out: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if not k.startswith("$") and k not in _OPERATORS:
                    out.add(k)
                walk(v)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for rule in ruleset.values():
        walk(rule["all"])
    return frozenset(out)


def constants(ruleset: dict[str, Any]) -> dict[str, list[int | float]]:
    """Each property the rules compare only with numbers, and those numbers, sorted: the boundaries
    the differential tests put facts on, beside and between (tests/test_columnar.py, test_foresight.py)."""
    found: dict[str, set[Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k.startswith("$") or k in _OPERATORS:
                    walk(v)
                else:
                    found.setdefault(k, set()).add(v)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for rule in ruleset.values():
        walk(rule["all"])
    numeric = (int, float)
    return {k: sorted(vs) for k, vs in found.items() if all(type(v) in numeric for v in vs)}


def _aliased(node: Any, alias: dict[str, str]) -> Any:
    """The ruleset with every fact property renamed to its alias (rule names and operators kept)."""
    if isinstance(node, dict):
        return {alias.get(k, k): _aliased(v, alias) for k, v in node.items()}
    if isinstance(node, list):
        return [_aliased(item, alias) for item in node]
    return node


def parse_hits(message: str) -> list[tuple[str, list[int]]]:
    """(rule name, indexes of the facts it matched) for one action's message.

    Reading only the ids is several times faster than ``json.loads``, which builds every matched
    fact again; when the message is not shaped as expected (one rule, every fact starting with its
    id) it is parsed in full instead.
    """
    ids = _HIT.findall(message)
    end = message.find('":[')
    one_rule = message.startswith('{"') and message.count('"', 0, end) == 1 and message.rfind('":[') == end
    if one_rule and "" not in ids:
        return [(message[2:end], list(map(int, ids)))]
    return [(name, [m["m"]["id"] for m in matches]) for name, matches in json.loads(message).items()]


class Matcher:
    """One compiled ruleset; ``match`` returns, per fact, the names of the rules it satisfied."""

    def __init__(self, book: RuleBook):
        self._lock = threading.Lock()
        self._sids = itertools.count()
        self.ruleset = compile_rulebook(book)
        self.fields = fields_read(self.ruleset)
        # durable-rules copies a matched fact, property names and all, into every match it reports:
        # inside durable-rules properties go by short aliases, a third of the bytes to write and read.
        self.alias = {name: f"p{i}" for i, name in enumerate(sorted(self.fields))}
        self._handle = dre.create_ruleset(
            f"subsidy{next(_names)}", orjson.dumps(_aliased(self.ruleset, self.alias)).decode()
        )

    def match(self, facts: Sequence[dict[str, Any]]) -> list[Matches]:
        """The rules each fact satisfies, every fact asserted in durable-rules."""
        matched: list[set[str]] = [set() for _ in facts]
        for offset in range(0, len(facts), BATCH):
            chunk = facts[offset : offset + BATCH]
            for name, indexes in self._match_chunk(chunk):
                for index in indexes:
                    matched[offset + index].add(name)
        return [frozenset(names) for names in matched]

    def _match_chunk(self, chunk: Sequence[dict[str, Any]]) -> Iterable[tuple[str, list[int]]]:
        with self._lock:
            sid = f"s{next(self._sids)}"
            alias = self.alias
            payload = [
                {"id": i, "sid": sid, **{alias[k]: v for k, v in f.items() if k in alias}}
                for i, f in enumerate(chunk)
            ]
            hits: list[tuple[str, list[int]]] = []
            try:
                # orjson: the same JSON as json.dumps in a tenth of the time, a tenth of a batch row's cost
                result = dre.assert_facts(self._handle, orjson.dumps(payload).decode())
                state = result[1]
                action = dre.start_action_for_state(self._handle, state)
                message = action[1] if action else None
                while message:
                    hits += parse_hits(message)
                    message = dre.complete_and_start_action(self._handle, state)
            finally:
                dre.delete_state(self._handle, sid)
            return hits
