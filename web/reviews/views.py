"""A decision's receipt (page and JSON), a case evaluated again under the rules and settings in force
now, two decisions side by side, and what-if: some facts changed, nothing saved."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine.models import parse_case
from engine.values import in_lang
from web import db
from web.caseload.work import why_refused
from web.cases import store
from web.cases.fields import FormField, form_for
from web.cases.forms import read, values_from_case
from web.evaluator import desk_engine
from web.i18n import lang
from web.records import DecisionRecord
from web.reviews import diff
from web.reviews import receipt as receipt_words
from web.security import audit_access, login_required

bp = Blueprint("reviews", __name__, template_folder="templates", url_prefix="/cases")


@bp.get("/<ref>/decisions/<int:decision_id>/receipt")
@login_required
def receipt(ref: str, decision_id: int) -> ResponseReturnValue:
    record = store.get_case(db.session(), g.user, ref)
    decision = store.get_decision(record, decision_id)
    audit_access("receipt_viewed", record.district, f"{record.case_id or record.ref} · {decision.id}")
    return render_template(
        "reviews/receipt.html",
        record=record,
        decision=decision,
        facts=receipt_words.fact_rows(record.kind, decision.inputs, lang()),
        receipt=decision.receipt or {},
        parameters=receipt_words.parameter_rows(desk_engine(), decision.receipt or {}, lang()),
        declared=receipt_words.settings_rows(decision.receipt or {}, lang()),
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
    audit_access("receipt_downloaded", record.district, f"{record.case_id or record.ref} · {decision_id}")
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
    try:
        evaluate_and_store(parse_case(last.inputs), as_of, record)
    except ValueError as err:
        return _to_correct(ref, err)
    new = store.latest(record)
    assert new is not None
    return redirect(url_for("reviews.compare", ref=ref, a=last.id, b=new.id))


def _to_correct(ref: str, err: ValueError) -> ResponseReturnValue:
    """The case's latest facts are refused by the rules in force (a program it applies for was
    withdrawn, a check added since it was kept): say what, in the page's language, on the form where
    it is corrected, rather than fail."""
    why = in_lang(why_refused(err), lang())
    flash(_("这个案件的信息按现行规则不能再评估：%(why)s。请更正后保存。", why=why), "error")
    return redirect(url_for("cases.edit_case", ref=ref))


@bp.get("/<ref>/compare")
@login_required
def compare(ref: str) -> ResponseReturnValue:
    record = store.get_case(db.session(), g.user, ref)
    a = store.get_decision(record, request.args.get("a", type=int) or 0)
    b = store.get_decision(record, request.args.get("b", type=int) or 0)
    audit_access("decision_viewed", record.district, f"{record.case_id or record.ref} · {a.id} ↔ {b.id}")
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


def shown_value(f: FormField, raw: str | None) -> str:
    """A form value as the caseworker reads it: 是/否, an option's words, or as typed."""
    if not raw:
        return "—"
    if f.kind == "bool":
        return _("是") if raw == "yes" else _("否")
    for choice in f.choices:
        if choice.value == raw:
            return choice.label(lang())
    return raw


@bp.route("/<ref>/what-if", methods=["GET", "POST"])
@login_required
def what_if(ref: str) -> ResponseReturnValue:
    """Change some facts of the latest decision's case (a date, a yes/no) and see which decisions
    would change; nothing is saved. Both sides are evaluated now, with the same engine, so only the
    changed facts make a difference."""
    record = store.get_case(db.session(), g.user, ref)
    last = store.latest(record)
    if last is None:
        abort(404)
    form = form_for(record.kind)
    base = values_from_case(form, last.inputs, last.as_of)
    confirmations = dict(last.inputs.get("confirmations") or {})
    engine = desk_engine()
    try:
        before = engine.evaluate(parse_case(last.inputs), last.as_of, lang())
    except ValueError as err:
        return _to_correct(ref, err)
    asked = {q.fact for q in before.questions}
    editable = [f for f in form.fields if f.kind != "text"]
    shown = [f for f in editable if base.get(f.name) or f.name in asked or f.name == "as_of"]
    rest = [f for f in editable if f not in shown]
    values, errors, changes, facts = dict(base), {}, [], []
    if request.method == "POST":
        for f in editable:
            raw = request.form.get(f.name)
            if isinstance(raw, str):
                values[f.name] = raw.strip()
        sub = read(form, values, confirmations, last.inputs.get("applied_for") or [])
        errors = sub.errors
        if sub.ok and sub.case is not None and sub.as_of is not None:
            after = engine.evaluate(sub.case, sub.as_of, lang())
            changes = [c for c in diff.programs(before, after) if c.changed]
            facts = [
                (f.label(lang()), shown_value(f, base.get(f.name)), shown_value(f, values.get(f.name)))
                for f in editable
                if (base.get(f.name) or "") != (values.get(f.name) or "")
            ]
    return render_template(
        "reviews/whatif.html",
        record=record,
        decision=last,
        shown=shown,
        rest=rest,
        values=values,
        errors=errors,
        changes=changes,
        facts=facts,
        posted=request.method == "POST",
    ), (422 if errors else 200)
