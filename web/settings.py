"""Configuration from the environment, with safe defaults for one office's desk.

Everything a deployment must choose is an environment variable (SUBSIDY_*), so the same code runs
under ``subsidy serve``, gunicorn or waitress without a config file to forget.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from engine.values import visible

MAX_BODY_BYTES = 128 * 1024  # a case is a few KB; anything far larger is refused with 413
BATCH_MAX_MB = 200  # a registry upload (about 1.5 million rows); only that page takes more than the above
BATCH_DISK_MB = 10 * 1024  # all runs' files together (a registry's results are a few times its size)


MIN_SECRET_KEY = 32  # characters: a short key can be guessed offline from one signed cookie
SECRET_WAIT_SECONDS = 5.0
# The longest spans a setting may ask for: far beyond any use, and well inside the dates Python can
# count to (99999999 days would make a token's expiry date overflow).
MOST_DAYS = 3650
MOST_MINUTES = 366 * 24 * 60
MOST_COUNT = 10**9  # any other number (megabytes, workers, attempts): a bound only against overflow


class SettingError(ValueError):
    """A setting that stops the start, said in one line (the commands print it, not a traceback)."""


def private_folder(path: Path) -> Path:
    """``path`` as a folder only the server's user can open (0700): it holds ID numbers and keys."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != 0o700:
        path.chmod(0o700)
    return path


def private_file(path: Path, append: bool = False) -> int:
    """A descriptor for writing ``path``, a file only the server's user can read (0600).

    The mode is set on the open descriptor too, so a file left by an older version is fixed.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)
    return fd


def instance_secret(instance_path: Path, name: str = "secret_key") -> str:
    """A secret kept in the instance folder (the session key, the data key), generated (0600) by
    the first process to start.

    Several workers may start at once on a fresh folder: each writes a complete key to a file of its
    own and links it to ``secret_key``; the link either appears whole or fails because another
    worker's key is already there, which is then the one every worker reads. Never empty, never two.
    """
    path = private_folder(instance_path) / name
    if not path.exists():
        tmp = instance_path / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_urlsafe(48))
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink()
    deadline = time.monotonic() + SECRET_WAIT_SECONDS
    while True:  # a key left empty by an older version's race is waited for, then refused
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= MIN_SECRET_KEY:
            return key
        if time.monotonic() > deadline:
            raise SettingError(f"{path} 中的密钥为空或过短：删除该文件后重新启动，将自动生成新密钥")
        time.sleep(0.05)


def secret_from_environment(env: Mapping[str, str], variable: str = "SUBSIDY_SECRET_KEY") -> str | None:
    """The secret in ``variable`` if set; one shorter than 32 characters stops the start."""
    key = env.get(variable, "").strip()
    if not key:
        return None
    if len(key) < MIN_SECRET_KEY:
        raise SettingError(
            f"{variable} 过短（{len(key)} 个字符）：应至少 {MIN_SECRET_KEY} 个随机字符，"
            "例如 python3 -c 'import secrets; print(secrets.token_urlsafe(48))' 的输出"
        )
    return key


def default_database_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'subsidy.sqlite3'}"


def database_url(env: Mapping[str, str], instance_path: Path) -> str:
    """``SUBSIDY_DATABASE_URL``, else the SQLite file in the instance folder."""
    return env.get("SUBSIDY_DATABASE_URL") or default_database_url(instance_path)


def _positive(env: Mapping[str, str], name: str, default: int, most: int = MOST_COUNT) -> int:
    """A positive whole number from the environment, at most ``most``; a typo stops the start
    instead of being ignored."""
    return _count(env, name, default, 1, most)


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number (0 allowed) from the environment."""
    return _count(env, name, default, 0, MOST_COUNT)


def _count(env: Mapping[str, str], name: str, default: int, least: int, most: int) -> int:
    """A whole number from ``least`` to ``most``, written in ASCII digits (int() would also read
    "٣" or "1_000"), or the setting's own one line."""
    text = env.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()):
        raise SettingError(f"{name} 应为{'正' if least else '非负'}整数，而不是“{visible(text)}”")
    value = int(text) if len(text.lstrip("0")) < 19 else None  # int() refuses thousands of digits
    if value is None or not least <= value <= most:
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise SettingError(f"{name} 应为 {least} 至 {most} 之间的整数，而不是 {shown}")
    return value


def from_environment(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The app's settings: environment first, then ``overrides`` (tests, embedding) on top."""
    env = os.environ
    overrides = dict(overrides or {})
    testing = bool(overrides.get("TESTING"))
    debug = bool(overrides.get("DEBUG")) or env.get("SUBSIDY_DEBUG") == "1"
    secure_default = not (testing or debug)
    settings: dict[str, Any] = {
        "DATABASE_URL": database_url(env, instance_path),
        "MAX_CONTENT_LENGTH": MAX_BODY_BYTES,
        "MAX_FORM_PARTS": 500,
        "SESSION_COOKIE_NAME": "subsidy_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("SUBSIDY_SECURE_COOKIES", "1" if secure_default else "0") == "1",
        "PERMANENT_SESSION_LIFETIME": timedelta(
            minutes=_positive(env, "SUBSIDY_SESSION_MINUTES", 8 * 60, MOST_MINUTES)
        ),
        "WTF_CSRF_CHECK_DEFAULT": False,  # web.security decides when (token-auth API is exempt)
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "PAGE_SIZE": 50,
        "BATCH_MAX_BYTES": _positive(env, "SUBSIDY_BATCH_MAX_MB", BATCH_MAX_MB) << 20,
        "BATCH_WORKERS": _positive(env, "SUBSIDY_BATCH_WORKERS", os.cpu_count() or 1),
        # Runs at once: each forks BATCH_WORKERS engine processes, so more would only share the cores.
        "BATCH_RUNS_PER_USER": _positive(env, "SUBSIDY_BATCH_RUNS_PER_USER", 1),
        "BATCH_RUNS_TOTAL": _positive(env, "SUBSIDY_BATCH_RUNS_TOTAL", 2),
        "BATCH_DISK_BYTES": _positive(env, "SUBSIDY_BATCH_DISK_MB", BATCH_DISK_MB) << 20,
        "BATCH_KEEP_DAYS": _positive(env, "SUBSIDY_BATCH_KEEP_DAYS", 30),
        "LOGIN_MAX_FAILURES": _positive(env, "SUBSIDY_LOGIN_MAX_FAILURES", 5),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": _positive(env, "SUBSIDY_LOGIN_MAX_FAILURES_PER_ADDRESS", 30),
        "LOGIN_WINDOW_MINUTES": _positive(env, "SUBSIDY_LOGIN_WINDOW_MINUTES", 15, MOST_MINUTES),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": _positive(env, "SUBSIDY_LOGIN_MAX_FAILURES_PER_ACCOUNT", 20),
        "TOKEN_DAYS": _positive(env, "SUBSIDY_TOKEN_DAYS", 90, MOST_DAYS),
        # Reverse proxies in front that set X-Forwarded-For/-Proto: the client's address is then
        # theirs to tell (login throttling and the audit log need the real one). 0: none.
        "PROXY_HOPS": _whole(env, "SUBSIDY_PROXY_HOPS", 0),
    }
    settings.update(overrides)
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = secret_from_environment(env) or instance_secret(instance_path)
    if not settings.get("DATA_KEY"):  # encrypts ID numbers at rest (web.sealing): never in the database
        settings["DATA_KEY"] = secret_from_environment(env, "SUBSIDY_DATA_KEY") or instance_secret(
            instance_path, "data_key"
        )
    return settings
