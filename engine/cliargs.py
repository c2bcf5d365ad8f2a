"""What every subcommand's arguments share: dates read as everywhere else, refusals on stderr.

engine/cli.py builds the parser and registers the subcommands (engine/batch/cli.py, web/commands.py);
they take these from here, so no subcommand imports the command that registers it.
"""

from __future__ import annotations

import argparse
import errno
import sys
from datetime import date

from engine.values import in_lang, parse_date

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 128 + 2  # as a shell reports a command ended by Ctrl-C (SIGINT)
_lang = "zh"  # the language the command line asks for (``--lang``), which argparse prints ours in


def words_in(lang: str) -> None:
    """The argument checks below word their complaints in ``lang`` (``main`` knows it first)."""
    global _lang
    _lang = lang


def say(zh: str, en: str, lang: str | None = None) -> str:
    """A help text or complaint of the command line, in ``lang`` (default: the language it asks for)."""
    return en if (lang or _lang) == "en" else zh


def add_lang(parser: argparse.ArgumentParser, zh: str, en: str) -> None:
    """``--lang zh|en``, Chinese unless asked (``zh``/``en``: what it is the language of)."""
    parser.add_argument("--lang", choices=["zh", "en"], default="zh", help=say(zh, en))


def _refused(zh: str, en: str) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(say(zh, en))


def as_of_date(text: str) -> date:
    """``--as-of``: read like every other date (engine/values.py); argparse prints the message."""
    try:
        return parse_date(text)
    except ValueError as err:
        raise _refused(f"评估日期：{err}", f"the evaluation date: {in_lang(err.args[0], 'en')}") from None


def positive(text: str) -> int:
    """A count (workers, rows a chunk, days ahead): a whole number from 1."""
    if not text.isdigit() or int(text) < 1:
        raise _refused(f"应为正整数：{text}", f"a whole number from 1, not {text}")
    return int(text)


def fail(message: str) -> int:
    """A refusal: one line (or a short list) on stderr, exit code 2."""
    print(message, file=sys.stderr)
    return EXIT_BAD_INPUT


OS_REASONS = {  # the system's reason for a failed read or write, in our words
    errno.ENOENT: ("文件或目录不存在", "no such file or folder"),
    errno.EACCES: ("没有权限", "permission denied"),
    errno.EPERM: ("没有权限", "permission denied"),
    errno.EISDIR: ("这是一个文件夹", "it is a folder"),
    errno.ENOTDIR: ("路径中有一段不是文件夹", "a part of the path is not a folder"),
    errno.ENOSPC: ("磁盘空间不足", "no room left on the disk"),
    errno.EDQUOT: ("超出磁盘配额", "disk quota exceeded"),
    errno.EFBIG: ("文件超出允许的大小", "the file is larger than allowed"),
    errno.EROFS: ("只读的文件系统", "a read-only file system"),
    errno.EIO: ("读写设备出错", "an input/output error of the device"),
}


def os_reason(err: OSError, lang: str = "zh") -> str:
    """Why the system refused a read or write, in ``lang`` (never the C library's English)."""
    zh, en = OS_REASONS.get(err.errno or 0, (f"系统错误 {err.errno}", f"system error {err.errno}"))
    return zh if lang == "zh" else en
