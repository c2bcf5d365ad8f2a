"""The ``subsidy batch`` subcommand's arguments and entry point (engine/cli.py only registers it).

Every refusal is one line in the language of ``--lang``, exit code 2, before anything is written;
a run stopped by the machine (a full disk, a file it may not write) says what happened and what to
do, exit code 1.
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
from datetime import date
from pathlib import Path
from typing import Any

from engine.batch.refusal import Refusal
from engine.cliargs import EXIT_INTERRUPTED, add_lang, as_of_date, fail, os_reason, positive, say
from engine.values import visible

SCHEDULER_TIMEOUT = 5  # seconds to wait for a dask scheduler to answer
EXIT_STOPPED = 1
NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def column_names(text: str) -> tuple[str, ...]:
    """``--carry 联系电话,备注``: column names separated by commas (ASCII or Chinese) or 、."""
    for sep in "，、":
        text = text.replace(sep, ",")
    return tuple(n.strip() for n in text.split(",") if n.strip())


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "batch",
        help=say(
            "批量评估名册（CSV 或 Parquet，每行一个案件）",
            "evaluate a registry (CSV or Parquet)",
        ),
    )
    p.add_argument(
        "input",
        nargs="?",
        metavar=say("名册", "REGISTRY"),
        help=say(
            "名册：CSV 文件（UTF-8 或 GB18030；列名为表单中文字段名或英文字段名）、"
            "Parquet 文件或 Parquet 文件夹",
            "the registry: a CSV file (UTF-8 or GB18030; the form's Chinese labels or the English field "
            "names as headers), a Parquet file or a folder of them",
        ),
    )
    p.add_argument(
        "-o",
        "--output",
        metavar=say("结果", "RESULTS"),
        help=say(
            "结果文件，格式由文件名决定：.csv（UTF-8 带 BOM）或 .parquet；--scheduler 时为结果文件夹；"
            "--template 时为模板文件（默认输出到屏幕）",
            "the results file, in the format its name ends in: .csv (UTF-8 with a BOM) or .parquet; a "
            "folder with --scheduler; the template with --template (default: the screen)",
        ),
    )
    p.add_argument(
        "--as-of",
        type=as_of_date,
        metavar=say("日期", "DATE"),
        help=say(
            "评估日期 YYYY-MM-DD（默认今天；续跑时沿用原日期）",
            "the evaluation date, YYYY-MM-DD (default: today; a resumed run keeps its own)",
        ),
    )
    p.add_argument(
        "--errors",
        metavar=say("文件", "FILE"),
        help=say(
            "有误行的报告 CSV（默认：结果文件名.errors.csv）",
            "the CSV of bad rows (default: RESULTS.errors.csv)",
        ),
    )
    p.add_argument(
        "--kind",
        choices=["person", "enterprise"],
        default="person",
        help=say(
            "没有“类型”列时的案件类型",
            "the kind of case where the file has no kind column",
        ),
    )
    p.add_argument(
        "--long",
        action="store_true",
        help=say(
            "每个案件的每个项目一行（默认每个案件一行）",
            "a row per case and program (default: a row per case)",
        ),
    )
    add_lang(p, "结果、汇总和提示的语言", "the language of the results, the summary and the messages")
    p.add_argument(
        "--workers",
        type=positive,
        metavar="N",
        help=say(
            "并行进程数（默认为 CPU 核数）",
            "processes working side by side (default: the CPU count)",
        ),
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help=say(
            "从中断处继续上次未完成的运行（须有检查点）",
            "go on with an unfinished run from its checkpoint",
        ),
    )
    p.add_argument("--quiet", action="store_true", help=say("不显示进度条", "no progress bar"))
    p.add_argument(
        "--template",
        action="store_true",
        help=say(
            "输出空白模板：列名和一行示例（示例行不参与评估）",
            "write an empty template: the headers and one example row (never evaluated)",
        ),
    )
    p.add_argument(
        "--chunk",
        type=positive,
        default=None,
        metavar=say("行数", "ROWS"),
        help=say(
            "每块行数（检查点的间隔，默认 50000）",
            "rows a chunk (and between checkpoints; default 50000)",
        ),
    )
    p.add_argument(
        "--carry",
        type=column_names,
        metavar=say("列名", "COLUMNS"),
        default=(),
        help=say(
            "原样带入结果的其他列（规则不读取），逗号分隔，如 --carry 联系电话,备注",
            "other columns carried into the results as they are (no rule reads them), separated by commas",
        ),
    )
    p.add_argument(
        "--ignore",
        type=column_names,
        metavar=say("列名", "COLUMNS"),
        default=(),
        help=say(
            "忽略的其他列（既不读取也不带入结果），逗号分隔",
            "other columns left out (neither read nor carried), separated by commas",
        ),
    )
    p.add_argument(
        "--scheduler",
        metavar=say("地址", "ADDRESS"),
        help=say(
            "dask.distributed 调度器地址（如 tcp://HOST:8786）：按分区分发到集群，"
            "-o 为结果文件夹，可断点续跑",
            "a dask.distributed scheduler (tcp://HOST:8786): partitions go to the cluster, -o is a results "
            "folder, and a rerun resumes",
        ),
    )
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    from engine.batch import paths

    lang = args.lang
    if (refusal := _contradiction(args)) is not None:
        return fail(refusal.text(lang))
    if args.template:
        return _template(args)
    if not args.input or not args.output:
        return fail(
            "用法：subsidy batch 名册.csv -o 结果.csv（或 subsidy batch --template）"
            if lang == "zh"
            else "Usage: subsidy batch registry.csv -o results.csv (or subsidy batch --template)"
        )
    source, out = Path(args.input), Path(args.output)
    errors = Path(args.errors) if args.errors else None
    cluster = bool(args.scheduler)
    refusal = paths.check_run(source, out, errors, cluster)
    if refusal is not None:
        return fail(refusal.text(lang))
    try:
        return _cluster(args, source, out) if cluster else _local(args, source, out, errors)
    except Refusal as err:
        return fail(f"{source}：{err.text(lang)}" if lang == "zh" else f"{source}: {err.text(lang)}")
    except OSError as err:
        return _stopped(err, lang, not cluster and _resumable(out, errors), out)


def _contradiction(args: argparse.Namespace) -> Refusal | None:
    """Options that ask for two things that cannot both be done (one would be dropped unsaid)."""
    if args.template and args.input:
        shown = visible(args.input)
        return Refusal(
            f"--template 输出空白模板，不读取名册：请去掉 {shown}，或去掉 --template 评估它",
            f"--template writes an empty template and reads no registry: leave out {shown}, or leave "
            "out --template to evaluate it",
        )
    both = [name for name in args.carry if name in args.ignore]
    if both:
        return Refusal(
            f"一列不能既带入结果又忽略：{'、'.join(both)} 同时写在 --carry 和 --ignore 中",
            f"A column cannot be both carried and left out: {', '.join(both)} is named by both --carry "
            "and --ignore",
        )
    return None


def _resumable(out: Path, errors: Path | None) -> bool:
    """After a run stopped: True if ``--resume`` can go on (a checkpoint was written); otherwise
    its unfinished files are removed."""
    from engine.batch.checkpoint import clear_unresumable
    from engine.batch.options import default_errors

    return clear_unresumable(out, errors or default_errors(out))


def _template(args: argparse.Namespace) -> int:
    from engine.batch.paths import check_template
    from engine.batch.template import template_file

    data = template_file(args.kind, args.lang)
    if not args.output:
        sys.stdout.buffer.write(data)
        return 0
    out = Path(args.output)
    refusal = check_template(out)
    if refusal is not None:
        return fail(refusal.text(args.lang))
    out.write_bytes(data)
    return 0


def _local(args: argparse.Namespace, source: Path, out: Path, errors: Path | None) -> int:
    from engine.batch.options import WorkerLost
    from engine.batch.run import Options, run, summary
    from engine.evaluate import default_engine

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
        args.chunk,
        args.carry,
        args.ignore,
    )
    before = signal.signal(signal.SIGTERM, _interrupt)
    try:
        totals = run(opts)
    except WorkerLost:
        return _lost(args.lang, _resumable(out, errors))
    except KeyboardInterrupt:
        return _interrupted(args.lang, _resumable(out, errors))
    finally:
        signal.signal(signal.SIGTERM, before)
    print(summary(totals, default_engine(), opts.errors_path, args.lang), file=sys.stderr)
    return 0


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM (``timeout``, ``kill``, a service stopping) stops the run as Ctrl-C does: the workers
    ended, the finished part kept for ``--resume``, nothing else left behind."""
    raise KeyboardInterrupt


