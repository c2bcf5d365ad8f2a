"""A decision's receipt (page and JSON), a case evaluated again under the rules and settings in force
now, and two decisions side by side."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.models import parse_case
from web import db
from web.cases import store
from web.notices.letter import facts_relied_on
from web.records import DecisionRecord
from web.reviews import diff
from web.security import login_required

bp = Blueprint("reviews", __name__, template_folder="templates", url_prefix="/cases")


@bp.get("/<ref>/decisions/<int:decision_id>/receipt")
@login_required
def receipt(ref: str, decision_id: int) -> ResponseReturnValue:
    record = store.get_case(db.session(), g.user, ref)
    decision = store.get_decision(record, decision_id)
    return render_template(
        "reviews/receipt.html",
        record=record,
        decision=decision,
        facts=facts_relied_on(record, decision.inputs),
        receipt=decision.receipt or {},
    )


def receipt_document(decision: DecisionRecord) -> dict:
    return {
        "case": decision.case.ref,
        "case_id": decision.case.case_id,
        "decision": decision.id,
        "created_at": decision.created_at.isoformat(),
        "created_by": decision.author.username,
        "inputs": decision.inputs,
        "as_of": decision.as_of.isoformat(),
        "rules_version": decision.rules_version,
        "engine_version": decision.engine_version,
        "receipt": decision.receipt,
        "evaluation": decision.evaluation,
    }


@bp.get("/<ref>/decisions/<int:decision_id>/receipt.json")
@login_required
def receipt_json(ref: str, decision_id: int) -> ResponseReturnValue:
    record = store.get_case(db.session(), g.user, ref)
    response = jsonify(receipt_document(store.get_decision(record, decision_id)))
    name = f"receipt-{record.ref}-{decision_id}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.post("/<ref>/reevaluate")
@login_required
def reevaluate(ref: str) -> ResponseReturnValue:
    """The latest inputs under the rules and district settings in force now: on today's date, or on
    the date the last decision was evaluated on; saved as a new decision, then compared."""
    from web.cases.views import evaluate_and_store

    record = store.get_case(db.session(), g.user, ref)
    last = store.latest(record)
    if last is None:
        abort(404)
    as_of = last.as_of if request.form.get("as_of") == "same" else date.today()
    evaluate_and_store(parse_case(last.inputs), as_of, record)
    new = store.latest(record)
    assert new is not None
    return redirect(url_for("reviews.compare", ref=ref, a=last.id, b=new.id))


@bp.get("/<ref>/compare")
@login_required
def compare(ref: str) -> ResponseReturnValue:
    record = store.get_case(db.session(), g.user, ref)
    a = store.get_decision(record, request.args.get("a", type=int) or 0)
    b = store.get_decision(record, request.args.get("b", type=int) or 0)
    ea, eb = store.stored_evaluation(a), store.stored_evaluation(b)
    changes = diff.programs(ea, eb)
    return render_template(
        "reviews/compare.html",
        record=record,
        a=a,
        b=b,
        ea=ea,
        eb=eb,
        changes=changes,
        changed=[c for c in changes if c.changed],
        inputs=diff.inputs_changed(a.inputs, b.inputs),
        parameters=diff.parameters_changed(a.receipt, b.receipt),
        settings_changed=((a.receipt or {}).get("district") != (b.receipt or {}).get("district")),
    )
