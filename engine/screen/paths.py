"""What compare, recheck and screen write, checked before any work: a refused run reads no row and
leaves nothing behind (the registry checks are ``subsidy batch``'s, engine/batch/paths.py)."""

from __future__ import annotations

from pathlib import Path

from engine.batch.paths import RESULT_SUFFIXES, same
from engine.batch.refusal import Refusal
from engine.values import visible


def check_table(out: Path, suffixes: tuple[str, ...] = RESULT_SUFFIXES) -> Refusal | None:
    """``-o`` of a table: a file named as one of the formats the command writes, in a folder that
    exists (the suffix decides the format: a Parquet file is never CSV text under that name)."""
    shown = visible(str(out))
    if out.is_dir():
        return Refusal(
            f"{shown} 是一个文件夹：-o 应为结果文件名", f"{shown} is a folder: -o takes a file name"
        )
    if out.suffix.lower() not in suffixes:
        zh = " 或 ".join(s for s in suffixes if s != ".pq")
        return Refusal(
            f"结果的格式由文件名决定：-o 应以 {zh} 结尾，而不是 {shown}",
            f"The file name decides the results' format: -o must end in {zh.replace(' 或 ', ' or ')}, "
            f"not {shown}",
        )
    return check_folder(out.parent)


def check_folder(folder: Path) -> Refusal | None:
    """A folder that exists, where an output file goes."""
    if not folder.is_dir():
        shown = visible(str(folder))
        return Refusal(
            f"输出目录不存在：{shown}（请先建立该目录）",
            f"The output folder does not exist: {shown} (create it first)",
        )
    return None


def check_compare(source: Path, rules: list[Path], out: Path) -> Refusal | None:
    """compare's ``-o``: a CSV or Parquet file, never the registry nor a file of a rule folder."""
    if same(out, source):
        return Refusal("结果文件不能与名册文件相同", "The results cannot be written over the registry")
    for folder in rules:
        if out.exists() and same(out.parent, folder):
            shown = visible(str(folder))
            return Refusal(
                f"结果文件不能覆盖规则文件夹 {shown} 中的文件",
                f"The results cannot be written over a file of the rules folder {shown}",
            )
    return check_table(out)
