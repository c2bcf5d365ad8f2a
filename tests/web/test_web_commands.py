"""The web desk's subcommands of `subsidy`: db upgrade, create-admin, create-user, create-token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text


def run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "subsidy"
    command = (
        [str(script)] if script.exists() else [sys.executable, "-c", "from engine.cli import main; main()"]
    )
    env = {**os.environ, "SUBSIDY_INSTANCE_PATH": str(tmp_path)}
    env.pop("SUBSIDY_DATABASE_URL", None)
    return subprocess.run(
        [*command, *args], input=stdin, env=env, capture_output=True, text=True, timeout=120
    )


def test_first_admin_and_accounts(tmp_path: Path) -> None:
    assert run(tmp_path, "db", "upgrade").returncode == 0
    created = run(
        tmp_path,
        "create-admin",
        "admin",
        "--district",
        "渝中区",
        "--password-stdin",
        stdin="plum kettle 42\n",
    )
    assert created.returncode == 0, created.stderr
    again = run(tmp_path, "create-admin", "admin", "--password-stdin", stdin="plum kettle 42\n")
    assert again.returncode == 2 and "用户名已存在" in again.stderr
    short = run(tmp_path, "create-user", "bob", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "密码至少10个字符" in short.stderr
    token = run(tmp_path, "create-token", "admin")
    assert token.returncode == 0 and token.stdout.startswith("sbt_")
    assert run(tmp_path, "create-token", "nobody").returncode == 2
    engine = create_engine(f"sqlite:///{tmp_path / 'subsidy.sqlite3'}")
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT role, district, password_hash, token_hash "
                "FROM users JOIN api_tokens ON api_tokens.user_id = users.id"
            )
        ).one()
    engine.dispose()
    assert row[0] == "admin" and row[1] == "渝中区"
    assert "plum kettle 42" not in row[2] and row[2].startswith(("scrypt:", "pbkdf2:"))
    assert token.stdout.strip() not in row[3]
