"""Applications through the JSON API: ``applied_for`` in the case body answers as
``subsidy evaluate --program`` does; an unknown program is a 400 naming the field and the id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from test_web_api import bearer, cli_json

from web import db
from web.accounts import issue_token
from web.records import User

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "person-near-retirement.json"
CONTINUATION = "task55_benefit_to_retirement"


@pytest.fixture
def token(app: Flask) -> str:
    with db.database(app).sessions() as session:
        return issue_token(session, session.scalar(select(User).where(User.username == "alice")), 90)[0]


def post(app: Flask, token: str, body: dict) -> tuple[int, dict]:
    response = app.test_client().post(
        "/api/v1/evaluate?as_of=2020-09-15",
        data=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
        headers=bearer(token),
    )
    return response.status_code, response.get_json()


def test_applied_for_in_the_body_answers_as_the_cli_program_option(app: Flask, token: str) -> None:
    body = {**json.loads(SAMPLE.read_text(encoding="utf-8")), "applied_for": [CONTINUATION]}
    status, answer = post(app, token, body)
    assert status == 200, answer
    assert answer == cli_json(SAMPLE, "--as-of", "2020-09-15", "--program", CONTINUATION)
    assert [d["program"] for d in answer["decisions"]] == [CONTINUATION]
    assert answer["suggestions"]


def test_an_unknown_program_is_a_400_naming_the_field(app: Flask, token: str) -> None:
    body = {**json.loads(SAMPLE.read_text(encoding="utf-8")), "applied_for": ["task99_nothing"]}
    status, answer = post(app, token, body)
    assert status == 400
    assert "applied_for" in answer["error"] and "task99_nothing" in answer["error"]


def test_the_openapi_case_body_has_applied_for(app: Flask) -> None:
    schemas = app.test_client().get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for case in ("PersonCase", "EnterpriseCase"):
        assert schemas[case]["properties"]["applied_for"]["type"] == "array"
    assert "suggestions" in schemas["Evaluation"]["properties"]
