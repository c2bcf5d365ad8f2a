"""One SQLAlchemy engine per app, one session per request (closed when the request ends)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from web.settings import private_file, private_folder

EXTENSION = "subsidy.db"


class Database:
    def __init__(self, url: str):
        self.url = url
        # hide_parameters: a failed statement's error (and so any log of it) never quotes the row.
        kwargs: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
            private_sqlite(url)
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)


def private_sqlite(url: str) -> None:
    """Create the SQLite file 0600 before SQLite does (it would make it 0644), in a 0700 folder.

    SQLite gives its -wal and -shm files the mode of the database file, so they follow; files left
    readable by an older version are made private here.
    """
    path = sqlite_file(url)
    if path is None:
        return
    if not path.parent.exists():
        private_folder(path.parent)
    os.close(private_file(path, append=True))
    for suffix in ("-wal", "-shm", "-journal"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            extra.chmod(0o600)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database at ``url`` (None for another database, or one in memory)."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on (SQLite leaves them off), WAL so readers don't block the writer, and every
    commit synced before it is acknowledged (FULL: a saved case survives a crash or power cut)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def init_app(app: Flask) -> Database:
    database = Database(app.config["DATABASE_URL"])
    app.extensions[EXTENSION] = database
    app.teardown_appcontext(_close_session)
    return database


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions[EXTENSION]


def session() -> Session:
    """The request's session; the same object for the whole request."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()
