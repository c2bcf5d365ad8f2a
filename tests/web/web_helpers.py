"""Helpers for the web desk's tests: users of every role, login through the real form."""

from __future__ import annotations

import re
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from web import create_app, db
from web.accounts import create_user
from web.migrate import upgrade

PASSWORD = "correct horse 1"
USERS = {
    "alice": ("caseworker", "渝中区"),
    "bob": ("caseworker", "渝中区"),
    "sue": ("supervisor", "渝中区"),
    "zed": ("supervisor", "江北区"),
    "root": ("admin", ""),
}
VALID_ID = "500101196103100037"  # a man born 1961-03-10 (checksum valid)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(tmp_path: Path, **extra: Any) -> Flask:
    """An app on a migrated database holding the users above.

    A SQLite database is a copy of one built once per test process: migrating and hashing five
    passwords took a second or more of every web test's setup. Another URL (PostgreSQL) is built
    in place, as before."""
    given = extra.pop("DATABASE_URL", None)
    url = given or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    if given is None:
        tmp_path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_template(), tmp_path / "test.sqlite3")
    config = {"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "test"}
    # Tests start runs back to back; test_web_batch_limits sets the limits it checks.
    config |= {"BATCH_RUNS_PER_USER": 10, "BATCH_RUNS_TOTAL": 10}
    app = create_app({**config, **extra})
    if given is not None:
        _populate(app, url)
    return app


def _populate(app: Flask, url: str) -> None:
    upgrade(url)
    with db.database(app).sessions() as session:
        for name, (role, district) in USERS.items():
            create_user(session, name, PASSWORD, role, district)


@cache
def _template() -> Path:
    """The migrated SQLite database with the users, built once per process (a pytest-xdist worker)."""
    folder = Path(tempfile.mkdtemp(prefix="subsidy-test-db-"))
    url = f"sqlite:///{folder / 'template.sqlite3'}"
    app = create_app(
        {"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "test"}
    )
    _populate(app, url)
    db.database(app).engine.dispose()
    return folder / "template.sqlite3"


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, username: str) -> str:
    """Log in through the form; returns a CSRF token valid for this session."""
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_token(client, "/cases/new/person")


def new_person_case(client: FlaskClient, token: str, **fields: str) -> str:
    """Submit a person case; returns the case page's path."""
    data = {"csrf_token": token, "as_of": "2020-09-15", **fields}
    response = client.post("/cases/new/person", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location
