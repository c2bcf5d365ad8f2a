"""The mutation check: do the feature files notice when a rule file says something else?

Each mutant changes one thing in one rule file: a threshold ±1, 以上 ↔ 超过 (>= ↔ >, <= ↔ <),
是 ↔ 否 (a yes/no condition's expected answer), a window bound or a date ±1 day, the date a
window is judged on, one condition dropped, the lead unit, a trigger (``period_ended``) that holds
on the period's last day itself, an entitlement's end dropped or a day late. The features of that
rule's task run against the altered rules (``SUBSIDY_RULES_DIR``); a mutant every scenario still
passes is alive: the specification does not pin what it changed.

    python scripts/mutate_rules.py                 # every mutant (a few minutes on 2 cores)
    python scripts/mutate_rules.py --sample 40     # a seeded sample (CI)
    python scripts/mutate_rules.py --rule task23   # one rule's mutants

Exit code 1 when a mutant lives; each is listed with what it changed.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
FEATURES = ROOT / "features"
FLIP = {">=": ">", ">": ">=", "<=": "<", "<": "<="}


@dataclass(frozen=True)
class Mutant:
    file: str  # the rule file's name
    what: str  # what changed, for the report
    data: dict[str, Any]  # the whole rule, changed


def _leaves(node: dict[str, Any], path: str) -> Iterator[tuple[dict[str, Any], list[Any], int, str]]:
    """Every condition with the list that holds it, its index there and a readable path."""
    for mode in ("all", "any"):
        for i, child in enumerate(node.get(mode) or []):
            where = f"{path}.{child.get('id', i)}"
            yield child, node[mode], i, where
            yield from _leaves(child, where)


def _dates_read(rule: dict[str, Any]) -> list[str]:
    """Date facts the rule names anywhere (the candidates a window could wrongly be judged on)."""
    from engine.facts import FACTS

    text = yaml.safe_dump(rule, allow_unicode=True)
    return sorted(
        n for n, s in FACTS.items() if s.type == "date" and s.name in text and rule["subject"] in s.subjects
    )


def mutants(name: str, rule: dict[str, Any]) -> Iterator[Mutant]:
    def changed(what: str, edit: Any) -> Mutant:
        data = copy.deepcopy(rule)
        edit(data)
        return Mutant(name, what, data)

    for leaf, _, _, where in list(_leaves(rule["conditions"], "conditions")):
        value, op = leaf.get("value"), leaf.get("op", "==")
        path = where.split(".")[1:]

        def at(data: dict[str, Any], path: list[str] = path) -> dict[str, Any]:
            node = data["conditions"]
            for part in path:
                node = next(c for mode in ("all", "any") for c in node.get(mode) or [] if c.get("id") == part)
            return node

        if value is None:
            pass
        elif isinstance(value, bool):  # 是 ↔ 否: the condition holds where it failed, fails where it held
            yield changed(
                f"{where}: {value} → {not value}", lambda d, at=at, v=not value: at(d).update(value=v)
            )
        elif isinstance(value, int | float):
            for step in (-1, 1):
                yield changed(
                    f"{where}: {value} → {value + step}",
                    lambda d, at=at, v=value + step: at(d).update(value=v),
                )
        elif isinstance(value, date):
            for step in (-1, 1):
                day = value + timedelta(days=step)
                yield changed(f"{where}: {value} → {day}", lambda d, at=at, v=day: at(d).update(value=v))
        if op in FLIP:
            yield changed(f"{where}: {op} → {FLIP[op]}", lambda d, at=at, o=FLIP[op]: at(d).update(op=o))
        if leaf.get("period_ended"):  # 期满 counted wrongly: holding on the period's last day itself

            def on_last_day(data: dict[str, Any], at: Any = at, last: str = leaf["period_ended"]) -> None:
                from engine.facts import days_since

                node = at(data)
                del node["period_ended"]
                node.update(fact=days_since(last), op=">=", value=0)

            yield changed(f"{where}: period_ended → holds on its last day", on_last_day)

    for _leaf, siblings, i, where in list(_leaves(rule["conditions"], "conditions")):
        if len(siblings) > 1:
            path = where.split(".")[1:-1]

            def drop(data: dict[str, Any], path: list[str] = path, i: int = i) -> None:
                node = data["conditions"]
                for part in path:
                    node = next(
                        c for mode in ("all", "any") for c in node.get(mode) or [] if c.get("id") == part
                    )
                (node.get("all") if node.get("all") is not None else node["any"]).pop(i)

            yield changed(f"{where}: dropped", drop)

    for pname, param in (rule.get("parameters") or {}).items():
        for start, value in (param.get("values") or {}).items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            for step in (-1, 1):
                new = value + step
                yield changed(
                    f"parameters.{pname} {start}: {value} → {new}",
                    lambda d, p=pname, s=start, v=new: d["parameters"][p]["values"].__setitem__(s, v),
                )
        starts = sorted(param.get("values") or {})
        for start in starts[1:]:  # the first start is the rule's coming into force: its own scenarios
            for step in (-1, 1):
                moved = start + timedelta(days=step)

                def move(data: dict[str, Any], p: str = pname, s: date = start, m: date = moved) -> None:
                    values = data["parameters"][p]["values"]
                    values[m] = values.pop(s)

                yield changed(f"parameters.{pname}: start {start} → {moved}", move)

    for i, key_date in enumerate(rule["outcome"].get("dates") or []):
        if key_date.get("ends"):  # an entitlement that never ends, or ends a day late
            yield changed(
                f"outcome.dates.{key_date['id']}: ends dropped",
                lambda d, i=i: d["outcome"]["dates"][i].pop("ends"),
            )
            late = key_date.get("minus_days", 0) - 1
            yield changed(
                f"outcome.dates.{key_date['id']}: ends a day later",
                lambda d, i=i, late=late: d["outcome"]["dates"][i].update(minus_days=late),
            )

    window = rule.get("window")
    if window:
        for bound in ("start", "end"):
            if window.get(bound):
                for step in (-1, 1):
                    day = window[bound] + timedelta(days=step)
                    yield changed(
                        f"window.{bound}: {window[bound]} → {day}",
                        lambda d, b=bound, v=day: d["window"].update({b: v}),
                    )
        for other in _dates_read(rule):
            if other != window["judged_on"]:
                yield changed(
                    f"window.judged_on: {window['judged_on']} → {other}",
                    lambda d, o=other: d["window"].update(judged_on=o),
                )

    yield changed(
        f"lead_units: {rule['lead_units']} → [变异单位]", lambda d: d.update(lead_units=["变异单位"])
    )


def features_for(rule: dict[str, Any]) -> list[Path]:
    """The feature files of the rule's tasks (task55 has two)."""
    return sorted(p for t in rule["tasks"] for p in FEATURES.glob(f"task{t}_*.feature"))


