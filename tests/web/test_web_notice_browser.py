"""Issue 23 items 1-3 in a real browser (Debian's Chromium, PyPI playwright) against `subsidy serve`:
the application on the form, "not yet" never a refusal, and the notice in plain words, rendered by
the server and read back page by page (pdftotext, else pypdf). Screenshots and the notice go to
artifacts/screenshots/notice-*; a page of the notice is turned into a PNG by pdftoppm.
Skipped, with the reason, when /usr/bin/chromium or playwright is missing (CI installs both).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from served import SHOTS, chromium, playwright_or_skip, screenshot, serving
from served import log_in as logged_in
from test_web_notice import BAD_PUNCTUATION, MAN_1961, NEVER, SETTINGS

sync_api = playwright_or_skip()
pypdf = pytest.importorskip("pypdf", reason="pypdf reads the notice back (pip install -e '.[test]')")

USERS = (("create-admin", "root"), ("create-user", "alice", "--district", "渝中区", "--name", "王小丽"))
NOT_YET = "task55_benefit_to_retirement"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("notice"), *USERS) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium(sync_api) as instance:
        yield instance


def shot(page, name: str, full_page: bool = True) -> None:
    screenshot(page, SHOTS / f"notice-{name}.png", full_page)


def log_in(browser, server: str, username: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    logged_in(page, server, username)
    return page


def apply_for(page, server: str, case_id: str, programs: list[str]) -> str:
    """A new person case for the man born 1961-05-20 whose benefit ends 2020-10-31, seen 2020-09-15,
    applying for ``programs``; returns the result page's URL."""
    page.goto(server + "/cases/new/person")
    for program in programs:
        page.check(f'input[name="applied_for"][value="{program}"]')
    page.fill("#f-case_id", case_id)
    page.fill("#f-as_of", "2020-09-15")
    page.fill("#f-person-name", "张某")
    page.fill("#f-person-id_number", MAN_1961)
    page.fill("#f-person-birth_date", "1961-05-20")
    page.select_option("#f-person-sex", "male")
    page.check("#f-person-employed-no")
    page.fill("#f-person-ui_benefit_end_date", "2020-10-31")
    if page.locator("#f-person-dibao_recipient").is_visible():
        page.check("#f-person-dibao_recipient-no")
    if page.locator("#f-person-wants_work").is_visible():
        page.check("#f-person-wants_work-yes")
    page.select_option("#f-district-name", "渝中区")
    page.locator("form.case-form button[type=submit]").click()
    page.wait_for_selector("#summary-title")
    return page.url


def test_1_the_application_asks_what_it_needs_and_suggests_the_rest(server: str, browser) -> None:
    page = log_in(browser, server, "alice")
    page.goto(server + "/cases/new/person")
    units = page.locator("fieldset.apply-unit legend").all_inner_texts()
    assert "牵头单位：市人力社保局" in units and "牵头单位：市民政局" in units  # grouped by lead unit
    page.fill("#apply-search", "失业保险")  # searchable by title
    shown = page.locator("label.offer:visible").all_inner_texts()
    assert len(shown) >= 2 and all("失业保险" in title for title in shown)
    assert page.locator("label.offer", has_text="低保渐退").is_hidden()
    shot(page, "1-01-search", full_page=False)
    page.fill("#apply-search", "")
    page.check(f'input[name="applied_for"][value="{NOT_YET}"]')
    # only what that program reads, besides who, which case, when and where
    for needed in ("f-person-birth_date", "f-person-ui_benefit_end_date", "f-person-employed", "f-case_id"):
        assert page.locator(f"#{needed}").is_visible(), needed
    for other in ("f-person-dibao_recipient", "f-person-school_level", "f-person-registered_poor"):
        assert page.locator(f"#{other}").is_hidden(), other
    assert "按所选申请事项" in page.inner_text("#apply-status")
    shot(page, "1-02-only-what-it-needs")
    # a draft keeps the whole application: both ticks come back, and the form asks for what they need
    page.check('input[name="applied_for"][value="task55_unemployment_benefit"]')
    page.fill("#f-case_id", "渝中-草稿-0001")
    page.wait_for_timeout(500)  # the draft is written 0.3 s after typing stops
    page.reload()
    page.wait_for_selector("#draft-restore")
    page.click("#draft-restore")
    assert page.is_checked(f'input[name="applied_for"][value="{NOT_YET}"]')
    assert page.is_checked('input[name="applied_for"][value="task55_unemployment_benefit"]')
    assert page.locator("#f-person-ui_contribution_months").is_visible()  # the benefit's own fact
    assert page.locator("#f-person-dibao_recipient").is_hidden()

    apply_for(page, server, "渝中-申请-0001", [NOT_YET])
    main = page.inner_text("main")
    assert "申请事项：失业保险金继续发放至法定退休年龄" in main
    assert page.locator("article.decision").count() == 1  # only what was applied for is decided
    suggestions = page.locator("section.suggest li")
    assert suggestions.count() >= 1
    shot(page, "1-03-suggestions")
    first = suggestions.first
    program = first.get_attribute("id").removeprefix("suggest-")
    first.locator("button", has_text="加入申请").click()  # one click adds it to the application
    page.wait_for_selector(f"#program-{program}")
    assert page.locator("article.decision").count() == 2
    assert page.locator(f"#suggest-{program}").count() == 0
    shot(page, "1-04-added")
    page.set_viewport_size({"width": 375, "height": 812})  # a phone: the application scrolls only down
    for url in (page.url, server + "/cases/new/person"):
        page.goto(url)
        width = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        assert page.evaluate(width) <= 0, url
    shot(page, "1-05-phone-form", full_page=False)
    page.context.close()


