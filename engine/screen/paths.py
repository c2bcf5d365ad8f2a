"""What compare, recheck and screen write, checked before any work: a refused run reads no row and
leaves nothing behind (the registry checks are ``subsidy batch``'s, engine/batch/paths.py)."""

from __future__ import annotations

from pathlib import Path

from engine.batch.paths import RESULT_SUFFIXES, check_folder, same
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


def check_compare(source: Path, rules: list[Path], out: Path | None, errors: Path | None) -> Refusal | None:
    """compare's ``-o`` (a CSV or Parquet file) and ``--errors`` (a CSV file): never the registry,
    a file of a rule folder or each other."""
    if out is not None and errors is not None and same(out, errors):
        return Refusal(
            "有误行报告（--errors）不能与结果文件相同",
            "The errors file (--errors) cannot be the results file",
        )
    for path, what, suffixes in ((out, "结果文件", RESULT_SUFFIXES), (errors, "有误行报告", (".csv",))):
        if path is not None:
            refusal = _not_an_input(source, rules, path, what) or check_table(path, suffixes)
            if refusal is not None:
                return refusal
    return None


def _not_an_input(source: Path, rules: list[Path], path: Path, what: str) -> Refusal | None:
    if same(path, source):
        return Refusal(f"{what}不能与名册文件相同", "An output cannot be written over the registry")
    for folder in rules:
        if path.exists() and same(path.parent, folder):
            shown = visible(str(folder))
            return Refusal(
                f"{what}不能覆盖规则文件夹 {shown} 中的文件",
                f"An output cannot be written over a file of the rules folder {shown}",
            )
    return None


def check_screen(out: Path) -> Refusal | None:
    """screen's ``-o``: a folder, or a name for one where a folder can be made (no file on its way)."""
    shown = visible(str(out))
    if out.exists() and not out.is_dir():
        return Refusal(f"输出位置 {shown} 是一个文件；请给出文件夹", f"{shown} is a file: -o takes a folder")
    above = next((p for p in out.absolute().parents if p.exists()), None)
    if above is not None and not above.is_dir():
        where = visible(str(above))
        return Refusal(
            f"不能在 {where} 中建立输出文件夹 {shown}：{where} 是一个文件",
            f"Cannot make the output folder {shown} in {where}: it is a file",
        )
    return None
