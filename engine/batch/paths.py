"""What a batch run reads and writes, checked before any work: each output is what its name says.

The format of a result comes from ``-o``'s suffix (.csv or .parquet; a folder with
``--scheduler``); anything else, a folder where a file is wanted, a folder that does not exist or
a registry folder that holds nothing to read is refused here, before a row is read or a file
written, so a refused run leaves nothing behind.
"""

from __future__ import annotations

from pathlib import Path

from engine.batch.checkpoint import leftovers
from engine.batch.options import PARQUET_SUFFIXES, default_errors, is_parquet_name
from engine.batch.refusal import Refusal
from engine.values import visible

RESULT_SUFFIXES = (".csv", *PARQUET_SUFFIXES)


def _shown(path: Path) -> str:
    return visible(str(path))


def same(a: Path, b: Path) -> bool:
    """The same file, whatever the spelling (relative, ``..``, a symlink, a hard link)."""
    try:
        return a.samefile(b)
    except OSError:  # one of them does not exist yet
        return a.resolve() == b.resolve()


def check_folder(folder: Path) -> Refusal | None:
    """A folder that exists, where an output file goes."""
    if not folder.is_dir():
        return Refusal(
            f"输出目录不存在：{_shown(folder)}（请先建立该目录）",
            f"The output folder does not exist: {_shown(folder)} (create it first)",
        )
    return None


def check_template(out: Path) -> Refusal | None:
    """``--template -o OUT``: a CSV file in a folder that exists."""
    if out.is_dir():
        return Refusal(
            f"{_shown(out)} 是一个文件夹：-o 应为模板文件名（.csv）",
            f"{_shown(out)} is a folder: -o takes the template's file name (.csv)",
        )
    if out.suffix.lower() != ".csv":
        return Refusal(
            f"模板是 CSV 文件：-o 应以 .csv 结尾，而不是 {_shown(out)}",
            f"The template is a CSV file: -o must end in .csv, not {_shown(out)}",
        )
    return check_folder(out.parent)


def check_source(source: Path, cluster: bool) -> Refusal | None:
    """A CSV or Parquet file, or a folder of Parquet files (of CSV files too, with --scheduler)."""
    shown = _shown(source)
    if not source.exists():
        return Refusal(f"找不到名册：{shown}", f"No such registry: {shown}")
    if not source.is_dir():
        return None
    parquet = [p for p in source.iterdir() if is_parquet_name(p) and p.is_file()]
    csv = [p for p in source.iterdir() if p.suffix.lower() == ".csv" and p.is_file()]
    if parquet or (cluster and csv):
        return None
    if csv:
        return Refusal(
            f"文件夹 {shown} 中只有 CSV 文件：CSV 名册请一个一个评估（subsidy batch 名册.csv -o 结果.csv），"
            "或用 --scheduler 按文件分区评估；文件夹形式的名册应为 Parquet 文件",
            f"The folder {shown} holds only CSV files: give one CSV registry at a time "
            "(subsidy batch registry.csv -o results.csv), or use --scheduler to evaluate them as "
            "partitions; a registry folder holds Parquet files",
        )
    what = "Parquet 或 CSV 文件" if cluster else "Parquet 文件（.parquet）"
    what_en = "Parquet or CSV files" if cluster else "Parquet files (.parquet)"
    return Refusal(f"文件夹 {shown} 中没有{what}，没有可评估的名册", f"The folder {shown} holds no {what_en}")


def check_result(source: Path, out: Path, cluster: bool) -> Refusal | None:
    """``-o``: a .csv or .parquet file (a CSV registry's results are CSV), or a folder with
    ``--scheduler``; never the registry itself."""
    shown = _shown(out)
    if same(out, source):
        return Refusal("结果文件不能与名册文件相同", "The results cannot be written over the registry")
    if cluster:
        if out.exists() and not out.is_dir():
            return Refusal(
                f"--scheduler 的结果是一个文件夹（每个分区一个文件），而 {shown} 是文件",
                f"--scheduler writes a folder (a file per partition), and {shown} is a file",
            )
        if out.suffix.lower() in RESULT_SUFFIXES and not out.exists():
            return Refusal(
                f"--scheduler 的结果是一个文件夹（每个分区一个文件）：-o 应为文件夹名，而不是 {shown}",
                f"--scheduler writes a folder (a file per partition): -o takes a folder name, not {shown}",
            )
        return check_folder(out.parent)
    if out.is_dir():
        return Refusal(
            f"{shown} 是一个文件夹：-o 应为结果文件名（.csv 或 .parquet）",
            f"{shown} is a folder: -o takes the results' file name (.csv or .parquet)",
        )
    if out.suffix.lower() not in RESULT_SUFFIXES:
        return Refusal(
            f"结果的格式由文件名决定：-o 应以 .csv 或 .parquet 结尾，而不是 {shown}",
            f"The file name decides the results' format: -o must end in .csv or .parquet, not {shown}",
        )
    if is_parquet_name(out) and not (source.is_dir() or is_parquet_name(source)):
        return Refusal(
            f"CSV 名册的结果写成 CSV：-o 应以 .csv 结尾，而不是 {shown}（Parquet 结果需要 Parquet 名册）",
            f"A CSV registry's results are CSV: -o must end in .csv, not {shown} "
            "(Parquet results need a Parquet registry)",
        )
    return check_folder(out.parent)


