"""``subsidy compare`` on the scenario registry (tests/data/screen/registry.csv), whose answers are
known: under the shipped rules on 2020-09-15, S01 (渝中区) and S03 (江北区) and S07 (no district) draw
the unemployment benefit, S08's ended on 2020-08-31, S04 waits for one answer and S06 is a bad row.
The proposed book raises the contribution needed to 24 months, pays at least 18 months and sets
the monthly amount at 1500 元: S07 (18 months paid in) loses it, S08 (30 months, from 2019-09-01,
now to 2021-02-28) gains it."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from engine.batch.run import Options, run
from engine.cli import main
from engine.evaluate import Engine
from engine.rulebook import rules_dir
from engine.screen.compare import Comparison, compare, load_book

REGISTRY = Path(__file__).parent / "data" / "screen" / "registry.csv"
AS_OF = date(2020, 9, 15)
BENEFIT = "task55_unemployment_benefit"


@pytest.fixture(scope="module")
def proposed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of rules/ with task 55's contribution, period and amount changed."""
    folder = tmp_path_factory.mktemp("proposed") / "rules"
    shutil.copytree(rules_dir(), folder)
    path = folder / f"{BENEFIT}.yaml"
    text = path.read_text(encoding="utf-8")
    changed = (
        text.replace("      1999-01-22: 12\n", "      1999-01-22: 24\n", 1)
        .replace("- {threshold: 12, value: 12}", "- {threshold: 12, value: 18}")
        .replace("      1999-01-22: null", "      1999-01-22: 1500")
    )
    assert changed.count("1999-01-22: 24") == 1 and "value: 18}" in changed and ": 1500" in changed
    path.write_text(changed, encoding="utf-8")
    return folder


def _rows(c: Comparison, program: str) -> dict[str, tuple[int, ...]]:
    return {
        r.district: (r.eligible_a, r.eligible_b, r.gained, r.lost, r.unpriced_a)
        for r in c.rows
        if r.program == program
    }


def test_known_answers(proposed: Path) -> None:
    c = compare(REGISTRY, load_book(rules_dir()), load_book(proposed), AS_OF, workers=1)
    assert (c.decided, c.rejected) == (7, 1)
    assert c.errors[0][:3] == ["7", "S06", "失业保险金起始日期"]
    assert _rows(c, BENEFIT) == {
        "渝中区": (1, 2, 1, 0, 1),  # S08 gains; S01 stays
        "江北区": (1, 1, 0, 0, 1),  # S03 stays; S04 still waits for an answer
        "（未填区县）": (1, 0, 0, 1, 1),  # S07 loses
    }
    cost = {r.district: (r.cost_a, r.cost_b) for r in c.rows if r.program == BENEFIT}
    # 1500 a month: S01 for 24 months, S03 and S08 for 18; nothing was priced before
    assert cost["渝中区"] == (0, Decimal(1500 * 24 + 1500 * 18))
    assert cost["江北区"] == (0, Decimal(1500 * 18))
    assert not c.unchanged
    assert c.a.version != c.b.version


def test_identical_books_report_no_change(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(rules_dir(), copy)
    c = compare(REGISTRY, load_book(rules_dir()), load_book(copy), AS_OF, workers=1)
    assert c.unchanged and c.a.book.version == c.b.book.version
    assert all(r.gained == r.lost == 0 and r.eligible_a == r.eligible_b for r in c.rows)


def _batch(book_dir: Path, out: Path) -> dict[tuple[str, str], str]:
    """One ``subsidy batch`` run (long, English): (line, program) → status."""
    b = load_book(book_dir)
    run(
        Options(REGISTRY, out, as_of=AS_OF, long=True, lang="en", workers=1, quiet=True),
        Engine(b.book, b.settings),
    )
    with out.open(encoding="utf-8-sig") as f:
        return {(r["line"], r["program"]): r["status"] for r in csv.DictReader(f)}


def test_compare_equals_two_batch_runs_diffed(proposed: Path, tmp_path: Path) -> None:
    before = _batch(rules_dir(), tmp_path / "a.csv")
    after = _batch(proposed, tmp_path / "b.csv")
    with REGISTRY.open(encoding="utf-8-sig") as f:
        district = {str(k + 2): r["区县"] or "（未填区县）" for k, r in enumerate(csv.DictReader(f))}
    expected: dict[tuple[str, str], list[int]] = {}
    for key, a in before.items():
        line, program = key
        b = after[key]
        counts = expected.setdefault((program, district[line]), [0, 0, 0, 0, 0])
        counts[0] += 1
        counts[1] += a == "eligible"
        counts[2] += b == "eligible"
        counts[3] += a != "eligible" and b == "eligible"
        counts[4] += a == "eligible" and b != "eligible"
    # the pool path, in chunks of three rows, gives what the batch runs give
    c = compare(REGISTRY, load_book(rules_dir()), load_book(proposed), AS_OF, workers=2, chunk=3)
    found = {
        (r.program, r.district): [r.people, r.eligible_a, r.eligible_b, r.gained, r.lost] for r in c.rows
    }
    assert found == expected
    assert any(v[3] for v in found.values()) and any(v[4] for v in found.values())


def test_command_writes_csv_and_summary(
    proposed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "impact.csv"
    argv = ["compare", str(REGISTRY), "--rules", str(rules_dir()), "--rules", str(proposed)]
    assert main([*argv, "--as-of", "2020-09-15", "-o", str(out), "--workers", "1"]) == 0
    text = capsys.readouterr().out
    assert "失业保险金：符合 3 人 → 3 人（新增 1 人，不再符合 1 人）" in text
    with out.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    row = next(r for r in rows if r["项目"] == BENEFIT and r["区县"] == "渝中区")
    assert (row["新增符合"], row["不再符合"], row["新规则金额合计（元）"]) == ("1", "0", "63000")


def test_command_refuses_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(REGISTRY), "--rules", str(rules_dir())]) == 2
    assert "--rules 应写两次" in capsys.readouterr().err
    assert main(["compare", str(REGISTRY), "--rules", str(tmp_path), "--rules", str(rules_dir())]) == 2
    assert "不是规则文件夹" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "none.csv"), "--rules", "a", "--rules", "b"]) == 2
    assert "找不到名册" in capsys.readouterr().err


