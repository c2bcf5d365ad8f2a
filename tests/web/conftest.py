"""Fixtures for the web desk: a migrated temporary SQLite database with users of every role, and
a client logged in through the real login form (CSRF token included)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
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
