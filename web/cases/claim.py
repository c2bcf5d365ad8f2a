"""Whose district a case is, and its case number (issue 23 item 4).

A caseworker or supervisor works for one district: the form's 区县 offers theirs only, and a case
naming another is refused on that field (a notice is signed by the case's district, so a case of
another district would print another office's seal). An admin chooses any. A case number is unique
within its district: one already used there is refused, naming the case that has it; a blank one
takes the district's next number (``渝中区-2026-00001``), and an edited case left blank keeps its own.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.orm import Session

from engine.districts import shipped_names
from engine.models import District
from web.cases import store
from web.cases.fields import CaseForm, Choice, FormGroup, form_for
from web.cases.forms import Submission
from web.records import CaseRecord, User
from web.security import visible

DISTRICT_FIELD = "district.name"


def works_for_one_district(user: User) -> bool:
    return user.role != "admin"


def form_for_user(kind: str, user: User) -> CaseForm:
    """The case form, with 区县 fixed to the user's own district unless they are an admin."""
    form = form_for(kind)
    if not works_for_one_district(user):
        return form
    choices = (Choice(user.district, user.district, user.district),) if user.district else ()

    def fixed(group: FormGroup) -> FormGroup:
        fields = [
            replace(f, choices=choices, nullable=not choices, default=user.district or None)
            if f.name == DISTRICT_FIELD
            else f
            for f in group.fields
        ]
        return replace(group, fields=fields)

    return CaseForm(form.kind, [(title, [fixed(g) for g in groups]) for title, groups in form.sections])


def claim(db: Session, user: User, sub: Submission, record: CaseRecord | None) -> None:
    """Put the case in its district and give it its number, or say on the field why not."""
    asked = sub.values.get(DISTRICT_FIELD, "")
    if works_for_one_district(user) and asked and asked != user.district:
        # Said in place of the fixed list's "应为以下之一": whose cases these are.
        sub.errors[DISTRICT_FIELD] = [_not_yours(user, asked[:20])]
        sub.labels.setdefault(DISTRICT_FIELD, "区县")
        sub.case = None
        return
    case = sub.case
    if case is None:
        return
    named = case.district.name.value if case.district.name is not None else ""
    if works_for_one_district(user):
        district = user.district
    else:
        district = named or (record.district if record else user.district)
    number = store.typed_case_number(case.case_id or "")  # a hidden character was refused by the model
    if not number and record is not None and record.case_id and record.district == district:
        number = record.case_id  # an edited case keeps its number
    if not number:
        number = store.next_case_number(db, district, date.today().year)
    else:
        holder = store.holder_of(db, district, number, record.id if record else None)
        if holder is not None:
            sub.add("case_id", "案件编号", _duplicate(db, user, holder, number, district))
            sub.case = None
            return
    update: dict[str, object] = {"case_id": number}
    if district:
        update["district"] = District(name=district)
    sub.case = case.model_copy(update=update)


def _not_yours(user: User, asked: str) -> str:
    """Why a caseworker cannot file a case under ``asked``: another office's, or no district at all."""
    own = f"只能办理本区县（{user.district or '未设置区县'}）的案件"
    if asked not in shipped_names():
        return f"“{asked}”不是重庆市的区县；{own}"
    return f"{own}；{asked}的案件由{asked}的经办人办理"


def _duplicate(db: Session, user: User, holder: CaseRecord, number: str, district: str) -> str:
    """The refusal naming the case that has the number (its applicant only to those who may see it)."""
    seen = db.scalar(visible(CaseRecord, user).where(CaseRecord.id == holder.id)) is not None
    who = f"申请人{holder.name}，" if seen and holder.name else ""
    owner = holder.owner.full_name or holder.owner.username
    return (
        f"案件编号“{number}”已用于{district or '本区县'}的另一案件"
        f"（{who}{holder.created_at:%Y-%m-%d}由{owner}建立）："
        "请核对后换一个编号，或留空由系统按本区县顺序编号"
    )
