"""End to end in a real browser: Debian's Chromium driven by the PyPI `playwright` package.

The real app is started as `subsidy serve` on a free loopback port with a temporary SQLite
database; a caseworker created by `subsidy create-user` logs in, fills a person case by keyboard,
reads the decision, fixes a bad ID number, reopens the case from the list, switches language and
opens the print view; then uploads a registry and follows its run to the download. Screenshots
of the main pages go to artifacts/screenshots/.
Skipped, with the reason, when /usr/bin/chromium or playwright is missing (CI installs both).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from served import PASSWORD, SHOTS, chromium, playwright_or_skip, screenshot, serving

VALID_ID = "500101196103100037"
BAD_ID = "500101196103100038"

sync_api = playwright_or_skip()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`subsidy serve` in a subprocess, with one caseworker; yields the base URL."""
    with serving(
        tmp_path_factory.mktemp("instance"), ("create-user", "alice", "--district", "渝中区")
    ) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium(sync_api) as instance:
        yield instance


@pytest.fixture(scope="module", autouse=True)
def screenshots_dir() -> None:
    """This test's own old screenshots (01-login.png…) go; the other browser tests' (desk-*,
    notice-*), which may be written at the same time by another worker, stay."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("[0-9][0-9]-*.png"):
        old.unlink()


def shot(page, name: str, full_page: bool = False) -> None:
    screenshot(page, SHOTS / f"{name}.png", full_page)


def focused(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def tab_to(page, element_id: str, limit: int = 400) -> None:
    """Press Tab until ``element_id`` has focus: the field is reachable in the tab order."""
    for _ in range(limit):
        if focused(page) == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} never received focus by Tab")


def type_into(page, element_id: str, text: str) -> None:
    tab_to(page, element_id)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def type_date(page, element_id: str, iso: str) -> None:
    """A native date input by keyboard: month, day, year segments (--lang=en-US)."""
    tab_to(page, element_id)
    year, month, day = iso.split("-")
    page.keyboard.type(month + day + year)
    assert page.eval_on_selector(f"#{element_id}", "e => e.value") == iso


def choose_radio(page, group_id: str, value: str) -> None:
    """Tab into a yes/no/unknown group (focus lands on the checked radio), arrows to choose."""
    tab_to(page, f"{group_id}-unknown")
    page.keyboard.press({"no": "ArrowUp", "yes": "ArrowUp"}[value])
    if value == "yes":
        page.keyboard.press("ArrowUp")
    assert page.is_checked(f"#{group_id}-{value}")


def test_a_caseworker_at_the_counter(server: str, browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    # Log in by keyboard alone: the username field has focus, Tab to the password, Enter submits.
    page.goto(server + "/")
    assert page.url.startswith(server + "/login")
    shot(page, "01-login")
    assert focused(page) == "username"
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(server + "/cases")

    # A new person case, by keyboard, in tab order.
    page.goto(server + "/cases/new/person")
    page.keyboard.press("Tab")  # the skip link comes first
    assert focused(page) == "" and page.evaluate("document.activeElement.className") == "skip"
    type_into(page, "f-case_id", "CQ-2020-0915")
    type_date(page, "f-as_of", "2020-09-15")
    type_into(page, "f-person-name", "张某")
    type_into(page, "f-person-id_number", BAD_ID)
    assert "校验位不对" in page.inner_text("#f-person-id_number-live")
    choose_radio(page, "f-person-employed", "no")
    type_date(page, "f-person-ui_benefit_end_date", "2020-08-31")
    shot(page, "02-form")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    type_into(page, "f-person-name", "张某")  # back to a text field: Enter there submits
    page.keyboard.press("Enter")

    # The bad checksum is shown beside the field, in Chinese, and nothing typed is lost.
    page.wait_for_selector("#error-summary")
    assert page.inner_text("#f-person-id_number-err") == "身份证号码校验位错误（应为 7）"
    assert page.input_value("#f-person-id_number") == BAD_ID
    assert page.input_value("#f-case_id") == "CQ-2020-0915"
    assert page.input_value("#f-as_of") == "2020-09-15"
    assert page.input_value("#f-person-ui_benefit_end_date") == "2020-08-31"
    assert page.is_checked("#f-person-employed-no")
    assert focused(page) == "error-summary"
    shot(page, "03-form-error")

    # Fix it: the ID number fills birth date and sex as it is typed.
    page.focus("#error-summary")
    page.keyboard.press("Tab")  # the summary's link to the field
    page.keyboard.press("Enter")
    type_into(page, "f-person-id_number", VALID_ID)
    assert page.input_value("#f-person-birth_date") == "1961-03-10"
    assert page.input_value("#f-person-sex") == "male"
    page.keyboard.press("Enter")

    # The decision: every program by status, the reasons, the lead unit, the quoted task.
    page.wait_for_selector("#group-eligible")
    assert "/cases/" in page.url
    eligible = page.inner_text("section.status-group.eligible")
    assert "失业保险金继续发放至法定退休年龄" in eligible
    assert "2021-03-10" in eligible and "市人力社保局" in eligible
    assert "申请人领取期满仍未就业" in eligible  # a reason: a sentence about the applicant
    assert page.inner_text("#ask-title") == "需询问（离结论最近的项目所需的在前）"
    shot(page, "04-result")
    case_url = page.url

    # Answer one question in place, by keyboard: the radio, then Enter on the submit button.
    tab_to(page, "ask-f-person-wants_work-unknown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.is_checked("#ask-f-person-wants_work-yes")
    page.focus("section.ask button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=历史评估（2次）")

    # Find the case again from the list by the ID number's last four, and reopen it.
    page.goto(server + "/cases")
    type_into(page, "q", "0037")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == server + "/cases"  # searched by POST: nothing in the URL
    assert "500101********0037" in page.inner_text("table.cases")
    assert VALID_ID not in page.content()
    shot(page, "05-list")
    page.locator("table.cases a").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(case_url)

    # Switch to English: the page and the engine's reasons follow.
    page.focus("header .tools button[name=lang]")
    page.keyboard.press("Enter")
    page.wait_for_selector("html[lang=en]")
    assert page.url == case_url
    assert "Unemployment benefit continued to statutory retirement age" in page.inner_text("main")
    assert "Evaluation date" in page.inner_text("main")
    assert "The applicant is still without work after the benefit period" in page.inner_text("main")
    shot(page, "06-result-en")
    page.focus("header .tools button[name=lang]")
    page.keyboard.press("Enter")
    page.wait_for_selector("html[lang=zh-CN]")

    # The print view for the case file: date, rules version, caseworker.
    page.locator("text=打印版").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".print-head")
    page.emulate_media(media="print")
    head = page.inner_text(".print-head")
    assert "2020-09-15" in head and "alice" in head and "规则版本" in head
    assert page.is_hidden(".print-head .no-print")
    shot(page, "07-print", full_page=True)
    context.close()


def test_a_registry_followed_to_its_results(server: str, browser, tmp_path: Path) -> None:
    """The progress page updates itself (web/static/batch.js, under the CSP) and ends on the results."""
    from engine.batch.template import template_rows

    header, example = template_rows("person")
    rows = [header] + [[f"R{i}", *example[1:]] for i in range(5000)]  # a run of a few seconds
    registry = tmp_path / "名册.csv"
    registry.write_text("\ufeff" + "".join(",".join(row) + "\r\n" for row in rows), encoding="utf-8")

    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(server + "/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(server + "/cases")

    page.locator("nav a", has_text="批量评估").click()
    page.locator("text=上传名册").first.click()
    page.set_input_files("#file", str(registry))
    page.fill("#as_of", "2020-09-15")
    shot(page, "08-batch-upload")
    page.locator("button[type=submit].primary").click()

    # The run is still going when its page first loads; the page then follows it by itself.
    page.wait_for_selector("#batch-progress[data-state=running]")
    shot(page, "09-batch-running")
    page.wait_for_selector("#download-result", timeout=180_000)
    assert "已完成" in page.inner_text("#batch-progress")
    assert "5,000" in page.inner_text("#batch-progress")
    assert "失业保险金继续发放至法定退休年龄" in page.inner_text("table.programs")
    shot(page, "10-batch-done", full_page=True)
    with page.expect_download() as download:
        page.click("#download-result")
    assert download.value.suggested_filename == "名册-评估结果.csv"
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("\ufeff") and len(lines) == 5001
    context.close()
