"""Where a decision stands, as people read it: 尚未符合 with its date is never a refusal.

The engine's three statuses stay the contract; what the desk shows and counts is the phase:
eligible, not yet (not eligible today, eligible from a date), needs information, not eligible, and
ended (an entitlement whose last day has passed). Every page and the notice ask this module, so a
"not yet" is counted and worded the same on the card, the lists, the history, the what-if and the PDF.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from flask_babel import gettext as _

from engine.decision import Decision, Evaluation, Phase
from engine.evaluate import default_engine

PHASES = ("eligible", "not_yet", "needs_information", "not_eligible", "ended")


def phase_date(d: Decision) -> date | None:
    """The day that goes with the phase: from when a "not yet" is eligible; the last day of an
    ended entitlement (the earliest of its key dates that the rule says end it, as the engine reads)."""
    if d.phase is Phase.not_yet and d.timeline:
        return d.timeline.eligible_from
    if d.phase is Phase.ended:
        rule = default_engine().book.rules.get(d.program)
        ending = {k.id for k in rule.outcome.dates if k.ends} if rule else set()
        days = [k.date for k in d.dates if k.date and k.id in ending]
        return min(days) if days else None
    return None


def with_phase(evaluation: dict[str, Any]) -> dict[str, Any]:
    """A stored evaluation with each decision's phase: records kept before the engine gave one
    read it from their status and timeline, as the engine would have (ended was a plain refusal then)."""
    decisions = []
    for d in evaluation.get("decisions", []):
        if "phase" not in d:
            timeline = d.get("timeline") or {}
            not_yet = d.get("status") == "not_eligible" and timeline.get("eligible_from")
            d = {**d, "phase": "not_yet" if not_yet else d.get("status")}
        decisions.append(d)
    return {**evaluation, "decisions": decisions}


def counts(evaluation: Evaluation | dict[str, Any]) -> dict[str, int]:
    """Decisions per phase, in the phases' order: of an evaluation, or of one as stored (a list's
    and the history's counts, read from the record, so decisions kept before the engine gave a
    phase are counted right too)."""
    if isinstance(evaluation, Evaluation):
        found = Counter(d.phase.value for d in evaluation.decisions)
    else:
        found = Counter(d["phase"] for d in with_phase(evaluation)["decisions"])
    return {p: found[p] for p in PHASES if found[p]}


def words() -> dict[str, str]:
    """Each phase in the page's language."""
    return {
        "eligible": _("符合"),
        "not_yet": _("尚未符合"),
        "needs_information": _("需补充信息"),
        "not_eligible": _("不符合"),
        "ended": _("已期满"),
    }


def dated(d: Decision) -> str:
    """The phase with its date: 尚未符合（2020-11-01起符合）, 已期满（2020-10-31止）."""
    which, day = d.phase.value, phase_date(d)
    word = words()[which]
    if day is None:
        return word
    if which == "not_yet":
        return _("%(word)s（%(day)s起符合）", word=word, day=day.isoformat())
    return _("%(word)s（%(day)s止）", word=word, day=day.isoformat())
