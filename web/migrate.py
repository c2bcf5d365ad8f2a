"""Alembic, driven from code: ``subsidy db upgrade`` and ``subsidy serve`` both call ``upgrade``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Engine, create_engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from web.db import private_sqlite, sqlite_file

MIGRATIONS = Path(__file__).parent / "migrations"
CONNECT_SECONDS = 5  # a database server that does not answer is reported, not waited for
UPGRADE_FIRST = "请先运行 subsidy db upgrade"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # ConfigParser interpolation
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``; safe to run at every start."""
    if url.startswith("sqlite:///"):
        private_sqlite(url)
    command.upgrade(alembic_config(url), revision)


def database_problem(url: str, migrating: bool) -> str | None:
    """Why a command cannot use the database at ``url``, in one line naming it (never its password);
    None when it can. A command that does not migrate needs it at the latest structure, and finding
    out creates nothing (SQLite would create a missing file on connecting)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "SUBSIDY_DATABASE_URL 不是有效的数据库地址：应如 sqlite:///路径 或 postgresql+psycopg://用户@主机/库名"
    shown = parsed.render_as_string(hide_password=True)
    path = sqlite_file(url)
    if path is not None and not path.exists():
        return None if migrating else f"数据库 {shown} 还没有建立：{UPGRADE_FIRST}"
    try:
        engine = _engine(parsed)
    except (ArgumentError, ImportError):  # an unknown kind of database, or its driver not installed
        return f"无法使用数据库 {shown}：不支持 {parsed.drivername}（审核台用 SQLite 或 postgresql+psycopg）"
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except DBAPIError as err:
        return f"无法连接数据库 {shown}：{_reason(err, parsed)}"
    finally:
        engine.dispose()
    if migrating or current == set(ScriptDirectory.from_config(alembic_config(url)).get_heads()):
        return None
    return f"数据库 {shown} {'不是最新结构' if current else '还没有建立'}：{UPGRADE_FIRST}"


def _engine(url: URL) -> Engine:
    """An engine for one look at ``url``, giving up on a server after ``CONNECT_SECONDS``."""
    waits = {"connect_timeout": CONNECT_SECONDS} if url.get_backend_name() == "postgresql" else {}
    return create_engine(url, connect_args=waits)


def _reason(err: DBAPIError, url: URL) -> str:
    """The driver's first line on a failed connection, without the password should it quote it."""
    said = str(err.orig).strip().splitlines()[0] if str(err.orig).strip() else type(err.orig).__name__
    return said.replace(url.password, "***") if isinstance(url.password, str) and url.password else said
