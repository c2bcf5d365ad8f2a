"""The ``subsidy batch`` subcommand's arguments and entry point (engine/cli.py only registers it)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from engine.cli import as_of_date


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"应为正整数：{text}")
    return int(text)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("batch", help="批量评估 CSV 名册（每行一个案件）")
    p.add_argument("input", nargs="?", help="名册 CSV（UTF-8 或 GB18030；列名为表单中文字段名或英文字段名）")
    p.add_argument(
        "-o", "--output", help="结果 CSV（UTF-8 带 BOM）；--template 时为模板文件（默认输出到屏幕）"
    )
    p.add_argument("--as-of", type=as_of_date, help="评估日期 YYYY-MM-DD（默认今天；续跑时沿用原日期）")
    p.add_argument("--errors", help="有误行的报告 CSV（默认：结果文件名.errors.csv）")
    p.add_argument(
        "--kind", choices=["person", "enterprise"], default="person", help="没有“类型”列时的案件类型"
    )
    p.add_argument("--long", action="store_true", help="每个案件的每个项目一行（默认每个案件一行）")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="结果的列名和文字")
    p.add_argument("--workers", type=_positive, help="并行进程数（默认为 CPU 核数）")
    p.add_argument("--resume", action="store_true", help="从中断处继续上次未完成的运行")
    p.add_argument("--quiet", action="store_true", help="不显示进度条")
    p.add_argument("--template", action="store_true", help="输出空白模板：列名和一行示例")
    p.add_argument("--chunk", type=_positive, default=None, help="每块行数（检查点的间隔，默认 50000）")
    p.add_argument(
        "--scheduler",
        help="dask.distributed 调度器地址（如 tcp://HOST:8786）：按分区分发到集群，-o 为结果目录，可断点续跑",
    )
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    from engine.batch.checkpoint import ResumeError
    from engine.batch.reader import FileError
    from engine.batch.run import Options, run, summary
    from engine.batch.template import template_file
    from engine.evaluate import default_engine

    if args.template:
        data = template_file(args.kind)
        if args.output:
            Path(args.output).write_bytes(data)
        else:
            sys.stdout.buffer.write(data)
        return 0
    if not args.input or not args.output:
        return _fail("用法：subsidy batch 名册.csv -o 结果.csv（或 subsidy batch --template）")
    source, out = Path(args.input), Path(args.output)
    if not source.is_file() and not source.is_dir():
        return _fail(f"找不到名册文件：{source}")
    errors = Path(args.errors) if args.errors else None
    if _same(out, source):
        return _fail("结果文件不能与名册文件相同")
    if errors is not None and _same(errors, source):
        return _fail("有误行报告（--errors）不能与名册文件相同：会覆盖名册")
    if errors is not None and _same(errors, out):
        return _fail("有误行报告（--errors）不能与结果文件相同")
    if args.scheduler:
        return _cluster(args, source, out)
    opts = Options(
        source,
        out,
        errors,
        args.as_of,
        args.kind,
        args.long,
        args.lang,
        args.workers,
        args.resume,
        args.quiet,
    )
    if args.chunk:
        opts.chunk = args.chunk
    for path in (out, opts.errors_path):
        if not path.parent.is_dir():
            return _fail(f"输出目录不存在：{path.parent}")
    try:
        totals = run(opts)
    except (FileError, ResumeError) as err:
        return _fail(f"{source}：{err}")
    except KeyboardInterrupt:
        print("\n已中断；已完成的部分保留在 .partial 文件中，用 --resume 可从中断处继续。", file=sys.stderr)
        return 130
    print(summary(totals, default_engine(), opts.errors_path), file=sys.stderr)
    return 0


def _same(a: Path, b: Path) -> bool:
    """The same file, whatever the spelling (relative, ``..``, a symlink, a hard link)."""
    try:
        return a.samefile(b)
    except OSError:  # one of them does not exist yet
        return a.resolve() == b.resolve()


def _cluster(args: argparse.Namespace, source: Path, out: Path) -> int:
    """``--scheduler``: partitions to a dask.distributed cluster, one result file each."""
    from dask.distributed import Client

    from engine.batch.run import summary
    from engine.columnar.cluster import run_dataset
    from engine.evaluate import default_engine

    as_of = (args.as_of or date.today()).isoformat()
    with Client(args.scheduler) as client:
        totals = run_dataset(client, source, out, as_of, args.kind, args.lang, args.long, sys.stderr)
    print(summary(totals, default_engine(), out / "*.errors.csv"), file=sys.stderr)
    return 0


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2
