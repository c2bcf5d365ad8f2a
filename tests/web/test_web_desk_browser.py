"""The desk a district office runs its day on, in a real browser (Debian's Chromium, PyPI playwright),
against a real `subsidy serve`: district settings, the decision notice, receipts and re-evaluation,
what-if, drafts that survive the end of a login, the session warning, batch results with names and a
confirmed delete, phones at 375 px, search by the hired person, English questions, units.
Screenshots (and the notice) go to artifacts/screenshots/desk-*.
Skipped, with the reason, when /usr/bin/chromium or playwright is missing (CI installs both).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from served import PASSWORD, SHOTS, chromium, log_in, playwright_or_skip, screenshot, serving

VALID_ID = "500101196103100037"

sync_api = playwright_or_skip()
pypdf = pytest.importorskip("pypdf", reason="pypdf reads the notice back (pip install -e '.[test]')")


USERS = (("create-admin", "root"), ("create-user", "alice", "--district", "渝中区", "--name", "王小丽"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("desk"), *USERS) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium(sync_api) as instance:
        yield instance


def shot(page, name: str, full_page: bool = False) -> None:
    screenshot(page, SHOTS / f"desk-{name}.png", full_page)


def enterprise_case(page, server: str, case_id: str, applied: tuple[str, ...] = ()) -> str:
    page.goto(server + "/cases/new/enterprise")
    for program in applied:  # what the enterprise applies for (a notice decides only that)
        page.check(f'input[name="applied_for"][value="{program}"]')
    values = {
        "f-case_id": case_id,
        "f-as_of": "2020-09-15",
        "f-enterprise-name": "重庆某机械制造有限公司",
        "f-hire-hire_date": "2020-03-16",
        "f-hire-contract_start_date": "2020-03-16",
        "f-hire-contract_end_date": "2021-03-15",
        "f-hire-person-name": "李某",
        "f-hire-person-id_number": VALID_ID,
        "f-hire-person-unemployment_registration_date": "2019-09-16",
    }
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    for element_id, value in values.items():
        page.fill(f"#{element_id}", value)
    page.check("#f-hire-social_insurance_paid-yes")
    page.select_option("#f-district-name", "渝中区")
    page.locator("form.case-form button[type=submit]").click()
    page.wait_for_selector("#summary-title")
    return page.url


def person_case(page, server: str, case_id: str) -> str:
    page.goto(server + "/cases/new/person")
    page.fill("#f-case_id", case_id)
    page.fill("#f-as_of", "2020-09-15")
    page.fill("#f-person-name", "张某")
    page.fill("#f-person-id_number", VALID_ID)
    page.check("#f-person-employed-no")
    page.check("#f-person-able_to_work-yes")
    page.check("#f-person-wants_work-yes")
    page.check("#f-person-dibao_recipient-no")
    page.select_option("#f-district-name", "渝中区")
    page.locator("form.case-form button[type=submit]").click()
    page.wait_for_selector("#summary-title")
    return page.url


def no_sideways_scroll(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_a_district_sets_its_settings_and_prints_a_notice(server: str, browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    alice = context.new_page()
    log_in(alice, server, "alice")
    case_url = enterprise_case(alice, server, "E-2020-0001", ("task23_one_off_hiring_subsidy",))
    assert "渝中区尚未声明" in alice.inner_text("main")  # never assumed

    admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
    admin = admin_context.new_page()
    log_in(admin, server, "root")
    # Users' districts come from the list of 38; name the supervisor's and the caseworker's.
    admin.goto(server + "/admin/users")
    options = admin.locator("#district option").all_inner_texts()
    assert len(options) == 39 and "石柱土家族自治县" in options  # 38 and "(none)"
    shot(admin, "01-users-district-select")
    admin.locator("nav a", has_text="区县设置").click()
    admin.wait_for_selector("table.cases")
    assert admin.locator("table.cases tbody tr").count() == 38
    shot(admin, "02-districts", full_page=True)
    admin.goto(server + "/districts/" + urllib.request.quote("渝中区"))
    admin.fill("#office", "重庆市渝中区人力资源和社会保障局")
    admin.fill("#office_address", "重庆市渝中区中山一路1号")
    admin.fill("#office_phone", "023-63000000")
    admin.fill("#review_body", "重庆市渝中区人民政府")
    admin.fill("#court", "重庆市渝中区人民法院")
    admin.fill('[name="decl-offers_hiring_subsidy-0-from"]', "2020-01-01")
    admin.select_option('[name="decl-offers_hiring_subsidy-0-value"]', "yes")
    admin.fill('[name="decl-offers_hiring_subsidy-0-document"]', "渝中人社发〔2020〕1号")
    key = "task23_one_off_hiring_subsidy.amount_per_person"
    admin.fill(f'[name="std-{key}-0-from"]', "2020-01-01")
    admin.fill(f'[name="std-{key}-0-value"]', "1000")
    admin.fill(f'[name="std-{key}-0-document"]', "渝中人社发〔2020〕2号")
    shot(admin, "03-district-settings", full_page=True)
    admin.locator("button[type=submit].primary").click()
    admin.wait_for_selector("text=已保存渝中区的区县设置")
    admin_context.close()

    # Evaluated again under the settings in force now, and compared with the decision before.
    alice.goto(case_url)
    alice.select_option("#reeval-as-of", "same")
    alice.locator("form.reevaluate button").click()
    alice.wait_for_url("**/compare?**")
    compared = alice.inner_text("main")
    assert "结论有变化的项目（1）" in compared and "一次性吸纳就业补贴" in compared
    assert "1000 元 / 每招用1人（渝中区当地标准" in compared
    shot(alice, "04-compare", full_page=True)

    # The receipt of the new decision: the parameters it read, as a page and as JSON.
    alice.goto(case_url)
    alice.locator("p.actions a", has_text="回执").click()
    alice.wait_for_selector("table.params")
    assert "登记失业时长下限" in alice.inner_text("table.params")
    shot(alice, "05-receipt", full_page=True)
    receipt = alice.request.get(alice.url + ".json").json()
    assert receipt["receipt"]["district"]["settings"]["review_body"] == "重庆市渝中区人民政府"

    # The notice, a PDF from the server: case number and page numbers on every page, signed by name.
    alice.goto(case_url)
    href = alice.locator("a", has_text="告知书（PDF）").get_attribute("href")
    pdf = alice.request.get(server + href)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    (SHOTS / "desk-06-notice.pdf").write_bytes(pdf.body())
    pages = [re.sub(r"\s+", "", p.extract_text()) for p in pypdf.PdfReader(io.BytesIO(pdf.body())).pages]
    assert all("案件编号：E-2020-0001" in p for p in pages)
    assert all(f"第{n}页，共{len(pages)}页" in p for n, p in enumerate(pages, 1))
    whole = "".join(pages)
    assert "一次性吸纳就业补贴：符合" in whole and "经办人：王小丽" in whole
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                str(SHOTS / "desk-06-notice.pdf"),
                str(SHOTS / "desk-06-notice"),
            ],
            check=True,
        )
    context.close()


def test_what_if_search_english_and_units(server: str, browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, server, "alice")
    page.goto(server + "/cases/new/enterprise")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert (
        page.inner_text('label[for="f-enterprise-prior_year_ui_contributions"]')
        == "上年度缴纳失业保险费（元）"
    )
    assert page.inner_text('label[for="f-enterprise-staff_count"]') == "现有职工人数（人）"

    case_url = person_case(page, server, "P-2020-0002")
    page.locator("a", has_text="假如……（不保存）").click()
    page.check("#wi-f-person-employed-yes")
    page.locator("#whatif-run").click()
    page.wait_for_selector("#whatif-title")
    result = page.inner_text(".whatif-result")
    assert "改动的事实：目前已就业 否 → 是" in result and "失业登记" in result
    shot(page, "07-what-if", full_page=True)
    page.goto(case_url)
    assert "历史评估（1次）" in page.inner_text("main")  # nothing saved

    enterprise_case(page, server, "E-2020-0003")
    page.goto(server + "/cases")
    page.fill("#q", "李某")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # searched by POST: the name is not in the URL
    assert page.url == server + "/cases" and "E-2020-0003" in page.inner_text("table.cases")
    page.fill("#q", VALID_ID)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "E-2020-0003" in page.inner_text("table.cases")
    shot(page, "08-search-hired-person")

    page.goto(case_url)
    page.locator("header .tools button[name=lang]").click()
    page.wait_for_selector("html[lang=en]")
    asked = page.inner_text("section.ask")
    assert "Questions to ask (those that settle the nearest decisions first)" in asked
    assert "Is the applicant" in asked and "Please provide" not in page.inner_text("main")
    shot(page, "09-english-questions", full_page=True)
    page.locator("header .tools button[name=lang]").click()
    page.wait_for_selector("html[lang=zh-CN]")
    context.close()


def test_a_phone_at_375_px_scrolls_only_down(server: str, browser) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2)
    page = context.new_page()
    log_in(page, server, "alice")
    case_url = enterprise_case(page, server, "E-2020-0375-长编号")
    for path, name in [
        ("/cases", "10-phone-list"),
        (case_url.removeprefix(server), "11-phone-result"),
        ("/cases/new/person", "12-phone-form"),
        (case_url.removeprefix(server) + "/what-if", "13-phone-what-if"),
        (case_url.removeprefix(server) + "/history", "14-phone-history"),
    ]:
        page.goto(server + path)
        assert no_sideways_scroll(page) <= 0, f"{path} scrolls sideways by {no_sideways_scroll(page)} px"
        shot(page, name, full_page=path == "/cases")
    context.close()
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2)
    admin = context.new_page()
    log_in(admin, server, "root")
    for path in ["/districts", "/districts/" + urllib.request.quote("渝中区"), "/admin/users", "/batches/"]:
        admin.goto(server + path)
        assert no_sideways_scroll(admin) <= 0, f"{path} scrolls sideways by {no_sideways_scroll(admin)} px"
    shot(admin, "14b-phone-district-settings")
    context.close()


def test_batch_results_carry_names_and_deleting_asks_first(server: str, browser, tmp_path: Path) -> None:
    from engine.batch.template import template_rows

    header, example = template_rows("person")
    rows = [header] + [[f"B{i}", *example[1:]] for i in range(3)]
    at = header.index("姓名")
    for i, row in enumerate(rows[1:]):
        row[at] = f"申请人{i}"
    registry = tmp_path / "名册.csv"
    registry.write_text("\ufeff" + "".join(",".join(r) + "\r\n" for r in rows), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    log_in(page, server, "alice")
    page.goto(server + "/batches/new")
    page.set_input_files("#file", str(registry))
    page.fill("#as_of", "2020-09-15")
    page.locator("button[type=submit].primary").click()
    page.wait_for_selector("#download-result", timeout=180_000)
    with page.expect_download() as download:
        page.click("#download-result")
    result = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    names = result[0].index("姓名")
    assert [r[names] for r in result[1:]] == ["申请人0", "申请人1", "申请人2"]

    run_url = page.url
    page.locator("#delete-run").click()
    page.wait_for_selector("#confirm-delete")
    assert "删除批次“名册.csv”？" in page.inner_text("h1")
    shot(page, "15-batch-delete-confirm")
    page.locator("a", has_text="取消，返回批次").click()
    page.wait_for_url(run_url)  # cancelled: still there
    page.locator("#delete-run").click()
    page.locator("#confirm-delete").click()
    page.wait_for_selector("text=已删除批次“名册.csv”及其文件")
    context.close()


def test_work_survives_a_logout_in_another_tab(server: str, browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, server, "alice")
    page.goto(server + "/cases/new/person")
    page.fill("#f-case_id", "D-2020-0004")
    page.fill("#f-person-name", "赵六")
    page.fill("#f-person-ui_benefit_end_date", "2020-08-31")
    page.check("#f-person-employed-no")
    page.wait_for_timeout(500)  # the draft is written 0.3 s after typing stops

    other = context.new_page()  # the same browser, another tab: signs out
    other.goto(server + "/cases")
    other.locator("header form button", has_text="退出").click()
    other.wait_for_url("**/login")
    other.close()

    # Back on the form: the page notices at once when the tab is looked at again.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_selector("#session-warning:not([hidden])")
    assert "登录已结束" in page.inner_text("#session-warning")
    shot(page, "16-session-ended-warning")
    page.locator("form.case-form button[type=submit]").click()
    page.wait_for_selector("#login-again")
    assert "这次提交没有保存" in page.inner_text("main")
    shot(page, "17-submit-after-logout")
    page.locator("#login-again").click()
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/cases/new/person")
    page.wait_for_selector("#draft-restore")
    assert page.input_value("#f-person-name") == ""
    page.click("#draft-restore")
    assert page.input_value("#f-person-name") == "赵六"
    assert page.input_value("#f-case_id") == "D-2020-0004"
    assert page.input_value("#f-person-ui_benefit_end_date") == "2020-08-31"
    assert page.is_checked("#f-person-employed-no")
    shot(page, "18-draft-restored")
    page.wait_for_timeout(500)  # the restored values' draft is written
    drafts = "() => Object.entries(localStorage).filter(([k]) => k.startsWith('subsidy-draft:'))"
    (written,) = page.evaluate(drafts)
    page.locator("form.case-form button[type=submit]").click()
    page.wait_for_selector("#summary-title")
    page.goto(server + "/cases/new/person")
    page.wait_for_load_state()
    assert page.locator("#draft-restore").count() == 0  # saved: the draft is gone
    # The submitting page's own draft write may land after the saved page has dropped the draft
    # (its encryption is asynchronous): a draft read before the save is not offered again.
    page.evaluate("([key, value]) => localStorage.setItem(key, value)", written)
    page.reload()
    page.wait_for_load_state()
    assert page.locator("#draft-restore").count() == 0
    assert [key for key, _ in page.evaluate(drafts)] == [written[0] + ":saved"]  # the late draft: gone
    context.close()


def test_the_page_warns_before_the_login_ends(browser, tmp_path: Path) -> None:
    with serving(tmp_path, *USERS, SUBSIDY_SESSION_MINUTES="9") as base:  # under the 10-minute warning
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        log_in(page, base, "alice")
        page.goto(base + "/cases/new/person")
        page.wait_for_selector("#session-warning:not([hidden])")
        text = page.inner_text("#session-warning")
        assert "登录将在" in text and "分钟" in text
        shot(page, "19-session-ending-warning")
        context.close()
