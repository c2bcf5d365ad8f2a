"""``subsidy screen`` on the scenario registry (tests/data/screen/registry.csv), on 2020-09-15.

Known answers for the unemployment benefit (task 55) and the flexible-employment extension (task 32):
S01 (渝中区) draws the benefit to 2021-12-31: eligible now, no application needed; S03 (江北区) draws it
to 2020-10-31: it ends within 90 days; S02's flexible-employment subsidy ends 2020-10-31, so the
year's extension is hers from the day after (民法典 Art. 203) to 2021-10-31; S04 lacks only whether
she wants work; S07 (no district) draws it to 2021-04-30; S08's benefit ended on 2020-08-31; S05
works; S06's row has an impossible date.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest

from engine.batch.layout import csv_text
from engine.cli import main
from engine.rulebook import rules_dir
from engine.screen.options import Options
from engine.screen.screen import screen
from engine.screen.words import mask_id, mask_name

REGISTRY = Path(__file__).parent / "data" / "screen" / "registry.csv"
AS_OF = date(2020, 9, 15)
WATCHED = ("task55_unemployment_benefit", "task32_flexible_employment_subsidy_extension")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def _worklists(out: Path) -> list[dict[str, str]]:
    return [row for path in sorted(out.glob("*/*-工作清单.csv")) for row in _read(path)]


def _run(out: Path, **kw: object) -> str:
    return screen(Options(REGISTRY, out, AS_OF, workers=1, quiet=True, **kw))  # type: ignore[arg-type]


def _registry_ids() -> list[str]:
    return [r["身份证号码"] for r in _read(REGISTRY)]


def test_worklist_known_answers(tmp_path: Path) -> None:
    report = _run(tmp_path)
    rows = [r for r in _worklists(tmp_path) if r["项目"] in WATCHED]
    found = {
        (r["类别"], r["案件编号"], r["项目"], r["符合起始日期"], r["享受截止日期"], r["区县"]) for r in rows
    }
    benefit, extension = WATCHED
    assert found == {
        ("即将期满", "S03", benefit, "", "2020-10-31", "江北区"),
        ("即将符合", "S02", extension, "2020-11-01", "2021-10-31", "渝中区"),
        ("现在符合（免申即享）", "S01", benefit, "", "2021-12-31", "渝中区"),
        ("现在符合（免申即享）", "S07", benefit, "", "2021-04-30", "（未填区县）"),
        ("差一项信息", "S04", benefit, "", "", "江北区"),
    }
    one = next(r for r in rows if r["案件编号"] == "S04")
    assert (one["待问事项"], one["由谁回答"]) == ("申请人是否有就业要求？", "本人")
    assert "申请人是否有就业要求？" in one["列入原因"]
    assert all(r["列入原因"] for r in _worklists(tmp_path))
    # the worklist of a district and lead unit holds only that district's and unit's rows
    for path in tmp_path.glob("*/*-工作清单.csv"):
        assert {(r["区县"], r["牵头单位"]) for r in _read(path)} == {
            (path.parent.name, path.name.split("-")[0])
        }
    assert "名册读取 8 行：已评估 7 行，数据有误 1 行" in report


def test_worklists_as_parquet_when_asked(tmp_path: Path) -> None:
    import polars as pl

    _run(tmp_path, parquet=True)
    for path in tmp_path.glob("*/*-工作清单.csv"):
        table = pl.read_parquet(path.with_suffix(".parquet"))
        assert table.columns == list(_read(path)[0]) and table.to_dicts() == _read(path)


def test_bad_rows_reported_with_line_numbers(tmp_path: Path) -> None:
    _run(tmp_path)
    errors = _read(tmp_path / "有误行.csv")
    assert [(e["行号"], e["案件编号"], e["列"]) for e in errors] == [("7", "S06", "失业保险金起始日期")]
    assert "S06" not in {r["案件编号"] for r in _worklists(tmp_path)}


def test_horizon_moves_what_is_soon(tmp_path: Path) -> None:
    _run(tmp_path, horizon=30)  # 2020-10-31 is 46 days away
    rows = {(r["类别"], r["案件编号"]) for r in _worklists(tmp_path) if r["项目"] in WATCHED}
    assert ("现在符合（免申即享）", "S03") in rows and ("即将期满", "S03") not in rows
    assert not any(case == "S02" for _, case in rows)


def test_one_district(tmp_path: Path) -> None:
    _run(tmp_path, district="江北区")
    assert {p.name for p in tmp_path.iterdir() if p.is_dir()} == {"江北区"}
    assert {r["案件编号"] for r in _worklists(tmp_path)} == {"S03", "S04"}


def test_public_list_masks_names_and_never_prints_an_id_number(tmp_path: Path) -> None:
    _run(tmp_path)
    published = {p.parent.name: _read(p) for p in tmp_path.glob("*/*-公示名单.csv")}
    benefit = {
        (d, r["姓名/单位"], r["身份证号码/统一社会信用代码"])
        for d, rows in published.items()
        for r in rows
        if r["项目"] == "失业保险金"
    }
    assert benefit == {
        ("渝中区", "王*明", "500103********0113"),
        ("江北区", "张*", "500105********0319"),
        ("（未填区县）", "陈*", "500112********071X"),
    }
    text = "".join(p.read_text(encoding="utf-8-sig") for p in tmp_path.glob("*/*-公示名单.csv"))
    for number in _registry_ids():
        assert number not in text
    for name in ("王小明", "张伟", "陈杰", "杨芳"):
        assert name not in text


def test_masks() -> None:
    assert [mask_name(n) for n in ("张伟", "王小明", "欧阳小明", "李")] == ["张*", "王*明", "欧**明", "李"]
    assert mask_id("500103197503100113") == "500103********0113"
    assert mask_id("12345") == "*****"


def test_parquet_registry_gives_the_same_lists(tmp_path: Path) -> None:
    import polars as pl

    parquet = tmp_path / "registry.parquet"
    pl.read_csv(REGISTRY, infer_schema=False).write_parquet(parquet)
    _run(tmp_path / "csv")
    screen(Options(parquet, tmp_path / "pq", AS_OF, workers=1, quiet=True))
    assert _worklists(tmp_path / "pq") == _worklists(tmp_path / "csv")
    assert _read(tmp_path / "pq" / "有误行.csv") == _read(tmp_path / "csv" / "有误行.csv")


def test_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    args = [
        "screen",
        str(REGISTRY),
        "-o",
        str(out),
        "--as-of",
        "2020-09-15",
        "--workers",
        "2",
        "--chunk",
        "3",
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    ending = {r["行号"] for r in _worklists(out) if r["类别"] == "即将期满"}
    assert ending and f"即将期满：{len(ending)} 人" in printed  # the summary counts what the lists hold
    single = tmp_path / "single"
    assert main([*args[:3], str(single), *args[4:6], "--workers", "1"]) == 0
    assert _worklists(out) == _worklists(single)  # chunks and workers change nothing
    assert main(["screen", str(REGISTRY), "-o", str(out), "--district", "火星区"]) == 2
    assert "没有这个区县：火星区" in capsys.readouterr().err


def test_an_interrupted_run_resumes_to_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.screen.screen as module
    from engine.batch.checkpoint import ResumeError

    _run(tmp_path / "whole", chunk=2)
    real = module.judge_registry
    seen: list[int] = []

    def stopping(*args: object, **kw: object):  # the run is killed after its second chunk
        for k, item in enumerate(real(*args, **kw)):  # type: ignore[arg-type]
            if k == 2:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(module, "judge_registry", stopping)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path / "cut", chunk=2)
    assert (tmp_path / "cut" / ".screen" / "checkpoint.json").exists()

    def counting(*args: object, **kw: object):
        for item in real(*args, **kw):  # type: ignore[arg-type]
            seen.append(item[2])
            yield item

    monkeypatch.setattr(module, "judge_registry", counting)
    with pytest.raises(ResumeError, match="horizon 原为 90，现为 30"):
        _run(tmp_path / "cut", chunk=2, horizon=30, resume=True)
    _run(tmp_path / "cut", chunk=2, resume=True)
    assert seen and min(seen) > 6  # read on after line 5: the two chunks done were not read again
    files = sorted(p.relative_to(tmp_path / "whole") for p in (tmp_path / "whole").rglob("*.csv"))
    assert files == sorted(p.relative_to(tmp_path / "cut") for p in (tmp_path / "cut").rglob("*.csv"))
    for f in files:
        assert (tmp_path / "cut" / f).read_bytes() == (tmp_path / "whole" / f).read_bytes()
    assert not (tmp_path / "cut" / ".screen").exists()


def test_cells_are_safe_to_open_in_a_spreadsheet(tmp_path: Path) -> None:
    registry = tmp_path / "registry.csv"
    registry.write_text(
        REGISTRY.read_text(encoding="utf-8").replace("S01,王小明", "=1+1,=HYPERLINK()"), encoding="utf-8"
    )
    screen(Options(registry, tmp_path / "out", AS_OF, workers=1, quiet=True))
    rows = _read(tmp_path / "out" / "渝中区" / "市人力社保局-工作清单.csv")
    mine = [r for r in rows if r["行号"] == "2"]
    assert mine and all(r["案件编号"] == "'=1+1" and r["姓名/单位"] == "'=HYPERLINK()" for r in mine)
    public = _read(tmp_path / "out" / "渝中区" / "市人力社保局-公示名单.csv")
    assert "'" + mask_name("=HYPERLINK()") in {r["姓名/单位"] for r in public}


def _template_registry(path: Path, short: bool) -> Path:
    """A template filled in below its example (``subsidy batch --template``): the example row, the
    same person under a case number of their own (C-001), and with ``short`` an example row missing
    its cells (read one by one, not by the column reader)."""
    from engine.batch.layout import csv_text
    from engine.batch.template import template_rows

    header, example = template_rows("person")
    rows = [header, example, ["C-001", *example[1:]]]
    if short:
        rows.append([example[0].replace("001", "002"), example[1]])
    if path.suffix == ".parquet":
        import polars as pl

        pl.DataFrame(rows[1:], schema=header, orient="row").write_parquet(path)
    else:
        path.write_text(csv_text(rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_templates_example_rows_are_skipped_and_counted(tmp_path: Path, suffix: str) -> None:
    """As ``subsidy batch`` skips them: never judged, listed or reported as bad, but counted."""
    registry = _template_registry(tmp_path / f"template.{suffix}", short=suffix == "csv")
    out = tmp_path / "out"
    report = screen(Options(registry, out, AS_OF, workers=1, quiet=True))
    examples = 2 if suffix == "csv" else 1
    read = f"名册读取 1 行：已评估 1 行，数据有误 0 行（见 {out / '有误行.csv'}）"
    assert f"{read}，模板示例行 {examples} 行（已跳过）" in report
    assert _read(out / "有误行.csv") == []
    listed = _worklists(out)
    assert listed and {r["案件编号"] for r in listed} == {"C-001"}


def test_a_bad_row_is_worded_in_the_jobs_language() -> None:
    """Screen reads a chunk as the batch does (engine/columnar/judged.py): a bad row's reason is in
    the job's language, Chinese for the screen's own job, English for a job in English."""
    from engine.batch.columns import map_columns
    from engine.batch.layout import Layout
    from engine.batch.reader import Reader
    from engine.batch.work import Job
    from engine.columnar.judged import judge_chunk
    from engine.evaluate import default_engine
    from engine.screen.listing import Plainly

    engine = default_engine()
    reader = Reader(REGISTRY)
    cols = map_columns(reader.headers, "person", engine.book.confirmation_keys())
    [(rows, _, _)] = list(reader.chunks(100))
    reader.close()
    english = Layout.of(engine.book, "en", False, cols)
    reasons = {
        lang: judge_chunk(Job(engine, cols, layout, AS_OF), rows).errors  # type: ignore[arg-type]
        for lang, layout in (("zh", Plainly()), ("en", english))
    }
    assert reasons == {
        "zh": [["7", "S06", "失业保险金起始日期", "没有这一天：2020年13月1日"]],
        "en": [["7", "S06", "失业保险金起始日期", "no such day: 2020-13-01"]],
    }


def unjudgeable_for_s03(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in the columnar evaluator that only S03 (born 1968-01-05) triggers."""
    from engine.columnar import judged

    real = judged.judge_table

    def judge_table(judge, table, *args):  # type: ignore[no-untyped-def]
        born = table.cols["person.birth_date"]
        if (born.valid & (born.values == date(1968, 1, 5).toordinal())).any():
            raise OverflowError("date value out of range")
        return real(judge, table, *args)

    monkeypatch.setattr(judged, "judge_table", judge_table)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_row_the_engine_cannot_judge_is_reported_and_the_rest_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    """A chunk the columnar evaluator cannot judge is judged row by row, as ``subsidy batch`` does:
    the one row it cannot judge is an error row of its own, every other row is listed as before."""
    import polars as pl

    source = REGISTRY
    if suffix == "parquet":
        source = tmp_path / "registry.parquet"
        pl.read_csv(REGISTRY, infer_schema=False).write_parquet(source)
    screen(Options(source, tmp_path / "before", AS_OF, workers=1, quiet=True))
    unjudgeable_for_s03(monkeypatch)
    report = screen(Options(source, tmp_path / "after", AS_OF, workers=1, quiet=True))
    before = _worklists(tmp_path / "before")
    assert any(r["案件编号"] == "S03" for r in before)
    assert _worklists(tmp_path / "after") == [r for r in before if r["案件编号"] != "S03"]
    errors = [(e["行号"], e["案件编号"], e["原因"]) for e in _read(tmp_path / "after" / "有误行.csv")]
    assert [e[:2] for e in errors] == [("4", "S03"), ("7", "S06")]
    assert "程序内部错误 OverflowError" in errors[0][2]
    assert "已评估 6 行，数据有误 2 行" in report


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """A refusal: exit code 2 (from the command or from argparse), its one line of reason."""
    try:
        code = main(argv)
    except SystemExit as stop:
        code = stop.code  # type: ignore[assignment]
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(err)
    return err[-1]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--horizon", "99999999"], "--horizon：应为 1 到 3,660 之间的整数"),
        (["--chunk", "99999999999999999999999"], "--chunk：应为 1 到 10,000,000 之间的整数"),
        (["--workers", "99999999999999999999"], "--workers：应为 1 到 256 之间的整数"),
    ],
)
def test_absurd_counts_are_refused_before_any_work(
    argv: list[str], said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert said in _refused(["screen", str(REGISTRY), "-o", str(out), *argv], capsys)
    assert not out.exists()


def test_refusals_leave_nothing_behind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("案件编号,备注\nA,x\n", encoding="utf-8")
    out = tmp_path / "out"
    assert "不认识的列名：备注" in _refused(
        ["screen", str(unknown), "-o", str(out), "--workers", "1"], capsys
    )
    assert not out.exists()
    (tmp_path / "csvs").mkdir()
    shutil.copy(REGISTRY, tmp_path / "csvs" / "a.csv")
    assert "中只有 CSV 文件" in _refused(["screen", str(tmp_path / "csvs"), "-o", str(out)], capsys)
    assert "是一个文件" in _refused(["screen", str(REGISTRY), "-o", str(unknown / "sub")], capsys)
    assert not out.exists()


def test_a_file_where_a_districts_folder_goes_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "渝中区").write_text("", encoding="utf-8")
    assert main(["screen", str(REGISTRY), "-o", str(out), "--as-of", "2020-09-15", "--workers", "1"]) == 1
    assert capsys.readouterr().err.strip() == f"无法写入 {out / '渝中区'}（已有同名的文件）"


