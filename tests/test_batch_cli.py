"""``subsidy batch`` as a new user meets it: each output what its name says, every refusal one line
in the chosen language before any work (nothing left behind), a finished run never replaced unasked,
and a run stopped by a full disk said as such and continued with ``--resume``."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from engine.cli import main

AS_OF = "2020-09-15"
SCRIPT = Path(sys.executable).parent / "subsidy"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("registry")
    path = folder / "reg.csv"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "make_registry.py"), str(path), "--rows", "3000"],
        check=True,
        capture_output=True,
    )
    return path


def batch(*args: str) -> int:
    return main(["batch", *args, "--quiet", "--workers", "1"])


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def refusals(tmp: Path, registry: Path) -> dict[str, tuple[list[str], str, str]]:
    """Each way to ask for what cannot be done: (arguments, Chinese words, English words)."""
    (tmp / "empty").mkdir()
    (tmp / "csvs").mkdir()
    (tmp / "csvs" / "a.csv").write_bytes(registry.read_bytes()[:2000])
    (tmp / "taken").mkdir()
    for name in ("x.errors.csv", "y.csv.partial", "w.errors.csv.partial", "z.csv.checkpoint"):
        (tmp / name).write_bytes(registry.read_bytes())  # a registry named as a file the run writes
    for name in ("ff.csv.partial", "gg.csv.parts"):
        (tmp / name).mkdir()
        (tmp / name / "keep").write_text("the user's", encoding="utf-8")
    (tmp / "ee.errors.csv").mkdir()
    (tmp / "e2.csv").mkdir()
    reg = str(registry)
    return {
        "an empty registry folder": ([str(tmp / "empty"), "-o", str(tmp / "r.csv")], "没有", "holds no"),
        "a folder of CSV files": ([str(tmp / "csvs"), "-o", str(tmp / "r.csv")], "只有 CSV", "only CSV"),
        "-o an existing folder": ([reg, "-o", str(tmp / "taken")], "文件夹", "folder"),
        "-o neither .csv nor .parquet": ([reg, "-o", str(tmp / "r.txt")], ".csv 或 .parquet", ".parquet"),
        "Parquet results of a CSV registry": ([reg, "-o", str(tmp / "r.parquet")], "CSV", "CSV"),
        "-o into a missing folder": ([reg, "-o", str(tmp / "nowhere" / "r.csv")], "不存在", "does not exist"),
        "--errors not CSV": ([reg, "-o", str(tmp / "r.csv"), "--errors", str(tmp / "e.txt")], ".csv", ".csv"),
        "--template into a missing folder": (
            ["--template", "-o", str(tmp / "nowhere" / "t.csv")],
            "不存在",
            "does not exist",
        ),
        "--scheduler with a results file": (
            [str(tmp / "csvs"), "-o", str(tmp / "r.csv"), "--scheduler", "tcp://127.0.0.1:1"],
            "文件夹",
            "folder",
        ),
        "--resume with no checkpoint": ([reg, "-o", str(tmp / "r.csv"), "--resume"], "没有可续跑", "resume"),
        "the registry as the errors file beside the results": (
            [str(tmp / "x.errors.csv"), "-o", str(tmp / "x.csv")],
            "x.errors.csv，而它就是名册",
            "x.errors.csv, which is the registry",
        ),
        "the registry as the partial results": (
            [str(tmp / "y.csv.partial"), "-o", str(tmp / "y.csv")],
            "y.csv.partial 的名字是本次运行的工作文件名",
            "working file",
        ),
        "the registry as the partial errors": (
            [str(tmp / "w.errors.csv.partial"), "-o", str(tmp / "w.csv")],
            "w.errors.csv.partial 的名字是",
            "working file",
        ),
        "the registry as the checkpoint": (
            [str(tmp / "z.csv.checkpoint"), "-o", str(tmp / "z.csv")],
            "z.csv.checkpoint 的名字是",
            "working file",
        ),
        "a folder where the partial results go": (
            [reg, "-o", str(tmp / "ff.csv")],
            "ff.csv.partial 是一个文件夹",
            "ff.csv.partial is a folder",
        ),
        "the user's files in the workers' folder": (
            [reg, "-o", str(tmp / "gg.csv")],
            "gg.csv.parts 中有不是本程序留下的内容",
            "gg.csv.parts holds what this program did not leave",
        ),
        "a folder where the errors file goes": (
            [reg, "-o", str(tmp / "ee.csv")],
            "ee.errors.csv，而它是一个文件夹",
            "ee.errors.csv, which is a folder",
        ),
        "a registry with --template": ([reg, "--template"], "不读取名册", "reads no registry"),
        "a column both carried and left out": (
            [reg, "-o", str(tmp / "r.csv"), "--carry", "phone", "--ignore", "phone,note"],
            "phone 同时写在 --carry 和 --ignore 中",
            "phone is named by both --carry and --ignore",
        ),
        "--errors a folder": (
            [reg, "-o", str(tmp / "r.csv"), "--errors", str(tmp / "e2.csv")],
            "e2.csv 是一个文件夹",
            "e2.csv is a folder",
        ),
    }


CASES = [
    "an empty registry folder",
    "a folder of CSV files",
    "-o an existing folder",
    "-o neither .csv nor .parquet",
    "Parquet results of a CSV registry",
    "-o into a missing folder",
    "--errors not CSV",
    "--template into a missing folder",
    "--scheduler with a results file",
    "--resume with no checkpoint",
    "the registry as the errors file beside the results",
    "the registry as the partial results",
    "the registry as the partial errors",
    "the registry as the checkpoint",
    "a folder where the partial results go",
    "the user's files in the workers' folder",
    "a folder where the errors file goes",
    "--errors a folder",
    "a registry with --template",
    "a column both carried and left out",
]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("case", CASES)
def test_a_run_that_cannot_be_done_is_refused_in_one_line_and_leaves_nothing(
    tmp_path, registry, capsys, case, lang
):
    args, zh, en = refusals(tmp_path, registry)[case]
    before = files(tmp_path)
    contents = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert batch(*args, "--lang", lang) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert (zh if lang == "zh" else en) in err
    if lang == "en":
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in err.replace(str(tmp_path), "")), err
    assert files(tmp_path) == before  # nothing written, not even a partial file; nothing removed
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == contents


def test_each_output_is_the_format_its_name_says(tmp_path, registry):
    source = tmp_path / "reg.parquet"
    pl.read_csv(registry, infer_schema=False).write_parquet(source)
    assert batch(str(source), "-o", str(tmp_path / "r.parquet"), "--as-of", AS_OF) == 0
    assert pq.read_table(tmp_path / "r.parquet").num_rows == 3000
    assert batch(str(source), "-o", str(tmp_path / "r.csv"), "--as-of", AS_OF) == 0
    assert (tmp_path / "r.csv").read_bytes().startswith("\ufeff案件编号".encode())
    assert batch(str(registry), "-o", str(tmp_path / "c.csv"), "--as-of", AS_OF) == 0
    assert (tmp_path / "c.csv").read_bytes() == (tmp_path / "r.csv").read_bytes()


def test_resume_after_a_finished_run_keeps_its_results(tmp_path, registry, capsys):
    out = tmp_path / "r.csv"
    assert batch(str(registry), "-o", str(out), "--as-of", AS_OF) == 0
    finished, stamp = out.read_bytes(), out.stat().st_mtime_ns
    assert batch(str(registry), "-o", str(out), "--resume") == 2
    assert "没有可续跑的检查点" in capsys.readouterr().err
    assert out.read_bytes() == finished and out.stat().st_mtime_ns == stamp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_scheduler_nobody_answers_is_named_as_such(tmp_path, registry, capsys):
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "a.csv").write_bytes(registry.read_bytes())
    address = f"tcp://127.0.0.1:{_free_port()}"
    assert batch(str(folder), "-o", str(tmp_path / "results"), "--scheduler", address) == 2
    err = capsys.readouterr().err
    assert f"调度器 {address}" in err and "没有应答" in err and "Traceback" not in err
    assert not (tmp_path / "results").exists()


def _disk_of(size: int):
    """A child whose files may grow to ``size`` bytes: past that a write fails as on a full disk."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-c", "from engine.cli import main; main()"]


