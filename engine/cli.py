"""The ``subsidy`` command: evaluate a case, list and show rules, print the JSON Schema."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from engine import unsupported_python
from engine.errors import describe
from engine.models import parse_case
from engine.report import render_evaluation
from engine.values import parse_date, visible

EXIT_BAD_INPUT = 2
EXIT_BROKEN_PIPE = 128 + 13  # SIGPIPE


def as_of_date(text: str) -> date:
    """``--as-of``: read like every other date (engine/values.py); argparse prints the message."""
    try:
        return parse_date(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"评估日期：{err}") from None


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return EXIT_BAD_INPUT


def cmd_evaluate(args: argparse.Namespace) -> int:
    from engine.evaluate import evaluate

    path = Path(args.case)
    shown = visible(str(path))
    if path.is_dir():
        return _fail(f"{shown} 是一个文件夹；请给出案件 JSON 文件的路径")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        return _fail(f"找不到案件文件：{shown}")
    except OSError as err:
        return _fail(f"无法读取案件文件 {shown}（{err.strerror or err}）")
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return _fail(f"{shown}：不是有效的 UTF-8 JSON 文件（{err}）")
    except RecursionError:
        return _fail(f"{shown}：JSON 嵌套层数过多，不是案件文件")
    if args.district and isinstance(data, dict):
        district = data.setdefault("district", {})
        if isinstance(district, dict) and not district.get("name"):
            district["name"] = args.district
    if args.program and isinstance(data, dict):
        from engine.applications import find_program
        from engine.evaluate import default_engine

        ids = []
        for named in args.program:
            rule = find_program(default_engine().book, named)
            if rule is None:
                return _fail(f"--program：没有这个项目：{visible(named)}（用 subsidy rules 查看全部项目）")
            ids.append(rule.id)
        applied = data.setdefault("applied_for", [])
        if isinstance(applied, list):  # anything else is refused below, naming the field
            applied.extend(ids)
    as_of = args.as_of or date.today()
    try:
        case = parse_case(data, as_of)
        result = evaluate(case, as_of, args.lang)
    except ValidationError as err:
        lines = "\n".join(f"  - {e}" for e in describe(err))
        return _fail(f"{shown}：案件数据有误，请更正以下字段：\n{lines}")
    except ValueError as err:
        return _fail(f"{shown}：{visible(str(err))}")
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        print(render_evaluation(result))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from engine.schema import decision_schema

    print(json.dumps(decision_schema(), ensure_ascii=False, indent=2))
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    from engine.catalog import render_catalog, render_rule

    if args.action == "show":
        if not args.id:
            return _fail("用法：subsidy rules show 项目ID")
        text = render_rule(args.id, args.lang)
        if text is None:
            return _fail(f"没有这个项目：{args.id}（用 subsidy rules 查看全部）")
        print(text)
    elif args.json:
        from engine.catalog import build_catalog

        print(json.dumps([e.model_dump() for e in build_catalog()], ensure_ascii=False, indent=2))
    else:
        print(render_catalog(args.lang))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="subsidy",
        description="重庆市稳就业政策（其他〔2020〕4号）补贴资格规则引擎",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    ev = sub.add_parser("evaluate", help="评估一个案件（JSON 文件）")
    ev.add_argument("case", help="案件 JSON 文件")
    ev.add_argument("--as-of", type=as_of_date, help="评估日期 YYYY-MM-DD（默认今天）")
    ev.add_argument("--json", action="store_true", help="输出 JSON（结构见 subsidy schema）")
    ev.add_argument("--lang", choices=["zh", "en"], default="zh")
    ev.add_argument(
        "--district", help="办理的区县（案件未写明区县时适用），如 渝中区；其设置见 rules/districts.yaml"
    )
    ev.add_argument(
        "--program",
        action="append",
        metavar="ID",
        help="申请事项：项目ID或名称（可重复），加入案件的 applied_for；只判断这些项目，其余列为可能还符合",
    )
    ev.set_defaults(func=cmd_evaluate)

    rules = sub.add_parser("rules", help="66项任务目录；rules show ID 查看一个项目")
    rules.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    rules.add_argument("id", nargs="?")
    rules.add_argument("--lang", choices=["zh", "en"], default="zh")
    rules.add_argument("--json", action="store_true", help="目录输出为 JSON")
    rules.set_defaults(func=cmd_rules)

    schema = sub.add_parser("schema", help="输出评估结果的 JSON Schema")
    schema.set_defaults(func=cmd_schema)

    from engine.batch.cli import add_parser as add_batch_command  # batch: a whole CSV registry

    add_batch_command(sub)

    from engine.screen.cli import add_parsers as add_screen_commands  # compare, screen (免申即享)

    add_screen_commands(sub)

    from web.commands import add_web_commands  # serve, db upgrade, create-admin … (the web desk)

    add_web_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    if (reason := unsupported_python()) is not None:
        print(reason, file=sys.stderr)
        return 1
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:
        # The reader went away (``subsidy rules | head``): not an error of ours. Point stdout at
        # /dev/null so the interpreter's final flush does not raise again, and exit as a shell
        # reports a process ended by SIGPIPE.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
