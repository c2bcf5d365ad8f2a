"""Issue 23 items 4-7 in a real browser (Debian's Chromium, PyPI playwright) against `subsidy serve`:
a caseworker's district fixed on the form, the district's next case number, a repeated number
refused beside its field, search by POST, tokens with their expiry, drafts wiped at logout, the
receipt in words, the English page entirely English, Enter on a yes/no option, the session warning
with 延长登录, the supervisor's audit log and the district settings' errors linked to their inputs.
axe-core (the copy shipped by the PyPI axe-playwright-python package) checks every page visited for
WCAG 2.1 A/AA violations. Screenshots go to artifacts/screenshots/access-*.
Skipped, with the reason, when /usr/bin/chromium or playwright is missing (CI installs both).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from served import PASSWORD, SHOTS, axe_violations, chromium, log_in, playwright_or_skip, screenshot, serving

VALID_ID = "500101196103100037"
YEAR = date.today().year
USERS = (
    ("create-admin", "root"),
    ("create-user", "alice", "--district", "渝中区", "--name", "王小丽"),
    ("create-user", "sue", "--role", "supervisor", "--district", "渝中区"),
)

sync_api = playwright_or_skip()
pytest.importorskip("axe_playwright_python", reason="pip install -e '.[test]' brings axe-core")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("access"), *USERS) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium(sync_api) as instance:
        yield instance


def shot(page, name: str, full_page: bool = False) -> None:
    screenshot(page, SHOTS / f"access-{name}.png", full_page)


def axe_clean(page) -> None:
    """No WCAG 2.1 A/AA violation on the page as it stands (axe-core, see served.axe_violations)."""
    found = axe_violations(page)
    assert found == [], f"{page.url}: {found}"


def chinese_outside_lang(page) -> list[str]:
    """Text nodes with Chinese whose nearest lang attribute is not zh-CN (WCAG 3.1.2)."""
    return page.evaluate(
        """() => {
          const out = [];
          const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          while (walk.nextNode()) {
            const node = walk.currentNode, el = node.parentElement;
            if (!el || el.closest('script,style,option') || !/[\\u3400-\\u9fff]/.test(node.data)) continue;
            if (el.closest('[lang]').getAttribute('lang') !== 'zh-CN') out.push(node.data.trim());
          }
          return out;
        }"""
    )


def test_a_caseworkers_day_in_their_district(server: str, browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, server, "alice")
    page.goto(server + "/cases/new/person")
    # 区县 is the caseworker's own: one choice, no free pick.
    assert page.locator("#f-district-name option").all_inner_texts() == ["渝中区"]
    axe_clean(page)
    # Enter on a yes/no option chooses it and submits nothing.
    page.fill("#f-person-name", "王五")
    page.focus("#f-person-employed-no")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert page.url.endswith("/cases/new/person") and page.is_checked("#f-person-employed-no")
    shot(page, "01-form-own-district")
    # A blank case number: the district's next.
    page.fill("#f-as_of", "2020-09-15")
    page.fill("#f-person-id_number", VALID_ID)
    page.locator("form.case-form button[type=submit]").click()
    page.wait_for_selector("#summary-title")
    assert f"渝中区-{YEAR}-00001" in page.inner_text("main")
    axe_clean(page)
    shot(page, "02-numbered-case")
    # The same number typed on another case: refused beside the field, nothing lost.
    page.goto(server + "/cases/new/person")
    page.fill("#f-case_id", f"渝中区-{YEAR}-00001")
    page.fill("#f-person-name", "赵六")
    page.locator("form.case-form button[type=submit]").click()
    page.wait_for_selector("#f-case_id-err")
    assert f"案件编号“渝中区-{YEAR}-00001”已用于渝中区的另一案件" in page.inner_text("#f-case_id-err")
    assert page.input_value("#f-person-name") == "赵六"
    axe_clean(page)
    shot(page, "03-duplicate-number")
    # Search by the whole ID number: POSTed, nothing in the URL.
    page.goto(server + "/cases")
    page.fill("#q", VALID_ID)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == server + "/cases" and "500101********0037" in page.inner_text("table.cases")
    axe_clean(page)
    # API tokens: issued with an expiry, listed, revocable one by one.
    page.goto(server + "/admin/token")
    page.fill("#token-label", "报表系统")
    page.locator("button[value=issue]").click()
    page.wait_for_selector("#new-token")
    assert "报表系统" in page.inner_text("#tokens")
    axe_clean(page)
    shot(page, "04-tokens")
    # The receipt, and the English page.
    page.goto(server + "/cases")
    page.locator("table.cases a").first.click()
    page.wait_for_selector("#summary-title")
    page.locator("header button[lang=en]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert chinese_outside_lang(page) == []
    assert "Yuzhong District" in page.inner_text("header")
    axe_clean(page)
    shot(page, "05-english-case", full_page=True)
    page.locator("a", has_text="Receipt").first.click()
    page.wait_for_load_state()
    assert "[{" not in page.inner_text("main") and chinese_outside_lang(page) == []
    axe_clean(page)
    shot(page, "06-english-receipt", full_page=True)
    page.locator("header button[lang=zh-CN]").click()
    page.wait_for_load_state()
    # A draft being typed, then logout: nothing of it stays in the browser.
    page.goto(server + "/cases/new/person")
    page.fill("#f-person-name", "钱七")
    page.fill("#f-person-id_number", VALID_ID)
    page.wait_for_timeout(600)
    stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    assert "subsidy-draft:" in stored and "钱七" not in stored and VALID_ID not in stored  # encrypted
    page.locator("header form button", has_text="退出").click()
    page.wait_for_url("**/login")
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('subsidy-draft:'))") == []
    context.close()


def test_a_supervisor_reads_the_audit_log_and_fixes_settings_by_the_summary(server: str, browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, server, "sue")
    page.goto(server + "/admin/audit")
    text = page.inner_text("main")
    assert "登录成功" in text and "alice" in text
    axe_clean(page)
    shot(page, "07-supervisor-audit")
    page.goto(server + "/districts/" + urllib.request.quote("渝中区"))
    axe_clean(page)
    page.fill('[name="decl-offers_hiring_subsidy-0-from"]', "2020-01-01")
    page.locator("button[type=submit].primary").click()
    page.wait_for_selector("#error-summary")
    link = page.locator('#error-summary a[href="#decl-offers_hiring_subsidy-0-document"]')
    link.click()
    assert page.evaluate("document.activeElement.id") == "decl-offers_hiring_subsidy-0-document"
    assert page.get_attribute("#decl-offers_hiring_subsidy-0-document", "aria-invalid") == "true"
    axe_clean(page)
    shot(page, "08-settings-errors-linked", full_page=True)
    context.close()


def test_the_session_warning_extends_the_login(browser, tmp_path: Path) -> None:
    with serving(tmp_path, *USERS[1:2], SUBSIDY_SESSION_MINUTES="9") as base:  # under the 10-minute warning
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        log_in(page, base, "alice")
        page.goto(base + "/cases/new/person")
        page.wait_for_selector("#session-extend")
        axe_clean(page)
        shot(page, "09-session-warning")
        before = page.evaluate("fetch('/session').then(r => r.json()).then(s => s.ends)")
        page.locator("#session-extend").click()
        page.wait_for_selector("#session-extended:not([hidden])")
        after = page.evaluate("fetch('/session').then(r => r.json()).then(s => s.ends)")
        assert after > before
        shot(page, "10-session-extended")
        # The login ends elsewhere (a password change signs out every other browser): the page
        # notices, and wipes the drafts it kept.
        page.fill("#f-person-name", "钱七")
        page.wait_for_timeout(600)
        assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('subsidy-draft:'))") != []
        other = browser.new_context().new_page()
        log_in(other, base, "alice")
        other.goto(base + "/account/password")
        other.fill("#current", PASSWORD)
        other.fill("#new", "orbit lantern 58 quiet")
        other.fill("#confirm", "orbit lantern 58 quiet")
        other.locator("main button[type=submit]").click()
        other.wait_for_url("**/cases")
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        page.wait_for_selector("#session-login")
        assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('subsidy-draft:'))") == []
        assert page.input_value("#f-person-name") == "钱七"  # still on the open page, to submit
        context.close()
