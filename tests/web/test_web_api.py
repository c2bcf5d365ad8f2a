"""The JSON API: the same answers as `subsidy evaluate --json`, errors as JSON with Chinese
messages per field (400/401/413/415, never 500), token and session auth, the catalog, OpenAPI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from openapi_spec_validator import validate
from sqlalchemy import select
from web_helpers import login

from engine.catalog import build_catalog
from web import db
from web.accounts import issue_token
from web.api.openapi import openapi_document
from web.records import ApiToken, User

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "samples").glob("*.json"))


@pytest.fixture
def token(app: Flask) -> str:
    with db.database(app).sessions() as session:
        return issue_token(session, session.scalar(select(User).where(User.username == "alice")), 90)[0]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def cli_json(sample: Path, *args: str) -> dict:
    script = Path(sys.executable).parent / "subsidy"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "engine.cli"]
    out = subprocess.run(
        [*command, "evaluate", str(sample), "--json", *args], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_api_answers_equal_the_cli(app: Flask, token: str, sample: Path, lang: str) -> None:
    expected = cli_json(sample, "--as-of", "2020-09-15", "--lang", lang)
    response = app.test_client().post(
        f"/api/v1/evaluate?as_of=2020-09-15&lang={lang}",
        data=sample.read_bytes(),
        content_type="application/json",
        headers=bearer(token),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == expected


def test_token_is_stored_hashed(app: Flask, token: str) -> None:
    with db.database(app).sessions() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


def test_no_or_bad_credentials_is_401_json(app: Flask) -> None:
    client = app.test_client()
    for headers in ({}, bearer("sbt_wrong"), {"Authorization": "Basic YWxpY2U6eA=="}):
        response = client.post("/api/v1/evaluate", json={"kind": "person"}, headers=headers)
        assert response.status_code in (401, 400)
        assert response.is_json
    response = client.post("/api/v1/evaluate", json={"kind": "person"}, headers=bearer("sbt_wrong"))
    assert response.status_code == 401
    assert response.get_json()["error"] == "请先登录"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_token_never_falls_back_to_the_session(app: Flask) -> None:
    client = app.test_client()
    login(client, "alice")
    response = client.post("/api/v1/evaluate", json={"kind": "person"}, headers=bearer("sbt_wrong"))
    assert response.status_code == 401


def test_session_auth_needs_the_csrf_header(app: Flask) -> None:
    client = app.test_client()
    csrf = login(client, "alice")
    assert client.post("/api/v1/evaluate", json={"kind": "person"}).status_code == 400
    response = client.post("/api/v1/evaluate", json={"kind": "person"}, headers={"X-CSRFToken": csrf})
    assert response.status_code == 200
    assert response.get_json()["subject"] == "person"


def test_field_errors_in_chinese(app: Flask, token: str) -> None:
    person = {"birth_date": "1990-13-01", "ui_contribution_months": "十二", "x": 1}
    case = {"kind": "person", "person": person}
    response = app.test_client().post("/api/v1/evaluate", json=case, headers=bearer(token))
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "案件数据有误，请更正以下字段"
    errors = {e["field"]: e for e in body["errors"]}
    assert errors["person.birth_date"]["message"] == "没有这一天：1990年13月1日"
    assert errors["person.birth_date"]["label"] == "申请人·出生日期"
    assert errors["person.ui_contribution_months"]["message"] == "应为整数"
    assert errors["person.x"]["message"] == "不认识的字段"


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"[" * 50_000 + b"]" * 50_000, "application/json", 400),  # deep nesting: RecursionError
        (b'"a string"', "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"kind": "robot"}', "application/json", 400),
        (b'{"kind": "person"}', "text/plain", 415),
        (b"kind=person", "application/x-www-form-urlencoded", 415),
        (b'{"kind": "person", "person": {"name": "' + b"x" * 200_000 + b'"}}', "application/json", 413),
    ],
    ids=["bad-json", "not-utf8", "deep", "string", "list", "kind", "text", "form", "huge"],
)
def test_hostile_bodies_get_json_errors_never_500(
    app: Flask, token: str, body: bytes, content_type: str, status: int
) -> None:
    response = app.test_client().post(
        "/api/v1/evaluate", data=body, content_type=content_type, headers=bearer(token)
    )
    assert response.status_code == status
    assert response.is_json and response.get_json()["error"]


def test_huge_and_wrong_typed_fields(app: Flask, token: str) -> None:
    client = app.test_client()
    case = {"kind": "person", "person": {"name": "张" * 1000, "employed": "perhaps", "birth_date": 7}}
    response = client.post("/api/v1/evaluate", json=case, headers=bearer(token))
    assert response.status_code == 400
    messages = {e["field"]: e["message"] for e in response.get_json()["errors"]}
    assert messages["person.name"] == "过长（最多 100 个字符）"
    assert messages["person.employed"] == "应为“是”或“否”"


def test_bad_query_parameters(app: Flask, token: str) -> None:
    client = app.test_client()
    for query in ("as_of=2020-02-30", "as_of=yesterday", "lang=fr"):
        response = client.post(f"/api/v1/evaluate?{query}", json={"kind": "person"}, headers=bearer(token))
        assert response.status_code == 400
        assert response.get_json()["errors"][0]["field"] in ("as_of", "lang")


def test_html_in_the_case_comes_back_as_data(app: Flask, token: str) -> None:
    case = {"kind": "person", "case_id": "<script>alert(1)</script>"}
    response = app.test_client().post("/api/v1/evaluate", json=case, headers=bearer(token))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json()["case_id"] == "<script>alert(1)</script>"


def test_unknown_api_path_and_method_are_json(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/api/v1/nothing").status_code == 404
    assert client.get("/api/v1/nothing").is_json
    response = client.get("/api/v1/evaluate")
    assert response.status_code == 405 and response.is_json


def test_rules_catalog(app: Flask) -> None:
    response = app.test_client().get("/api/v1/rules")
    assert response.status_code == 200
    body = response.get_json()
    assert body == [e.model_dump(mode="json") for e in build_catalog()]
    assert len(body) == 66


def test_openapi_document_is_valid_3_1(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert document == json.loads(json.dumps(openapi_document()))
    assert document["openapi"].startswith("3.1")
    validate(document)
    schemas = document["components"]["schemas"]
    assert {"Case", "Evaluation", "CatalogEntry", "Error", "Person", "Decision"} <= set(schemas)
    assert "$defs" not in json.dumps(document)
    assert set(document["paths"]) == {"/api/v1/evaluate", "/api/v1/rules", "/api/v1/openapi.json"}


def test_token_page_issues_and_revokes(app: Flask) -> None:
    client = app.test_client()
    csrf = login(client, "alice")
    issued = []
    for label in ("ERP", "报表"):
        data = {"csrf_token": csrf, "action": "issue", "label": label}
        page = client.post("/admin/token", data=data).get_data(as_text=True)
        issued.append(page.split('<code id="new-token">')[1].split("</code>")[0])
    api = app.test_client()
    assert all(api.post("/api/v1/evaluate", json={}, headers=bearer(t)).status_code == 200 for t in issued)
    with db.database(app).sessions() as session:
        first = session.scalar(select(ApiToken.id).where(ApiToken.label == "ERP"))
    page = client.get("/admin/token").get_data(as_text=True)
    assert "ERP" in page and "报表" in page and issued[0] not in page  # listed, never shown again
    client.post("/admin/token", data={"csrf_token": csrf, "action": "revoke", "token": str(first)})
    assert api.post("/api/v1/evaluate", json={}, headers=bearer(issued[0])).status_code == 401
    assert api.post("/api/v1/evaluate", json={}, headers=bearer(issued[1])).status_code == 200


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ({"kind": "enterprise", "hire": {"contract_end_date": "9999-12-31"}}, "hire.contract_end_date"),
        ({"kind": "person", "person": {"birth_date": "9999-01-01", "sex": "male"}}, "person.birth_date"),
        ({"kind": "enterprise", "enterprise": {"layoff_date": "0001-01-01"}}, "enterprise.layoff_date"),
        ({"kind": "person", "person": {"ui_benefit_start_date": 0}}, "person.ui_benefit_start_date"),
    ],
)
def test_out_of_range_dates_are_a_400_naming_the_field(
    app: Flask, token: str, case: dict, field: str
) -> None:
    response = app.test_client().post("/api/v1/evaluate?as_of=2020-09-15", json=case, headers=bearer(token))
    assert response.status_code == 400
    assert [e["field"] for e in response.get_json()["errors"]] == [field]


def test_the_evaluation_date_may_be_written_as_excel_writes_it(app: Flask, token: str) -> None:
    case = {"kind": "person", "person": {"birth_date": "1960/1/1"}}
    response = app.test_client().post(
        "/api/v1/evaluate?as_of=2020年9月15日", json=case, headers=bearer(token)
    )
    assert response.status_code == 200 and response.get_json()["as_of"] == "2020-09-15"
