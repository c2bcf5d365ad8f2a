"""Batch runs are limited per user and in total, by disk, and removed after SUBSIDY_BATCH_KEEP_DAYS.

A "running" run here is a real run folder whose lock is held, exactly what a live job holds and
what the server checks (web.batches.folder.RunFolder.alive).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from test_web_batch import HEADER, MIXED, registry_bytes, upload
from web_helpers import login, make_app

from web import db
from web.batches import store
from web.batches.folder import RunFolder
from web.records import AuditEvent, BatchRun, User, utcnow

DATA = registry_bytes([HEADER, *[row for _, row in MIXED]])


@contextmanager
def running_run(app: Flask, username: str, created_days_ago: int = 0) -> Iterator[RunFolder]:
    """A run of ``username`` whose job is alive while the block lasts."""
    ref = os.urandom(8).hex()
    with db.database(app).sessions() as session:
        user = session.scalar(select(User).where(User.username == username))
        run = store.create_run(session, user, ref, "名册.csv", "person", date(2020, 9, 15), {})
        run.created_at = utcnow() - timedelta(days=created_days_ago)
        session.commit()
    folder = RunFolder.of(app.instance_path, ref)
    folder.create()
    fd = folder.take_lock()
    assert fd is not None
    try:
        yield folder
    finally:
        os.close(fd)


def test_one_run_at_a_time_per_user(tmp_path: Path) -> None:
    app = make_app(tmp_path, BATCH_RUNS_PER_USER=1)
    client = app.test_client()
    token = login(client, "alice")
    with running_run(app, "alice"):
        refused = upload(client, token, DATA)
        assert refused.status_code == 429
        assert "您已有 1 个批次正在运行" in refused.get_data(as_text=True)
        other = app.test_client()
        assert upload(other, login(other, "bob"), DATA).status_code == 302  # bob's own place
    assert upload(client, token, DATA).status_code == 302
    db.database(app).engine.dispose()


def test_runs_at_once_are_limited_in_total(tmp_path: Path) -> None:
    app = make_app(tmp_path, BATCH_RUNS_TOTAL=2)
    client = app.test_client()
    token = login(client, "alice")
    with running_run(app, "bob"), running_run(app, "sue"):
        refused = upload(client, token, DATA)
        assert refused.status_code == 429
        assert "服务器上同时运行的批次已达上限（2 个）" in refused.get_data(as_text=True)
    db.database(app).engine.dispose()


def test_the_disk_quota_refuses_a_new_run(tmp_path: Path) -> None:
    app = make_app(tmp_path, BATCH_DISK_BYTES=1 << 20)
    client = app.test_client()
    token = login(client, "alice")
    with running_run(app, "bob") as folder:
        folder.result.write_bytes(b"x" * (1 << 20))
    refused = upload(client, token, DATA)
    assert refused.status_code == 507 and "磁盘空间已达上限（1 MB）" in refused.get_data(as_text=True)
    with db.database(app).sessions() as session:
        assert session.query(BatchRun).count() == 1
    db.database(app).engine.dispose()


def test_old_runs_are_removed_with_their_files(app: Flask) -> None:
    keep = app.config["BATCH_KEEP_DAYS"]
    with running_run(app, "alice", keep + 1) as old:
        pass
    with running_run(app, "alice", keep - 1) as recent:
        pass
    with running_run(app, "alice", keep + 5) as old_but_running:
        client = app.test_client()
        login(client, "alice")
        assert client.get("/batches/").status_code == 200
        assert not old.path.exists() and recent.path.exists() and old_but_running.path.exists()
    with db.database(app).sessions() as session:
        refs = set(session.scalars(select(BatchRun.ref)))
        assert refs == {recent.path.name, old_but_running.path.name}
        events = session.scalars(select(AuditEvent).where(AuditEvent.event == "batch_expired")).all()
        assert [e.detail.split()[0] for e in events] == [old.path.name]
