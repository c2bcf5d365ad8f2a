"""The web desk's subcommands of `subsidy`: db upgrade, create-admin, create-user, create-token."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

SCRIPT = Path(sys.executable).parent / "subsidy"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-c", "from engine.cli import main; main()"]


def environment(tmp_path: Path, settings: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "SUBSIDY_INSTANCE_PATH": str(tmp_path)}
    env.pop("SUBSIDY_DATABASE_URL", None)
    return {**env, **(settings or {})}


def run(
    tmp_path: Path, *args: str | bytes, stdin: str | bytes = "", settings: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command with these arguments and this input (bytes as they are, text as UTF-8)."""
    done = subprocess.run(
        [*COMMAND, *args],
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        env=environment(tmp_path, settings),
        capture_output=True,
        timeout=120,
    )
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


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


def refused(out: subprocess.CompletedProcess[str], words: str) -> None:
    """One line on stderr saying ``words``, a non-zero exit, no traceback."""
    assert out.returncode != 0 and words in out.stderr, out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_a_database_not_yet_upgraded_is_named_and_left_uncreated(tmp_path: Path) -> None:
    """recheck and create-token read the database, never make it: they say to upgrade it first."""
    for command in (["recheck"], ["create-token", "admin"]):
        refused(run(tmp_path, *command), "subsidy.sqlite3 还没有建立：请先运行 subsidy db upgrade")
    assert not (tmp_path / "subsidy.sqlite3").exists()
    assert run(tmp_path, "db", "upgrade").returncode == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'subsidy.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0004_desk'"))
    engine.dispose()
    refused(run(tmp_path, "recheck"), "subsidy.sqlite3 不是最新结构：请先运行 subsidy db upgrade")


@pytest.mark.parametrize(
    ("command", "url", "words"),
    [
        (
            ["recheck"],
            "postgresql+psycopg://u:secret@127.0.0.1:1/subsidy",
            "无法连接数据库 postgresql+psycopg://u:***@127.0.0.1:1/subsidy：connection failed",
        ),
        (["db", "upgrade"], "not a url", "SUBSIDY_DATABASE_URL 不是有效的数据库地址"),
        (
            ["create-admin", "admin", "--password-stdin"],
            "mysql://u:secret@localhost/subsidy",
            "无法使用数据库 mysql://u:***@localhost/subsidy：不支持 mysql",
        ),
    ],
    ids=["no server", "not a URL", "no driver"],
)
def test_a_database_that_cannot_be_used_is_one_line(
    tmp_path: Path, command: list[str], url: str, words: str
) -> None:
    """Named without its password, with the reason (each command asks the same question first);
    nothing is left behind."""
    out = run(tmp_path, *command, stdin="plum kettle 42\n", settings={"SUBSIDY_DATABASE_URL": url})
    refused(out, words)
    assert "secret" not in out.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("SUBSIDY_SECRET_KEY", "short", "SUBSIDY_SECRET_KEY 过短（5 个字符）：应至少 32 个随机字符"),
        ("SUBSIDY_TOKEN_DAYS", "abc", "SUBSIDY_TOKEN_DAYS 应为正整数，而不是“abc”"),
        ("SUBSIDY_TOKEN_DAYS", "-5", "SUBSIDY_TOKEN_DAYS 应为正整数，而不是“-5”"),
        ("SUBSIDY_TOKEN_DAYS", "99999999", "SUBSIDY_TOKEN_DAYS 应为 1 至 3650 之间的整数，而不是 99999999"),
    ],
)
def test_a_bad_setting_is_one_line(tmp_path: Path, variable: str, value: str, words: str) -> None:
    """A setting that stops the start says so in its own line, not inside a traceback; a span of
    days is bounded, so a token's expiry date cannot overflow."""
    refused(run(tmp_path, "db", "upgrade", settings={variable: value}), words)


@pytest.mark.parametrize(
    ("username", "password", "words"),
    [
        (b"u\xff", b"plum kettle 42\n", "用户名不是 UTF-8 编码的文本"),
        (b"erin", b"plum kettle \xff 42\n", "密码不是 UTF-8 编码的文本"),
    ],
    ids=["username", "password"],
)
def test_bytes_that_are_not_utf8_are_refused(
    tmp_path: Path, username: bytes, password: bytes, words: str
) -> None:
    refused(run(tmp_path, "create-user", username, "--password-stdin", stdin=password), words)


def test_ctrl_c_at_the_password_prompt_creates_nothing(tmp_path: Path) -> None:
    """At a terminal (a pseudo-terminal here): Ctrl-C as the password is asked for ends the command
    with a line, as a shell reports an interrupted command."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the command, at the terminal
        os.execve(COMMAND[0], [*COMMAND, "create-user", "erin"], environment(tmp_path))
    said = b""
    while "密码：".encode() not in said:
        said += read(terminal)
    os.write(terminal, b"\x03")  # Ctrl-C: the terminal sends SIGINT
    while chunk := read(terminal):
        said += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 130
    assert said.decode().endswith("已取消，未创建账号\r\n") and b"Traceback" not in said
    assert list(tmp_path.iterdir()) == []


def read(terminal: int) -> bytes:
    """What the terminal shows next; nothing once the command has ended (or after a minute)."""
    if not select.select([terminal], [], [], 60)[0]:
        return b""
    try:
        return os.read(terminal, 1024)
    except OSError:  # the command has ended and closed the terminal
        return b""
