"""批量评估 from the desk: upload, progress, downloads, who may see a run, refusals, resume.

Runs are real: an upload starts ``python -m web.batches.job`` exactly as the server does, and that
process forks the engine's workers. Tests poll the run's status with a generous deadline and never
assert on time. The reference for every result is ``subsidy batch`` itself on the same file.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import json
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from web_helpers import login, make_app

from engine.batch.run import BOM
from engine.batch.template import template_rows
from engine.cli import main as cli
from web import db
from web.batches.folder import RunFolder, Status
from web.records import BatchRun

AS_OF = "2020-09-15"
DEADLINE = 180  # seconds: generous, for a loaded machine; never asserted on


def registry_bytes(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    return BOM + text.getvalue().encode("utf-8")


def person_row(case_id: str, **cells: str) -> list[str]:
    """The template's example row with another case number and some cells changed (by header)."""
    header, example = template_rows("person")
    row = [case_id, *example[1:]]
    for label, value in cells.items():
        row[header.index(label)] = value
    return row


HEADER = template_rows("person")[0]
MIXED = [  # (input line, row): the header is line 1
    (2, person_row("G1")),
    (3, person_row("B1", 身份证号码="", 出生日期="1961-02-30")),  # impossible date
    (4, person_row("G2", 身份证号码="", 目前已就业="是")),
    (5, person_row("B2", 身份证号码="500101196103100038")),  # bad ID checksum
    (6, ["B3", "个人", "张某"]),  # short row
    (7, person_row("G3", 身份证号码="", 低保对象="是")),
]


def upload(client: FlaskClient, token: str, data: bytes, name: str = "名册.csv", **fields: str):
    form = {"csrf_token": token, "kind": "person", "as_of": AS_OF, "shape": "wide", "lang": "zh", **fields}
    form["file"] = (io.BytesIO(data), name)  # type: ignore[assignment]
    return client.post("/batches/new", data=form, content_type="multipart/form-data")


