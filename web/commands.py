"""The web desk's ``subsidy`` subcommands: serve, db upgrade, create-admin, create-user, create-token.

Flask and the database are imported only when one of these runs, so ``subsidy evaluate`` stays fast.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

from engine.cliargs import EXIT_INTERRUPTED, say

if TYPE_CHECKING:
    from flask import Flask

EXIT_BAD_INPUT = 2
EXIT_NO_DESK = 1  # the desk's settings or database cannot be used


def add_web_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = sub.add_parser(
        "serve",
        help=say(
            "启动审核台网页（先自动升级数据库）", "start the desk's web server (upgrading the database first)"
        ),
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help=say(
            "监听的地址（默认 127.0.0.1，只有本机可访问）",
            "the address to listen on (default 127.0.0.1: this machine only)",
        ),
    )
    serve.add_argument(
        "--port", type=int, default=5000, help=say("监听的端口（默认 5000）", "the port (default 5000)")
    )
    serve.set_defaults(func=cmd_serve)

    database = sub.add_parser(
        "db", help=say("数据库：db upgrade 升级到最新结构", "the database: db upgrade brings it up to date")
    )
    database.add_argument(
        "action",
        choices=["upgrade"],
        help=say("upgrade：把数据库升级到最新结构", "upgrade: bring the database to the latest structure"),
    )
    database.set_defaults(func=cmd_db)

    admin = sub.add_parser(
        "create-admin",
        help=say("创建管理员账号（首次登录用）", "create an administrator (for the first login)"),
    )
    _account_args(admin)
    admin.set_defaults(func=cmd_create_admin)

    user = sub.add_parser(
        "create-user",
        help=say("创建经办人或科室负责人账号", "create a caseworker's or a supervisor's account"),
    )
    _account_args(user)
    user.add_argument(
        "--role",
        choices=["caseworker", "supervisor", "admin"],
        default="caseworker",
        help=say(
            "角色：caseworker 经办人（默认）、supervisor 科室负责人、admin 管理员",
            "the role: caseworker (default), supervisor or admin",
        ),
    )
    user.set_defaults(func=cmd_create_user)

    token = sub.add_parser(
        "create-token",
        help=say(
            "为账号生成 API 令牌（SUBSIDY_TOKEN_DAYS 天后失效，默认 90 天）",
            "issue an account an API token (it lasts SUBSIDY_TOKEN_DAYS days, 90 by default)",
        ),
    )
    token.add_argument("username", help=say("账号的用户名", "the account's username"))
    token.set_defaults(func=cmd_create_token)


def _account_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("username", help=say("登录用的用户名", "the username to log in with"))
    parser.add_argument(
        "--district",
        default="",
        help=say(
            "所属区县（重庆市38个区县之一），如 渝中区",
            "the district: one of Chongqing's 38, by its Chinese name",
        ),
    )
    parser.add_argument(
        "--name", default="", help=say("姓名（在告知书上署名）", "the full name (signed on notices)")
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help=say("从标准输入读取密码（一行）", "read the password from standard input (one line)"),
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from web.server import serve
    from web.settings import SettingError

    if not database_usable(migrating=True):
        return EXIT_NO_DESK
    try:
        return serve(args.host, args.port)
    except SettingError as err:  # raised as the app is made, before it serves
        print(err, file=sys.stderr)
        return EXIT_NO_DESK


def cmd_db(args: argparse.Namespace) -> int:
    from web.sealing import seal_existing

    app = desk(migrating=True)
    if app is None:
        return EXIT_NO_DESK
    seal_existing(app)
    print("数据库已是最新结构", file=sys.stderr)
    return 0


def database_usable(migrating: bool) -> bool:
    """Whether the desk's database can be used, before an app is made (which would create a SQLite
    file); if not, says why in one line (``migrating``: the command brings it up to date itself)."""
    from web.app import instance_path
    from web.migrate import database_problem
    from web.settings import database_url

    problem = database_problem(database_url(os.environ, instance_path()), migrating)
    if problem is not None:
        print(problem, file=sys.stderr)
    return problem is None


def desk(migrating: bool) -> Flask | None:
    """The desk's app for a command, its settings read and its database at the latest structure
    (brought there first if ``migrating``); None when it cannot be, having said why in one line."""
    from web import create_app
    from web.migrate import upgrade
    from web.settings import SettingError

    if not database_usable(migrating):
        return None
    try:
        app = create_app()
    except SettingError as err:
        print(err, file=sys.stderr)
        return None
    if migrating:
        upgrade(app.config["DATABASE_URL"])
    return app


def _password(from_stdin: bool) -> str | None:
    """The new password, from standard input or typed twice at the terminal; None, having said why,
    when there is none (Ctrl-C is left to the caller)."""
    try:
        if from_stdin:  # read as bytes: the text stream would pass bytes that are not UTF-8 along
            return sys.stdin.buffer.readline().rstrip(b"\r\n").decode("utf-8")
        if not sys.stdin.isatty():  # getpass would read nothing and end in EOFError
            print("没有可输入密码的终端：请用 --password-stdin 从标准输入传入密码（一行）", file=sys.stderr)
            return None
        first = getpass.getpass("密码：")
        second = getpass.getpass("再输入一次：")
    except UnicodeDecodeError:
        print("密码不是 UTF-8 编码的文本", file=sys.stderr)
        return None
    except EOFError:
        print("\n未输入密码", file=sys.stderr)
        return None
    if second != first:
        print("两次输入的密码不一致", file=sys.stderr)
        return None
    return first


def _create(args: argparse.Namespace, role: str) -> int:
    from web import db
    from web.accounts import AccountError, create_user

    try:
        password = _password(args.password_stdin)
    except KeyboardInterrupt:  # Ctrl-C at the prompt
        print("\n已取消，未创建账号", file=sys.stderr)
        return EXIT_INTERRUPTED
    if password is None:
        return EXIT_BAD_INPUT
    app = desk(migrating=True)
    if app is None:
        return EXIT_NO_DESK
    with db.database(app).sessions() as session:
        try:
            user = create_user(session, args.username, password, role, args.district, args.name)
        except AccountError as err:
            print(err, file=sys.stderr)
            return EXIT_BAD_INPUT
    print(f"已创建账号 {user.username}（{role}）", file=sys.stderr)
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    return _create(args, "admin")


def cmd_create_user(args: argparse.Namespace) -> int:
    return _create(args, args.role)


def _utf8(text: str) -> bool:
    """Whether a command-line argument was UTF-8 (Python keeps other bytes as lone surrogates,
    which no database takes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def cmd_create_token(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from web import db
    from web.accounts import audit, issue_token
    from web.records import User

    if not _utf8(args.username):
        print("用户名不是 UTF-8 编码的文本", file=sys.stderr)
        return EXIT_BAD_INPUT
    app = desk(migrating=False)
    if app is None:
        return EXIT_NO_DESK
    with db.database(app).sessions() as session:
        user = session.scalar(select(User).where(User.username == args.username))
        if user is None:
            print(f"没有这个账号：{args.username}", file=sys.stderr)
            return EXIT_BAD_INPUT
        days = app.config["TOKEN_DAYS"]
        token, row = issue_token(session, user, days, "subsidy create-token")
        audit(
            session,
            "token_issued",
            user.username,
            "",
            "subsidy create-token",
            f"#{row.id} {row.expires_at:%Y-%m-%d}",
        )
        print(token)
    return 0
