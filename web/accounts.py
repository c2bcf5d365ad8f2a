"""Accounts: creating users, checking and changing passwords, login sessions, API tokens, the audit log.

Passwords are hashed by werkzeug (scrypt); API tokens and session keys are random and only their
sha256 is stored, so a copy of the database gives none of them. A password must have at least 10
characters and not be easy to guess (zxcvbn's estimate, which checks it against its list of the
30,000 commonest passwords from leaks, names and words, and against the username): ASVS 2.1.
Nor may it hold the username, the user's name in pinyin or their district's (web.pinyin): those are
the first words anyone guessing at a caseworker's account tries.

A user may hold several API tokens, each with an expiry (``TOKEN_DAYS``, 90 by default); a password
change, an admin's reset and disabling the account revoke every one of them.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from engine.districts import shipped_names
from web.pinyin import district_words, name_words
from web.records import ROLES, ApiToken, AuditEvent, LoginSession, User, utcnow

TOKEN_PREFIX = "sbt_"
MIN_PASSWORD = 10
MAX_PASSWORD = 256
MIN_STRENGTH = 3  # zxcvbn's score 0-4; 3: about 10^8 guesses or more, beyond any list of common ones
SITE_WORDS = ["subsidy", "chongqing", "cq", "wenjiuye", "shenhe", "admin", "password"]
# Compared against when the username is unknown, so both answers take the same time.
_DUMMY_HASH = generate_password_hash("not-a-password-" + secrets.token_hex(8))


class AccountError(ValueError):
    """A refused account operation; the message is shown to the person who asked."""


def create_user(
    db: Session,
    username: str,
    password: str,
    role: str = "caseworker",
    district: str = "",
    full_name: str = "",
) -> User:
    username = username.strip()
    if not username or len(username) > 64:
        raise AccountError("用户名应为1至64个字符")
    check_name(username, "用户名")
    check_name(full_name.strip(), "姓名")
    if role not in ROLES:
        raise AccountError(f"角色应为 {'、'.join(ROLES)} 之一")
    district = check_district(district, role)
    check_password(password, username, district, full_name)
    key = name_key(username)
    taken = next((name for name in db.scalars(select(User.username)) if name_key(name) == key), None)
    if taken is not None:
        same = "" if taken == username else "（大小写或全角半角不同也算同一个）"
        raise AccountError(f"用户名已存在：{taken}{same}")
    user = User(
        username=username,
        password_hash=generate_password_hash(password),
        role=role,
        district=district,
        full_name=full_name.strip()[:64],
        active=True,
    )
    db.add(user)
    db.commit()
    return user


# Characters that do not show, or that move or break the text around them: control characters (a
# line break, a tab), format characters (a zero-width space, a right-to-left override), and the
# line and paragraph separators. In a name they make two accounts look alike, or a list misread.
HIDDEN = {"Cc", "Cf", "Zl", "Zp"}


def check_name(name: str, what: str) -> None:
    """A name (``what``: 用户名, 姓名) as it is typed and shown: characters that show, and only text
    (a lone surrogate is a byte of a command-line argument that was not UTF-8)."""
    for char in name:
        category = unicodedata.category(char)
        if category == "Cs":
            raise AccountError(f"{what}不是 UTF-8 编码的文本")
        if category in HIDDEN:
            raise AccountError(f"{what}不能含控制字符、格式字符或换行（U+{ord(char):04X}）")


def name_key(username: str) -> str:
    """What makes two usernames the same account: compared without case, full- or half-width."""
    return unicodedata.normalize("NFKC", username).casefold()


def check_district(district: str, role: str) -> str:
    """One of Chongqing's 38 districts (empty allowed except for a supervisor, who sees one)."""
    district = district.strip()
    if district and district not in shipped_names():
        raise AccountError(f"区县应为重庆市38个区县之一，而不是“{district[:64]}”")
    if role == "supervisor" and not district:
        raise AccountError("主管须选择所属区县")
    return district


def set_district(db: Session, user: User, district: str, full_name: str | None = None) -> None:
    """Move ``user`` to ``district`` (an admin's choice from the list), and name them; committed."""
    user.district = check_district(district, user.role)
    if full_name is not None:
        check_name(full_name.strip(), "姓名")
        user.full_name = full_name.strip()[:64]
    user.district_unmatched = ""
    db.commit()


def _personal_word(password: str, username: str, district: str, full_name: str) -> str | None:
    """The username, name or district the password holds (case and spacing ignored), if any."""
    folded = "".join(password.lower().split())
    candidates = [(username.lower(), "用户名")] if len(username) >= 3 else []
    candidates += [(w, "姓名") for w in name_words(full_name)]
    candidates += [(w, "所属区县") for w in district_words(district)]
    for word, what in candidates:
        if len(word) >= 2 and word in folded:
            return what
    return None


