"""District settings (admins for every district, a supervisor for their own): the 有条件的地区
programs a district runs, its local standards, its handling office, review body and court.

The 38 districts are a fixed list (engine.districts.shipped_names); what is saved here is the
engine's own ``DistrictSettings`` and is what the desk's engine reads from the next evaluation on.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine.districts import districts, shipped_names
from engine.evaluate import default_engine
from web import db
from web.accounts import audit
from web.districts import form as settings_form
from web.districts import store
from web.drafts import draft_done
from web.i18n import lang
from web.reviews.receipt import unit_word
from web.security import client_address, role_required

bp = Blueprint("districts", __name__, template_folder="templates", url_prefix="/districts")


def may_edit(name: str) -> bool:
    user = g.user
    return user.role == "admin" or (user.role == "supervisor" and user.district == name)


@bp.get("")
@role_required("admin", "supervisor")
def list_districts() -> ResponseReturnValue:
    book = store.book(db.session())
    terms = book.terms
    rows = [(name, book.districts[name]) for name in shipped_names()]
    return render_template("districts/list.html", rows=rows, terms=terms, may_edit=may_edit)


def _labels() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """What errors name each setting by (Chinese, as every error message), and the page's words for
    each local standard and its unit (in the page's language)."""
    terms = {key: term.label.zh for key, term in districts().terms.items()}
    options = settings_form.standard_options(default_engine().book)
    return terms, {key: label for key, label, _unit in options}, {key: unit for key, _l, unit in options}


def _shown_labels(units: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Each local standard's label and unit in the page's language."""
    book = default_engine().book
    words = {}
    for key in units:
        program, _, param = key.partition(".")
        rule = book.rules[program]
        words[key] = (
            f"{rule.title.zh} · {rule.parameters[param].label.zh}"
            if lang() == "zh"
            else f"{rule.title.en} · {rule.parameters[param].label.en}"
        )
    return words, {key: unit_word(unit, lang()) for key, unit in units.items()}


@bp.route("/<name>", methods=["GET", "POST"])
@role_required("admin", "supervisor")
def edit(name: str) -> ResponseReturnValue:
    if name not in shipped_names():
        abort(404)
    if not may_edit(name):
        abort(404)  # another district's settings are not this supervisor's page
    session = db.session()
    terms, keys, units = _labels()
    if request.method == "GET":
        form = settings_form.from_settings(store.settings_of(session, name), list(terms), list(keys))
        status = 200
    else:
        form = settings_form.read(request.form, terms, keys)
        if form.settings is not None:
            candidate = store.book(session).replace(name, form.settings)
            problem = settings_form.check_with_engine(default_engine().book, candidate)
            if problem is None:
                store.save(session, name, form.settings, g.user.username)
                who = g.user.username
                audit(session, "district_settings", name, client_address(), who, name, district=name)
                flash(_("已保存%(name)s的区县设置，此后的评估按新设置进行", name=name), "ok")
                draft_done(f"district-{name}")
                return redirect(url_for("districts.edit", name=name))
            form.add("", problem)
        # Re-show what was typed, with an empty row to add under each setting.
        for rows in (*form.declared.values(), *form.standards.values()):
            if not rows or not rows[-1].empty:
                rows.append(settings_form.Line())
        status = 422
    record = store.record_of(session, name)
    shown_keys, shown_units = _shown_labels(units)
    return (
        render_template(
            "districts/edit.html",
            name=name,
            form=form,
            terms=districts().terms,
            keys=shown_keys,
            units=shown_units,
            record=record,
        ),
        status,
    )
