"""How many batch runs may go at once, how much disk they may take, and how long they are kept.

Each run forks its own engine workers, so runs at once are limited per user and in total
(SUBSIDY_BATCH_RUNS_PER_USER, SUBSIDY_BATCH_RUNS_TOTAL); all runs' files together are limited
(SUBSIDY_BATCH_DISK_MB); and a run is removed, files and row, SUBSIDY_BATCH_KEEP_DAYS after its
upload, since its registry holds ID numbers. The check and the start happen under one lock
(``launching``), so two uploads at the same instant cannot both take the last place.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from web.accounts import audit
from web.batches.folder import ROOT, RunFolder
from web.records import BatchRun, User, utcnow
from web.settings import private_folder

TOO_MANY = 429
NO_SPACE = 507


def _root() -> Path:
    return private_folder(Path(current_app.instance_path) / ROOT)


@contextmanager
def launching() -> Iterator[None]:
    """Held from the limits' check to the job's start, across the server's processes."""
    fd = os.open(Path(current_app.instance_path) / "batches.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def running(db: Session) -> list[BatchRun]:
    """Runs whose job (or its launcher) holds the folder's lock now."""
    unfinished = db.scalars(select(BatchRun).where(BatchRun.finished_at.is_(None))).all()
    return [run for run in unfinished if RunFolder.of(current_app.instance_path, run.ref).alive()]


def disk_used() -> int:
    return sum(path.stat().st_size for path in _root().rglob("*") if path.is_file())


def refusal(db: Session, user: User, incoming: int) -> tuple[str, int] | None:
    """Why a new run (of about ``incoming`` bytes) may not start now, with the status to answer."""
    config = current_app.config
    live = running(db)
    mine = sum(1 for run in live if run.owner_id == user.id)
    if mine >= config["BATCH_RUNS_PER_USER"]:
        return _("您已有 %(n)d 个批次正在运行，请等它完成后再上传或继续", n=mine), TOO_MANY
    if len(live) >= config["BATCH_RUNS_TOTAL"]:
        message = _("服务器上同时运行的批次已达上限（%(n)d 个），请稍后再试", n=config["BATCH_RUNS_TOTAL"])
        return message, TOO_MANY
    quota = config["BATCH_DISK_BYTES"]
    if disk_used() + incoming > quota:
        message = _(
            "批次文件占用的磁盘空间已达上限（%(limit)d MB）：请先删除已下载结果的批次", limit=quota >> 20
        )
        return message, NO_SPACE
    return None


def remove_expired(db: Session) -> int:
    """Remove the runs uploaded more than BATCH_KEEP_DAYS ago and not running; how many."""
    cutoff = utcnow() - timedelta(days=current_app.config["BATCH_KEEP_DAYS"])
    removed = 0
    for run in db.scalars(select(BatchRun).where(BatchRun.created_at < cutoff)).all():
        folder = RunFolder.of(current_app.instance_path, run.ref)
        if folder.path.exists() and folder.alive():
            continue
        shutil.rmtree(folder.path, ignore_errors=True)
        owner = run.owner.username
        db.delete(run)
        audit(db, "batch_expired", owner, "", detail=f"{run.ref} {run.created_at:%Y-%m-%d}")
        removed += 1
    return removed
