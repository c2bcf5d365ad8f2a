"""Fixtures for the web desk: a migrated temporary SQLite database with users of every role, a
client logged in through the real login form (CSRF token included), and a throw-away PostgreSQL
schema (``pg_url``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from web_helpers import login, make_app

from web import db


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path)
    yield app
    db.database(app).engine.dispose()


@pytest.fixture
def alice(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    return client, login(client, "alice")


SERVER = os.environ.get("SUBSIDY_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def pg_url() -> Iterator[str]:
    schema = f"web_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(SERVER, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as err:  # the server is not there: say so rather than fail
        admin.dispose()
        pytest.skip(f"PostgreSQL at {SERVER} is unreachable: {type(err).__name__}: {err}".splitlines()[0])
    sep = "&" if "?" in SERVER else "?"
    try:
        yield f"{SERVER}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