def test_parquet_registry_reads_as_its_csv(proposed: Path, tmp_path: Path) -> None:
    import polars as pl

    parquet = tmp_path / "registry.parquet"
    pl.read_csv(REGISTRY, infer_schema=False).write_parquet(parquet)
    books = load_book(rules_dir()), load_book(proposed)
    from_csv = compare(REGISTRY, *books, AS_OF, workers=1)
    from_parquet = compare(parquet, *books, AS_OF, workers=1)
    assert from_parquet.rows == from_csv.rows
    assert from_parquet.errors == from_csv.errors


def test_a_districts_local_standard_in_the_proposed_folder(tmp_path: Path) -> None:
    import yaml

    folder = tmp_path / "rules"
    shutil.copytree(rules_dir(), folder)
    table = yaml.safe_load((folder / "districts.yaml").read_text(encoding="utf-8"))
    standard = {"from": date(2019, 1, 1), "value": 1200, "document": "渝中人社发〔2020〕9号"}
    table["districts"]["渝中区"] = {"standards": {f"{BENEFIT}.monthly_amount": [standard]}}
    (folder / "districts.yaml").write_text(yaml.safe_dump(table, allow_unicode=True), encoding="utf-8")
    c = compare(REGISTRY, load_book(rules_dir()), load_book(folder), AS_OF, workers=1)
    rows = {r.district: r for r in c.rows if r.program == BENEFIT}
    assert (rows["渝中区"].cost_a, rows["渝中区"].cost_b) == (0, Decimal(1200 * 24))  # S01, 24 months
    assert (rows["渝中区"].unpriced_a, rows["渝中区"].unpriced_b) == (1, 0)
    assert (rows["江北区"].cost_b, rows["江北区"].unpriced_b) == (0, 1)  # no standard there
    assert all(r.gained == r.lost == 0 for r in c.rows)
    assert c.a.book.version == c.b.book.version and c.a.version != c.b.version  # the settings differ
    assert not c.unchanged


def test_a_templates_example_row_is_skipped_and_counted(tmp_path: Path) -> None:
    """As ``subsidy batch`` skips it: the example row of ``subsidy batch --template`` is neither
    compared nor reported as bad, and the summary counts it."""
    from engine.batch.layout import csv_text
    from engine.batch.template import template_rows
    from engine.screen.compare import summary

    header, example = template_rows("person")
    registry = tmp_path / "template.csv"
    registry.write_text(csv_text([header, example, ["C-001", *example[1:]]]), encoding="utf-8")
    book = load_book(rules_dir())
    c = compare(registry, book, book, AS_OF, workers=1)
    assert (c.decided, c.rejected, c.examples, c.errors) == (1, 0, 1, [])
    assert {r.people for r in c.rows} == {1}
    assert "名册读取 1 行：已评估 1 行，数据有误 0 行，模板示例行 1 行（已跳过）" in summary(c)


