"""待办 (the cases whose decisions change in the next days) and 重新核对 (what the rules and settings
in force now change in the decisions already taken): new pages of their own."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, g, render_template, request
from flask.typing import ResponseReturnValue

from web import db
from web.caseload import work
from web.evaluator import desk_engine
from web.security import login_required

bp = Blueprint("caseload", __name__, template_folder="templates", url_prefix="/caseload")
DAYS = (7, 30, 90)


@bp.get("/todo")
@login_required
def todo() -> ResponseReturnValue:
    days = request.args.get("days", default=30, type=int)
    if days not in DAYS:
        days = 30
    today = date.today()
    rows = work.due(db.session(), g.user, desk_engine(), today, days)
    return render_template("caseload/todo.html", rows=rows, days=days, choices=DAYS, today=today)


@bp.get("/recheck")
@login_required
def recheck() -> ResponseReturnValue:
    if g.user.role not in ("supervisor", "admin"):
        abort(404)  # a supervisor's page: as if it did not exist for others
    engine = desk_engine()
    count, changes, refused = work.recheck(db.session(), g.user, engine)
    return render_template(
        "caseload/recheck.html", count=count, changes=changes, refused=refused, version=engine.book.version
    )
