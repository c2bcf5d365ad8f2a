"""Cases and decisions in the database, always through the asking user's view of them.

Every read goes through ``web.security.visible``: a caseworker's own cases, a supervisor's
district, an admin everything. A case outside that view is "not found", the same answer as a case
that does not exist, so a URL never reveals that someone else's case is there.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date
from typing import Any

from flask import abort
from sqlalchemy import or_
from sqlalchemy.orm import Session

from engine.decision import Evaluation
from engine.idcard import IdNumberError, parse_id_number
from engine.models import EnterpriseCase, PersonCase
from web import phase
from web.paging import one_page
from web.records import CaseRecord, DecisionRecord, User, utcnow
from web.security import visible, visible_by_ref


def get_case(db: Session, user: User, ref: str) -> CaseRecord:
    return visible_by_ref(db, CaseRecord, user, ref)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def id_hash(number: str) -> str:
    """The key a full ID number is found by (the number itself stays in the decision's inputs)."""
    return hashlib.sha256(number.strip().upper().encode("ascii", "replace")).hexdigest()


def search(db: Session, user: User, q: str, page: int, size: int) -> tuple[list[CaseRecord], int]:
    """The user's cases matching a name (the applicant, the enterprise or the person it hired), a case
    number, the ID number's last four characters or the whole ID number."""
    query = visible(CaseRecord, user)
    q = q.strip()[:100]
    if q:
        terms = [
            CaseRecord.name.ilike(_like(q), escape="\\"),
            CaseRecord.person_name.ilike(_like(q), escape="\\"),
            CaseRecord.case_id.ilike(_like(q), escape="\\"),
        ]
        if len(q) == 4:
            terms.append(CaseRecord.id_last4 == q.upper())
        if len(q) == 18:
            terms.append(CaseRecord.id_hash == id_hash(q))
        query = query.where(or_(*terms))
    return one_page(db, query.order_by(CaseRecord.updated_at.desc(), CaseRecord.id.desc()), page, size)


def mask_id(number: str) -> str:
    """First 6 (the area) and last 4: enough to tell two cases apart, not enough to misuse."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def _identity(case: PersonCase | EnterpriseCase) -> tuple[str | None, str | None]:
    """The name and ID number a case is found by: the applicant, or the enterprise and its hire."""
    if isinstance(case, PersonCase):
        return case.person.name, case.person.id_number
    person = case.hire.person if case.hire else None
    return case.enterprise.name or (person.name if person else None), person.id_number if person else None


def _apply_identity(record: CaseRecord, case: PersonCase | EnterpriseCase) -> None:
    name, number = _identity(case)
    record.case_id = case.case_id
    record.name = name
    hired = case.hire.person if isinstance(case, EnterpriseCase) and case.hire else None
    record.person_name = hired.name if hired else None
    try:
        number = parse_id_number(number).number if number else None
    except IdNumberError:
        number = None
    record.id_masked = mask_id(number) if number else None
    record.id_last4 = number[-4:] if number else None
    record.id_hash = id_hash(number) if number else None


def summary(evaluation: Evaluation) -> dict[str, int]:
    """Decisions per phase (web/phase.py), kept beside the evaluation for readers of the table."""
    return phase.counts(evaluation)


def create_case(db: Session, user: User, case: PersonCase | EnterpriseCase) -> CaseRecord:
    record = CaseRecord(ref=secrets.token_hex(8), kind=case.kind, owner_id=user.id, district=user.district)
    _apply_identity(record, case)
    db.add(record)
    return record


def add_decision(
    db: Session,
    user: User,
    record: CaseRecord,
    case: PersonCase | EnterpriseCase,
    as_of: date,
    evaluation: Evaluation,
    receipt: dict[str, Any] | None = None,
) -> DecisionRecord:
    """Record one decision with its receipt; the case's list fields follow its latest inputs."""
    _apply_identity(record, case)
    record.updated_at = utcnow()
    decision = DecisionRecord(
        case=record,
        inputs=case.model_dump(mode="json", exclude_none=True),
        as_of=as_of,
        rules_version=evaluation.rules_version,
        evaluation=evaluation.model_dump(mode="json"),
        summary=summary(evaluation),
        created_by=user.id,
        engine_version=(receipt or {}).get("engine_version"),
        receipt=receipt,
    )
    db.add(decision)
    db.commit()
    return decision


def latest(record: CaseRecord) -> DecisionRecord | None:
    return record.decisions[-1] if record.decisions else None


def get_decision(record: CaseRecord, decision_id: int) -> DecisionRecord:
    for decision in record.decisions:
        if decision.id == decision_id:
            return decision
    abort(404)


def stored_evaluation(decision: DecisionRecord) -> Evaluation:
    return Evaluation.model_validate(phase.with_phase(decision.evaluation))


def inputs_of(decision: DecisionRecord | None) -> dict[str, Any]:
    return dict(decision.inputs) if decision else {}
