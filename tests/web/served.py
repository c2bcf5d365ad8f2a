"""`subsidy serve` as a real process on a free loopback port, for the browser and crash tests; and
the browser tests' Chromium (Debian's, driven by the PyPI playwright package), logged in the same way."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from web_helpers import PASSWORD

CHROMIUM = Path(os.environ.get("SUBSIDY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--lang=en-US",  # date inputs then take MM DD YYYY, whatever the machine's locale
]
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def subsidy() -> list[str]:
    """The installed `subsidy` script, or the same entry point."""
    script = Path(sys.executable).parent / "subsidy"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from engine.cli import main; main()"]


def start(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`subsidy serve` on a free port, once it answers /healthz; (process, base URL)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*subsidy(), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return process, base
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(log.read_text()) from None
            time.sleep(0.2)


def create(env: dict[str, str], *command: str) -> None:
    """A `subsidy create-admin` / `create-user` with the tests' password."""
    made = subprocess.run(
        [*subsidy(), *command, "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr


@contextmanager
def serving(instance: Path, *users: tuple[str, ...], **env_extra: str) -> Iterator[str]:
    """The desk of a fresh instance folder with ``users`` (create-user/create-admin arguments)."""
    env = {**os.environ, "SUBSIDY_INSTANCE_PATH": str(instance), **env_extra}
    env.pop("SUBSIDY_DATABASE_URL", None)
    env.pop("SUBSIDY_SECRET_KEY", None)
    for command in users:
        create(env, *command)
    process, base = start(env, instance / "server.log")
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it stands: the copy of axe.min.js the PyPI
    axe-playwright-python package ships, injected through the DevTools protocol (past the page's
    CSP, like any test script). [] when that package is not installed (pip install -e '.[test]')."""
    try:
        from importlib import resources

        source = (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return []
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    return page.evaluate(
        "options => axe.run(document, options).then(r => r.violations.map(v => "
        "v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')))",
        {"runOnly": {"type": "tag", "values": WCAG}},
    )


def screenshot(page: Any, path: Path, full_page: bool = False) -> None:
    """A screenshot for the record (the tests assert on the page's text), of a page axe-core finds
    no WCAG 2.1 A/AA violation on. Chromium under load sometimes answers "Unable to capture
    screenshot" once: it is asked again."""
    found = axe_violations(page)
    assert found == [], f"axe-core, {page.url}: {found}"
    try:
        page.screenshot(path=str(path), full_page=full_page)
    except Exception as err:  # playwright's Error; playwright is imported only by browser tests
        if "Unable to capture screenshot" not in str(err):
            raise
        page.wait_for_timeout(500)
        page.screenshot(path=str(path), full_page=full_page)


def playwright_or_skip() -> Any:
    """playwright's sync API for a browser test module, or the module skipped with the reason when
    Chromium or playwright is missing (CI installs both). Call it at the module's top level."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium; .ci/run does)", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api", reason="the PyPI playwright package is not installed")


@contextmanager
def chromium(sync_api: Any) -> Iterator[Any]:
    """A headless Chromium for a module's tests; the screenshots folder made."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Any, base: str, username: str) -> None:
    """``username`` logged in with the tests' password, past the login page."""
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