def test_no_more_workers_than_chunks() -> None:
    from engine.screen.source import pool_size

    tasks, workers = pool_size(iter(range(3)), 8)
    assert (list(tasks), workers) == ([0, 1, 2], 3)
    assert pool_size(iter([]), 8)[1] == 1


@pytest.mark.parametrize("option", ["--ignore", "--carry"])
def test_a_column_no_rule_reads_is_left_out_as_the_refusal_advises(
    option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = tmp_path / "noted.csv"
    with REGISTRY.open(encoding="utf-8-sig") as f:
        rows = [[*r, "备注" if k == 0 else "x"] for k, r in enumerate(csv.reader(f))]
    registry.write_text(csv_text(rows), encoding="utf-8")
    argv = ["screen", str(registry), "--as-of", "2020-09-15", "--workers", "1", "--quiet"]
    assert "--ignore 备注" in _refused([*argv, "-o", str(tmp_path / "refused")], capsys)
    assert main([*argv, "-o", str(tmp_path / "out"), option, "备注"]) == 0
    _run(tmp_path / "plain")
    assert _worklists(tmp_path / "out") == _worklists(tmp_path / "plain")
    compare = [
        "compare",
        str(registry),
        "--rules",
        str(rules_dir()),
        "--rules",
        str(rules_dir()),
        "--workers",
        "1",
        option,
        "备注",
    ]
    assert main(compare) == 0


def test_a_folder_holding_another_runs_lists_is_not_written_into(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second run into the same folder would leave the first run's lists of districts it does
    not list beside its own: refused, naming what is there; the first run's files are untouched."""
    out = tmp_path / "out"
    argv = ["screen", str(REGISTRY), "-o", str(out), "--as-of", "2020-09-15", "--workers", "1", "--quiet"]
    assert main(argv) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for again in ([*argv, "--district", "江北区"], [*argv, "--resume"]):
        said = _refused(again, capsys)
        assert f"输出文件夹 {out} 中已有一次筛查的结果（有误行.csv、" in said
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


_started_with: object = None


def _note_sigint() -> None:
    """A worker's initializer: whether SIGINT could reach the worker's interpreter as it started
    (ignored, or held back by the signal mask it was started with)."""
    import signal

    global _started_with
    held = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    _started_with = signal.SIG_IGN if held else signal.getsignal(signal.SIGINT)


def _sigint_at_start(_: object) -> str:
    import signal

    return "ignored" if _started_with == signal.SIG_IGN else "raises"


def test_workers_start_deaf_to_ctrl_c() -> None:
    """Ctrl-C reaches every process of the terminal: a worker still importing would print a
    traceback around 已中断. Workers start ignoring it (the main process stops them)."""
    from engine.batch.options import in_order

    tasks = iter([(1, 0, 0), (2, 0, 0)])
    found = [done for done, _, _ in in_order(tasks, 2, _sigint_at_start, ("spawn", _note_sigint, ()))]
    assert found == ["ignored", "ignored"]


def test_a_worker_killed_mid_screen_stops_it_in_one_line(tmp_path, make_registry):
    """A screen worker SIGKILLed as the OOM killer would: the run ends at once in one line, exit 1,
    instead of waiting forever for the worker's chunk (tests/test_batch_resume.py does the same to
    ``subsidy batch``)."""
    import os
    import signal
    import sys

    from test_batch_resume import _stopped_run, _workers_of

    registry = tmp_path / "registry.csv"
    make_registry.write_registry(registry, 4_000, seed=12)
    code = "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))"
    argv = ["screen", str(registry), "-o", str(tmp_path / "out"), "--as-of", "2020-09-15", "--quiet"]
    command = [sys.executable, "-c", code, *argv, "--chunk", "50", "--workers", "2"]
    err = _stopped_run(
        command,
        lambda pid: len(_workers_of(pid)) == 2,
        lambda pid: os.kill(_workers_of(pid)[0], signal.SIGKILL),
    )
    *_, message, exit_code = err.splitlines()
    assert exit_code == "1" and message.startswith("运行已停止：一个工作进程意外结束"), err