def test_2_not_yet_is_never_a_refusal(server: str, browser) -> None:
    page = log_in(browser, server, "alice")
    case_url = apply_for(page, server, "渝中-尚未-0002", [NOT_YET])
    card = page.locator(f"#program-{NOT_YET}")
    assert card.locator(".badge").inner_text() == "尚未符合（2020-11-01起符合）"
    assert "不符合" not in card.locator("h3").inner_text()
    assert page.inner_text("#group-not_yet") == "尚未符合（1）"
    assert page.inner_text("#group-not_eligible") == "不符合（0）"
    shot(page, "2-01-card")

    page.goto(server + "/cases")  # the list counts it as not yet
    row = page.locator("table.cases tbody tr", has_text="渝中-尚未-0002")
    assert row.locator(".badge").all_inner_texts() == ["尚未符合 1"]
    shot(page, "2-02-list", full_page=False)

    page.goto(case_url + "/history")
    assert page.locator("table.cases tbody tr .badge").all_inner_texts() == ["尚未符合 1"]
    shot(page, "2-03-history", full_page=False)

    page.goto(case_url + "/what-if")  # from the benefit's end it is granted
    page.fill("#wi-f-as_of", "2020-11-01")
    page.locator("#whatif-run").click()
    page.wait_for_selector("#whatif-title")
    row = page.locator("tr.changed", has_text="失业保险金继续发放至法定退休年龄")
    assert row.locator("td:nth-child(2) .badge").inner_text() == "尚未符合（2020-11-01起符合）"
    assert row.locator("td:nth-child(3) .badge").inner_text() == "符合"
    shot(page, "2-04-what-if")
    page.context.close()


def pdf_pages(path: Path) -> list[str]:
    """Each page of the PDF as text without layout spaces: pdftotext (poppler) page by page, else pypdf."""
    reader = pypdf.PdfReader(str(path))
    if not shutil.which("pdftotext"):
        return [re.sub(r"\s+", "", p.extract_text()) for p in reader.pages]
    out = []
    for n in range(1, len(reader.pages) + 1):
        text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-f", str(n), "-l", str(n), str(path), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        out.append(re.sub(r"\s+", "", text))
    return out


def test_3_the_notice_in_plain_words(server: str, browser) -> None:
    page = log_in(browser, server, "alice")
    applied = [NOT_YET, "task59_dibao_gradual_exit", "task57_temporary_living_allowance"]
    case_url = apply_for(page, server, "渝中<b>&0003", applied)
    page.locator("a", has_text="告知书（PDF）").click()  # before the district names its office: not issued
    page.wait_for_selector("text=暂不能出具告知书")
    assert "办公地址" in page.inner_text("main") and "联系电话" in page.inner_text("main")
    shot(page, "3-01-not-issued", full_page=False)

    admin = log_in(browser, server, "root")
    admin.goto(server + "/districts/" + urllib.request.quote("渝中区"))
    for name, value in SETTINGS.items():
        admin.fill(f"#{name}", value)
    shot(admin, "3-02-district-settings")
    admin.locator("button[type=submit].primary").click()
    admin.wait_for_selector("text=已保存渝中区的区县设置")
    admin.context.close()

    page.goto(case_url)
    href = page.locator("a", has_text="告知书（PDF）").get_attribute("href")
    response = page.request.get(server + href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = SHOTS / "notice-3-03-notice.pdf"
    pdf.write_bytes(response.body())
    text = pdf_pages(pdf)
    whole = "".join(text)
    for number, one in enumerate(text, 1):
        assert "案件编号：渝中<b>&0003" in one and f"第{number}页，共{len(text)}页" in one
        assert re.search(r"参考编号：[0-9a-f]{12}", one)
    assert "失业保险金继续发放至法定退休年龄：尚未符合（自2020年11月1日起符合）" in whole
    assert "请于2020年11月1日起再来办理，届时仍须满足：" in whole
    assert "低保渐退：不符合" in whole and "申请人对上述“低保渐退”的决定不服的" in whole
    assert "申请人不是低保对象。" in whole  # a reason about the person
    assert "请携带" in whole and "前（含当日）携带下列材料到重庆市渝中区人力资源和社会保障局补充" in whole
    assert "办公地址重庆市渝中区中山一路1号" in whole and "联系电话023-63000000" in whole
    assert "依据：《重庆市人民政府办公厅关于印发" in whole and "经办人：王小丽" in whole
    assert "登记失业人员定期联系和就业服务" not in whole and "劳动预备制" not in whole  # not applied for
    for word in NEVER + BAD_PUNCTUATION + ("&lt;", "&amp;"):
        assert word not in whole, word
    if shutil.which("pdftoppm"):  # each page as a picture for the record
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", str(pdf), str(SHOTS / "notice-3-04-page")], check=True
        )
        assert list(SHOTS.glob("notice-3-04-page*.png"))
    page.context.close()
