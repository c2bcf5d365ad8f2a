"""``kill -9`` of the server while caseworkers save cases loses no case it acknowledged.

A real ``subsidy serve`` (waitress) runs as a subprocess on SQLite, then on PostgreSQL; two
clients save cases as fast as they can; the server is SIGKILLed in the middle of that, started
again on the same instance folder and database, and every case whose save was answered with the
redirect to its page must open, with its case number. Nothing is timed.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import os
import re
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from served import PASSWORD, create, start

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ACKNOWLEDGED_BEFORE_KILL = 20


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 302 is the answer itself: the saved case's address


class Desk:
    """One browser: cookies kept, redirects not followed."""

    def __init__(self, base: str, jar: http.cookiejar.CookieJar):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def request(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data=data, timeout=30) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.headers.get("Location", ""), err.read().decode()

    def csrf(self, path: str) -> str:
        match = CSRF.search(self.request(path)[2])
        assert match, path
        return match.group(1)


def save_until_refused(desk: Desk, token: str, prefix: str, acknowledged: dict[str, str]) -> None:
    """Save cases until the server stops answering; record each acknowledged one."""
    for i in range(100_000):
        case_id = f"{prefix}-{i}"
        form = {"csrf_token": token, "as_of": "2020-09-15", "case_id": case_id, "person.name": "张某"}
        try:
            status, location, _ = desk.request("/cases/new/person", form)
        except (OSError, http.client.HTTPException):
            return  # the server is gone: this save was never acknowledged (or only half)
        if status != 302:
            return
        acknowledged[case_id] = location


def check_kill_9_loses_nothing_acknowledged(tmp_path: Path, database_url: str | None) -> None:
    env = {**os.environ, "SUBSIDY_INSTANCE_PATH": str(tmp_path), "SUBSIDY_SECURE_COOKIES": "0"}
    env.pop("SUBSIDY_SECRET_KEY", None)
    env.pop("SUBSIDY_DATABASE_URL", None)
    if database_url:
        env["SUBSIDY_DATABASE_URL"] = database_url
    create(env, "create-user", "alice", "--district", "渝中区")
    log = tmp_path / "server.log"
    process, base = start(env, log)
    acknowledged: dict[str, str] = {}
    jars = [http.cookiejar.CookieJar() for _ in range(2)]
    try:
        threads = []
        for n, jar in enumerate(jars):
            desk = Desk(base, jar)
            login = {"username": "alice", "password": PASSWORD, "csrf_token": desk.csrf("/login")}
            assert desk.request("/login", login)[0] == 302
            token = desk.csrf("/cases/new/person")
            threads.append(
                threading.Thread(target=save_until_refused, args=(desk, token, f"K{n}", acknowledged))
            )
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 300
        while len(acknowledged) < ACKNOWLEDGED_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)  # mid-save: both clients have a request in flight
        for thread in threads:
            thread.join(timeout=60)
    finally:
        process.kill()
        process.wait(timeout=30)
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL, log.read_text()
    process, base = start(env, log)
    try:
        desk = Desk(base, jars[0])  # the session, kept on the server, outlives the restart
        for case_id, location in sorted(acknowledged.items()):
            status, _, page = desk.request(urllib.parse.urlsplit(location).path)
            assert status == 200 and case_id in page, f"acknowledged case {case_id} is lost"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_kill_9_loses_no_acknowledged_case_on_sqlite(tmp_path: Path) -> None:
    check_kill_9_loses_nothing_acknowledged(tmp_path, None)


def test_kill_9_loses_no_acknowledged_case_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    check_kill_9_loses_nothing_acknowledged(tmp_path, pg_url)


@pytest.fixture(autouse=True)
def _posix_only() -> None:
    if os.name != "posix":
        pytest.skip("SIGKILL is POSIX")
