"""Cases and decisions in the database, always through the asking user's view of them.

Every read goes through ``web.security.visible``: a caseworker's own cases, a supervisor's
district, an admin everything. A case outside that view is "not found", the same answer as a case
that does not exist, so a URL never reveals that someone else's case is there.
"""

from __future__ import annotations

import secrets
import unicodedata
from datetime import date
from typing import Any

from flask import abort
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.decision import Evaluation
from engine.idcard import IdNumberError, folded, parse_id_number
from engine.models import EnterpriseCase, PersonCase
from web import phase
from web.paging import one_page
from web.records import CaseNumberCounter, CaseRecord, DecisionRecord, User, utcnow
from web.sealing import search_hash
from web.security import visible, visible_by_ref


def get_case(db: Session, user: User, ref: str) -> CaseRecord:
    return visible_by_ref(db, CaseRecord, user, ref)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(db: Session, user: User, q: str, page: int, size: int) -> tuple[list[CaseRecord], int, int]:
    """The user's cases matching a name (the applicant, the enterprise or the person it hired), a case
    number, the ID number's last four characters or the whole ID number (``one_page``: rows, total,
    the page shown)."""
    query = visible(CaseRecord, user)
    q = q.strip()[:100]
    if q:
        terms = [
            CaseRecord.name.ilike(_like(q), escape="\\"),
            CaseRecord.person_name.ilike(_like(q), escape="\\"),
            # folded as a case number is kept (typed_case_number): Ｈ－１ finds H-1; names as typed
            CaseRecord.case_id.ilike(_like(typed_case_number(q)), escape="\\"),
        ]
        number = folded(q)  # as the form reads an ID number: found typed as it was entered
        if len(number) == 4:
            terms.append(CaseRecord.id_last4 == number)
        if len(number) == 18:
            terms.append(CaseRecord.id_hash == search_hash(number))
        query = query.where(or_(*terms))
    return one_page(db, query.order_by(CaseRecord.updated_at.desc(), CaseRecord.id.desc()), page, size)


def typed_case_number(text: str) -> str:
    """A case number as one number, however typed: full-width Ｈ－１ (a Chinese input method) is H-1,
    so the district cannot hold two cases that show the same number, and a search finds it."""
    return unicodedata.normalize("NFKC", text).strip()


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
    _apply_id_number(record, number)


def _apply_id_number(record: CaseRecord, number: str | None) -> None:
    try:
        number = parse_id_number(number).number if number else None
    except IdNumberError:
        number = None
    record.id_masked = mask_id(number) if number else None
    record.id_last4 = number[-4:] if number else None
    record.id_hash = search_hash(number) if number else None


def apply_identity_hash(record: CaseRecord) -> None:
    """Key the search hash of a case stored before sealing, from its latest inputs' ID number
    alone: a case that a check added since would refuse (a credit code's check character) is keyed
    too, instead of stopping the migration that keys them all."""
    last = latest(record)
    if last is None:
        return
    path = ("person", "id_number") if record.kind == "person" else ("hire", "person", "id_number")
    number: Any = last.inputs
    for key in path:
        number = number.get(key) if isinstance(number, dict) else None
    _apply_id_number(record, number if isinstance(number, str) else None)


def summary(evaluation: Evaluation) -> dict[str, int]:
    """Decisions per phase (web/phase.py), kept beside the evaluation for readers of the table."""
    return phase.counts(evaluation)


def create_case(db: Session, user: User, case: PersonCase | EnterpriseCase) -> CaseRecord:
    """A new case of the district ``case`` names (views.own_district has made it the user's own)."""
    district = case_district(case, user)
    record = CaseRecord(ref=secrets.token_hex(8), kind=case.kind, owner_id=user.id, district=district)
    _apply_identity(record, case)
    db.add(record)
    return record


def case_district(case: PersonCase | EnterpriseCase, user: User) -> str:
    """The district a case belongs to: the one it names, else its author's."""
    return case.district.name.value if case.district.name is not None else user.district


def case_number(district: str, year: int, n: int) -> str:
    """A district's n-th case of a year: 渝中区-2026-00001 (migration 0005 numbers the same way)."""
    return f"{district}-{year}-{n:05d}" if district else f"{year}-{n:05d}"


def next_case_number(db: Session, district: str, year: int) -> str:
    """The district's next free case number this year (a number typed by hand is skipped over).

    The counter is raised by one UPDATE, atomic on SQLite and PostgreSQL alike, so two caseworkers
    saving at once never get the same number; the first number of a year inserts its row.
    """
    while True:
        raised = db.execute(
            update(CaseNumberCounter)
            .where(CaseNumberCounter.district == district, CaseNumberCounter.year == year)
            .values(last=CaseNumberCounter.last + 1)
            .returning(CaseNumberCounter.last)
        ).scalar()
        if raised is None:
            try:
                with db.begin_nested():
                    db.add(CaseNumberCounter(district=district, year=year, last=1))
                raised = 1
            except IntegrityError:
                continue  # another request made the row first: raise it instead
        number = case_number(district, year, raised)
        if holder_of(db, district, number) is None:
            return number


def holder_of(db: Session, district: str, number: str, other_than: int | None = None) -> CaseRecord | None:
    """The case of ``district`` that already has case number ``number`` (not case ``other_than``)."""
    query = select(CaseRecord).where(CaseRecord.district == district, CaseRecord.case_id == number)
    if other_than is not None:
        query = query.where(CaseRecord.id != other_than)
    return db.scalar(query)


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
    try:
        db.commit()
    except IntegrityError as err:  # two saves took the same number at once: the second is told
        db.rollback()
        raise ValueError(
            f"案件编号“{record.case_id}”刚刚被本区县的另一案件使用：请换一个编号，或留空由系统编号"
        ) from err
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