def check_errors(errors: Path, source: Path, out: Path, cluster: bool) -> Refusal | None:
    """``--errors``: a CSV file of its own."""
    if cluster:
        return Refusal(
            "--scheduler 时每个分区有自己的有误行报告（结果文件夹中的 *.errors.csv），不能用 --errors",
            "With --scheduler each partition has its own errors file (*.errors.csv in the results "
            "folder): --errors does not apply",
        )
    if same(errors, source):
        return Refusal(
            "有误行报告（--errors）不能与名册文件相同：会覆盖名册",
            "The errors file (--errors) cannot be the registry: it would be overwritten",
        )
    if same(errors, out):
        return Refusal(
            "有误行报告（--errors）不能与结果文件相同",
            "The errors file (--errors) cannot be the results file",
        )
    if errors.is_dir():
        return Refusal(
            f"{_shown(errors)} 是一个文件夹：--errors 应为有误行报告的文件名（.csv）",
            f"{_shown(errors)} is a folder: --errors takes the errors file's name (.csv)",
        )
    if errors.suffix.lower() != ".csv":
        return Refusal(
            f"有误行报告是 CSV 文件：--errors 应以 .csv 结尾，而不是 {_shown(errors)}",
            f"The errors file is CSV: --errors must end in .csv, not {_shown(errors)}",
        )
    return check_folder(errors.parent)


def check_default_errors(errors: Path, source: Path) -> Refusal | None:
    """The errors file beside the results (no --errors): neither the registry nor a folder."""
    shown = _shown(errors)
    if same(errors, source):
        return Refusal(
            f"有误行报告默认写在 {shown}，而它就是名册，会被覆盖：请用 --errors 另指一个文件",
            f"The errors file would be {shown}, which is the registry and would be overwritten: "
            "name another with --errors",
        )
    if errors.is_dir():
        return Refusal(
            f"有误行报告默认写在 {shown}，而它是一个文件夹：请用 --errors 另指一个文件",
            f"The errors file would be {shown}, which is a folder: name another with --errors",
        )
    return None


OWN_NAMES = ("part-", "chunk-", "tmp")  # the files a run leaves in its folders (parquet.py, chunk.py)


def _own(folder: Path) -> bool:
    """Only files named as a run names the files it leaves in a working folder."""
    return all(p.is_file() and p.name.startswith(OWN_NAMES) for p in folder.iterdir())


def check_working(source: Path, out: Path, errors: Path) -> Refusal | None:
    """The files a run writes while unfinished and removes when done or stopped (checkpoint.py
    ``leftovers``): never the registry, and never what the run did not make."""
    folders = {out.with_name(out.name + ".parts")}
    if source.is_dir() or is_parquet_name(source):  # a Parquet run keeps its chunks in OUT.partial/
        folders.add(out.with_name(out.name + ".partial"))
    for path in leftovers(out, errors):
        if same(path, source):
            shown = _shown(path)
            return Refusal(
                f"名册 {shown} 的名字是本次运行的工作文件名（运行会改写并删除它）：请给名册改名，或换一个 -o",
                f"The registry {shown} is named as a working file of this run (the run would write over "
                "and remove it): rename the registry, or choose another -o",
            )
        if (refusal := _taken(path, path in folders)) is not None:
            return refusal
    return None


def _taken(path: Path, folder: bool) -> Refusal | None:
    """``path``, a working file (or with ``folder`` a working folder), holds something else."""
    shown = _shown(path)
    how = "请移走它，或换一个 -o"
    how_en = "move it away, or choose another -o"
    if path.is_dir() and not folder:
        return Refusal(
            f"{shown} 是一个文件夹，而本次运行要用这个名字写未完成的结果（结束时删除）：{how}",
            f"{shown} is a folder, and the run writes its unfinished results under that name (removed "
            f"when done): {how_en}",
        )
    if folder and path.exists() and not path.is_dir():
        return Refusal(
            f"{shown} 是一个文件，而本次运行要用这个名字建工作文件夹（结束时删除）：{how}",
            f"{shown} is a file, and the run makes a working folder of that name (removed when done): "
            f"{how_en}",
        )
    if folder and path.is_dir() and not _own(path):
        return Refusal(
            f"{shown} 中有不是本程序留下的内容，而本次运行结束时会删除这个文件夹：{how}",
            f"{shown} holds what this program did not leave there, and the run removes that folder when "
            f"done: {how_en}",
        )
    return None


def check_run(source: Path, out: Path, errors: Path | None, cluster: bool) -> Refusal | None:
    """The first reason not to start, or None."""
    if (refusal := check_source(source, cluster) or check_result(source, out, cluster)) is not None:
        return refusal
    if cluster:
        return check_errors(errors, source, out, cluster) if errors is not None else None
    if errors is not None:
        return check_errors(errors, source, out, cluster) or check_working(source, out, errors)
    errors = default_errors(out)
    return check_default_errors(errors, source) or check_working(source, out, errors)