def test_a_disk_full_before_the_first_checkpoint_leaves_nothing(tmp_path, registry):
    args = [str(registry), "-o", "r.csv", "--as-of", AS_OF, "--quiet", "--workers", "1", "--chunk", "500"]
    stopped = subprocess.run(
        [*COMMAND, "batch", *args], cwd=tmp_path, preexec_fn=_disk_of(100_000), capture_output=True, text=True
    )
    assert stopped.returncode == 1
    assert "磁盘空间不足" in stopped.stderr and "再运行同一命令" in stopped.stderr
    assert "--resume" not in stopped.stderr and "Traceback" not in stopped.stderr
    assert files(tmp_path) == set()


def test_a_full_disk_is_said_and_resume_finishes_the_same_file(tmp_path, registry):
    command = COMMAND
    args = [str(registry), "-o", "r.csv", "--as-of", AS_OF, "--quiet", "--workers", "1", "--chunk", "500"]
    stopped = subprocess.run(
        [*command, "batch", *args],
        cwd=tmp_path,
        preexec_fn=_disk_of(1_500_000),
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert stopped.returncode == 1
    assert "磁盘空间不足" in stopped.stderr and "--resume" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert not (tmp_path / "r.csv").exists()  # no half file under the final name
    resumed = subprocess.run(
        [*command, "batch", *args, "--resume"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert main(["batch", str(registry), "-o", str(tmp_path / "ref.csv"), "--as-of", AS_OF, "--quiet"]) == 0
    assert (tmp_path / "r.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob("*.checkpoint"))


def test_create_user_without_a_terminal_says_to_use_password_stdin(tmp_path):
    done = subprocess.run(
        [*COMMAND, "create-user", "bob"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SUBSIDY_INSTANCE_PATH": str(tmp_path)},
    )
    assert done.returncode == 2
    assert "--password-stdin" in done.stderr and "Traceback" not in done.stderr


def _with_extra_columns(registry: Path, path: Path) -> Path:
    import csv

    rows = list(csv.reader(registry.read_text(encoding="utf-8-sig").splitlines()))
    rows[0] += ["联系电话", "备注"]
    for i, row in enumerate(rows[1:]):
        row += [f"1380000{i:04d}", f"备注{i}"]
    path.write_text("\ufeff" + "".join(",".join(r) + "\r\n" for r in rows), encoding="utf-8")
    return path


def test_unknown_columns_are_refused_naming_carry_and_ignore(tmp_path, registry, capsys):
    source = _with_extra_columns(registry, tmp_path / "extra.csv")
    assert batch(str(source), "-o", str(tmp_path / "r.csv")) == 2
    err = capsys.readouterr().err
    assert "不认识的列名：联系电话、备注" in err and "--carry 联系电话,备注" in err and "--ignore" in err
    assert files(tmp_path) == {"extra.csv"}


def test_unknown_columns_are_a_refusal_of_their_own_that_another_caller_advises_on():
    """The refusal keeps the columns, so the desk's upload form (no --carry there) words its own
    advice; it crosses a process (a Dask worker's) with its parts, in both languages."""
    import pickle

    from engine.batch.columns import UnknownColumns, map_columns

    with pytest.raises(UnknownColumns) as refused:
        map_columns(["姓名", "联系电话"], "person", set())
    err = refused.value
    assert err.columns == ["联系电话"] and "--carry 联系电话" in str(err)
    advised = err.advised("删除这些列", "Delete them")
    assert "不认识的列名：联系电话。删除这些列。可用的列名有：" in str(advised)
    assert "--carry" not in str(advised)
    assert advised.text("en") == "Unknown columns: 联系电话. Delete them"
    again = pickle.loads(pickle.dumps(advised))
    assert (str(again), again.text("en"), again.columns) == (str(advised), advised.text("en"), ["联系电话"])


def test_thousands_of_unknown_columns_are_counted_not_all_listed(tmp_path, capsys):
    """The refusal stays a line one reads: the first ten named, the rest counted."""
    source = tmp_path / "wide.csv"
    names = [f"x{k}" for k in range(1, 5001)]
    source.write_text("案件编号," + ",".join(names) + "\nA1" + "," * len(names) + "\n", encoding="utf-8")
    assert batch(str(source), "-o", str(tmp_path / "r.csv")) == 2
    err = capsys.readouterr().err
    assert "不认识的列名：x1、x2" in err and "x10等 5,000 列" in err and "x11" not in err
    assert len(err) < 2_000
    assert batch(str(source), "-o", str(tmp_path / "r.csv"), "--lang", "en") == 2
    assert "x10 and 4,990 more" in capsys.readouterr().err


def test_carried_columns_are_written_as_they_are_and_ignored_ones_left_out(tmp_path, registry):
    source = _with_extra_columns(registry, tmp_path / "extra.csv")
    out = tmp_path / "r.csv"
    assert (
        batch(str(source), "-o", str(out), "--as-of", AS_OF, "--carry", "联系电话", "--ignore", "备注") == 0
    )
    frame = pl.read_csv(out, infer_schema=False)
    assert frame.columns[:6] == ["案件编号", "行号", "类型", "姓名", "身份证号码", "联系电话"]
    assert "备注" not in frame.columns
    assert frame["联系电话"][0] == "13800000000"  # as written: text, no number
    # the same decisions as the registry without the extra columns
    plain = tmp_path / "plain.csv"
    assert batch(str(registry), "-o", str(plain), "--as-of", AS_OF) == 0
    assert frame.drop("联系电话").equals(pl.read_csv(plain, infer_schema=False))


def test_a_carried_column_the_file_lacks_is_refused(tmp_path, registry, capsys):
    assert batch(str(registry), "-o", str(tmp_path / "r.csv"), "--carry", "微信号") == 2
    assert "微信号" in capsys.readouterr().err


def test_a_person_registry_has_columns_for_person_programs_only(tmp_path, registry):
    from engine.evaluate import default_engine

    out = tmp_path / "r.csv"
    assert batch(str(registry), "-o", str(out), "--as-of", AS_OF) == 0
    header = pl.read_csv(out, infer_schema=False, n_rows=0).columns
    rules = default_engine().book.rules.values()
    titles = {r.title("zh"): r.subject for r in rules}
    programs = {h.split("·")[0] for h in header if "·" in h}
    assert programs and all(titles[p] == "person" for p in programs)
    assert len(programs) == sum(r.subject == "person" for r in rules)


def test_a_registry_column_of_applications_decides_only_those(tmp_path, registry, capsys):
    """申请项目: the row decides what it applies for; the rest is advice (可能还符合), never a
    refusal; an unknown program is a bad cell reported with its line."""
    import csv

    rows = list(csv.reader(registry.read_text(encoding="utf-8-sig").splitlines()))[:4]
    rows[0].append("申请项目")
    rows[1].append("失业保险金")
    rows[2].append("纳入低保、临时救助等社会救助 task59_dibao_gradual_exit")
    rows[3].append("失业补助金")
    source = tmp_path / "apply.csv"
    source.write_text("\ufeff" + "".join(",".join(r) + "\r\n" for r in rows), encoding="utf-8")
    out = tmp_path / "r.csv"
    assert batch(str(source), "-o", str(out), "--as-of", AS_OF) == 0
    frame = pl.read_csv(out, infer_schema=False)
    assert frame["申请项目"].to_list() == [
        "失业保险金",
        "纳入低保、临时救助等社会救助 task59_dibao_gradual_exit",
    ]
    statuses = {c: frame[c].to_list() for c in frame.columns if c.endswith("·结论")}
    assert statuses["失业保险金·结论"][0] is not None
    decided_first = [c for c, v in statuses.items() if v[0] is not None]
    assert decided_first == ["失业保险金·结论"]
    decided_second = [c for c, v in statuses.items() if v[1] is not None]
    assert decided_second == ["纳入低保、临时救助等社会救助·结论", "低保渐退·结论"]
    assert "不符合" not in (frame["可能还符合"][0] or "")
    errors = pl.read_csv(tmp_path / "r.errors.csv", infer_schema=False)
    assert errors.rows() == [("4", rows[3][0], "申请项目", errors["原因"][0])]
    assert "没有这个项目：失业补助金" in errors["原因"][0]


def test_a_damaged_parquet_file_is_described_in_our_words(tmp_path, capsys):
    source = tmp_path / "reg.parquet"
    source.write_bytes(b"PAR1 not really parquet")
    assert batch(str(source), "-o", str(tmp_path / "r.parquet")) == 2
    err = capsys.readouterr().err
    assert "不是可读的 Parquet 文件" in err and "Arrow" not in err and "magic" not in err.lower()
    assert files(tmp_path) == {"reg.parquet"}


def test_the_systems_reasons_are_in_our_words():
    import errno

    from engine.cliargs import os_reason

    assert os_reason(OSError(errno.EACCES, "Permission denied")) == "没有权限"
    assert os_reason(OSError(errno.ENOSPC, "No space left on device"), "en") == "no room left on the disk"


def test_the_errors_file_is_in_english_with_lang_en(tmp_path):
    """Every reason a bad row is given, in English (the cells and headers quoted as written)."""
    import csv
    import re

    source = tmp_path / "bad.csv"
    source.write_bytes(
        "\ufeff案件编号,出生日期,性别,目前已就业,身份证号码,申请项目\r\n"
        "A1,1961-02-30,男,也许,,\r\n"
        "A2,,不详,,500101196103100038,\r\n"
        "A3,2030-01-01,,,,失业补助金\r\n"
        "A4,1961-03-10\r\n"
        "A5,19610310,男,否,500101196103100037,一次性吸纳就业补贴\r\n"
        '"A6,1961\r\n'.encode()
    )
    out = tmp_path / "r.csv"
    assert batch(str(source), "-o", str(out), "--as-of", AS_OF, "--lang", "en") == 0
    rows = list(csv.reader((tmp_path / "r.errors.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["line", "case_id", "column", "reason"]
    assert len(rows) == 1 + 9  # two bad cells in lines 2, 3 and 4; one in 5, 6 and 7
    for _, _, _, reason in rows[1:]:
        unquoted = re.sub(r'"[^"]*"', "", reason)
        assert not re.search(r"[\u4e00-\u9fff]", unquoted), reason


def test_an_application_cell_reads_back_the_programs_it_names():
    """Any programs of a kind, each named by its id or a title, joined by any separator, read back
    as those programs in that order (a title holding 、 whole); a name no program has is refused."""
    import random

    from engine.batch.columns import APPLIED_SEPARATORS, book_columns
    from engine.evaluate import default_engine

    book = default_engine().book
    cols = book_columns(["案件编号", "申请项目"], "person", book)
    rules = [r for r in book.rules.values() if r.subject == "person"]
    r = random.Random(21)
    for _ in range(500):
        chosen = r.sample(rules, r.randint(1, 4))
        names = [r.choice([x.id, x.title.zh, x.title.en]) for x in chosen]
        text = names[0]
        for name in names[1:]:
            text += "".join(r.choice(APPLIED_SEPARATORS) for _ in range(r.randint(1, 2))) + name
        assert cols.applied_for(text, "person") == (tuple(x.id for x in chosen), None), text
        ids, problem = cols.applied_for(text + "、失业补助金", "person")
        assert ids == () and problem is not None and "失业补助金" in problem


@pytest.mark.parametrize(
    "header, lines",
    [
        ("案件编号", ["A1", "A2"]),
        ("案件编号,类型", ["B1,企业", "B2,个人"]),
        ("案件编号,联系电话", ["C1,123"]),
    ],
)
def test_a_registry_with_no_fact_columns_is_decided_not_refused(tmp_path, header, lines):
    """A registry that names no fact (only case numbers, kinds or carried columns) is still judged:
    every program asks for what it needs; no row is an internal error."""
    source = tmp_path / "ids.csv"
    source.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    extra = ["--carry", "联系电话"] if "联系电话" in header else []
    assert batch(str(source), "-o", str(out), "--as-of", AS_OF, *extra) == 0
    errors = (tmp_path / "r.errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert errors == ["行号,案件编号,列,原因"]
    rows = pl.read_csv(out, infer_schema=False)
    assert rows.height == len(lines)
    statuses = rows.select(pl.col("^.*·结论$")).unpivot()["value"].drop_nulls()
    assert set(statuses) <= {"需补充信息", "不符合"} and "需补充信息" in set(statuses)


def test_the_progress_line_is_in_the_run_s_language(tmp_path, registry, capsys, monkeypatch):
    """On a terminal the progress line says rows and rows/s with --lang en, 行 and 行/秒 without."""
    import engine.batch.progress
    import engine.batch.run

    monkeypatch.setattr(engine.batch.run, "wanted", lambda stream, quiet: True)
    monkeypatch.setattr(engine.batch.progress, "EVERY", -1.0)  # every chunk redrawn
    for lang, words in (("en", " rows/s "), ("zh", " 行/秒 ")):
        args = [str(registry), "-o", str(tmp_path / f"{lang}.csv"), "--as-of", AS_OF, "--chunk", "1000"]
        assert batch(*args, "--lang", lang) == 0
        drawn = [line for line in capsys.readouterr().err.split("\r") if line.startswith("[")]
        assert drawn and all(words in line for line in drawn), drawn


def test_a_cell_under_no_header_is_named_in_english(tmp_path):
    source = tmp_path / "nameless.csv"
    source.write_text("案件编号,,出生日期\nA1,x,1960-01-01\n", encoding="utf-8")
    assert batch(str(source), "-o", str(tmp_path / "r.csv"), "--as-of", AS_OF, "--lang", "en") == 0
    rows = (tmp_path / "r.errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[1].startswith("2,A1,column 2 (no header),"), rows


def test_a_refused_resume_words_the_options_it_names(tmp_path, registry, capsys, monkeypatch):
    """yes/no options as 是/否, column lists as their names (无 for none), never Python's values."""
    from engine.batch.checkpoint import Outputs

    source = _with_extra_columns(registry, tmp_path / "extra.csv")
    args = [str(source), "-o", str(tmp_path / "r.csv"), "--as-of", AS_OF]
    monkeypatch.setattr(Outputs, "finish", lambda self: (_ for _ in ()).throw(KeyboardInterrupt))
    assert batch(*args, "--carry", "联系电话,备注") == 130
    monkeypatch.undo()
    capsys.readouterr()
    assert batch(*args, "--resume", "--long", "--ignore", "联系电话,备注") == 2
    err = capsys.readouterr().err
    assert "long 原为 否，现为 是" in err and "carry 原为 联系电话、备注，现为 无" in err, err
    assert "ignore 原为 无，现为 联系电话、备注" in err, err
    assert batch(*args, "--resume", "--long", "--ignore", "联系电话,备注", "--lang", "en") == 2
    err = capsys.readouterr().err
    assert "long was no, now yes" in err and "carry was 联系电话, 备注, now none" in err, err


def test_a_disk_full_while_joining_the_parquet_result_leaves_only_what_resume_needs(
    tmp_path, registry, capsys, monkeypatch
):
    """The parts are joined into OUT.tmp at the very end: a full disk there stops the run (exit 1)
    without leaving the half-joined OUT.tmp, and --resume writes the whole file."""
    import errno

    import engine.columnar.parquet

    source = tmp_path / "reg.parquet"
    pl.read_csv(registry, infer_schema=False).write_parquet(source)
    args = [str(source), "-o", str(tmp_path / "r.parquet"), "--as-of", AS_OF, "--chunk", "1000"]
    join = engine.columnar.parquet.join

    def full(parts, empty, out):
        out.write(b"PAR1 half")
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "r.parquet.tmp"))

    monkeypatch.setattr(engine.columnar.parquet, "join", full)
    assert batch(*args) == 1
    assert "磁盘空间不足" in capsys.readouterr().err
    assert files(tmp_path) >= {"r.parquet.checkpoint", "r.parquet.partial"}
    assert not (tmp_path / "r.parquet.tmp").exists() and not (tmp_path / "r.parquet").exists()
    monkeypatch.setattr(engine.columnar.parquet, "join", join)
    assert batch(*args, "--resume") == 0
    assert pq.read_table(tmp_path / "r.parquet").num_rows == 3000
    assert {p.name for p in tmp_path.iterdir()} == {"reg.parquet", "r.parquet", "r.errors.csv"}
