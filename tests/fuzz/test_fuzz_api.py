"""``POST /api/v1/evaluate`` driven from its own OpenAPI document by Schemathesis: valid and
invalid cases, query parameters and bodies generated from the published schema. No answer is a
5xx, and every answer (200 or an error) matches the document: status, content type, body schema.

The schema cannot say everything the models refuse (a date 0001-01-01 has ``format: date`` but lies
outside the accepted range), so "schema-valid data is accepted" is not checked; every refusal must
still be a documented 400 with the documented error body.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from fuzzing import examples
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from web import create_app, db
from web.accounts import create_user, issue_token
from web.migrate import upgrade
from web.records import User


def _app_and_token() -> tuple[object, str]:
    """The desk on a throw-away SQLite database, with one caseworker and her API token."""
    folder = Path(tempfile.mkdtemp(prefix="subsidy-fuzz-api-"))
    atexit.register(shutil.rmtree, folder, True)
    url = f"sqlite:///{folder / 'fuzz.sqlite3'}"
    app = create_app(
        {"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "fuzz"}
    )
    upgrade(url)
    with db.database(app).sessions() as session:
        create_user(session, "fuzz", "plum kettle orbit 7", "caseworker", "渝中区")
        user = session.scalar(select(User).where(User.username == "fuzz"))
        return app, issue_token(session, user, 90)[0]


APP, TOKEN = _app_and_token()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.include(path="/api/v1/evaluate", method="POST").parametrize()
@examples(150)
def test_the_api_answers_every_generated_request_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)
