"""Districts, accounts and data at rest (issue 23 items 4 and 6).

- ``api_tokens``: several tokens per user, each with an expiry; a user's one token
  (``users.api_token_hash``) moves there, valid 90 days from now, and the column goes.
- ``audit_log.district``: whose supervisor reads the line (filled from the account's district).
- a case's ``district`` is the district its latest decision names (the one that signs its notice),
  where that is one of the 38; its owner's district otherwise, as before.
- case numbers are unique per district: a blank one gets the district's next number
  (``渝中区-2026-00001``, the year the case was created); a repeated one keeps its number on the
  oldest case and gets ``-2``, ``-3``… on the others (the stored decisions keep what was typed).
  ``case_numbers`` holds each district's last number per year.
- ``decisions.sealed``: false on every decision stored so far; ``cases.id_hash`` (an unkeyed
  sha256) is emptied. ``web.sealing.seal_existing``, run after the migration by ``subsidy serve``
  and ``subsidy db upgrade``, encrypts their ID numbers and keys the hashes with the data key,
  which a migration cannot see (it lives outside the database).

Revision ID: 0005_access
Revises: 0004_desk
Create Date: 2026-12-04
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0005_access"
down_revision = "0004_desk"
branch_labels = None
depends_on = None

TOKEN_DAYS = 90
NAMES = {
    "万州区", "黔江区", "涪陵区", "渝中区", "大渡口区", "江北区", "沙坪坝区", "九龙坡区", "南岸区", "北碚区",
    "綦江区", "大足区", "渝北区", "巴南区", "长寿区", "江津区", "合川区", "永川区", "南川区", "璧山区",
    "铜梁区", "潼南区", "荣昌区", "开州区", "梁平区", "武隆区", "城口县", "丰都县", "垫江县", "忠县",
    "云阳县", "奉节县", "巫山县", "巫溪县", "石柱土家族自治县", "秀山土家族苗族自治县",
    "酉阳土家族苗族自治县", "彭水苗族土家族自治县",
}  # fmt: skip


def case_number(district: str, year: int, n: int) -> str:
    return f"{district}-{year}-{n:05d}" if district else f"{year}-{n:05d}"


def _year(value: object) -> int:
    if isinstance(value, datetime):
        return value.year
    return int(str(value)[:4]) if value else datetime.now(UTC).year


def upgrade() -> None:
    conn = op.get_bind()
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_api_tokens_user", "api_tokens", ["user_id"])
    now = datetime.now(UTC)
    for uid, token_hash in conn.execute(
        sa.text("SELECT id, api_token_hash FROM users WHERE api_token_hash IS NOT NULL")
    ).all():
        conn.execute(
            sa.text(
                "INSERT INTO api_tokens (user_id, token_hash, label, created_at, expires_at) "
                "VALUES (:u, :h, '', :c, :e)"
            ),
            {"u": uid, "h": token_hash, "c": now, "e": now + timedelta(days=TOKEN_DAYS)},
        )
    with op.batch_alter_table("users") as users:
        users.drop_column("api_token_hash")

    with op.batch_alter_table("audit_log") as log:
        log.add_column(sa.Column("district", sa.String(64), nullable=False, server_default=""))
    conn.execute(
        sa.text(
            "UPDATE audit_log SET district = COALESCE((SELECT u.district FROM users u "
            "WHERE u.username = audit_log.username), '')"
        )
    )

    with op.batch_alter_table("decisions") as decisions:
        decisions.add_column(sa.Column("sealed", sa.Boolean(), nullable=False, server_default=sa.false()))
    conn.execute(sa.text("UPDATE cases SET id_hash = NULL"))

    latest = sa.text(
        "SELECT c.id, d.inputs FROM cases c JOIN decisions d ON d.case_pk = c.id "
        "WHERE d.id = (SELECT max(id) FROM decisions WHERE case_pk = c.id)"
    )
    for case_pk, inputs in conn.execute(latest).all():
        inputs = json.loads(inputs) if isinstance(inputs, str) else inputs
        named = ((inputs or {}).get("district") or {}).get("name")
        if named in NAMES:
            conn.execute(
                sa.text("UPDATE cases SET district = :d WHERE id = :id"), {"d": named, "id": case_pk}
            )

    op.create_table(
        "case_numbers",
        sa.Column("district", sa.String(64), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    rows = conn.execute(sa.text("SELECT id, district, case_id, created_at FROM cases ORDER BY id")).all()
    taken = {(d, c) for _, d, c, _ in rows if c}
    seen: set[tuple[str, str]] = set()
    last: dict[tuple[str, int], int] = {}
    for case_pk, district, number, created in rows:
        district = district or ""
        new = None
        if not number:
            year = _year(created)
            n = last.get((district, year), 0)
            while True:
                n += 1
                new = case_number(district, year, n)
                if (district, new) not in taken:
                    break
            last[(district, year)] = n
        elif (district, number) in seen:
            k = 2
            while (district, f"{number}-{k}") in taken:
                k += 1
            new = f"{number}-{k}"[:100]
        if new is not None:
            taken.add((district, new))
            conn.execute(sa.text("UPDATE cases SET case_id = :n WHERE id = :id"), {"n": new, "id": case_pk})
        seen.add((district, new or number))
    for (district, year), n in last.items():
        conn.execute(
            sa.text("INSERT INTO case_numbers (district, year, last) VALUES (:d, :y, :n)"),
            {"d": district, "y": year, "n": n},
        )
    op.create_index("ux_cases_district_case_id", "cases", ["district", "case_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_cases_district_case_id", "cases")
    op.drop_table("case_numbers")
    with op.batch_alter_table("decisions") as decisions:
        decisions.drop_column("sealed")
    with op.batch_alter_table("audit_log") as log:
        log.drop_column("district")
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("api_token_hash", sa.String(64), nullable=True, unique=True))
    op.drop_table("api_tokens")
