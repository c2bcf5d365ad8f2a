"""``subsidy compare`` and ``subsidy screen``: their arguments and entry points (engine/cli.py only
registers them)."""

from __future__ import annotations

import argparse
import errno
import functools
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from engine.batch.cli import column_names
from engine.cliargs import EXIT_INTERRUPTED, as_of_date, say

MAX_WORKERS = 256  # processes: more is a typing slip, not a machine
MAX_CHUNK = 10_000_000  # rows a chunk: held whole in a worker's memory
MAX_HORIZON = 3660  # days ahead: ten years


def _at_most(limit: int) -> Callable[[str], int]:
    """A whole number from 1 to ``limit``: argparse refuses anything else in one line."""

    def read(text: str) -> int:
        if not text.isdigit() or not 1 <= int(text) <= limit:
            zh = f"应为 1 到 {limit:,} 之间的整数：{text}"
            raise argparse.ArgumentTypeError(say(zh, f"a whole number from 1 to {limit:,}, not {text}"))
        return int(text)

    return read


def _run_options(parser: argparse.ArgumentParser) -> None:
    """How a registry is read and worked through: the options compare and screen share with batch."""
    parser.add_argument(
        "--kind", choices=["person", "enterprise"], default="person", help="没有“类型”列时的案件类型"
    )
    parser.add_argument("--workers", type=_at_most(MAX_WORKERS), help="并行进程数（默认为 CPU 核数）")
    parser.add_argument("--chunk", type=_at_most(MAX_CHUNK), help="每块行数（默认 50000）")
    parser.add_argument("--quiet", action="store_true", help="不显示进度条")
    parser.add_argument(
        "--ignore", type=column_names, default=(), metavar="列名", help="忽略的其他列（规则不读取），逗号分隔"
    )
    parser.add_argument(
        "--carry",
        type=column_names,
        default=(),
        metavar="列名",
        help="同 --ignore：清单和结果只有规则用到的列，其他列不带入（与 subsidy batch 的名册相同）",
    )


def add_parsers(sub: Any) -> None:
    c = sub.add_parser(
        "compare",
        help=say(
            "两套规则对同一名册的影响：新增符合、不再符合、金额变化",
            "two rule sets on one registry: who newly qualifies, no longer qualifies, or gets another amount",
        ),
    )
    c.add_argument("input", help="名册（CSV 或 Parquet，与 subsidy batch 相同）")
    c.add_argument(
        "--rules",
        action="append",
        required=True,
        metavar="DIR",
        help="规则文件夹（rules/ 的副本；写两次：原规则、新规则）；文件夹内有 districts.yaml 时用其区县设置",
    )
    c.add_argument("--as-of", type=as_of_date, help="评估日期 YYYY-MM-DD（默认今天）")
    c.add_argument("--errors", metavar="文件", help="有误行的报告 CSV（默认：结果文件名.errors.csv）")
    c.add_argument(
        "-o", "--output", help="结果文件，格式由文件名决定：.csv（UTF-8 带 BOM）或 .parquet；不写则输出到屏幕"
    )
    _run_options(c)
    c.set_defaults(func=cmd_compare)

    s = sub.add_parser(
        "screen",
        help=say(
            "免申即享：从名册找出符合、即将符合、即将期满、差一项信息的人",
            "without applying: who in a registry qualifies, soon qualifies, soon runs out, lacks one fact",
        ),
    )
    s.add_argument("input", help="名册（CSV 或 Parquet，与 subsidy batch 相同）")
    s.add_argument("-o", "--output", required=True, help="输出文件夹（每个区县、牵头单位一份清单和公示名单）")
    s.add_argument("--as-of", type=as_of_date, help="评估日期 YYYY-MM-DD（默认今天）")
    s.add_argument("--horizon", type=_at_most(MAX_HORIZON), default=90, help="向前看的天数（默认 90 天）")
    s.add_argument("--district", help="只输出这个区县，如 渝中区")
    s.add_argument("--letters", action="store_true", help="同时生成告知信 PDF（每个区县一份）")
    s.add_argument("--parquet", action="store_true", help="工作清单另存一份 Parquet")
    s.add_argument("--resume", action="store_true", help="从中断处继续上次未完成的运行（同一输出文件夹）")
    _run_options(s)
    s.set_defaults(func=cmd_screen)

    r = sub.add_parser(
        "recheck",
        help=say(
            "审核台已存结论按现行规则和区县设置重新判断，列出会变化的结论",
            "the desk's stored decisions judged again under the rules in force: those that would change",
        ),
    )
    r.add_argument("--district", help="只核对这个区县的案件，如 渝中区")
    r.add_argument("-o", "--output", help="结果 CSV（UTF-8 带 BOM）；不写则输出到屏幕")
    r.set_defaults(func=cmd_recheck)


