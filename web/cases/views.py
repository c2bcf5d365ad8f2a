"""The caseworker's pages: the case list, the form, the decision, its history and print view."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine.decision import Evaluation
from engine.evaluate import CaseModel
from engine.models import parse_case
from engine.report import summarise
from web import db
from web.cases import application, store
from web.cases.claim import claim, form_for_user
from web.cases.fields import CaseForm
from web.cases.forms import Submission, defaults, read, values_from_case
from web.drafts import draft_done
from web.evaluator import desk_engine, evaluate
from web.i18n import lang
from web.paging import asked_page
from web.phase import PHASES
from web.records import CaseRecord, DecisionRecord
from web.reviews import receipt
from web.security import audit_access, login_required

bp = Blueprint("cases", __name__, template_folder="templates", url_prefix="/cases")
KINDS = ("person", "enterprise")
ALWAYS_SHOWN = ("eligible", "needs_information", "not_eligible")


def _kind_or_404(kind: str) -> str:
    if kind not in KINDS:
        abort(404)
    return kind


@bp.route("", methods=["GET", "POST"])
@login_required
def list_cases() -> ResponseReturnValue:
    """The user's cases; a search is POSTed (an ID number never in a URL, a log or the history),
    and so is each page of its results."""
    q = request.form.get("q", "")[:100] if request.method == "POST" else ""
    page, size = asked_page()
    rows, total, page = store.search(db.session(), g.user, q, page, size)
    return render_template("cases/list.html", rows=rows, total=total, q=q, page=page, size=size)


def _render_form(
    form: CaseForm, sub: Submission, action: str, record: CaseRecord | None = None, status: int = 200
) -> ResponseReturnValue:
    key = f"case-edit-{record.ref}" if record else f"case-new-{form.kind}"
    return (
        render_template(
            "cases/form.html",
            form=form,
            sub=sub,
            action=action,
            record=record,
            draft_key=key,
            offers=application.offers(form.kind),
            always=application.ALWAYS_ASKED,
        ),
        status,
    )


def _evaluate_and_store(sub: Submission, record: CaseRecord | None) -> CaseRecord:
    assert sub.case is not None and sub.as_of is not None
    return evaluate_and_store(sub.case, sub.as_of, record)


def evaluate_and_store(case: CaseModel, as_of: date, record: CaseRecord | None) -> CaseRecord:
    """Evaluate with the desk's engine and keep the decision with its receipt (in Chinese)."""
    engine = desk_engine()
    evaluation = engine.evaluate(case, as_of, "zh")  # the record is kept in Chinese
    session = db.session()
    if record is None:
        record = store.create_case(session, g.user, case)
    store.add_decision(session, g.user, record, case, as_of, evaluation, receipt.build(engine, case, as_of))
    return record


def _evaluation_error(sub: Submission, err: ValueError) -> None:
    sub.add("", _("案件"), str(err))


@bp.route("/new/<kind>", methods=["GET", "POST"])
@login_required
def new_case(kind: str) -> ResponseReturnValue:
    form = form_for_user(_kind_or_404(kind), g.user)
    action = url_for("cases.new_case", kind=kind)
    if request.method == "GET":
        return _render_form(form, Submission(values=defaults(form)), action)
    sub = read(form, request.form)
    claim(db.session(), g.user, sub, None)
    if sub.ok:
        try:
            record = _evaluate_and_store(sub, None)
        except ValueError as err:
            _evaluation_error(sub, err)
        else:
            draft_done(f"case-new-{kind}")
            return redirect(url_for("cases.show_case", ref=record.ref))
    return _render_form(form, sub, action, status=422)


@bp.route("/<ref>/edit", methods=["GET", "POST"])
@login_required
def edit_case(ref: str) -> ResponseReturnValue:
    record = store.get_case(db.session(), g.user, ref)
    form = form_for_user(record.kind, g.user)
    last = store.latest(record)
    action = url_for("cases.edit_case", ref=ref)
    if request.method == "GET":
        inputs = store.inputs_of(last)
        # The case's own evaluation date: today would judge a past application anew on every
        # correction (re-evaluating today is its own button, 按现行规则和区县设置重新评估).
        values = values_from_case(form, inputs, last.as_of if last else date.today())
        sub = Submission(values=values, applied_for=list(inputs.get("applied_for") or []))
        return _render_form(form, sub, action, record)
    confirmations = store.inputs_of(last).get("confirmations") or {}
    sub = read(form, request.form, confirmations)
    claim(db.session(), g.user, sub, record)
    if sub.ok:
        try:
            _evaluate_and_store(sub, record)
        except ValueError as err:
            _evaluation_error(sub, err)
        else:
            draft_done(f"case-edit-{ref}")
            return redirect(url_for("cases.show_case", ref=ref))
    return _render_form(form, sub, action, record, status=422)