def test_a_row_the_engine_cannot_judge_is_reported_for_both_books(
    proposed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Judged row by row after a chunk fails, a row neither book could judge is an error row (the
    books count the same rows); the rest are compared as before."""
    from tests.test_screen import unjudgeable_for_s03

    before = compare(REGISTRY, load_book(rules_dir()), load_book(proposed), AS_OF, workers=1)
    unjudgeable_for_s03(monkeypatch)
    c = compare(REGISTRY, load_book(rules_dir()), load_book(proposed), AS_OF, workers=1)
    assert (c.decided, c.rejected) == (6, 2)
    assert [e[:2] for e in c.errors] == [["4", "S03"], ["7", "S06"]] and "OverflowError" in c.errors[0][3]
    people = {r.district: r.people for r in c.rows if r.program == BENEFIT}
    assert people == {**{r.district: r.people for r in before.rows if r.program == BENEFIT}, "江北区": 1}
    assert _rows(before, BENEFIT)["江北区"] == (1, 1, 0, 0, 1)
    assert _rows(c, BENEFIT) == {**_rows(before, BENEFIT), "江北区": (0, 0, 0, 0, 0)}  # S03 left out


@pytest.mark.parametrize("name", ["registry.csv", "rules/task55_unemployment_benefit.yaml"])
def test_the_results_never_overwrite_the_registry_or_a_rule_file(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(REGISTRY, tmp_path / "registry.csv")
    shutil.copytree(rules_dir(), tmp_path / "rules")
    target = tmp_path / name
    before = target.read_bytes()
    argv = ["compare", str(tmp_path / "registry.csv"), "--rules", str(tmp_path / "rules")]
    assert main([*argv, "--rules", str(rules_dir()), "-o", str(target), "--workers", "1"]) == 2
    assert "结果文件不能" in capsys.readouterr().err
    assert target.read_bytes() == before


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("impact.xlsx", "-o 应以 .csv 或 .parquet 结尾"),
        ("nodir/impact.csv", "输出目录不存在"),
        (".", "是一个文件夹"),
    ],
)
def test_an_output_it_cannot_write_is_refused_in_one_line(
    name: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["compare", str(REGISTRY), "--rules", str(rules_dir()), "--rules", str(rules_dir())]
    assert main([*argv, "-o", str(tmp_path / name), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert said in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_parquet_results_are_parquet(proposed: Path, tmp_path: Path) -> None:
    import polars as pl

    out = tmp_path / "impact.parquet"
    argv = ["compare", str(REGISTRY), "--rules", str(rules_dir()), "--rules", str(proposed)]
    assert main([*argv, "--as-of", "2020-09-15", "-o", str(out), "--workers", "1"]) == 0
    rows = pl.read_parquet(out).filter(pl.col("项目") == BENEFIT, pl.col("区县") == "渝中区")
    assert rows.select("新增符合", "新规则金额合计（元）").row(0) == ("1", "63000")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["-o", "rc.parquet"], "-o 应以 .csv 结尾"),
        (["--district", "火星区"], "没有这个区县：火星区"),
    ],
)
def test_recheck_refuses_before_opening_the_desk(
    argv: list[str],
    said: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Refused before the desk's database is opened (the database would be made in tmp_path)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUBSIDY_DATABASE_URL", f"sqlite:///{tmp_path / 'desk.db'}")
    monkeypatch.setenv("SUBSIDY_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SUBSIDY_SECRET_KEY", "x" * 40)
    assert main(["recheck", *argv]) == 2
    assert said in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_bad_rows_are_written_beside_the_results(
    proposed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "impact.csv"
    argv = ["compare", str(REGISTRY), "--rules", str(rules_dir()), "--rules", str(proposed)]
    assert main([*argv, "--as-of", "2020-09-15", "-o", str(out), "--workers", "1"]) == 0
    errors = tmp_path / "impact.errors.csv"
    assert f"数据有误 1 行（见 {errors}）" in capsys.readouterr().out
    with errors.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["行号", "案件编号", "列", "原因"]
    assert [r[:3] for r in rows[1:]] == [["7", "S06", "失业保险金起始日期"]]
    assert main([*argv, "--as-of", "2020-09-15", "--workers", "1"]) == 0
    assert "数据有误 1 行（加 --errors 有误行.csv 写出）" in capsys.readouterr().err


def test_an_amount_not_set_is_never_summed_as_zero(proposed: Path) -> None:
    """The shipped book leaves task 55's amount to the local standard: its sum is 未定 for those
    people, not 0 元, and the proposed book's sum is written with thousands separators."""
    from engine.screen.compare import summary

    c = compare(REGISTRY, load_book(rules_dir()), load_book(proposed), AS_OF, workers=1)
    line = next(x for x in summary(c).splitlines() if x.startswith("- 失业保险金"))
    assert line.endswith("；金额 未定（3 人按当地标准） → 90,000 元")
    assert "0 元 →" not in line


def test_ctrl_c_before_the_registry_is_read_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C while the rule books load (or polars imports) stops the command as later: 已中断."""
    import engine.screen.compare as module

    def interrupted(_: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "load_book", interrupted)
    assert main(["compare", str(REGISTRY), "--rules", str(rules_dir()), "--rules", str(rules_dir())]) == 130
    assert capsys.readouterr().err.strip() == "已中断。"


def test_a_full_disk_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno

    import engine.screen.compare as module

    out = tmp_path / "impact.csv"

    def full(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(out))

    monkeypatch.setattr(module, "write_table", full)
    argv = ["compare", str(REGISTRY), "--rules", str(rules_dir()), "--rules", str(rules_dir())]
    assert main([*argv, "-o", str(out), "--workers", "1", "--quiet"]) == 1
    assert capsys.readouterr().err.strip() == f"无法写入 {out}（磁盘空间不足）"
