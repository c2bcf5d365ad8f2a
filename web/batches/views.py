"""批量评估: upload a registry, follow its run, download the results — ``subsidy batch`` from the desk.

The run itself is a separate process (web.batches.job); these pages only start it, read its folder
and hand out its files, to the same users who would see a case of the same owner.
"""

from __future__ import annotations

import io
import secrets
import shutil
from pathlib import PurePosixPath
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from engine.batch.template import template_file
from engine.evaluate import default_engine
from web import db
from web.batches import job, limits, store, upload
from web.batches.folder import Progress, RunFolder
from web.batches.upload import Upload
from web.evaluator import desk_engine
from web.i18n import lang
from web.paging import asked_page
from web.phase import PHASES
from web.records import BatchRun
from web.security import audit_access, larger_body, login_required

bp = Blueprint("batches", __name__, template_folder="templates", url_prefix="/batches")
ORDER = PHASES  # a batch counts phases: not yet and ended apart from refusals (web/phase.py)
CSV = "text/csv"  # werkzeug adds "; charset=utf-8" to text types


def _folder(run: BatchRun) -> RunFolder:
    return RunFolder.of(current_app.instance_path, run.ref)


def _progress(run: BatchRun) -> Progress:
    """How far the run is; a finished run's counts go into its row the first time they are seen."""
    if run.totals is not None:
        return Progress.finished(run.totals)
    folder = _folder(run)
    progress = folder.progress()
    if progress.state == "done":
        store.settle(db.session(), run, folder.read_status())
    return progress


def _size(limit: int) -> str:
    return f"{limit / (1 << 20):g} MB" if limit >= 1 << 20 else f"{limit / 1024:g} KB"


def _form(up: Upload, status: int = 200) -> ResponseReturnValue:
    limit = _size(current_app.config["BATCH_MAX_BYTES"])
    return render_template("batches/new.html", up=up, limit=limit), status


@bp.get("/")
@login_required
def list_runs() -> ResponseReturnValue:
    limits.remove_expired(db.session())
    page, size = asked_page()
    runs, total, page = store.page_of_runs(db.session(), g.user, page, size)
    rows = [(run, _progress(run)) for run in runs]
    return render_template("batches/list.html", rows=rows, total=total, page=page, size=size)


@bp.get("/new")
@login_required
def new_run() -> ResponseReturnValue:
    return _form(upload.defaults(lang()))


@bp.post("/new")
@login_required
@larger_body("BATCH_MAX_BYTES")
def create_run() -> ResponseReturnValue:
    """Save the file, refuse it at once if the engine cannot read its headers, else start the job."""
    up = upload.read_options(request.form)
    file = request.files.get("file")
    if file is None or not file.filename:
        up.errors.insert(0, _("请选择要上传的名册文件（CSV）"))
    if up.errors or file is None:
        return _form(up, 422)
    limits.remove_expired(db.session())
    with limits.launching():
        return _start_run(up, file)


def _start_run(up: Upload, file: FileStorage) -> ResponseReturnValue:
    """Within the limits: save the file, check it can be read, start its job."""
    refused = limits.refusal(db.session(), g.user, request.content_length or 0)
    if refused is not None:
        up.errors.append(refused[0])
        return _form(up, refused[1])
    ref = secrets.token_hex(16)
    folder = RunFolder.of(current_app.instance_path, ref)
    folder.create()
    with folder.open_private(folder.input) as out:
        file.save(out)
    refusal = upload.refusal(folder.input, up.kind)
    if refusal is not None:
        shutil.rmtree(folder.path)
        up.errors.append(_("名册无法评估：%(why)s", why=refusal))
        return _form(up, 422)
    options: dict[str, Any] = {
        "long": up.shape == "long",
        "lang": up.lang,
        "workers": current_app.config["BATCH_WORKERS"],
    }
    folder.write_job({"kind": up.kind, "as_of": up.as_of, **options})
    folder.write_settings(desk_engine().settings.model_dump(mode="json", by_alias=True))
    name = upload.clean_filename(file.filename)
    store.create_run(db.session(), g.user, ref, name, up.kind, up.as_of_date, options)
    job.launch(folder)
    return redirect(url_for("batches.show_run", ref=ref))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_err: RequestEntityTooLarge) -> ResponseReturnValue:
    """A file over the limit, said on the form (the body is refused unread, so the form is fresh)."""
    if g.get("user") is None:  # not signed in: the limit was the ordinary one, and no form is shown
        return redirect(url_for("auth.login", next=url_for("batches.new_run")))
    up = upload.defaults(lang())
    limit = _size(request.max_content_length or current_app.config["BATCH_MAX_BYTES"])
    up.errors.append(_("文件过大：名册不能超过 %(limit)s，请分成几个文件分别上传", limit=limit))
    return _form(up, 413)


