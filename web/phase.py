"""Where a decision stands, as people read it: 尚未符合 with its date is never a refusal.

The engine's three statuses stay the contract; what the desk shows and counts is the phase:
eligible, not yet (not eligible today, eligible from a date), needs information, not eligible, and
ended (an entitlement whose last day has passed). Every page and the notice ask this module, so a
"not yet" is counted and worded the same on the card, the lists, the history, the what-if and the PDF.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from flask_babel import gettext as _

from engine.decision import Decision, Evaluation, Status

PHASES = ("eligible", "not_yet", "needs_information", "not_eligible", "ended")


def phase(d: Decision) -> str:
    """The decision's phase: the engine's ``Decision.phase`` when it gives one, else read from the
    status and the timeline (not eligible today with a day it becomes eligible is "not yet")."""
    given = getattr(d, "phase", None)
    if given:
        return str(given)
    if d.status is Status.not_eligible and d.timeline and d.timeline.eligible_from:
        return "not_yet"
    return d.status.value


def phase_date(d: Decision) -> date | None:
    """The day that goes with the phase: from when a "not yet" is eligible, the last day of an ended one."""
    which = phase(d)
    if which == "not_yet" and d.timeline:
        return d.timeline.eligible_from
    if which == "ended" and d.timeline:
        return d.timeline.eligible_until
    return None


def counts(evaluation: Evaluation) -> dict[str, int]:
    """Decisions per phase, in the phases' order (a list's and the history's counts)."""
    found = Counter(phase(d) for d in evaluation.decisions)
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
    """The phase with its date: 尚未符合（2020年10月31日起符合）, 已期满（2020年10月31日止）."""
    which, day = phase(d), phase_date(d)
    word = words()[which]
    if day is None:
        return word
    if which == "not_yet":
        return _("%(word)s（%(day)s起符合）", word=word, day=day.isoformat())
    return _("%(word)s（%(day)s止）", word=word, day=day.isoformat())
