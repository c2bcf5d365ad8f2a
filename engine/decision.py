"""What the engine answers: one decision per program, each explaining itself.

These models are the published contract (``subsidy schema`` prints their JSON Schema); the CLI,
the web API and the batch output all serialise them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Day = date


class Status(StrEnum):
    eligible = "eligible"
    not_eligible = "not_eligible"
    needs_information = "needs_information"


class Phase(StrEnum):
    """A decision as people read it. ``status`` stays the contract's three values; a refusal that
    is only "not yet" (eligible from a later day) or an entitlement that has run out is told apart
    here, so no screen, list or notice prints either as a plain refusal."""

    eligible = "eligible"
    not_yet = "not_yet"  # status not_eligible, eligible from ``timeline.eligible_from``
    needs_information = "needs_information"
    not_eligible = "not_eligible"
    ended = "ended"  # status not_eligible: the entitlement's last day has passed


class Result(StrEnum):
    met = "met"
    not_met = "not_met"
    unknown = "unknown"


class Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ConditionResult(Out):
    """One condition: ``reason`` is what a caseworker or citizen reads, a sentence about the person in
    the notice's terms; ``detail`` is the comparison behind it (fact, value, threshold), for reviewers."""

    id: str
    text: str
    result: Result
    reason: str = Field(description="A sentence about the person, e.g. 申请人目前未就业")
    detail: str | None = Field(
        default=None, description="The comparison behind the reason (fact, the case's value, the rule's)"
    )
    fact: str | None = None
    group: str | None = None  # the enclosing group, e.g. “签订1年以上劳动合同（满足其一即可）”
    changes_on: date | None = None  # a condition that moves with time: the day its result changes


class StatusChange(Out):
    date: date
    status: Status
    text: str


class Timeline(Out):
    """When the decision changes with time, the other facts staying as they are.

    ``eligible_from``: not eligible on the evaluation date, eligible from that day ("not yet");
    ``eligible_until``: the last day of eligibility. ``still_required``: the conditions met today that
    must still hold then.
    """

    eligible_from: date | None = None
    eligible_until: date | None = None
    changes: list[StatusChange]
    still_required: list[str] = []
    text: str


class MissingFact(Out):
    fact: str
    label: str
    question: str
    asked_of: Literal["applicant", "caseworker", "district"] = "applicant"


class Question(MissingFact):
    """One question for the whole case, with the programs whose decision waits on its answer."""

    programs: list[str]


class WindowInfo(Out):
    start: date | None
    end: date
    judged_on: str
    judged_on_label: str
    state: Literal["open", "closed", "not_started"]
    text: str


class Amount(Out):
    value: Decimal | None
    unit: str
    per: str | None = None
    text: str
    local_standard: bool


class Grant(Out):
    text: str
    amount: Amount | None = None
    period_months: int | None = None
    period_text: str | None = None


class KeyDate(Out):
    id: str
    label: str
    date: date | None


class Citation(Out):
    document: str = "其他〔2020〕4号"
    tasks: list[int]
    quote: str


class Decision(Out):
    program: str
    title: str
    subject: Literal["person", "enterprise"]
    kind: Literal["grant", "extension", "compliance", "registration"]
    status: Status
    phase: Phase  # the status as people read it: not yet and ended are not refusals
    status_text: str  # the phase in words: 符合/尚未符合/需补充信息/不符合/已期满 (合规/不合规)
    summary: str
    conditions: list[ConditionResult]
    missing: list[MissingFact]
    citation: Citation
    lead_units: list[str]
    responsible_units: list[str]
    window: WindowInfo | None
    grant: Grant | None
    dates: list[KeyDate]
    timeline: Timeline | None = None
    notes: list[str]


class Suggestion(Out):
    """A program the applicant did not apply for but may get: advice beside an application, never a
    refusal. ``eligible`` now; ``eligible_from`` a later ``date`` (the facts staying as they are);
    ``one_answer``: a single ``question`` away from a decision."""

    program: str
    title: str
    lead_units: list[str]
    kind: Literal["eligible", "eligible_from", "one_answer"]
    date: Day | None = None  # ``Day``: a field named ``date`` with a default hides the type
    question: MissingFact | None = None


class Evaluation(Out):
    """All decisions for one case on one evaluation date, under one version of the rules.

    With ``applied_for`` (what the person applies for), ``decisions`` holds those programs only,
    ``questions`` only what they need, and ``suggestions`` the other programs the person may get.
    """

    case_id: str | None
    subject: Literal["person", "enterprise"]
    as_of: date
    rules_version: str
    lang: Literal["zh", "en"]
    applied_for: list[str] = []
    decisions: list[Decision]
    # Every question once: those that settle the decisions nearest to an answer first, a question
    # about what happened when a period ended after the question for the period's end date.
    questions: list[Question] = []
    suggestions: list[Suggestion] = []
