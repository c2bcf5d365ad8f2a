"""The app itself: factory, settings from the environment, the secret, the health check."""

from __future__ import annotations

from pathlib import Path

import pytest

from web import create_app


def test_secret_generated_once_and_kept_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUBSIDY_SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path)})
    second = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_settings_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUBSIDY_SECRET_KEY", "from-env-" + "k" * 32)
    monkeypatch.setenv("SUBSIDY_DATABASE_URL", "sqlite:///" + str(tmp_path / "x.db"))
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "from-env-" + "k" * 32
    assert app.config["DATABASE_URL"].endswith("x.db")
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_sqlite_in_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SUBSIDY_DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'subsidy.sqlite3'}"


def test_session_cookie_is_secure_outside_testing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUBSIDY_SECURE_COOKIES", raising=False)
    production = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})
    testing = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k", "TESTING": True})
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert testing.config["SESSION_COOKIE_SECURE"] is False
    for app in (production, testing):
        assert app.config["SESSION_COOKIE_HTTPONLY"] is True
        assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_health_and_wsgi_entry(app) -> None:
    assert app.test_client().get("/healthz").get_json() == {"status": "ok"}


def test_security_headers(app) -> None:
    response = app.test_client().get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
