"""A condition's outcome for one case, as a small integer (judge.py combines millions of them)."""

from __future__ import annotations

from engine.decision import Result

# A condition's outcome for one case. NOT_IN_FORCE: the date it is read on precedes every value of
# its parameter (the rule was not yet in force). MET_ANYWAY / NOT_MET_ANYWAY: a fact it needs is
# unknown, but every answer the applicant could give leads to the same result.
MET, NOT_MET, MISSING, UNSET, UNCONFIRMED, NOT_IN_FORCE, MET_ANYWAY, NOT_MET_ANYWAY = range(8)
RESULT = (
    Result.met,
    Result.not_met,
    Result.unknown,
    Result.unknown,
    Result.unknown,
    Result.not_met,
    Result.met,
    Result.not_met,
)
WHY = ("compare", "compare", "missing", "param_unset", "unconfirmed", "not_in_force", "anyway", "anyway")
FAILS = frozenset({NOT_MET, NOT_IN_FORCE, NOT_MET_ANYWAY})
