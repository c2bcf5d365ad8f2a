"""The decision notice (告知书) as a PDF, rendered on the server by WeasyPrint from the stored decision.

Page numbers and the case number stand on every page (CSS paged media), the rules version only as a
reference code in the footer; the district's office, its address, phone and hours, the days to bring
documents, the review body and the court come from its settings. A notice that lacks what it must
print (a setting, the case's application or number) is not issued: the page says what to set, and where.
"""

from __future__ import annotations

from flask import Blueprint, g, render_template, url_for
from flask.typing import ResponseReturnValue

from engine.districts import DistrictSettings
from engine.models import parse_case
from web import db
from web.cases import store
from web.districts import store as district_store
from web.notices import letter
from web.security import audit_access, login_required

bp = Blueprint("notices", __name__, template_folder="templates", url_prefix="/cases")


def case_district(record_district: str, inputs: dict) -> str:
    """The district that decides: the case's own, else the office's the case was entered in."""
    try:
        named = parse_case(inputs).district.name
    except ValueError:
        named = None
    return named.value if named else record_district


@bp.get("/<ref>/decisions/<int:decision_id>/notice.pdf")
@login_required
def notice_pdf(ref: str, decision_id: int) -> ResponseReturnValue:
    session = db.session()
    record = store.get_case(session, g.user, ref)
    decision = store.get_decision(record, decision_id)
    evaluation = store.stored_evaluation(decision)  # never a fresh run
    district = case_district(record.district, decision.inputs)
    settings = district_store.settings_of(session, district) if district else None
    notice = letter.build(record, decision, evaluation, settings or DistrictSettings(), district)
    if notice.missing or notice.unready:
        page = render_template(
            "notices/missing.html",
            record=record,
            district=district,
            missing=notice.missing,
            unready=notice.unready,
            settings_url=url_for("districts.edit", name=district) if district else None,
        )
        return page, 409
    from weasyprint import HTML  # imported when a notice is printed: it loads Pango and fonts

    html = render_template("notices/notice.html", n=notice)
    pdf = HTML(string=html, base_url=None).write_pdf()
    audit_access("notice_downloaded", record.district, f"{record.case_id} · {decision.id}")
    name = f"notice-{record.case_id}-{decision.id}.pdf"
    return (
        pdf,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f"inline; filename*=UTF-8''{_ascii(name)}",
        },
    )


def _ascii(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
