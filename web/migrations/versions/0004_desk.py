"""The desk a district office runs its day on: district settings, receipts, search by the hired person.

- ``district_settings``: one row per district that saved its settings on the desk (the engine's
  ``DistrictSettings`` as JSON; a district without a row keeps the shipped table's entry).
- users', cases' and batch runs' ``district`` become one of Chongqing's 38 names: free text that
  names one (exactly, without 重庆市, or as the unique name it begins) is replaced by it; anything
  else is emptied, and for users kept in ``district_unmatched`` so the accounts page shows it.
- users gain ``full_name``: the caseworker's name, which signs a decision notice.
- decisions gain ``engine_version`` and ``receipt`` (every parameter value and district setting used).
- cases gain ``person_name`` (the hired person of an enterprise case) and ``id_hash`` (sha256 of
  the full ID number), filled from each case's latest decision.

Revision ID: 0004_desk
Revises: 0003_security
Create Date: 2026-12-09
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_desk"
down_revision = "0003_security"
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# Chongqing's 38 district- and county-level divisions (rules/districts.yaml), frozen here.
NAMES = [
    "万州区",
    "黔江区",
    "涪陵区",
    "渝中区",
    "大渡口区",
    "江北区",
    "沙坪坝区",
    "九龙坡区",
    "南岸区",
    "北碚区",
    "綦江区",
    "大足区",
    "渝北区",
    "巴南区",
    "长寿区",
    "江津区",
    "合川区",
    "永川区",
    "南川区",
    "璧山区",
    "铜梁区",
    "潼南区",
    "荣昌区",
    "开州区",
    "梁平区",
    "武隆区",
    "城口县",
    "丰都县",
    "垫江县",
    "忠县",
    "云阳县",
    "奉节县",
    "巫山县",
    "巫溪县",
    "石柱土家族自治县",
    "秀山土家族苗族自治县",
    "酉阳土家族苗族自治县",
    "彭水苗族土家族自治县",
]


def district_name(text: str | None) -> str | None:
    """The one district ``text`` names, or None."""
    text = (text or "").strip().removeprefix("重庆市").removeprefix("重庆").strip()
    if text in NAMES:
        return text
    found = [n for n in NAMES if len(text) >= 2 and n.startswith(text)]
    return found[0] if len(found) == 1 else None


def upgrade() -> None:
    op.create_table(
        "district_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("settings", JSON_DOC, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
    )
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("district_unmatched", sa.String(64), nullable=False, server_default=""))
        users.add_column(sa.Column("full_name", sa.String(64), nullable=False, server_default=""))
    with op.batch_alter_table("decisions") as decisions:
        decisions.add_column(sa.Column("engine_version", sa.String(32), nullable=True))
        decisions.add_column(sa.Column("receipt", JSON_DOC, nullable=True))
    with op.batch_alter_table("cases") as cases:
        cases.add_column(sa.Column("person_name", sa.String(100), nullable=True))
        cases.add_column(sa.Column("id_hash", sa.String(64), nullable=True))
    op.create_index("ix_cases_id_hash", "cases", ["id_hash"])

    conn = op.get_bind()
    for uid, district in conn.execute(sa.text("SELECT id, district FROM users")).all():
        name = district_name(district)
        if district and name != district:
            conn.execute(
                sa.text("UPDATE users SET district = :d, district_unmatched = :u WHERE id = :id"),
                {"d": name or "", "u": "" if name else district[:64], "id": uid},
            )
    for table in ("cases", "batch_runs"):
        for district in conn.execute(sa.text(f"SELECT DISTINCT district FROM {table}")).scalars():
            name = district_name(district)
            if district and name and name != district:
                conn.execute(
                    sa.text(f"UPDATE {table} SET district = :d WHERE district = :old"),
                    {"d": name, "old": district},
                )
    latest = sa.text(
        "SELECT c.id, c.kind, d.inputs FROM cases c JOIN decisions d ON d.case_pk = c.id "
        "WHERE d.id = (SELECT max(id) FROM decisions WHERE case_pk = c.id)"
    )
    for case_pk, kind, inputs in conn.execute(latest).all():
        inputs = json.loads(inputs) if isinstance(inputs, str) else inputs
        if kind == "enterprise":
            person = (inputs.get("hire") or {}).get("person") or {}
        else:
            person = inputs.get("person") or {}
        number = person.get("id_number")
        conn.execute(
            sa.text("UPDATE cases SET person_name = :n, id_hash = :h WHERE id = :id"),
            {
                "n": person.get("name") if kind == "enterprise" else None,
                "h": hashlib.sha256(number.upper().encode()).hexdigest() if number else None,
                "id": case_pk,
            },
        )


def downgrade() -> None:
    op.drop_index("ix_cases_id_hash", "cases")
    with op.batch_alter_table("cases") as cases:
        cases.drop_column("id_hash")
        cases.drop_column("person_name")
    with op.batch_alter_table("decisions") as decisions:
        decisions.drop_column("receipt")
        decisions.drop_column("engine_version")
    with op.batch_alter_table("users") as users:
        users.drop_column("full_name")
        users.drop_column("district_unmatched")
    op.drop_table("district_settings")
