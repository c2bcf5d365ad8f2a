"""Two decisions on one case side by side: what changed in the inputs, the rules, the parameters and
the district settings, and which programs' decisions changed and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.decision import Decision, Evaluation
from engine.facts import FACTS
from web.phase import phase_date


@dataclass
class ProgramChange:
    title: str
    before: Decision | None
    after: Decision | None
    conditions: list[tuple[str, str, str]] = field(default_factory=list)  # text, before, after

    @property
    def changed(self) -> bool:
        if self.before is None or self.after is None:
            return True
        return (
            self.before.phase != self.after.phase
            or phase_date(self.before) != phase_date(self.after)
            or self.conditions != []
            or _amount(self.before) != _amount(self.after)
        )


def _amount(d: Decision) -> str | None:
    return d.grant.amount.text if d.grant and d.grant.amount else None


def flatten(inputs: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in inputs.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def label(name: str) -> str:
    spec = FACTS.get(name)
    if spec is not None:
        return spec.zh
    return {"case_id": "案件编号", "kind": "类型"}.get(name, name)


def inputs_changed(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    fa, fb = flatten(a), flatten(b)
    return [(label(k), fa.get(k), fb.get(k)) for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)]


def parameters_changed(a: dict[str, Any] | None, b: dict[str, Any] | None) -> list[tuple[str, Any, Any]]:
    def table(receipt: dict[str, Any] | None) -> dict[str, Any]:
        rows = (receipt or {}).get("parameters", [])
        return {
            f"{r['title']} · {r['label']}": (r.get("local_standard") or {}).get("value", r["value"])
            for r in rows
        }

    ta, tb = table(a), table(b)
    return [(k, ta.get(k), tb.get(k)) for k in sorted(set(ta) | set(tb)) if ta.get(k) != tb.get(k)]


def programs(a: Evaluation, b: Evaluation) -> list[ProgramChange]:
    before = {d.program: d for d in a.decisions}
    after = {d.program: d for d in b.decisions}
    out = []
    for program in [*before, *(p for p in after if p not in before)]:
        x, y = before.get(program), after.get(program)
        change = ProgramChange(title=(y or x).title, before=x, after=y)  # type: ignore[union-attr]
        if x and y:
            cx = {c.id: c for c in x.conditions}
            for c in y.conditions:
                old = cx.get(c.id)
                if old is None or old.result != c.result or old.reason != c.reason:
                    change.conditions.append((c.text, old.reason if old else "—", c.reason))
        out.append(change)
    return out
