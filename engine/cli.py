"""The ``subsidy`` command: evaluate a case, list and show rules, print the JSON Schema."""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import IO

from engine import unsupported_python
from engine.cliargs import EXIT_INTERRUPTED, add_lang, as_of_date, os_reason, say, words_in
from engine.cliargs import fail as _fail
from engine.safeyaml import FileRefused
from engine.values import in_lang, visible

EXIT_BROKEN_PIPE = 128 + 13  # SIGPIPE
EXIT_OUTPUT_FAILED = 1


JSON_PROBLEMS = {  # the json module's complaint → the caseworker's words, in Chinese and English
    "Expecting property name enclosed in double quotes": (
        "应为用英文双引号括起的字段名（多了一个逗号？）",
        "a field name in double quotes was expected (a comma too many?)",
    ),
    "Expecting value": ("这里应有一个值", "a value was expected here"),
    "Expecting ',' delimiter": ("缺少逗号", "a comma is missing"),
    "Expecting ':' delimiter": ("缺少冒号", "a colon is missing"),
    "Extra data": ("JSON 已结束，后面还有多余的内容", "more follows after the JSON has ended"),
    "Unterminated string starting at": ("文字缺少结束的英文双引号", "a text lacks its closing double quote"),
    "Invalid control character at": (
        "文字中有控制字符（如换行），请去掉或写成 \\n",
        "a text holds a control character (a line break?): remove it or write it as \\n",
    ),
    "Invalid \\escape": ("无效的反斜杠转义", "an invalid backslash escape"),
}


def json_problem(err: json.JSONDecodeError, lang: str = "zh") -> str:
    """Where and what is wrong in a JSON text, in our words (not the json module's)."""
    said = (w for found, w in JSON_PROBLEMS.items() if err.msg.startswith(found))
    zh, en = next(said, ("格式有误", "malformed"))
    if lang == "en":
        return f"not valid JSON: line {err.lineno}, column {err.colno}: {en}"
    return f"不是有效的 JSON：第{err.lineno}行第{err.colno}列{zh}"


def district_problem(name: str, lang: str = "zh") -> str | None:
    """``--district``: one of Chongqing's 38 districts and counties, or why not."""
    from engine.districts import shipped_names

    names = shipped_names()
    if name in names:
        return None
    close = [n for n in names if n.startswith(name)] if name else []
    if lang == "en":
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        return f"--district: there is no district “{visible(name)}”{hint}. These are: {', '.join(names)}"
    hint = f"（是否指 {'、'.join(close)}？）" if close else ""
    return f"--district：没有“{visible(name)}”这个区县{hint}。可用的有：{'、'.join(names)}"


