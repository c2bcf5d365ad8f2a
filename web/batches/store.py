"""Batch runs in the database, always through the asking user's view of them (as cases are).

A run outside the user's view is "not found", exactly as a run that does not exist. The job
process never touches the database: a run's final counts are copied from its status file the
first time a page sees it finished.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from web.batches.folder import Status
from web.paging import one_page
from web.records import BatchRun, User, utcnow
from web.security import visible, visible_by_ref


def create_run(
    db: Session, user: User, ref: str, filename: str, kind: str, as_of: date, options: dict[str, Any]
) -> BatchRun:
    run = BatchRun(
        ref=ref,
        owner_id=user.id,
        district=user.district,
        filename=filename,
        kind=kind,
        as_of=as_of,
        options=options,
    )
    db.add(run)
    db.commit()
    return run


def get_run(db: Session, user: User, ref: str) -> BatchRun:
    return visible_by_ref(db, BatchRun, user, ref)


def page_of_runs(db: Session, user: User, page: int, size: int) -> tuple[list[BatchRun], int, int]:
    """The user's runs, newest first (``one_page``: rows, total, the page shown)."""
    newest_first = visible(BatchRun, user).order_by(BatchRun.created_at.desc(), BatchRun.id.desc())
    return one_page(db, newest_first, page, size)


def settle(db: Session, run: BatchRun, status: Status) -> None:
    """Record a finished run's end and counts, once."""
    if run.finished_at is not None or status.state != "done":
        return
    run.finished_at = datetime.fromisoformat(status.finished_at) if status.finished_at else utcnow()
    run.totals = status.totals
    db.commit()


def delete_run(db: Session, run: BatchRun) -> None:
    db.delete(run)
    db.commit()
