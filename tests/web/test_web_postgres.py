"""PostgreSQL: the migrations run, and a case with its decision is saved and read back, in a
schema of its own (dropped afterwards) on postgresql://127.0.0.1:5432/test (conftest's pg_url)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import inspect, select, text
from web_helpers import VALID_ID, login, new_person_case

from web import db
from web.records import CaseRecord, DecisionRecord


def test_migrate_and_round_trip_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    from web_helpers import make_app

    app: Flask = make_app(tmp_path, DATABASE_URL=pg_url)
    try:
        engine = db.database(app).engine
        tables = set(inspect(engine).get_table_names())
        assert {"users", "cases", "decisions", "alembic_version"} <= tables
        assert engine.dialect.name == "postgresql"
        client = app.test_client()
        token = login(client, "alice")
        path = new_person_case(
            client, token, case_id="PG-1", **{"person.name": "张某", "person.id_number": VALID_ID}
        )
        found = client.post("/cases", data={"csrf_token": token, "q": VALID_ID}).get_data(as_text=True)
        assert "500101********0037" in found
        assert "张某" in client.get(path).get_data(as_text=True)
        with db.database(app).sessions() as session:
            record = session.scalar(select(CaseRecord).where(CaseRecord.case_id == "PG-1"))
            decision = session.scalar(select(DecisionRecord).where(DecisionRecord.case_pk == record.id))
            assert decision.inputs["person"]["id_number"] == VALID_ID
            assert decision.evaluation["as_of"] == "2020-09-15"
            assert decision.created_at.tzinfo is not None
            # JSONB: the stored decision can be queried inside.
            found = session.execute(
                text("SELECT evaluation->>'rules_version' FROM decisions WHERE id = :id"), {"id": decision.id}
            ).scalar()
            assert found == decision.rules_version
    finally:
        db.database(app).engine.dispose()
