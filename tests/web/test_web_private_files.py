"""Files holding names and ID numbers are the server user's alone: 0600 files in 0700 folders.

The SQLite database with its -wal and -shm files, the secret key, and every file of a batch run
(the registry, its results and errors, the checkpoint, the log, the status).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from flask import Flask
from test_web_batch import HEADER, MIXED, registry_bytes, started, wait_for
from web_helpers import VALID_ID, login, make_app, new_person_case

from web import create_app, db
from web.migrate import upgrade


def modes(root: Path) -> dict[str, int]:
    """Every file and folder under ``root`` (and root itself) with its permission bits."""
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return found


def test_a_fresh_instance_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SUBSIDY_DATABASE_URL", "SUBSIDY_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    instance = tmp_path / "instance"
    old = os.umask(0o022)  # the usual umask, under which SQLite alone would make 0644 files
    try:
        app = create_app({"INSTANCE_PATH": str(instance), "TESTING": True})
        upgrade(app.config["DATABASE_URL"])
        from web.accounts import create_user

        with db.database(app).sessions() as session:
            create_user(session, "alice", "correct horse 1", "caseworker", "渝中区")
        client = app.test_client()
        token = login(client, "alice")
        new_person_case(client, token, **{"person.name": "张某", "person.id_number": VALID_ID})
        found = modes(instance)
    finally:
        os.umask(old)
        db.database(app).engine.dispose()
    assert {"subsidy.sqlite3", "subsidy.sqlite3-wal", "subsidy.sqlite3-shm", "secret_key"} <= set(found)
    assert found == {name: 0o700 if name == "." else 0o600 for name in found}


def test_files_left_readable_by_an_older_version_are_made_private(tmp_path: Path) -> None:
    database = tmp_path / "test.sqlite3"
    for path in (database, tmp_path / "test.sqlite3-wal"):
        path.touch(mode=0o644)
        path.chmod(0o644)
    tmp_path.chmod(0o755)
    app = make_app(tmp_path)
    try:
        assert stat.S_IMODE(database.stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "test.sqlite3-wal").stat().st_mode) == 0o600
        assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    finally:
        db.database(app).engine.dispose()


def test_every_file_of_a_batch_run_is_private(app: Flask) -> None:
    client = app.test_client()
    token = login(client, "alice")
    old = os.umask(0o022)
    try:
        path = started(client, token, registry_bytes([HEADER, *[row for _, row in MIXED]]))
        wait_for(client, path)
    finally:
        os.umask(old)
    root = Path(app.instance_path) / "batches"
    found = modes(root)
    assert any(name.endswith("result.csv") for name in found) and any(
        name.endswith("run.log") for name in found
    )
    folders = {name for name in found if name == "." or (root / name).is_dir()}
    assert {name: mode for name, mode in found.items() if name in folders} == dict.fromkeys(folders, 0o700)
    assert {name: mode for name, mode in found.items() if name not in folders} == {
        name: 0o600 for name in found if name not in folders
    }