def _interrupted(lang: str, resumable: bool) -> int:
    if resumable:
        zh = "已中断；已完成的部分保留，加 --resume 再运行同一命令，从中断处继续。"
        en = "Interrupted; the finished part is kept: run the same command with --resume to go on from there."
    else:
        zh = "已中断；还没有完成的部分，没有留下未完成的文件。"
        en = "Interrupted before any part was finished; no unfinished file is left."
    print("\n" + (zh if lang == "zh" else en), file=sys.stderr)
    return EXIT_INTERRUPTED


def _lost(lang: str, resumable: bool) -> int:
    """A worker process died (the system ends the largest process when memory runs out)."""
    if resumable:
        zh = "已完成的部分保留，加 --resume 再运行同一命令，从中断处继续"
        en = "the finished part is kept: run the same command with --resume to go on from there"
    else:
        zh = "没有留下未完成的文件，请再运行同一命令"
        en = "no unfinished file is left: run the same command again"
    from engine.batch.options import WorkerLost  # loaded by the run already

    said = WorkerLost.said
    print(f"{said}；{zh}" if lang == "zh" else f"{said.en}; {en}", file=sys.stderr)
    return EXIT_STOPPED


def _stopped(err: OSError, lang: str, resumable: bool, out: Path) -> int:
    """The machine stopped the run: say what happened and what to do, without a traceback
    (``resumable``: a checkpoint was written, and --resume goes on from it)."""
    where = visible(str(err.filename or out))
    text = str(err)
    if err.errno in NO_ROOM or "No space left" in text or "File too large" in text:
        if resumable:
            zh = "已完成的部分保留，腾出空间后加 --resume 再运行同一命令，从中断处继续"
            en = "the finished part is kept: free some space, then run the same command with --resume"
        else:
            zh = "没有留下未完成的文件，腾出空间后再运行同一命令"
            en = "no unfinished file is left: free some space, then run the same command again"
        message = (
            f"磁盘空间不足，写入 {where} 时停止；{zh}"
            if lang == "zh"
            else f"No room left on the disk while writing {where}; {en}"
        )
    else:
        why = os_reason(err, lang)
        message = f"无法读写 {where}（{why}）" if lang == "zh" else f"Cannot read or write {where} ({why})"
    print(message, file=sys.stderr)
    return EXIT_STOPPED


def _cluster(args: argparse.Namespace, source: Path, out: Path) -> int:
    """``--scheduler``: partitions to a dask.distributed cluster, one result file each."""
    from dask.distributed import Client

    from engine.batch.run import summary
    from engine.columnar.cluster import earlier_options, run_dataset
    from engine.evaluate import default_engine

    earlier = earlier_options(out) if out.is_dir() else None  # a rerun keeps its date unless given
    as_of = args.as_of.isoformat() if args.as_of else str((earlier or {}).get("as_of") or date.today())
    try:
        client = Client(args.scheduler, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError, ValueError):
        return fail(
            f"调度器 {args.scheduler} 在 {SCHEDULER_TIMEOUT} 秒内没有应答：请检查地址，"
            "以及 dask scheduler 是否已在那里运行"
            if args.lang == "zh"
            else f"The scheduler at {args.scheduler} did not answer within {SCHEDULER_TIMEOUT} s: check "
            "the address and that a dask scheduler runs there"
        )
    with client:
        totals = run_dataset(
            client, source, out, as_of, args.kind, args.lang, args.long, sys.stderr, args.carry, args.ignore
        )
    print(summary(totals, default_engine(), out / "*.errors.csv", args.lang), file=sys.stderr)
    return 0