@bp.post("/<ref>/answer")
@login_required
def answer(ref: str) -> ResponseReturnValue:
    """The answers to the decision's questions, added to the case and evaluated again."""
    record = store.get_case(db.session(), g.user, ref)
    last = store.latest(record)
    if last is None:
        return redirect(url_for("cases.edit_case", ref=ref))
    form = form_for_user(record.kind, g.user)
    inputs = store.inputs_of(last)
    asked = {m.fact for d in store.stored_evaluation(last).decisions for m in d.missing}
    values = values_from_case(form, inputs, last.as_of)
    confirmations = dict(inputs.get("confirmations") or {})
    answered = 0
    for name in asked:
        raw = request.form.get(name, "")
        if not isinstance(raw, str) or not raw.strip():
            continue
        answered += 1
        if name.startswith("confirm."):
            if raw in ("yes", "no"):
                confirmations[name.removeprefix("confirm.")] = raw == "yes"
        elif form.field(name) is not None:
            values[name] = raw
    if not answered:
        flash(_("没有填写任何答案"), "warning")
        return redirect(url_for("cases.show_case", ref=ref))
    sub = read(form, values, confirmations, inputs.get("applied_for") or [])
    claim(db.session(), g.user, sub, record)
    if sub.ok:
        try:
            _evaluate_and_store(sub, record)
        except ValueError as err:
            _evaluation_error(sub, err)
        else:
            draft_done(f"answer-{ref}")
            return redirect(url_for("cases.show_case", ref=ref))
    return _render_form(form, sub, url_for("cases.edit_case", ref=ref), record, status=422)


def display_evaluation(decision: DecisionRecord) -> tuple[Evaluation, bool]:
    """The stored decision in the page's language; (evaluation, shown_as_stored).

    The record is kept in Chinese. In English the same inputs are evaluated again on the same
    date; if the rules have changed since, the stored Chinese record is shown instead.
    """
    stored = store.stored_evaluation(decision)
    wanted = lang()
    if stored.lang == wanted:
        return stored, True
    try:
        again = evaluate(parse_case(decision.inputs), decision.as_of, wanted)
    except ValueError:
        return stored, True
    if again.rules_version != stored.rules_version:
        return stored, True
    if [d.status for d in again.decisions] != [d.status for d in stored.decisions]:
        return stored, True  # the district settings changed since: the record as it was decided
    return again, False


def _grouped(evaluation: Evaluation) -> list[tuple[str, list[Any]]]:
    """Decisions by phase; "not yet" and "ended" only when some decision is in them."""
    groups = [(p, [d for d in evaluation.decisions if d.phase.value == p]) for p in PHASES]
    return [(p, items) for p, items in groups if items or p in ALWAYS_SHOWN]


def _questions(evaluation: Evaluation, form: CaseForm) -> list[dict[str, Any]]:
    """The case's questions in the order to ask them (Evaluation.questions), each with
    its input and the programs that wait on it."""
    titles = {d.program: d.title for d in evaluation.decisions}
    return [
        {"missing": q, "field": form.field(q.fact), "programs": [titles[p] for p in q.programs]}
        for q in evaluation.questions
    ]


def _result(record: CaseRecord, decision: DecisionRecord, template: str) -> ResponseReturnValue:
    event = "decision_printed" if template == "cases/print.html" else "decision_viewed"
    audit_access(event, record.district, f"{record.case_id or record.ref} · {decision.id}")
    evaluation, as_stored = display_evaluation(decision)
    is_latest = decision is store.latest(record)
    form = form_for_user(record.kind, g.user)
    return render_template(
        template,
        record=record,
        decision=decision,
        evaluation=evaluation,
        as_stored=as_stored,
        groups=_grouped(evaluation),
        summary=summarise(evaluation),
        questions=_questions(evaluation, form) if is_latest else [],
        is_latest=is_latest,
    )


@bp.get("/<ref>")
@login_required
def show_case(ref: str) -> ResponseReturnValue:
    record = store.get_case(db.session(), g.user, ref)
    last = store.latest(record)
    if last is None:
        return redirect(url_for("cases.edit_case", ref=ref))
    return _result(record, last, "cases/result.html")


@bp.get("/<ref>/decisions/<int:decision_id>")
@login_required
def show_decision(ref: str, decision_id: int) -> ResponseReturnValue:
    record = store.get_case(db.session(), g.user, ref)
    return _result(record, store.get_decision(record, decision_id), "cases/result.html")


@bp.get("/<ref>/decisions/<int:decision_id>/print")
@login_required
def print_decision(ref: str, decision_id: int) -> ResponseReturnValue:
    record = store.get_case(db.session(), g.user, ref)
    return _result(record, store.get_decision(record, decision_id), "cases/print.html")


@bp.get("/<ref>/history")
@login_required
def history(ref: str) -> ResponseReturnValue:
    record = store.get_case(db.session(), g.user, ref)
    return render_template("cases/history.html", record=record, decisions=list(reversed(record.decisions)))


@bp.post("/<ref>/apply")
@login_required
def apply_program(ref: str) -> ResponseReturnValue:
    """A program from "可能还符合" added to the application with one click: the case is evaluated
    again on the same date and the decision kept, as an answer is."""
    record = store.get_case(db.session(), g.user, ref)
    last = store.latest(record)
    if last is None:
        return redirect(url_for("cases.edit_case", ref=ref))
    program = request.form.get("program", "")
    suggested = {s.program for s in store.stored_evaluation(last).suggestions}
    if program not in suggested:
        flash(_("这个项目不在“可能还符合”之列，未加入申请"), "warning")
        return redirect(url_for("cases.show_case", ref=ref))
    inputs = store.inputs_of(last)
    try:
        case = parse_case({**inputs, "applied_for": [*(inputs.get("applied_for") or []), program]})
        evaluate_and_store(case, last.as_of, record)
    except ValueError as err:
        flash(str(err), "error")
        return redirect(url_for("cases.show_case", ref=ref))
    return redirect(url_for("cases.show_case", ref=ref, _anchor=f"program-{program}"))