def check_password(password: str, username: str, district: str = "", full_name: str = "") -> None:
    """Refuse a password that is short, easy to guess or holds the user's own names, saying why in Chinese."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少{MIN_PASSWORD}个字符")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"密码最多{MAX_PASSWORD}个字符")
    if "\x00" in password:  # no one types it; C libraries and some hashes end the text there
        raise AccountError("密码不能含空字符（NUL）")
    what = _personal_word(password, username, district, full_name)
    if what is not None:
        spelled = "" if what == "用户名" else "（含其拼音）"
        raise AccountError(f"密码不能包含{what}{spelled}：这是猜密码的人最先试的，请换一个与本人无关的密码")
    words = [
        w for w in (username, district, *name_words(full_name), *district_words(district), *SITE_WORDS) if w
    ]
    if zxcvbn(password, user_inputs=words)["score"] < MIN_STRENGTH:
        raise AccountError(
            "密码太常见或太容易猜到（如常用密码、连续或重复的字符、日期、用户名），"
            "请换一个更长、更不常见的密码，例如几个不相关的词加数字"
        )


def set_password(db: Session, user: User, password: str, must_change: bool = False) -> int:
    """A new password for ``user``; every session and API token of theirs ends (the caller opens a
    new session, and writes the audit lines); how many tokens were revoked."""
    check_password(password, user.username, user.district, user.full_name)
    user.password_hash = generate_password_hash(password)
    user.must_change_password = must_change
    end_all_sessions(db, user)
    revoked = revoke_all_tokens(db, user)
    db.commit()
    return revoked


def password_matches(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def authenticate(db: Session, username: str, password: str) -> User | None:
    user = db.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(db: Session, user: User, days: int, label: str = "") -> tuple[str, ApiToken]:
    """A new API token for ``user``, valid ``days`` days; shown once, stored hashed (committed)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(
        user_id=user.id,
        token_hash=_token_hash(token),
        label=label.strip()[:64],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.add(row)
    db.commit()
    return token, row


def tokens_of(db: Session, user: User) -> list[ApiToken]:
    """The user's tokens, unexpired ones first, newest first."""
    rows = db.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()))
    now = utcnow()
    return sorted(rows, key=lambda t: _aware(t.expires_at) <= now)


def revoke_token(db: Session, user: User, token_id: int) -> ApiToken | None:
    """Revoke one of ``user``'s own tokens (None: no such token of theirs); committed."""
    row = db.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if row is not None:
        db.delete(row)
        db.commit()
    return row


def revoke_all_tokens(db: Session, user: User) -> int:
    """Every API token of ``user`` stops working (not committed here); how many there were."""
    result = db.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    return int(getattr(result, "rowcount", 0) or 0)


def _aware(when: datetime) -> datetime:
    """SQLite hands back times without their zone: they are UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def user_for_token(db: Session, token: str) -> User | None:
    """The active user of an unexpired token; the token's last use is noted."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    now = utcnow()
    query = (
        select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _token_hash(token), ApiToken.expires_at > now, User.active)
    )
    row = db.execute(query).first()
    if row is None:
        return None
    user, found = row
    if found.last_used_at is None or _aware(found.last_used_at) < now - timedelta(minutes=1):
        found.last_used_at = now  # to the minute: not a write per request
        db.commit()
    return user


def open_session(db: Session, user: User, lifetime: timedelta) -> str:
    """A new login session for ``user``: the key for the cookie (its sha256 is what is stored)."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    db.execute(delete(LoginSession).where(LoginSession.expires_at < now))  # expired ones: housekeeping
    row = LoginSession(key_hash=_token_hash(key), user_id=user.id, created_at=now, expires_at=now + lifetime)
    db.add(row)
    db.commit()
    return key


def user_for_session(db: Session, key: str) -> User | None:
    """The active user of an unexpired session with this key, else None."""
    found = session_for_key(db, key)
    return found[0] if found else None


def session_for_key(db: Session, key: str) -> tuple[User, datetime] | None:
    """The active user of an unexpired session with this key, and when the session ends."""
    if len(key) > 100:
        return None
    query = (
        select(User, LoginSession.expires_at)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.key_hash == _token_hash(key), LoginSession.expires_at > utcnow(), User.active)
    )
    row = db.execute(query).first()
    return (row[0], row[1]) if row else None


MAX_SESSION = timedelta(hours=12)  # ASVS 3.3.2: however often extended, a login ends 12 h after it began


def extend_session(db: Session, key: str, lifetime: timedelta) -> datetime | None:
    """The session with this key lasts ``lifetime`` from now (the page's 延长登录), but never past
    MAX_SESSION from its start; its new end, or None if it has already ended. Committed."""
    row = db.get(LoginSession, _token_hash(key)) if len(key) <= 100 else None
    now = utcnow()
    if row is None or _aware(row.expires_at) <= now:
        return None
    row.expires_at = max(_aware(row.expires_at), min(now + lifetime, _aware(row.created_at) + MAX_SESSION))
    db.commit()
    return row.expires_at


def end_session(db: Session, key: str) -> None:
    db.execute(delete(LoginSession).where(LoginSession.key_hash == _token_hash(key)))
    db.commit()


def end_all_sessions(db: Session, user: User) -> None:
    """Every browser signed in as ``user`` is signed out at its next request (not committed here)."""
    db.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def audit(
    db: Session,
    event: str,
    username: str,
    address: str,
    actor: str = "",
    detail: str = "",
    district: str | None = None,
) -> None:
    """One line of the audit log, committed. ``district`` (whose supervisor reads the line) defaults
    to the account's district."""
    if district is None:
        district = db.scalar(select(User.district).where(User.username == username)) or ""
    db.add(
        AuditEvent(
            event=event,
            username=username[:64],
            actor=actor[:64],
            address=address[:64],
            detail=detail[:200],
            district=district[:64],
        )
    )
    db.commit()
