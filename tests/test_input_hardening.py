"""Issue 16, input hardening: each finding as a test that failed before its fix.

Out-of-range dates, dates as Excel and WPS write them, bad JSON shapes, refused files with their
real reasons, control characters and spreadsheet formulas in what the product writes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from engine.batch.layout import csv_text
from engine.calendar import add_months, full_months
from engine.cli import main
from engine.errors import describe
from engine.evaluate import evaluate
from engine.idcard import check_char
from engine.models import parse_case
from engine.values import parse_date

AS_OF = date(2020, 9, 15)
ROOT = Path(__file__).resolve().parent.parent


def refusals(data: object, as_of: date | None = AS_OF) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as err:
        parse_case(data, as_of)
    return [(e.field, e.message) for e in describe(err.value)]


def id_number(birth: str, seq: str = "011") -> str:
    first17 = f"500101{birth}{seq}"
    return first17 + check_char(first17)


# --- one date reader --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["2019-09-01", "2019-9-1", "2019/9/1", "2019.9.1", "2019年9月1日", "20190901", "２０１９－０９－０１"],
)
def test_the_dates_excel_and_wps_write_are_one_date(text: str) -> None:
    assert parse_date(text) == date(2019, 9, 1)
    case = parse_case({"person": {"ui_benefit_end_date": text}})
    assert case.person.ui_benefit_end_date == date(2019, 9, 1)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (0, "数字不是日期"),
        (86400, "数字不是日期"),
        ("0", "日期格式应为"),
        ("86400", "日期格式应为"),
        ("01/09/2019", "日期格式应为"),  # day or month first: ambiguous
        ("2019-09-01T10:00:00", "日期格式应为"),
        ("20201331", "没有这一天"),
        ("9998-01-01", "日期应在 1900-01-01 至 2199-12-31 之间"),
        ("0001-01-01", "日期应在 1900-01-01 至 2199-12-31 之间"),
    ],
)
def test_a_number_or_an_odd_form_is_never_a_date(value: object, says: str) -> None:
    [(field, message)] = refusals({"person": {"ui_benefit_start_date": value}})
    assert field == "person.ui_benefit_start_date"
    assert says in message


# --- out-of-range dates: refused in Chinese, never a traceback --------------------------------


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ({"kind": "enterprise", "hire": {"contract_end_date": "9999-12-31"}}, "hire.contract_end_date"),
        ({"kind": "enterprise", "enterprise": {"layoff_date": "0001-01-01"}}, "enterprise.layoff_date"),
        ({"person": {"birth_date": "9999-01-01", "sex": "male"}}, "person.birth_date"),
        ({"person": {"birth_date": "0001-01-01", "sex": "male"}}, "person.birth_date"),
        ({"person": {"ui_benefit_start_date": "9998-06-01"}}, "person.ui_benefit_start_date"),
        ({"person": {"birth_date": "2029-01-01"}}, "person.birth_date"),  # after the evaluation date
        ({"person": {"id_number": id_number("20290101")}}, "person.id_number"),
    ],
)
def test_impossible_dates_are_refused_on_their_field(case: dict, field: str) -> None:
    assert [f for f, _ in refusals(case)] == [field]


def test_no_end_date_as_9999_points_to_the_open_ended_flag() -> None:
    [(_, message)] = refusals({"kind": "enterprise", "hire": {"contract_end_date": "9999-12-31"}})
    assert "无固定期限劳动合同" in message


def test_date_arithmetic_past_year_9999_saturates() -> None:
    assert add_months(date(9999, 12, 31), 1) == date.max
    assert add_months(date(1, 1, 1), -1) == date.min
    assert full_months(date(1, 1, 31), date(9999, 12, 31)) == 9998 * 12 + 11


def test_the_evaluation_date_bounds_the_birth_date_only_when_given() -> None:
    assert parse_case({"person": {"birth_date": "2029-01-01"}}).person.birth_date == date(2029, 1, 1)


# --- JSON shapes and values: Chinese, naming the field ------------------------------------------


@pytest.mark.parametrize("data", [[], None, 3, "person"])
def test_a_case_that_is_not_an_object_is_refused_in_chinese(data: object) -> None:
    [(field, message)] = refusals(data)
    assert field == "" and message.startswith("应为一组字段")


@pytest.mark.parametrize(
    ("value", "says"), [(float("nan"), "有限的数字"), (float("inf"), "有限的数字"), (1e308, "数字过大")]
)
def test_non_finite_and_huge_numbers_are_refused_in_chinese(value: float, says: str) -> None:
    errors = refusals({"kind": "enterprise", "enterprise": {"staff_count": value}})
    assert errors == [("enterprise.staff_count", errors[0][1])] and says in errors[0][1]


def test_options_are_listed_with_their_chinese_words() -> None:
    assert refusals({"person": {"sex": "M"}}) == [("person.sex", "应为以下之一：male（男）、female（女）")]


@pytest.mark.parametrize(("word", "value"), [("是", True), ("否", False), ("yes", True), (True, True)])
def test_yes_and_no_are_the_same_words_everywhere(word: object, value: bool) -> None:
    assert parse_case({"person": {"employed": word}}).person.employed is value


@pytest.mark.parametrize("word", [1, 0, "maybe", 2.5])
def test_anything_else_is_not_yes_or_no(word: object) -> None:
    assert refusals({"person": {"employed": word}}) == [("person.employed", "应为“是”或“否”")]


# ... and the characters that do not show, which make two numbers look the same (H-1)
HIDDEN_IN_CASE_NUMBERS = ["A\x1b[2K\r符合", "B\x00", "C\u202e1", "H-\u200b1", "\ufeffH-1", "H\xad-1"]


@pytest.mark.parametrize("case_id", HIDDEN_IN_CASE_NUMBERS)
def test_control_characters_in_a_case_number_are_refused(case_id: str) -> None:
    [(field, message)] = refusals({"case_id": case_id})
    assert field == "case_id" and "控制字符" in message


# --- the command -------------------------------------------------------------------------------


COMMAND = [sys.executable, "-c", "import sys; from engine.cli import main; sys.exit(main())"]


def test_evaluate_refuses_a_directory_and_deep_json_without_a_traceback(tmp_path: Path, capsys) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 10_000 + "]" * 10_000)
    for path, says in ((tmp_path, "是一个文件夹"), (deep, "嵌套层数过多")):
        assert main(["evaluate", str(path), "--as-of", "2020-09-15"]) == 2
        assert says in capsys.readouterr().err


def test_evaluate_refuses_no_end_date_9999_with_exit_2(tmp_path: Path, capsys) -> None:
    case = tmp_path / "c.json"
    case.write_text(json.dumps({"kind": "enterprise", "hire": {"contract_end_date": "9999-12-31"}}))
    assert main(["evaluate", str(case), "--as-of", "2020/9/15"]) == 2
    assert "hire.contract_end_date" in capsys.readouterr().err


def test_a_closed_pipe_is_no_traceback() -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line (``subsidy rules | head -0``)
    with os.fdopen(write, "w") as stdout:
        out = subprocess.run([*COMMAND, "rules"], cwd=ROOT, stdout=stdout, stderr=subprocess.PIPE, text=True)
    assert out.returncode == 141
    assert out.stderr == ""


def test_rules_in_english(capsys) -> None:
    assert main(["rules", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert (
        "Task  1  [Municipal Human Resources and Social Security Bureau]  encoded: task1_job_retention_refund"
        in out
    )
    assert "未编码" not in out and "已编码" not in out
    assert main(["rules", "show", "task55_unemployment_benefit", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "None" not in out and "set by local standard" in out


# --- the batch ------------------------------------------------------------------------------


HAN = re.compile(r"[\u4e00-\u9fff]")  # Chinese characters, none in an English message


def batch(tmp_path: Path, source: Path, *extra: str) -> tuple[int, Path, Path]:
    out = tmp_path / "out.csv"
    code = main(
        ["batch", str(source), "-o", str(out), "--as-of", "2020-09-15", "--quiet", "--workers", "1", *extra]
    )
    return code, out, tmp_path / "out.errors.csv"


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


def test_errors_file_may_not_be_the_registry_or_the_results(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("出生日期\n1960-01-01\n", encoding="utf-8")
    before = source.read_bytes()
    assert batch(tmp_path, source, "--errors", str(source))[0] == 2
    assert source.read_bytes() == before
    out = tmp_path / "out.csv"
    assert batch(tmp_path, source, "--errors", str(out))[0] == 2
    assert not out.exists()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_damaged_checkpoint_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str):
    source = tmp_path / "in.csv"
    source.write_text("出生日期\n1960-01-01\n", encoding="utf-8")
    damaged = {"options": {"as_of": "2020-09-15"}, "offset": "abc", "line": 2, "out_bytes": 0, "err_bytes": 0}
    (tmp_path / "out.csv.checkpoint").write_text(json.dumps(damaged))
    assert batch(tmp_path, source, "--resume", "--lang", lang)[0] == 2
    err = capsys.readouterr().err
    assert ("检查点文件" in err and "应为非负整数" in err) if lang == "zh" else "offset should be" in err
    (tmp_path / "out.csv.checkpoint").write_text("{not json")
    assert batch(tmp_path, source, "--resume", "--lang", lang)[0] == 2
    err = capsys.readouterr().err
    assert "Expecting" not in err and ("已损坏" in err if lang == "zh" else "is damaged" in err)
    if lang == "en":
        assert not HAN.search(err)


def test_date_cells_numbers_and_excel_forms(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    cells = ["0", "86400", "20201031", "2019/9/1", "2019年9月1日", "20190901", "9999-12-31"]
    source.write_text(
        "案件编号,失业保险金期满日期\n" + "".join(f"R{i},{c}\n" for i, c in enumerate(cells)), "utf-8"
    )
    code, out, errors = batch(tmp_path, source)
    assert code == 0
    assert [r[0] for r in rows(out)[1:]] == ["R2", "R3", "R4", "R5"]
    refused = {r[1]: r[3] for r in rows(errors)[1:]}
    assert set(refused) == {"R0", "R1", "R6"}
    assert all("日期" in reason and "Input" not in reason for reason in refused.values())


@pytest.mark.parametrize(
    ("content", "says", "in_english"),
    [
        ("出生日期,性别\r\n1960-01-01,男\r\n".encode("utf-16-le"), "UTF-16", "UTF-16"),
        ("出生日期,性别\r1960-01-01,男\r".encode(), "CR", "end in CR alone"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "Excel 工作簿", "an Excel workbook"),
        (b"\xef\xbb\xbf", "文件是空的", "The file is empty"),
        ("出生日期\r,性别\n1960-01-01,男\n".encode(), "单独的回车符", "a carriage return (CR) alone"),
        ("案件编号,案件编号\n1,2\n".encode(), "列名重复", "A repeated column name"),
        ("出生日期,出生日期\n1960-01-01,1960-01-01\n".encode(), "同一个字段", "are the same field"),
    ],
    ids=["utf16-no-bom", "cr-only", "xlsx", "bom-only", "lone-cr-in-header", "repeated-header", "same-field"],
)
def test_refused_files_get_their_real_reason_in_the_language_asked(
    tmp_path: Path, content: bytes, says: str, in_english: str, capsys
) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(content)
    assert batch(tmp_path, source)[0] == 2
    err = capsys.readouterr().err
    assert says in err and "\ufffd" not in err
    assert batch(tmp_path, source, "--lang", "en")[0] == 2
    err = capsys.readouterr().err
    assert in_english in err
    assert not HAN.search(re.sub("“[^”]*”", "", err))  # Chinese only in the file's own names, quoted


def test_a_long_unquoted_line_is_long_not_a_quote_problem(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("姓名\n" + "x" * (csv.field_size_limit() + 10) + "\n张三\n", "utf-8")
    code, out, errors = batch(tmp_path, source)
    assert code == 0 and len(rows(out)) == 2
    [[line, _, _, reason]] = rows(errors)[1:]
    assert line == "2" and "字段过长" in reason and "引号" not in reason


def test_a_case_number_with_a_character_that_does_not_show_is_refused_in_a_registry(tmp_path: Path) -> None:
    """The registry's rows are read as the models read a case: H-1 with a zero-width space in it is
    not taken as a second H-1 (the desk refuses it too)."""
    source = tmp_path / "in.csv"
    source.write_text("案件编号,出生日期\nH-1,1960-01-01\nH-\u200b1,1960-01-01\n", "utf-8")
    code, out, errors = batch(tmp_path, source)
    assert code == 0 and [r[0] for r in rows(out)[1:]] == ["H-1"]
    [[line, _, _, reason]] = rows(errors)[1:]
    assert line == "3" and "零宽空格" in reason


def test_control_characters_never_reach_the_output(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes('案件编号,出生日期\n"A\x00\x1b[2K",1960-01-01\n'.encode())
    code, _, errors = batch(tmp_path, source)
    assert code == 0
    assert b"\x00" not in errors.read_bytes() and b"\x1b" not in errors.read_bytes()
    assert "控制字符" in rows(errors)[1][3]


def test_formula_cells_are_neutralised_in_every_csv(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    ids = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3"]
    quoted = csv_text([[x] for x in ids]).splitlines()
    lines = [f"{i},{d}" for i, d in zip(quoted, ["1960-01-01", "x"] * 2, strict=True)]
    source.write_text("案件编号,出生日期\n" + "\n".join(lines) + "\n", "utf-8")
    code, out, errors = batch(tmp_path, source)
    assert code == 0
    written = [r[0] for r in rows(out)[1:]] + [r[1] for r in rows(errors)[1:]]
    assert sorted(written) == sorted("'" + x for x in ids)
    assert csv_text([["=1+1", "a"]]) == "'=1+1,a\r\n"


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_row_the_engine_cannot_judge_is_reported_and_the_run_finishes(
    tmp_path: Path, monkeypatch, suffix: str
) -> None:
    """A chunk the columnar evaluator cannot judge is judged row by row: the one row it cannot
    judge is reported on its own error row, the others are decided."""
    import polars as pl

    from engine.columnar import judged

    real = judged.judge_table

    def judge_table(judge, table, *args):  # a bug that only one case triggers
        born = table.cols["person.birth_date"]
        if (born.valid & (born.values == date(1960, 1, 2).toordinal())).any():
            raise OverflowError("date value out of range")
        return real(judge, table, *args)

    monkeypatch.setattr(judged, "judge_table", judge_table)
    source = tmp_path / "in.csv"
    source.write_text("案件编号,出生日期\nA,1960-01-01\nBUG,1960-01-02\nC,1960-01-01\n", "utf-8")
    if suffix == "parquet":
        pl.read_csv(source, infer_schema=False).write_parquet(tmp_path / "in.parquet")
        source = tmp_path / "in.parquet"
    code, out, errors = batch(tmp_path, source)
    assert code == 0
    assert [r[0] for r in rows(out)[1:]] == ["A", "C"]
    [[line, case_id, _, reason]] = rows(errors)[1:]
    assert (line, case_id) == ("3", "BUG") and "OverflowError" in reason


# --- the form and the API -------------------------------------------------------------------


def test_the_form_reports_every_field_error_at_once() -> None:
    from web.cases.fields import person_form
    from web.cases.forms import read

    bad_id = id_number("19600101")[:-1] + ("0" if id_number("19600101")[-1] != "0" else "1")
    sub = read(person_form(), {"as_of": "2020-13-01", "person.id_number": bad_id, "person.birth_date": "0"})
    assert set(sub.errors) == {"as_of", "person.id_number", "person.birth_date"}
    assert sub.case is None


def test_the_form_takes_the_same_date_forms_and_bounds_the_birth() -> None:
    from web.cases.fields import person_form
    from web.cases.forms import read

    sub = read(person_form(), {"as_of": "2020年9月15日", "person.birth_date": "2021/1/1"})
    assert sub.as_of == AS_OF
    assert sub.errors == {"person.birth_date": ["晚于评估日期 2020-09-15"]}
    ok = read(person_form(), {"as_of": "20200915", "person.birth_date": "1960/1/1"})
    assert ok.ok and ok.case is not None and ok.case.person.birth_date == date(1960, 1, 1)


def test_evaluate_library_call_stays_in_range() -> None:
    # The published evaluation of a case at the edges of the accepted range: no overflow.
    case = parse_case(
        {"person": {"birth_date": "1900-01-01", "sex": "male", "ui_benefit_end_date": "2199-12-31"}}
    )
    assert evaluate(case, date(2199, 12, 31)).case_id is None


# --- a newcomer's rough edges ----------------------------------------------------------------


def test_an_unsupported_python_gets_one_line() -> None:
    from engine import unsupported_python

    assert unsupported_python((3, 11, 7)) is None and unsupported_python((3, 12, 0)) is None
    for version in ((3, 13, 0), (3, 10, 14)):
        reason = unsupported_python(version)
        assert reason is not None and "\n" not in reason and "3.11 或 3.12" in reason


def test_pyproject_states_the_supported_pythons() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["requires-python"] == ">=3.11,<3.13"


def test_make_registry_runs_with_the_plain_system_python(tmp_path: Path) -> None:
    # -I: no site-packages of the venv, no PYTHONPATH: what `python3 bench/make_registry.py` sees.
    base = getattr(sys, "_base_executable", sys.executable)
    out = tmp_path / "r.csv"
    done = subprocess.run(
        [base, "-I", "bench/make_registry.py", str(out), "--rows", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert len(out.read_text("utf-8-sig").splitlines()) == 6


@pytest.mark.parametrize("written", ["1_000", "１２", "1e3", "٣", "NaN", "Infinity"])
@pytest.mark.parametrize(
    ("case", "field"),
    [
        (lambda v: {"person": {"ui_contribution_months": v}}, "person.ui_contribution_months"),
        (
            lambda v: {"kind": "enterprise", "enterprise": {"prior_year_ui_contributions": v}},
            "enterprise.prior_year_ui_contributions",
        ),
    ],
)
def test_a_number_is_written_plainly_not_in_pythons_own_forms(written: str, case, field: str) -> None:
    [(where, message)] = refusals(case(written))
    assert where == field and "普通数字" in message


def test_a_plain_number_with_spaces_or_a_sign_still_reads() -> None:
    assert parse_case({"person": {"ui_contribution_months": " 12 "}}).person.ui_contribution_months == 12
    [(_, message)] = refusals({"person": {"ui_contribution_months": "十二"}})
    assert message == "应为整数"  # text that is no number keeps pydantic's own refusal


# --- the rule book and the district table a command loads --------------------------------------


def rules_with(folder: Path, name: str, make) -> Path:
    """A copy of rules/ with ``make`` applied to ``name`` in it."""
    shutil.copytree(ROOT / "rules", folder)
    make(folder / name)
    return folder


MINIMUM = "      1999-01-22: 12"  # task 55's minimum contribution, in force from that day
MINIMUM_LINE = (ROOT / "rules/task55_unemployment_benefit.yaml").read_text(
    encoding="utf-8"
).splitlines().index(MINIMUM) + 1


def infinite(path: Path) -> None:
    """Task 55's minimum contribution (line ``MINIMUM_LINE``) made infinite."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(MINIMUM + "\n", "      1999-01-22: .inf\n", 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("setting", "argv", "says"),
    [
        (
            ("SUBSIDY_DISTRICTS_FILE", lambda tmp: tmp / "none.yaml"),
            ["evaluate", "samples/person-near-retirement.json"],
            "SUBSIDY_DISTRICTS_FILE：找不到文件：",
        ),
        (
            ("SUBSIDY_DISTRICTS_FILE", lambda tmp: tmp / "none.yaml"),
            [
                "evaluate",
                "samples/enterprise-hiring.json",
                "--program",
                "task23_one_off_hiring_subsidy",
                "--lang",
                "en",
            ],
            "SUBSIDY_DISTRICTS_FILE: No such file: ",
        ),
        (
            ("SUBSIDY_RULES_DIR", lambda tmp: rules_with(tmp / "r", "task99_x.yaml", Path.mkdir)),
            ["rules", "show", "task55_unemployment_benefit"],
            "task99_x.yaml 是一个文件夹，不是 YAML 文件",
        ),
        (
            (
                "SUBSIDY_RULES_DIR",
                lambda tmp: rules_with(tmp / "r", "task99_x.yaml", lambda p: p.symlink_to("gone")),
            ),
            ["rules", "--lang", "en"],
            "task99_x.yaml is a broken link",
        ),
        (
            (
                "SUBSIDY_RULES_DIR",
                lambda tmp: rules_with(tmp / "r", "task55_unemployment_benefit.yaml", infinite),
            ),
            ["evaluate", "samples/person-near-retirement.json", "--lang", "en"],
            f"benefit.yaml:{MINIMUM_LINE}: parameters.min_contribution_months.values.1999-01-22: a finite",
        ),
    ],
)
def test_a_bad_rule_book_or_district_table_is_one_line(tmp_path: Path, setting, argv, says) -> None:
    name, make = setting
    env = {**os.environ, name: str(make(tmp_path))}
    out = subprocess.run([*COMMAND, *argv], cwd=ROOT, env=env, capture_output=True, text=True)
    assert (out.returncode, out.stdout) == (2, "")
    assert says in out.stderr and out.stderr.count("\n") == 1


def test_compare_refuses_a_folder_with_a_malformed_district_table(tmp_path: Path, capsys) -> None:
    folder = rules_with(
        tmp_path / "r", "districts.yaml", lambda p: p.write_text("terms: [\n", encoding="utf-8")
    )
    registry = ROOT / "tests/data/screen/registry.csv"
    argv = ["compare", str(registry), "--rules", str(ROOT / "rules"), "--rules", str(folder), "--quiet"]
    assert main([*argv, "-o", str(tmp_path / "x.csv")]) == 2
    assert "districts.yaml：第2行第1列：不是有效的 YAML" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