def survives(mutant: Mutant, rule: dict[str, Any]) -> bool:
    """True when every scenario of the rule's features passes against the mutant."""
    with tempfile.TemporaryDirectory(prefix="mutant-") as folder:
        shutil.copytree(RULES, folder, dirs_exist_ok=True)
        (Path(folder) / mutant.file).write_text(yaml.safe_dump(mutant.data, allow_unicode=True), "utf-8")
        env = {**os.environ, "SUBSIDY_RULES_DIR": folder}
        files = [str(p.relative_to(ROOT)) for p in features_for(rule)]
        names = " or ".join(p.stem for p in features_for(rule))
        command = [
            sys.executable,
            "-m",
            "pytest",
            "features",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            "-k",
            names,
        ]
        assert files, f"{mutant.file}: no feature file for tasks {rule['tasks']}"
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode not in (0, 1):  # 0: every scenario passed; 1: one failed (killed)
            raise RuntimeError(
                f"{mutant.file} {mutant.what}: pytest exited {done.returncode}\n{done.stdout[-2000:]}"
            )
        return done.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sample", type=int, help="run a seeded sample of this many mutants")
    parser.add_argument("--seed", type=int, default=20200304)
    parser.add_argument("--rule", help="only the rule files whose name starts with this")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    rules = {p.name: yaml.safe_load(p.read_text("utf-8")) for p in sorted(RULES.glob("task*.yaml"))}
    if args.rule:
        rules = {n: r for n, r in rules.items() if n.startswith(args.rule)}
    found = [m for name, rule in rules.items() for m in mutants(name, rule)]
    if args.sample and args.sample < len(found):
        found = random.Random(args.seed).sample(found, args.sample)
    print(f"{len(found)} mutants of {len(rules)} rule files", flush=True)
    with ThreadPoolExecutor(args.workers) as pool:
        alive = [
            m
            for m, lives in zip(found, pool.map(lambda m: survives(m, rules[m.file]), found), strict=True)
            if lives
        ]
    for m in alive:
        print(f"ALIVE  {m.file}  {m.what}")
    print(f"{len(found) - len(alive)} killed, {len(alive)} alive")
    return 1 if alive else 0


if __name__ == "__main__":
    sys.exit(main())
