"""Accounts: creating users, checking passwords, issuing and checking API tokens.

Passwords are hashed by werkzeug (scrypt); API tokens are random and only their sha256 is stored,
so a copy of the database gives neither.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from web.records import ROLES, User

TOKEN_PREFIX = "sbt_"
MIN_PASSWORD = 8
# Compared against when the username is unknown, so both answers take the same time.
_DUMMY_HASH = generate_password_hash("not-a-password-" + secrets.token_hex(8))


class AccountError(ValueError):
    """A refused account operation; the message is shown to the person who asked."""


def create_user(
    db: Session, username: str, password: str, role: str = "caseworker", district: str = ""
) -> User:
    username = username.strip()
    if not username or len(username) > 64:
        raise AccountError("用户名应为1至64个字符")
    if role not in ROLES:
        raise AccountError(f"角色应为 {'、'.join(ROLES)} 之一")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少{MIN_PASSWORD}个字符")
    if db.scalar(select(User).where(User.username == username)) is not None:
        raise AccountError(f"用户名已存在：{username}")
    user = User(
        username=username,
        password_hash=generate_password_hash(password),
        role=role,
        district=district.strip()[:64],
        active=True,
    )
    db.add(user)
    db.commit()
    return user


def authenticate(db: Session, username: str, password: str) -> User | None:
    user = db.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(db: Session, user: User) -> str:
    """A new API token for ``user`` (replacing any previous one); shown once, stored hashed."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user.api_token_hash = _token_hash(token)
    db.commit()
    return token


def revoke_token(db: Session, user: User) -> None:
    user.api_token_hash = None
    db.commit()


def user_for_token(db: Session, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    user = db.scalar(select(User).where(User.api_token_hash == _token_hash(token)))
    return user if user is not None and user.active else None