@bp.get("/template/<any(person, enterprise):kind>.csv")
@login_required
def template(kind: str) -> ResponseReturnValue:
    """The empty registry, the same bytes as ``subsidy batch --template --kind KIND``."""
    data = template_file(kind)
    name = _("名册模板-个人.csv") if kind == "person" else _("名册模板-单位.csv")
    return send_file(io.BytesIO(data), mimetype=CSV, as_attachment=True, download_name=name)


def _programs(progress: Progress) -> list[tuple[str, list[int]]]:
    """Each program with cases in the run: its title and its number of cases per status."""
    rows = []
    for rule in default_engine().book.rules.values():
        numbers = [progress.counts.get(f"{rule.id}|{status}", 0) for status in ORDER]
        if any(numbers):
            rows.append((rule.title(lang()), numbers))
    return rows


@bp.get("/<ref>")
@login_required
def show_run(ref: str) -> ResponseReturnValue:
    run = store.get_run(db.session(), g.user, ref)
    progress = _progress(run)
    if progress.state == "done":
        audit_access("batch_viewed", run.district, run.filename)
    return render_template(
        "batches/show.html", run=run, progress=progress, programs=_programs(progress), order=ORDER
    )


@bp.get("/<ref>/status")
@login_required
def run_status(ref: str) -> ResponseReturnValue:
    """The progress page's poll."""
    p = _progress(store.get_run(db.session(), g.user, ref))
    counts = {"read": p.read, "decided": p.decided, "rejected": p.rejected}
    return {"state": p.state, "percent": p.percent, **counts}


@bp.get("/<ref>/<any(result, errors):which>.csv")
@login_required
def download(ref: str, which: str) -> ResponseReturnValue:
    run = store.get_run(db.session(), g.user, ref)
    if _progress(run).state != "done":
        abort(404)
    folder = _folder(run)
    path = folder.result if which == "result" else folder.errors
    if not path.is_file():  # its folder was removed on the server
        abort(404)
    audit_access("batch_downloaded", run.district, f"{run.filename} · {which}")
    stem = PurePosixPath(run.filename).stem
    suffix = _("评估结果") if which == "result" else _("有误行")
    response = send_file(
        path,
        mimetype=CSV,
        as_attachment=True,
        download_name=f"{stem}-{suffix}.csv",
    )
    response.headers["Cache-Control"] = "no-store"  # ID numbers: never in a shared cache
    return response


@bp.get("/<ref>/delete")
@login_required
def confirm_delete(ref: str) -> ResponseReturnValue:
    """Ask before removing a run: what will be gone, with a button to delete and a way back."""
    run = store.get_run(db.session(), g.user, ref)
    return render_template("batches/delete.html", run=run, progress=_progress(run))


@bp.post("/<ref>/delete")
@login_required
def delete(ref: str) -> ResponseReturnValue:
    """Remove a run that is not running: its files (the registry carries ID numbers) and its row.
    Only from the confirmation page (``confirm=yes``); anything else is asked first."""
    session = db.session()
    run = store.get_run(session, g.user, ref)
    if request.form.get("confirm") != "yes":
        return redirect(url_for("batches.confirm_delete", ref=ref))
    folder = _folder(run)
    if folder.path.exists() and folder.alive():
        flash(_("这个批次正在运行，不能删除"), "warning")
        return redirect(url_for("batches.show_run", ref=ref))
    shutil.rmtree(folder.path, ignore_errors=True)
    name = run.filename
    store.delete_run(session, run)
    flash(_("已删除批次“%(name)s”及其文件", name=name), "ok")
    return redirect(url_for("batches.list_runs"))


@bp.post("/<ref>/resume")
@login_required
def resume(ref: str) -> ResponseReturnValue:
    """Continue an interrupted (or failed) run from its last checkpoint."""
    run = store.get_run(db.session(), g.user, ref)
    folder = _folder(run)
    with limits.launching():
        if _progress(run).state not in ("interrupted", "failed"):
            flash(_("这个批次正在运行或已经完成"), "warning")
        elif (refused := limits.refusal(db.session(), g.user, 0)) is not None:
            flash(refused[0], "warning")
        elif job.launch(folder, resume=True):
            flash(_("已从中断处继续运行"), "ok")
        else:
            flash(_("这个批次正在运行或已经完成"), "warning")
    return redirect(url_for("batches.show_run", ref=ref))
