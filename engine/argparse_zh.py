"""argparse's own words (usage, errors, help headings) in Chinese, as the rest of ``subsidy`` is.

argparse words its texts through ``gettext`` (its module-level ``_`` and ``ngettext``), the hook
it offers for translations; ``install`` points them at this table for the command-line process,
or back at argparse's own English for a command line that asks for ``--lang en``. A text the table
lacks stays as argparse words it.
"""

from __future__ import annotations

import argparse

ZH = {
    "usage: ": "用法：",
    "options": "选项",
    "positional arguments": "位置参数",
    "show this help message and exit": "显示本帮助并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "the following arguments are required: %s": "缺少以下参数：%s",
    "unrecognized arguments: %s": "不认识的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "无效的值：%(value)r",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多一个值",
    "expected at least one argument": "至少需要一个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义，可能是：%(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同用",
    "one of the arguments %s is required": "需要以下参数之一：%s",
    "ignored explicit argument %r": "多余的值 %r",
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "没有子命令 %(parser_name)r（可选：%(choices)s）"
    ),
}
PLURAL = {("expected %s argument", "expected %s arguments"): "需要 %s 个值"}


def _gettext(text: str) -> str:
    return ZH.get(text, text)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return PLURAL.get((singular, plural)) or (singular if n == 1 else plural)


ENGLISH = (argparse._, argparse.ngettext)  # type: ignore[attr-defined]


def install(lang: str = "zh") -> None:
    """argparse speaks ``lang`` from now on in this process: Chinese by the table, or its English."""
    chinese = (_gettext, _ngettext)
    argparse._, argparse.ngettext = chinese if lang == "zh" else ENGLISH  # type: ignore[attr-defined]