def cmd_recheck(args: argparse.Namespace) -> int:
    from engine.districts import shipped_names
    from engine.screen.paths import check_table

    if args.district and args.district not in shipped_names():
        return _fail(f"--district：没有这个区县：{args.district}（应为重庆市38个区县之一，如 渝中区）")
    refusal = check_table(Path(args.output), (".csv",)) if args.output else None
    if refusal is not None:
        return _fail(str(refusal))
    from web.caseload.command import cmd_recheck as run  # the desk's database: Flask only when asked

    return run(args)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def _registry(path: str) -> tuple[Path, str | None]:
    """The registry, and why it cannot be read, as ``subsidy batch`` checks it (a CSV or Parquet
    file, or a folder holding Parquet files)."""
    from engine.batch.paths import check_source

    source = Path(path)
    refusal = check_source(source, cluster=False)
    return source, None if refusal is None else str(refusal)


def _left_out(args: argparse.Namespace) -> tuple[str, ...]:
    """The columns named by --ignore and --carry: neither is read, and nothing is carried, since a
    worklist or a comparison holds what the rules read only."""
    return (*args.ignore, *args.carry)


def _stopped(err: OSError, out: Path) -> int:
    """The machine refused a write (a full disk, a file where a folder is wanted): one line, no
    traceback."""
    from engine.cliargs import os_reason
    from engine.values import visible

    why = "已有同名的文件" if err.errno == errno.EEXIST else os_reason(err)
    print(f"无法写入 {visible(str(err.filename or out))}（{why}）", file=sys.stderr)
    return 1


def _interruptible(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Ctrl-C at any moment, even while the command still imports polars, is one line: 已中断; so is
    a worker the system ended (for want of memory), which would otherwise be waited for forever."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        from engine.batch.options import WorkerLost

        try:
            return command(args)
        except KeyboardInterrupt:
            print("\n已中断。", file=sys.stderr)
            return EXIT_INTERRUPTED
        except WorkerLost:
            print(f"{WorkerLost.said}；请再运行同一命令", file=sys.stderr)
            return 1

    return run


@_interruptible
def cmd_compare(args: argparse.Namespace) -> int:
    from engine.batch.reader import FileError
    from engine.rulebook import RuleFileError
    from engine.screen.compare import compare, csv_rows, load_book, summary, write_errors, write_table
    from engine.screen.paths import check_compare

    if len(args.rules) != 2:
        return _fail(f"--rules 应写两次（原规则、新规则），而不是{len(args.rules)}次")
    source, refused = _registry(args.input)
    if refused:
        return _fail(refused)
    out = Path(args.output) if args.output else None
    errors = Path(args.errors) if args.errors else out and out.with_name(out.stem + ".errors.csv")
    refusal = check_compare(source, list(map(Path, args.rules)), out, errors)
    if refusal is not None:
        return _fail(str(refusal))
    books = []
    for folder in map(Path, args.rules):
        if not folder.is_dir() or not any(folder.glob("task*.yaml")):
            return _fail(f"--rules {folder}：不是规则文件夹（其中应有 task*.yaml 规则文件）")
        try:
            books.append(load_book(folder))
        except (RuleFileError, ValueError) as err:
            return _fail(f"--rules {folder}：规则文件有误：{err}")
    as_of = args.as_of or date.today()
    try:
        run = (args.kind, args.workers, args.chunk, sys.stderr, args.quiet, _left_out(args))
        result = compare(source, *books, as_of, *run)
    except FileError as err:
        return _fail(f"{source}：{err}")
    try:
        if errors:
            write_errors(result, errors)
        if out:
            write_table(result, out)
    except OSError as err:
        return _stopped(err, out or errors)
    if out:
        print(summary(result, errors))
    else:
        from engine.batch.layout import csv_text

        sys.stdout.write(csv_text(csv_rows(result)))
        print(summary(result, errors), file=sys.stderr)
    return 0


@_interruptible
def cmd_screen(args: argparse.Namespace) -> int:
    from engine.batch.checkpoint import ResumeError
    from engine.batch.reader import FileError
    from engine.screen.letters import no_chinese_font
    from engine.screen.options import Options
    from engine.screen.paths import check_screen
    from engine.screen.screen import screen

    source, refused = _registry(args.input)
    if refused:
        return _fail(refused)
    out = Path(args.output)
    refusal = check_screen(out)
    if refusal is not None:
        return _fail(str(refusal))
    if args.letters and (why := no_chinese_font()):
        return _fail(why)
    opts = Options(
        source,
        out,
        args.as_of or date.today(),
        args.horizon,
        args.district,
        args.kind,
        args.letters,
        args.workers,
        args.chunk,
        args.quiet,
        args.parquet,
        args.resume,
        _left_out(args),
    )
    try:
        report = screen(opts, log=sys.stderr)
    except (FileError, ResumeError) as err:
        return _fail(f"{source}：{err}")
    except ValueError as err:
        return _fail(str(err))
    except OSError as err:
        return _stopped(err, out)
    except KeyboardInterrupt:
        print(
            "\n已中断；已完成的部分保留在输出文件夹的 .screen 中，用 --resume 可从中断处继续。",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    print(report)
    return 0
