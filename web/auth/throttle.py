"""Login throttling (ASVS 2.2.1), counted from the audit log so every worker process agrees.

Failures are counted per (account, address) and per address within a sliding window. Someone
guessing from one address therefore blocks that address, and that account from that address, but
never the real user signing in from their own computer. A throttled attempt is answered before the
password hash is computed and writes nothing, so a flood of them costs a query each and cannot slow
other pages.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from web.records import AuditEvent, utcnow

FAILED = "login_failed"
SUCCEEDED = "login_ok"


def _nth_newest_failure(db: Session, query: Select[tuple[datetime]], n: int) -> datetime | None:
    return db.scalar(query.order_by(AuditEvent.at.desc()).offset(n - 1).limit(1))


def retry_at(db: Session, username: str, address: str) -> tuple[datetime, str] | None:
    """When this attempt may be made, if it may not be now, and which limit holds it ('address' or
    'account'); None if it may go ahead."""
    config = current_app.config
    window = timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    since = utcnow() - window
    failures = select(AuditEvent.at).where(
        AuditEvent.event == FAILED, AuditEvent.address == address, AuditEvent.at > since
    )
    held = _nth_newest_failure(db, failures, config["LOGIN_MAX_FAILURES_PER_ADDRESS"])
    if held is not None:
        return held + window, "address"
    last_success = db.scalar(
        select(AuditEvent.at)
        .where(AuditEvent.event == SUCCEEDED, AuditEvent.username == username, AuditEvent.address == address)
        .order_by(AuditEvent.at.desc())
        .limit(1)
    )
    mine = failures.where(AuditEvent.username == username)
    if last_success is not None:
        mine = mine.where(AuditEvent.at > last_success)  # a success starts the count afresh
    held = _nth_newest_failure(db, mine, config["LOGIN_MAX_FAILURES"])
    return (held + window, "account") if held is not None else None


def minutes_until(when: datetime) -> int:
    """Whole minutes (at least 1) until ``when``; SQLite hands back times without their zone (UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=utcnow().tzinfo)
    return max(1, -int(-(when - utcnow()).total_seconds() // 60))