def started(client: FlaskClient, token: str, data: bytes, **fields: str) -> str:
    response = upload(client, token, data, **fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location


def wait_for(client: FlaskClient, path: str, state: str = "done") -> dict:
    deadline = time.monotonic() + DEADLINE
    while True:
        status = client.get(path + "/status").get_json()
        if status["state"] == state:
            return status
        assert status["state"] == "running", status
        if time.monotonic() > deadline:
            pytest.fail(f"the run did not reach {state} in {DEADLINE} s: {status}")
        time.sleep(0.05)


def job_exited(folder: RunFolder) -> None:
    """Wait until no job holds the run: a job says done a moment before its process has exited."""
    deadline = time.monotonic() + DEADLINE
    while folder.alive():
        assert time.monotonic() < deadline, "the job never exited"
        time.sleep(0.01)


def cli_reference(tmp_path: Path, data: bytes, *extra: str) -> tuple[bytes, bytes]:
    """``subsidy batch`` on the same bytes: the result and errors files."""
    source, out = tmp_path / "cli-input.csv", tmp_path / "cli-out.csv"
    source.write_bytes(data)
    argv = ["batch", str(source), "-o", str(out), "--as-of", AS_OF, "--quiet", "--workers", "1", *extra]
    assert cli(argv) == 0
    return out.read_bytes(), out.with_name("cli-out.errors.csv").read_bytes()


def read_csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff"), "Excel and WPS need the BOM"
    return list(csv.reader(io.StringIO(text[1:])))


def folders(app: Flask) -> list[RunFolder]:
    root = Path(app.instance_path) / "batches"
    return [RunFolder(p) for p in sorted(root.iterdir())] if root.exists() else []


def run_count(app: Flask) -> int:
    with db.database(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(BatchRun)) or 0


@pytest.fixture(autouse=True)
def no_job_left(app: Flask) -> Iterator[None]:
    """A test that fails half-way leaves no job of its own running."""
    yield
    for folder in folders(app):
        pid = folder.read_status().pid
        if pid and folder.alive():
            with contextlib.suppress(ProcessLookupError):  # it ended in between
                os.killpg(pid, signal.SIGKILL)


def test_a_registry_runs_and_its_results_download(alice: tuple[FlaskClient, str], tmp_path: Path) -> None:
    client, token = alice
    data = registry_bytes([HEADER, *(row for _, row in MIXED)])
    path = started(client, token, data, lang="zh")
    assert path.startswith("/batches/") and len(path.rsplit("/", 1)[1]) == 32
    status = wait_for(client, path)
    assert status["read"] == status["decided"] + status["rejected"] == 6
    assert (status["decided"], status["rejected"], status["percent"]) == (3, 3, 100)

    page = client.get(path).get_data(as_text=True)
    assert "已完成" in page and "名册.csv" in page
    assert "失业保险金继续发放至法定退休年龄" in page  # the per-program table
    result = client.get(path + "/result.csv")
    errors = client.get(path + "/errors.csv")
    for response in (result, errors):
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Cache-Control"] == "no-store"
    assert "filename*=UTF-8''" + quote("名册-评估结果.csv") in result.headers["Content-Disposition"]

    # One row per good row, in input order; each bad row named by its line.
    decided = read_csv(result.data)
    assert [(r[0], r[1]) for r in decided[1:]] == [("G1", "2"), ("G2", "4"), ("G3", "7")]
    reported = {int(r[0]): (r[2], r[3]) for r in read_csv(errors.data)[1:]}
    assert sorted(reported) == [3, 5, 6]
    assert reported[3] == ("出生日期", "没有这一天：1961年2月30日")
    assert reported[5][0] == "身份证号码" and "校验位错误" in reported[5][1]
    assert "本行有3列" in reported[6][1]
    # The very bytes `subsidy batch` writes.
    assert (result.data, errors.data) == cli_reference(tmp_path, data)

    # A finished run whose files were removed on the server: not found, never an error page.
    folder = RunFolder.of(client.application.instance_path, path.rsplit("/", 1)[1])
    folder.errors.rename(folder.path / "moved.csv")
    assert client.get(path + "/errors.csv").status_code == 404
    folder.path.joinpath("moved.csv").rename(folder.errors)

    # The list, and the final counts recorded in the database.
    listing = client.get("/batches/").get_data(as_text=True)
    assert "名册.csv" in listing and "已完成" in listing
    with db.database(client.application).sessions() as session:
        run = session.scalar(select(BatchRun))
        assert run.totals["read"] == 6 and run.totals["rejected"] == 3 and run.finished_at is not None
        assert run.filename == "名册.csv" and run.kind == "person" and run.as_of.isoformat() == AS_OF


def test_long_english_output_and_a_gb18030_file(alice: tuple[FlaskClient, str], tmp_path: Path) -> None:
    client, token = alice
    text = "\r\n".join(",".join(row) for row in [HEADER, person_row("G1")]) + "\r\n"
    data = text.encode("gb18030")
    path = started(client, token, data, shape="long", lang="en")
    wait_for(client, path)
    assert client.get(path + "/result.csv").data == cli_reference(tmp_path, data, "--long", "--lang", "en")[0]


def test_newest_run_first_and_pages_need_login(app: Flask, alice: tuple[FlaskClient, str]) -> None:
    client, token = alice
    data = registry_bytes([HEADER, person_row("G1")])
    first = started(client, token, data)
    second = started(client, token, data)
    listing = client.get("/batches/").get_data(as_text=True)
    assert listing.index(second.rsplit("/", 1)[1]) < listing.index(first.rsplit("/", 1)[1])
    assert "批量评估" in client.get("/cases").get_data(as_text=True)  # the navigation link
    anonymous = app.test_client()
    for page in ("/batches/", "/batches/new", first, first + "/result.csv", "/batches/template/person.csv"):
        assert anonymous.get(page).location.startswith("/login?next=")
    big = {"file": (io.BytesIO(data * 400), "名册.csv")}  # over a form's limit: signed out, it stands
    refused = anonymous.post("/batches/new", data=big, content_type="multipart/form-data")
    assert refused.location.startswith("/login?next=") and run_count(app) == 2


def test_only_those_who_may_see_the_run_get_it(app: Flask) -> None:
    alice, bob, sue, zed, root = (app.test_client() for _ in range(5))
    a_token = login(alice, "alice")
    b_token = login(bob, "bob")
    for client, name in ((sue, "sue"), (zed, "zed"), (root, "root")):
        login(client, name)
    path = started(alice, a_token, registry_bytes([HEADER, *(row for _, row in MIXED)]))
    wait_for(alice, path)
    pages = ("", "/status", "/result.csv", "/errors.csv")
    for sub in pages:
        assert bob.get(path + sub).status_code == 404  # another caseworker: as if it did not exist
        assert zed.get(path + sub).status_code == 404  # another district's supervisor
        assert sue.get(path + sub).status_code == 200  # the district's supervisor
        assert root.get(path + sub).status_code == 200
    assert bob.post(path + "/resume", data={"csrf_token": b_token}).status_code == 404
    assert bob.get("/batches/" + "0" * 32).status_code == 404
    assert "名册.csv" not in bob.get("/batches/").get_data(as_text=True)
    assert "名册.csv" in sue.get("/batches/").get_data(as_text=True)


def test_a_run_is_deleted_with_its_files_but_never_while_it_runs(app: Flask) -> None:
    alice, bob = app.test_client(), app.test_client()
    token, b_token = login(alice, "alice"), login(bob, "bob")
    path = started(alice, token, registry_bytes([HEADER, person_row("G1")]))
    wait_for(alice, path)
    folder = RunFolder.of(app.instance_path, path.rsplit("/", 1)[1])
    job_exited(folder)
    assert "删除这个批次" in alice.get(path).get_data(as_text=True)

    assert bob.post(path + "/delete", data={"csrf_token": b_token, "confirm": "yes"}).status_code == 404
    assert bob.get(path + "/delete").status_code == 404  # not his
    assert alice.post(path + "/delete", data={"confirm": "yes"}).status_code == 400  # a form with CSRF
    # Asked first: the button leads to a confirmation page; a post without it deletes nothing.
    asked = alice.get(path + "/delete").get_data(as_text=True)
    assert "删除批次“名册.csv”？" in asked and 'name="confirm" value="yes"' in asked
    unconfirmed = alice.post(path + "/delete", data={"csrf_token": token})
    assert unconfirmed.status_code == 302 and unconfirmed.location.endswith("/delete")
    assert folder.input.exists() and run_count(app) == 1
    fd = os.open(folder.lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a running job holds it
        refused = alice.post(
            path + "/delete", data={"csrf_token": token, "confirm": "yes"}, follow_redirects=True
        )
        assert "这个批次正在运行，不能删除" in refused.get_data(as_text=True)
    finally:
        os.close(fd)
    assert folder.input.exists() and run_count(app) == 1

    deleted = alice.post(path + "/delete", data={"csrf_token": token, "confirm": "yes"})
    assert deleted.status_code == 302 and deleted.location == "/batches/"
    assert "已删除批次“名册.csv”及其文件" in alice.get("/batches/").get_data(as_text=True)
    assert not folder.path.exists() and run_count(app) == 0
    assert alice.get(path).status_code == 404


def test_upload_needs_the_csrf_token(app: Flask, alice: tuple[FlaskClient, str]) -> None:
    client, _ = alice
    for token in ("", "forged"):
        response = upload(client, token, registry_bytes([HEADER, person_row("G1")]))
        assert response.status_code == 400
        assert "表单已过期或来源不明" in response.get_data(as_text=True)
    assert run_count(app) == 0 and folders(app) == []


@pytest.mark.parametrize(
    ("data", "name", "said"),
    [
        (registry_bytes([["姓名", "不存在的列"], ["张某", "1"]]), "名册.csv", "不认识的列名：不存在的列"),
        (registry_bytes([["姓名", "姓名"], ["张某", "张某"]]), "名册.csv", "是同一个字段“姓名”"),
        (b"", "empty.csv", "文件是空的"),
        ("姓名\r\n".encode("utf-16"), "u16.csv", "UTF-16"),
        (b"PK\x03\x04" + b"\x00" * 100, "名册.xlsx", "这是 Excel 工作簿"),
        # A scan or a photo of the registry was refused as UTF-16 or as a file of unknown columns.
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "名册.pdf", "这是 PDF 文件，不是 CSV 文件"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "名册.png", "这是图片，不是 CSV 文件"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100, "名册.jpg", "这是图片，不是 CSV 文件"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 100, "名册.csv.gz", "这是压缩文件，不是 CSV 文件"),
    ],
    ids=["unknown-header", "repeated-header", "empty", "utf-16", "xlsx", "pdf", "png", "jpeg", "gzip"],
)
def test_a_file_the_engine_cannot_read_is_refused_on_the_form(
    app: Flask, alice: tuple[FlaskClient, str], data: bytes, name: str, said: str
) -> None:
    client, token = alice
    response = upload(client, token, data, name=name, kind="person", as_of="2020-10-01", shape="long")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "名册无法评估" in page and said in page
    assert 'value="2020-10-01"' in page and 'value="long" checked' in page  # the options are kept
    assert run_count(app) == 0 and folders(app) == []


def test_a_refused_file_is_described_in_the_pages_language(app: Flask, alice: tuple[FlaskClient, str]):
    client, token = alice
    client.post("/lang", data={"csrf_token": token, "lang": "en", "next": "/batches/new"})
    refused = [(b"", "The file is empty"), (registry_bytes([["姓名", "姓名"]]), "are the same field")]
    for data, said in refused:
        response = upload(client, token, data, name="r.csv", kind="person", as_of="2020-10-01", shape="long")
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and said in page
        assert "文件是空的" not in page and "同一个字段" not in page


def test_unknown_columns_are_refused_with_what_the_desk_can_do(alice: tuple[FlaskClient, str]) -> None:
    """The engine's refusal told the desk's user to "加 --carry 备注", a command-line option the upload
    form does not have; the page says to delete or rename the columns, in either language."""
    client, token = alice
    for many in (1, 12):
        rows = [["姓名", *(f"备注{i}" for i in range(many))], ["张某", *("x" for _ in range(many))]]
        page = upload(client, token, registry_bytes(rows)).get_data(as_text=True)
        assert "不认识的列名：备注0" in page and "可用的列名有：" in page
        assert "--carry" not in page and "--ignore" not in page
        assert "请在 Excel 或 WPS 中删除这些列，或把列名改为可用的列名，再上传" in page
    client.post("/lang", data={"csrf_token": token, "lang": "en", "next": "/batches/new"})
    page = upload(client, token, registry_bytes([["姓名", "备注"], ["张某", "x"]])).get_data(as_text=True)
    page = re.sub(r"<[^>]+>", "", page)  # the English page marks Chinese words with lang="zh-CN"
    assert "Unknown columns: 备注" in page and "--carry" not in page and "subsidy schema" not in page
    assert "Delete these columns in Excel or WPS, or rename them" in page


def test_options_and_the_file_are_required(app: Flask, alice: tuple[FlaskClient, str]) -> None:
    client, token = alice
    response = client.post(
        "/batches/new",
        data={"csrf_token": token, "kind": "robot", "as_of": "2020-02-30", "shape": "wide", "lang": "zh"},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for said in ("请选择要上传的名册文件（CSV）", "请选择案件类型", "评估日期：没有这一天：2020年2月30日"):
        assert said in page
    assert run_count(app) == 0


def test_the_evaluation_date_is_read_as_the_case_form_reads_it(
    app: Flask, alice: tuple[FlaskClient, str]
) -> None:
    """An ISO week (2020-W01-1 ran as 2019-12-30) and years 1 and 9999 were taken and run; the forms
    every other date field takes (2020/9/15, full-width digits) were refused."""
    client, token = alice
    data = registry_bytes([HEADER, person_row("D1")])
    refused = {
        "2020-W01-1": "评估日期：日期格式应为 YYYY-MM-DD",
        "2020-02-30": "评估日期：没有这一天：2020年2月30日",
        "9999-12-31": "评估日期：日期应在 1900-01-01 至 2199-12-31 之间，而不是 9999-12-31",
        "0001-01-01": "评估日期：日期应在 1900-01-01 至 2199-12-31 之间，而不是 0001-01-01",
        "2150-01-01": "评估日期应在 1990-01-01 至 2100-12-31 之间",  # the case form's range
    }
    for typed, said in refused.items():
        assert said in upload(client, token, data, as_of=typed).get_data(as_text=True)
    assert run_count(app) == 0
    for typed in ("2020/9/15", "２０２０-０９-１５", "20200915"):
        wait_for(client, started(client, token, data, as_of=typed))
    with db.database(app).sessions() as session:
        assert {r.as_of.isoformat() for r in session.scalars(select(BatchRun))} == {"2020-09-15"}


def test_too_large_a_file_is_refused_and_only_the_upload_takes_more_than_a_form(tmp_path: Path) -> None:
    app = make_app(tmp_path / "small-limit", BATCH_MAX_BYTES=1 << 20)
    try:
        client = app.test_client()
        token = login(client, "alice")
        filler = person_row("G0", 姓名="张" * 200)
        rows = [HEADER] + [[f"G{i}", *filler[1:]] for i in range(400)]  # about 340 KB
        path = started(client, token, registry_bytes(rows))  # more than a form's 128 KB: accepted
        wait_for(client, path)
        response = upload(client, token, registry_bytes(rows * 4))  # about 1.4 MB
        assert response.status_code == 413
        assert "文件过大：名册不能超过 1 MB" in response.get_data(as_text=True)
        assert run_count(app) == 1
        big_case = {"csrf_token": token, "person.name": "张" * 100_000}  # elsewhere 128 KB still stands
        assert client.post("/cases/new/person", data=big_case).status_code == 413
    finally:
        db.database(app).engine.dispose()


def test_the_templates_are_those_of_the_command(alice: tuple[FlaskClient, str], tmp_path: Path) -> None:
    client, _ = alice
    for kind, word in (("person", "个人"), ("enterprise", "单位")):
        out = tmp_path / f"{kind}.csv"
        assert cli(["batch", "--template", "--kind", kind, "-o", str(out)]) == 0
        response = client.get(f"/batches/template/{kind}.csv")
        assert response.status_code == 200 and response.data == out.read_bytes()
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert "filename*=UTF-8''" + quote(f"名册模板-{word}.csv") in response.headers["Content-Disposition"]
    assert client.get("/batches/template/other.csv").status_code == 404


# --- an interrupted run ---------------------------------------------------------------------------


LARGE_BAD = range(5, 60_001, 4999)  # lines cut short


@pytest.fixture(scope="module")
def large_registry(tmp_path_factory: pytest.TempPathFactory, make_registry: ModuleType) -> bytes:
    """60,000 generated rows (30 chunks), a few bad ones mixed in: a run long enough to kill."""
    path = tmp_path_factory.mktemp("registry") / "registry.csv"
    make_registry.write_registry(path, 60_000, seed=11)
    lines = path.read_bytes().split(b"\r\n")
    for i in LARGE_BAD:
        lines[i] = lines[i][: len(lines[i]) // 2]
    return b"\r\n".join(lines)


def kill_after_first_checkpoint(app: Flask, ref: str) -> None:
    """SIGKILL the job and its workers (its own process group) once one chunk is checkpointed."""
    folder = RunFolder.of(app.instance_path, ref)
    deadline = time.monotonic() + DEADLINE
    while not folder.checkpoint.exists() or not folder.read_status().pid:
        assert folder.read_status().state == "running", "the run ended before it could be interrupted"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.002)
    pid = folder.read_status().pid
    assert pid is not None
    os.killpg(pid, signal.SIGKILL)
    job_exited(folder)  # the workers go with it


def test_a_killed_run_offers_resume_and_ends_as_an_uninterrupted_one(
    app: Flask, alice: tuple[FlaskClient, str], large_registry: bytes, tmp_path: Path
) -> None:
    client, token = alice
    path = started(client, token, large_registry)
    ref = path.rsplit("/", 1)[1]
    kill_after_first_checkpoint(app, ref)

    status = client.get(path + "/status").get_json()
    assert status["state"] == "interrupted"
    assert 0 < status["percent"] < 100 and status["read"] == status["decided"] + status["rejected"] > 0
    page = client.get(path).get_data(as_text=True)
    assert "已中断" in page and "继续运行" in page
    assert client.get(path + "/result.csv").status_code == 404  # nothing that looks complete
    assert client.post(path + "/resume").status_code == 400  # the button is a form with CSRF

    assert client.post(path + "/resume", data={"csrf_token": token}).status_code == 302
    assert "已从中断处继续运行" in client.get(path).get_data(as_text=True)
    done = wait_for(client, path)
    assert done["read"] == 60_000 and done["rejected"] == len(LARGE_BAD)
    result, errors = client.get(path + "/result.csv").data, client.get(path + "/errors.csv").data
    assert (result, errors) == cli_reference(tmp_path, large_registry)
    log = RunFolder.of(app.instance_path, ref).log.read_text(encoding="utf-8")
    assert "续跑" in log and "读取 60,000 行" in log
    # A finished run is not started again.
    client.post(path + "/resume", data={"csrf_token": token})
    assert client.get(path + "/status").get_json()["state"] == "done"


def test_a_job_found_dead_is_interrupted(app: Flask, alice: tuple[FlaskClient, str]) -> None:
    """As after a server crash: status.json still says running, no process holds the run."""
    client, token = alice
    path = started(client, token, registry_bytes([HEADER, person_row("G1")]))
    wait_for(client, path)
    folder = RunFolder.of(app.instance_path, path.rsplit("/", 1)[1])
    job_exited(folder)
    with db.database(app).sessions() as session:  # back to before the first page saw it finish
        run = session.scalar(select(BatchRun))
        run.totals, run.finished_at = None, None
        session.commit()
    for name in ("result.csv", "errors.csv"):
        (folder.path / name).unlink()
    folder.write_status(Status("running", pid=2**22 + 1))  # above any pid the kernel hands out
    assert json.loads(folder.status_file.read_text())["state"] == "running"
    assert client.get(path + "/status").get_json()["state"] == "interrupted"
    client.post(path + "/resume", data={"csrf_token": token})
    assert wait_for(client, path)["decided"] == 1


def test_a_failed_run_says_why_in_the_pages_language(app: Flask, alice: tuple[FlaskClient, str]) -> None:
    """The job words a refusal in both languages (status.json); the run's page shows the one the
    desk is in."""
    from web.batches import job

    client, token = alice
    path = started(client, token, registry_bytes([HEADER, person_row("F1")]))
    wait_for(client, path)
    folder = RunFolder.of(app.instance_path, path.rsplit("/", 1)[1])
    job_exited(folder)
    with db.database(app).sessions() as session:  # as before the first page saw it finish
        run = session.scalar(select(BatchRun))
        run.totals, run.finished_at = None, None
        session.commit()
    folder.input.write_bytes(b"")  # the registry gone empty: the job refuses it
    assert job.main([str(folder.path)]) == 2
    assert json.loads(folder.status_file.read_text())["error_en"].startswith("The file is empty")
    page = client.get(path).get_data(as_text=True)
    assert "运行失败：文件是空的" in page
    client.post("/lang", data={"csrf_token": token, "lang": "en", "next": path})
    page = client.get(path).get_data(as_text=True)
    assert "The file is empty" in page and "文件是空的" not in page


def test_a_lost_worker_fails_the_run_resumably_in_words(
    app: Flask, alice: tuple[FlaskClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker the system ended (tests/test_batch_resume.py kills one for real) fails the job with
    what happened and what to do, in both languages, not an exception's empty name."""
    from engine.batch.options import WorkerLost
    from web.batches import job

    client, token = alice
    path = started(client, token, registry_bytes([HEADER, person_row("W1")]))
    wait_for(client, path)
    folder = RunFolder.of(app.instance_path, path.rsplit("/", 1)[1])
    job_exited(folder)

    def lost(opts: object) -> None:
        raise WorkerLost

    monkeypatch.setattr(job, "run", lost)
    assert job.main([str(folder.path)]) == 1
    status = json.loads(folder.status_file.read_text())
    assert status["state"] == "failed"
    assert status["error"].startswith("运行已停止：一个工作进程意外结束")
    assert status["error_en"].startswith("The run stopped: a worker process ended unexpectedly")


def test_a_run_uses_the_desk_district_settings_and_carries_the_names(app: Flask) -> None:
    """A registry run evaluates with the district settings saved on the desk (as a case does), and
    its results carry the input's identifying columns (单位名称, 被吸纳人员姓名) in their input order."""
    from test_web_districts import settings_form

    root = app.test_client()
    assert root.post("/districts/渝中区", data=settings_form(login(root, "root"))).status_code == 302
    header, example = template_rows("enterprise")
    example = ["E-001", *example[1:-1], "渝中区"]  # the example row under a case number of its own
    alice = app.test_client()
    token = login(alice, "alice")
    path = started(alice, token, registry_bytes([header, example]), kind="enterprise")
    wait_for(alice, path)
    rows = read_csv(alice.get(path + "/result.csv").data)
    assert rows[0][:6] == ["案件编号", "行号", "类型", "单位名称", "统一社会信用代码", "被吸纳人员姓名"]
    assert rows[1][3:6] == ["重庆某机械制造有限公司", "", "李某"]
    at = rows[0].index("一次性吸纳就业补贴·结论")
    assert rows[1][at : at + 2] == [
        "符合",
        "1000 元 / 每招用1人（渝中区当地标准，自2020-01-01起，依据：渝中人社发〔2020〕2号）",
    ]