def cmd_evaluate(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from engine.errors import describe
    from engine.evaluate import evaluate
    from engine.models import parse_case
    from engine.report import render_evaluation

    path, lang = Path(args.case), args.lang
    shown = visible(str(path))
    if args.district is not None and (problem := district_problem(args.district, lang)) is not None:
        return _fail(problem)
    if path.is_dir():
        return _fail(say(f"{shown} 是一个文件夹；请给出案件 JSON 文件的路径", f"{shown} is a folder", lang))
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        return _fail(say(f"找不到案件文件：{shown}", f"No such case file: {shown}", lang))
    except OSError as err:
        return _fail(
            say(
                f"无法读取案件文件 {shown}（{os_reason(err)}）",
                f"Cannot read the case file {shown} ({os_reason(err, 'en')})",
                lang,
            )
        )
    except UnicodeDecodeError as err:
        return _fail(
            say(
                f"{shown}：不是 UTF-8 编码的文本（第{err.start + 1}个字节无法读取）；请另存为 UTF-8",
                f"{shown}: not UTF-8 text (byte {err.start + 1} cannot be read): save it as UTF-8",
                lang,
            )
        )
    except json.JSONDecodeError as err:
        return _fail(f"{shown}{say('：', ': ', lang)}{json_problem(err, lang)}")
    except ValueError:  # after its subclasses above: the one left is int()'s limit on digits
        digits = sys.get_int_max_str_digits()
        return _fail(
            say(
                f"{shown}：不是有效的 JSON：有一个数字超过 {digits} 位",
                f"{shown}: not valid JSON: a number has more than {digits} digits",
                lang,
            )
        )
    except RecursionError:
        return _fail(say(f"{shown}：JSON 嵌套层数过多，不是案件文件", f"{shown}: JSON nested too deep", lang))
    if args.district and isinstance(data, dict):
        district = data.setdefault("district", {})
        if isinstance(district, dict) and not district.get("name"):
            district["name"] = args.district
    if args.program and isinstance(data, dict):
        from engine.applications import find_program, no_such_program
        from engine.evaluate import default_engine

        ids, book = [], default_engine().book
        for named in args.program:
            rule = find_program(book, named)
            if rule is None:
                return _fail(no_such_program(book, named, lang, say("--program：", "--program: ", lang)))
            ids.append(rule.id)
        applied = data.setdefault("applied_for", [])
        if isinstance(applied, list):  # anything else is refused below, naming the field
            applied.extend(ids)
    as_of = args.as_of or date.today()
    try:
        case = parse_case(data, as_of)
        result = evaluate(case, as_of, args.lang)
    except ValidationError as err:
        if lang == "en":
            lines = "\n".join(f"  - {e.field or 'the case'}: {e.words.en}" for e in describe(err))
            return _fail(f"{shown}: the case has errors; correct these fields:\n{lines}")
        lines = "\n".join(f"  - {e}" for e in describe(err))
        return _fail(f"{shown}：案件数据有误，请更正以下字段：\n{lines}")
    except FileRefused as err:  # the rule book's or the district table's, not the case's
        return _fail(in_lang(err.args[0], lang))
    except ValueError as err:
        said = in_lang(err.args[0], lang) if err.args else str(err)
        return _fail(f"{shown}{say('：', ': ', lang)}{visible(said)}")
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        print(render_evaluation(result))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from engine.schema import decision_schema, input_schema

    print(json.dumps(input_schema() if args.input else decision_schema(), ensure_ascii=False, indent=2))
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    from engine.catalog import render_catalog, render_rule

    if args.action == "show":
        lang = args.lang
        if not args.id:
            return _fail(
                say("用法：subsidy rules show 项目ID或项目名称", "usage: subsidy rules show ID|TITLE", lang)
            )
        text = render_rule(args.id, lang)
        if text is None:
            from engine.applications import no_such_program
            from engine.rulebook import load_rulebook

            return _fail(no_such_program(load_rulebook(), args.id, lang))
        print(text)
    elif args.json:
        from engine.catalog import build_catalog

        print(json.dumps([e.model_dump() for e in build_catalog()], ensure_ascii=False, indent=2))
    else:
        print(render_catalog(args.lang))
    return 0


def version_text() -> str:
    """``subsidy --version``: the package's version (the rules' version is in every decision)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"subsidy {version('cq-stable-employment')}"
    except PackageNotFoundError:  # run from a source folder that was never installed
        return "subsidy（未安装，版本未知）"


def asked_lang(argv: list[str]) -> str:
    """The language a command line asks for (``--lang en``), known before argparse reads it, so
    that its complaints about the arguments come in that language too."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg.startswith("--lang="):
            return "en" if arg == "--lang=en" else "zh"
        if arg == "--lang" and argv[i + 1 : i + 2] == ["en"]:
            return "en"
    return "zh"


class _Parser(argparse.ArgumentParser):
    """argparse's parser (its subcommands' too), except that help or the version that cannot be
    written to stdout (a full disk, unbuffered) fails as any output does: argparse drops the error,
    and the command would exit 0 having written nothing."""

    def _print_message(self, message: str, file: IO[str] | None = None) -> None:
        if message and file is sys.stdout:
            file.write(message)
        else:
            super()._print_message(message, file)


def build_parser(lang: str = "zh") -> argparse.ArgumentParser:
    """The command line; argparse's own words (usage, errors) in Chinese unless ``lang`` is en."""
    from engine.argparse_zh import install

    install(lang)
    words_in(lang)
    parser = _Parser(
        prog="subsidy",
        description=say(
            "重庆市稳就业政策（其他〔2020〕4号）补贴资格规则引擎",
            "Eligibility rules for Chongqing's 2020 stable-employment notice (其他〔2020〕4号)",
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=version_text(),
        help=say("显示版本号并退出", "show the version"),
    )
    sub = parser.add_subparsers(dest="command", required=True)

    ev = sub.add_parser("evaluate", help=say("评估一个案件（JSON 文件）", "evaluate one case (a JSON file)"))
    ev.add_argument(
        "case", metavar=say("案件文件", "CASE"), help=say("案件 JSON 文件", "the case's JSON file")
    )
    ev.add_argument(
        "--as-of",
        type=as_of_date,
        metavar=say("日期", "DATE"),
        help=say("评估日期 YYYY-MM-DD（默认今天）", "the evaluation date, YYYY-MM-DD (default: today)"),
    )
    ev.add_argument(
        "--json",
        action="store_true",
        help=say("输出 JSON（结构见 subsidy schema）", "print JSON (as subsidy schema describes it)"),
    )
    add_lang(ev, "结果的语言（默认中文）", "the result's language")
    ev.add_argument(
        "--district",
        help=say(
            "办理的区县（案件未写明区县时适用），如 渝中区；其设置见 rules/districts.yaml",
            "the district handling the case, where the case names none (settings: rules/districts.yaml)",
        ),
    )
    ev.add_argument(
        "--program",
        action="append",
        metavar="ID",
        help=say(
            "申请事项：项目ID或名称（可重复），加入案件的 applied_for；只判断这些项目，其余列为可能还符合",
            "a program applied for, by id or title (repeatable), added to the case's applied_for: only "
            "these are decided, the others listed as may also qualify",
        ),
    )
    ev.set_defaults(func=cmd_evaluate)

    rules = sub.add_parser(
        "rules",
        help=say(
            "66项任务目录；rules show 项目名称或ID 查看一个项目",
            "the 66 tasks; rules show ID|TITLE: a program",
        ),
    )
    rules.add_argument(
        "action",
        nargs="?",
        choices=["list", "show"],
        default="list",
        help=say("list：目录（默认）；show：看一个项目", "list: the catalog (default); show: one program"),
    )
    rules.add_argument(
        "id",
        nargs="?",
        help=say("show 的项目：项目ID或中文名称，如 失业保险金", "show's program: an id or a title"),
    )
    add_lang(rules, "目录的语言（默认中文）", "the catalog's language")
    rules.add_argument("--json", action="store_true", help=say("目录输出为 JSON", "the catalog as JSON"))
    rules.set_defaults(func=cmd_rules)

    schema = sub.add_parser(
        "schema",
        help=say(
            "输出评估结果的 JSON Schema；--input：案件和名册的字段",
            "print the JSON Schema of a result; --input: of a case and a registry's columns",
        ),
    )
    schema.add_argument(
        "--input",
        action="store_true",
        help=say(
            "输出案件文件的 JSON Schema（字段的中文名称为 title）和名册可用的列（x-registry-columns）",
            "print the JSON Schema of a case file (each field's Chinese name as its title) and the "
            "columns a registry may have (x-registry-columns)",
        ),
    )
    schema.set_defaults(func=cmd_schema)

    from engine.batch.cli import add_parser as add_batch_command  # batch: a whole CSV registry

    add_batch_command(sub)

    from engine.screen.cli import add_parsers as add_screen_commands  # compare, screen (免申即享)

    add_screen_commands(sub)

    from web.commands import add_web_commands  # serve, db upgrade, create-admin … (the web desk)

    add_web_commands(sub)
    return parser


# polars sets its allocator (jemalloc) to hand freed pages back to the system within half a second,
# for programs that hold on to little between queries. A batch makes the same chunk-sized buffers
# chunk after chunk (a CSV chunk's text is some 85 MB) and faulted them in again every time: a quarter
# of a CSV run's CPU was the kernel's. The command keeps them for jemalloc's own default of 10 s.
ALLOCATOR_SETTINGS = "_RJEM_MALLOC_CONF"
KEEP_FREED_PAGES = "dirty_decay_ms:10000"


def keep_freed_pages() -> None:
    """Add ``KEEP_FREED_PAGES`` to the allocator's settings, last (the last value of a setting wins):
    polars puts its own in front when first imported, in this process and in every worker, which
    inherits them; so does a process started by a Python program that had imported polars."""
    found = os.environ.get(ALLOCATOR_SETTINGS, "")
    if not found.endswith(KEEP_FREED_PAGES):
        os.environ[ALLOCATOR_SETTINGS] = f"{found},{KEEP_FREED_PAGES}" if found else KEEP_FREED_PAGES


# numpy's OpenBLAS starts a thread per core when numpy is imported, and each spins for a while
# before it sleeps: in the main process and in every worker of a batch, on two cores, some 4% of a
# run's CPU, for no work (subsidy multiplies no float matrices; its parallelism is its workers).
BLAS_THREADS = "OPENBLAS_NUM_THREADS"


def one_blas_thread() -> None:
    """OpenBLAS without threads of its own in this process and in the workers it starts (they
    inherit the environment), unless the user has set a number."""
    os.environ.setdefault(BLAS_THREADS, "1")


def main(argv: list[str] | None = None) -> int:
    if (reason := unsupported_python()) is not None:
        print(reason, file=sys.stderr)
        return 1
    keep_freed_pages()
    one_blas_thread()
    lang = asked_lang(sys.argv[1:] if argv is None else argv)
    try:
        code = _run(lang, argv)
        sys.stdout.flush()  # here, not at exit, so that a failed write is reported below
        return code
    except FileRefused as err:  # a rule file or district table a command loads: one line, no traceback
        return _fail(in_lang(err.args[0], lang))
    except KeyboardInterrupt:  # Ctrl-C in a command with no words of its own for it (batch has)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``subsidy rules | head``): not an error of ours; quiet, and the exit
        # status a shell reports for a process ended by SIGPIPE.
        _drop_output()
        return EXIT_BROKEN_PIPE
    except OSError as err:
        if err.filename is not None or err.errno not in WRITE_FAILURES:
            raise
        _drop_output()
        return output_failed(err)


def _run(lang: str, argv: list[str] | None) -> int:
    """The command's exit status; for ``--help``, ``--version`` or a usage error, argparse's, its
    text printed (and flushed by ``main``, so that a failed write of it is reported too)."""
    try:
        args = build_parser(lang).parse_args(argv)
    except SystemExit as end:
        return end.code if isinstance(end.code, int) else 0
    return int(args.func(args))


# A write that failed for want of room or of a working device: the output's (every file a command
# opens by name is refused naming it, and a read fails otherwise).
WRITE_FAILURES = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


def output_failed(err: OSError) -> int:
    """The output could not be written (``subsidy rules > /dev/full``): one line, not a traceback."""
    print(
        say(f"无法写出结果（{os_reason(err)}）", f"Cannot write the output ({os_reason(err, 'en')})"),
        file=sys.stderr,
    )
    return EXIT_OUTPUT_FAILED


def _drop_output() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush does not fail again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
