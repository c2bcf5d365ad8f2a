"""待办 in a real browser (Debian's Chromium, as tests/web/test_web_browser.py): a caseworker saves a
case whose unemployment benefit ends in nine days, opens 待办 from the header and finds it there,
with the day and what to do; the 7-day view leaves it out. Skipped when Chromium or playwright is
missing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from served import SHOTS, chromium, log_in, playwright_or_skip, screenshot, serving

from engine.calendar import add_months

sync_api = playwright_or_skip()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(
        tmp_path_factory.mktemp("instance"), ("create-user", "alice", "--district", "渝中区")
    ) as base:
        yield base


def test_todo_page(server: str) -> None:
    today = date.today()
    start = add_months(today, -12) + timedelta(days=10)
    until = add_months(start, 12) - timedelta(days=1)
    with chromium(sync_api) as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        log_in(page, server, "alice")
        page.wait_for_url(server + "/cases")

        page.goto(server + "/cases/new/person")
        page.fill("#f-case_id", "TODO-1")
        page.fill("#f-as_of", today.isoformat())
        page.fill("#f-person-name", "王某")
        page.check("#f-person-employed-no")
        page.check("#f-person-wants_work-yes")
        page.check("#f-person-registered_unemployed-yes")
        page.check("#f-person-involuntary_unemployment-yes")
        page.fill("#f-person-ui_contribution_months", "30")
        page.fill("#f-person-ui_benefit_start_date", start.isoformat())
        page.press("#f-person-name", "Enter")
        page.wait_for_url(re.compile(r".*/cases/\w+$"))

        page.locator("nav a", has_text="待办").click()
        page.wait_for_url(server + "/caseload/todo")
        assert page.locator("nav a", has_text="重新核对").count() == 0  # a caseworker: no recheck
        assert page.locator("main strong", has_text="30天").count() == 1  # the default: 30 days
        row = page.locator("tbody tr", has_text="TODO-1")
        assert row.count() == 1
        text = row.inner_text()
        assert until.isoformat() in text and "失业保险金" in text and "到期前联系本人" in text
        screenshot(page, SHOTS / "caseload-todo.png")  # after axe-core finds no WCAG 2.1 A/AA violation

        page.locator("a", has_text="7天").click()
        page.wait_for_url(server + "/caseload/todo?days=7")
        assert page.locator("tbody tr", has_text="TODO-1").count() == 0
        assert "这段时间内没有结论变化的案件" in page.inner_text("main")
