"""Login throttling (ASVS 2.2.1): slow a guesser down, never lock an office out. Counted from the
audit log, so every worker process agrees.

Three counts over a sliding window (``LOGIN_WINDOW_MINUTES``), each with a backoff: past its limit
the next attempt waits a delay that doubles with every further failure, up to the window, measured
from the latest failure.

- one account from one address (``LOGIN_MAX_FAILURES``; a success there starts it afresh): the
  person who forgot their password, or someone guessing at one account;
- one account from any address (``LOGIN_MAX_FAILURES_PER_ACCOUNT``): guessing spread over many
  addresses. An address the account signed in from in the last 30 days is not held by it, so a
  guesser elsewhere cannot keep the real user out of their own office;
- one address, any accounts (``LOGIN_MAX_FAILURES_PER_ADDRESS``): trying many accounts from one
  place. It holds only accounts that have not signed in from that address in the last 30 days, so
  an office behind one NAT address keeps working while someone there sprays names.

A held attempt is answered before the password hash is computed and writes nothing, so a flood of
them costs a query each, cannot slow other pages and does not lengthen the wait.

A refused API token (``TOKEN_REFUSED``) is logged up to the per-address limit in the window and no
further: a token cannot be guessed, so the log must show that an address is trying, not each try of
a flood, which would otherwise write a row per request.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from web.records import AuditEvent, utcnow

FAILED = "login_failed"
SUCCEEDED = "login_ok"
TOKEN_REFUSED = "token_refused"
KNOWN_DAYS = 30
FIRST_DELAY = timedelta(seconds=30)


def _aware(when: datetime) -> datetime:
    """SQLite hands back times without their zone (UTC)."""
    return when if when.tzinfo is not None else when.replace(tzinfo=utcnow().tzinfo)


def backoff(failures: int, limit: int, window: timedelta) -> timedelta | None:
    """The wait after ``failures`` failures against a limit of ``limit``: none below it, then 30 s,
    1 min, 2 min, … doubling, never longer than the window."""
    if failures < limit:
        return None
    return min(window, FIRST_DELAY * (2 ** min(failures - limit, 20)))


def _held_until(
    db: Session, failures: Select[tuple[datetime]], limit: int, window: timedelta
) -> datetime | None:
    count = db.scalar(select(func.count()).select_from(failures.subquery())) or 0
    delay = backoff(count, limit, window)
    if delay is None:
        return None
    newest = db.scalar(failures.order_by(AuditEvent.at.desc()).limit(1))
    if newest is None:
        return None
    until = _aware(newest) + delay
    return until if until > utcnow() else None


def _known_address(db: Session, username: str, address: str) -> datetime | None:
    """When ``username`` last signed in from ``address`` within KNOWN_DAYS, if it did."""
    since = utcnow() - timedelta(days=KNOWN_DAYS)
    return db.scalar(
        select(AuditEvent.at)
        .where(
            AuditEvent.event == SUCCEEDED,
            AuditEvent.username == username,
            AuditEvent.address == address,
            AuditEvent.at > since,
        )
        .order_by(AuditEvent.at.desc())
        .limit(1)
    )


def retry_at(db: Session, username: str, address: str) -> tuple[datetime, str] | None:
    """When this attempt may be made, if it may not be now, and which count holds it ('address' or
    'account'); None if it may go ahead."""
    config = current_app.config
    window = timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    since = utcnow() - window
    failed = select(AuditEvent.at).where(AuditEvent.event == FAILED, AuditEvent.at > since)
    known = _known_address(db, username, address)

    mine = failed.where(AuditEvent.username == username, AuditEvent.address == address)
    if known is not None:
        mine = mine.where(AuditEvent.at > known)  # a success starts the count afresh
    held = _held_until(db, mine, config["LOGIN_MAX_FAILURES"], window)
    if held is not None:
        return held, "account"
    if known is not None:
        return None  # the account's own office: neither a sprayer there nor a guesser elsewhere holds it
    everywhere = failed.where(AuditEvent.username == username)
    held = _held_until(db, everywhere, config["LOGIN_MAX_FAILURES_PER_ACCOUNT"], window)
    if held is not None:
        return held, "account"
    here = failed.where(AuditEvent.address == address)
    held = _held_until(db, here, config["LOGIN_MAX_FAILURES_PER_ADDRESS"], window)
    return (held, "address") if held is not None else None


def minutes_until(when: datetime) -> int:
    """Whole minutes (at least 1) until ``when``."""
    return max(1, -int(-(_aware(when) - utcnow()).total_seconds() // 60))


def token_refusal_logged(db: Session, address: str) -> bool:
    """Whether a refused API token from ``address`` goes to the audit log: while the address has
    fewer than ``LOGIN_MAX_FAILURES_PER_ADDRESS`` refusals logged in the window."""
    config = current_app.config
    since = utcnow() - timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    refused = select(func.count()).where(
        AuditEvent.event == TOKEN_REFUSED, AuditEvent.address == address, AuditEvent.at > since
    )
    return (db.scalar(refused) or 0) < config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
