"""The tables: users, their login sessions, the audit log, cases, the decisions taken on them, batch
runs, district settings (SQLAlchemy 2.x declarative).

A case row is what a list shows (masked ID number, name, owner, district); everything typed lives
in its decisions, each one the inputs, the date evaluated, the rules version and the full result,
so a decision can be read again exactly as it was given. A batch run's rows stay in its files
(instance/batches/<ref>/); its table row holds who ran what, when, and the final counts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from web.sealing import SealedJson

ROLES = ("caseworker", "supervisor", "admin")
MAX_ID = 2**31 - 1  # the largest id an INTEGER key holds on PostgreSQL
JsonDoc = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def row_id(value: int | None) -> int | None:
    """An id from a URL or a form as a key can hold it, else None: a larger one overflows the
    driver's integer (SQLite past 2**63, PostgreSQL past 2**31) and must find nothing, not fail."""
    return value if value is not None and 0 < value <= MAX_ID else None


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(64), default="")  # signs notices (告知书)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="caseworker")
    district: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set when an admin resets the password: the next page after login is the password change.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # A district typed before districts were chosen from the list that named none of the 38
    # (migration 0004): shown on the accounts page until an admin chooses one.
    district_unmatched: Mapped[str] = mapped_column(String(64), default="")


class ApiToken(Base):
    """One API token of a user: only its sha256 (high-entropy, so a fast hash is enough), until it
    expires or is revoked (by its owner, or with all of them at a password change, a reset or when
    the account is disabled: re-enabling an account restores none)."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class LoginSession(Base):
    """A signed-in browser. The cookie carries a random key; only its sha256 is kept here, and
    deleting the row (logout, password change, account disabled) ends the session at once."""

    __tablename__ = "login_sessions"
    __table_args__ = (Index("ix_login_sessions_user", "user_id"),)

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """Who signed in or failed to, what admins did to accounts, tokens issued and revoked, access
    refused, and every view or download of a decision, notice or batch result; also what login
    throttling counts.

    ``username`` is the account the event is about (as typed, for a failed login); ``actor`` the
    one who acted; ``district`` whose supervisor reads it (the case's or the account's district);
    ``detail`` names the record (a case number, a batch's file), never a case's data.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_address", "address", "at"),
        Index("ix_audit_log_username", "username", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    event: Mapped[str] = mapped_column(String(32))
    username: Mapped[str] = mapped_column(String(64), default="")
    actor: Mapped[str] = mapped_column(String(64), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(String(200), default="")
    district: Mapped[str] = mapped_column(String(64), default="")


class CaseRecord(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_owner", "owner_id"),
        Index("ix_cases_district", "district"),
        Index("ix_cases_id_last4", "id_last4"),
        Index("ix_cases_id_hash", "id_hash"),
        # A case number names one case of a district (NULLs never collide: none is left blank).
        Index("ux_cases_district_case_id", "district", "case_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)  # the URL's key: random, not guessable
    kind: Mapped[str] = mapped_column(String(16))  # person | enterprise
    case_id: Mapped[str | None] = mapped_column(String(100), default=None)  # the office's case number
    name: Mapped[str | None] = mapped_column(String(100), default=None)
    id_masked: Mapped[str | None] = mapped_column(String(24), default=None)  # 500101********0037
    id_last4: Mapped[str | None] = mapped_column(String(4), default=None)
    # The hired person's name (enterprise cases) and HMAC of the full ID number (web.sealing), for search.
    person_name: Mapped[str | None] = mapped_column(String(100), default=None)
    id_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    district: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    owner: Mapped[User] = relationship()
    decisions: Mapped[list[DecisionRecord]] = relationship(
        back_populates="case", order_by="DecisionRecord.id", cascade="all, delete-orphan"
    )


class DecisionRecord(Base):
    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_case", "case_pk"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    inputs: Mapped[dict[str, Any]] = mapped_column(SealedJson)  # ID numbers encrypted (web.sealing)
    as_of: Mapped[date] = mapped_column(Date)
    rules_version: Mapped[str] = mapped_column(String(64))
    evaluation: Mapped[dict[str, Any]] = mapped_column(SealedJson)
    summary: Mapped[dict[str, Any]] = mapped_column(JsonDoc)  # {status: count}, for lists
    # What reproduces it: the engine's version and every parameter value and district setting used
    # (web/cases/receipt.py); None for decisions taken before migration 0004.
    engine_version: Mapped[str | None] = mapped_column(String(32), default=None)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(SealedJson, default=None)
    # False only for decisions stored before migration 0005, until web.sealing encrypts them.
    sealed: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    case: Mapped[CaseRecord] = relationship(back_populates="decisions")
    author: Mapped[User] = relationship()


class CaseNumberCounter(Base):
    """The last case number a district gave out in a year (a blank case number takes the next)."""

    __tablename__ = "case_numbers"

    district: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class DistrictSettingsRecord(Base):
    """A district's settings saved on the desk (engine.districts.DistrictSettings as JSON); it
    replaces the shipped table's entry for that district. ``revision`` counts its saves."""

    __tablename__ = "district_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    revision: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class BatchRun(Base):
    __tablename__ = "batch_runs"
    __table_args__ = (
        Index("ix_batch_runs_owner", "owner_id"),
        Index("ix_batch_runs_district", "district"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)  # URL key and folder name: random
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    district: Mapped[str] = mapped_column(String(64), default="")
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded, for the list and downloads
    kind: Mapped[str] = mapped_column(String(16))  # person | enterprise: rows without a 类型 column
    as_of: Mapped[date] = mapped_column(Date)
    options: Mapped[dict[str, Any]] = mapped_column(JsonDoc)  # long, lang, workers
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    totals: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)  # engine's Totals.dump()

    owner: Mapped[User] = relationship()
