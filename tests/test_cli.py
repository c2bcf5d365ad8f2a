"""The `subsidy` command as a caseworker runs it: real processes, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from engine.cli import main
from engine.schema import SCHEMA_ID, decision_schema

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "subsidy"


Completed = subprocess.CompletedProcess[str]
HAN = re.compile(r"[\u4e00-\u9fff]")  # Chinese characters, none in an English message


def run(*args: str, env: dict[str, str] | None = None, stdout: Any = subprocess.PIPE) -> Completed:
    """Run the installed `subsidy` script (or the same entry point) from the project folder."""
    if SCRIPT.exists():
        command = [str(SCRIPT), *args]
    else:
        command = [sys.executable, "-c", "import sys; from engine.cli import main; sys.exit(main())", *args]
    return subprocess.run(
        command,
        cwd=ROOT,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_evaluate_prints_decisions_in_chinese():
    out = run("evaluate", "samples/person-near-retirement.json", "--as-of", "2020-09-15")
    assert out.returncode == 0, out.stderr
    assert "评估日期：2020-09-15" in out.stdout
    assert "案件：SAMPLE-P-001" in out.stdout
    assert "【符合】失业保险金继续发放至法定退休年龄（任务55；牵头单位：市人力社保局）" in out.stdout
    assert "法定退休日期（发放至） 2021-03-10" in out.stdout
    assert "【不符合】低保渐退" in out.stdout
    assert out.stdout.index("【符合】") < out.stdout.index("【不符合】")  # eligible programs first


def test_evaluate_json_is_the_published_schema():
    out = run("evaluate", "samples/person-near-retirement.json", "--as-of", "2020-09-15", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    validator = Draft202012Validator(decision_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert [e.message for e in validator.iter_errors(data)] == []
    assert data["as_of"] == "2020-09-15"
    statuses = {d["program"]: d["status"] for d in data["decisions"]}
    assert statuses["task55_benefit_to_retirement"] == "eligible"
    assert statuses["task59_dibao_gradual_exit"] == "not_eligible"


def test_evaluate_an_enterprise_case_in_english():
    out = run("evaluate", "samples/enterprise-hiring.json", "--as-of", "2020-09-15", "--lang", "en")
    assert out.returncode == 0, out.stderr
    # The shipped district table declares nothing: the subsidy waits on 渝中区's declaration, asked of
    # the district's bureau, never assumed (rules/districts.yaml).
    assert "【NEEDS INFORMATION】One-off subsidy for hiring a registered unemployed person" in out.stdout
    assert "渝中区 has not declared: The district offers the one-off hiring subsidy" in out.stdout


def test_a_district_declaration_decides_the_hiring_subsidy(tmp_path: Path):
    table = (ROOT / "rules/districts.yaml").read_text(encoding="utf-8")
    declared = (
        "  渝中区:\n    offers_hiring_subsidy:\n      - {from: 2020-01-01, value: true, document: 示例}\n"
    )
    path = tmp_path / "districts.yaml"
    path.write_text(table.replace("  渝中区: {}\n", declared), encoding="utf-8")
    out = run(
        "evaluate",
        "samples/enterprise-hiring.json",
        "--as-of",
        "2020-09-15",
        "--lang",
        "en",
        env={"SUBSIDY_DISTRICTS_FILE": str(path)},
    )
    assert out.returncode == 0, out.stderr
    assert "【ELIGIBLE】One-off subsidy for hiring a registered unemployed person" in out.stdout


@pytest.fixture
def bad_case(tmp_path: Path) -> Path:
    path = tmp_path / "bad.json"
    person = {"birth_date": "1990-13-01", "ui_contribution_months": "十二", "sex": "man", "shoe_size": 42}
    path.write_text(json.dumps({"kind": "person", "person": person}, ensure_ascii=False), "utf-8")
    return path


def test_a_bad_case_file_names_each_field_in_chinese(bad_case: Path):
    out = run("evaluate", str(bad_case), "--as-of", "2020-09-15")
    assert out.returncode == 2
    assert out.stdout == ""
    assert "案件数据有误，请更正以下字段" in out.stderr
    assert "申请人·出生日期（person.birth_date）：没有这一天：1990年13月1日" in out.stderr
    assert "申请人·失业保险累计缴费月数（person.ui_contribution_months）：应为整数" in out.stderr
    assert "申请人·性别（person.sex）：应为以下之一" in out.stderr
    assert "shoe_size" in out.stderr and "不认识的字段" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"kind": "person", "person": {"id_number": "11010519491231002Y"}}', "末位为数字或X"),
        ('{"kind": "person", "person": {"id_number": "110105194912310021"}}', "校验位错误（应为 X）"),
        (
            '{"kind": "person", "person": {"id_number": "11010519491231002X", "birth_date": "1949-12-30"}}',
            "出生日期（person.birth_date）：与身份证号码中的出生日期 1949-12-31 不一致",
        ),
        ('{"kind": "robot"}', "案件类型应为 person（个人）或 enterprise（单位）"),
        ("not json", "不是有效的 JSON：第1行第1列这里应有一个值"),
    ],
)
def test_other_bad_files_are_refused_without_a_traceback(tmp_path: Path, content: str, message: str):
    path = tmp_path / "case.json"
    path.write_text(content, "utf-8")
    out = run("evaluate", str(path), "--as-of", "2020-09-15")
    assert out.returncode == 2
    assert message in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_a_missing_case_file_is_refused():
    out = run("evaluate", "samples/no-such-case.json")
    assert out.returncode == 2
    assert "找不到案件文件" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_bad_evaluation_date_is_refused():
    out = run("evaluate", "samples/person-near-retirement.json", "--as-of", "2020-13-01")
    assert out.returncode == 2
    assert "评估日期：没有这一天：2020年13月1日" in out.stderr


def test_rules_lists_the_catalog():
    out = run("rules")
    assert out.returncode == 0, out.stderr
    tasks = {}
    for line in out.stdout.splitlines():
        if line.strip().startswith("任务"):
            number = int(line.split()[0].removeprefix("任务") or line.split()[1])
            tasks[number] = line
    assert sorted(tasks) == list(range(1, 67))
    assert "task23_one_off_hiring_subsidy" in tasks[23]
    assert "task55_benefit_to_retirement" in tasks[55] and "task55_unemployment_benefit" in tasks[55]
    assert "已编码" not in tasks[2]


def test_rules_show_one_program():
    out = run("rules", "show", "task23_one_off_hiring_subsidy")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("一次性吸纳就业补贴  [task23_one_off_hiring_subsidy]")
    assert "通知原文：对企业吸纳登记失业半年以上人员就业" in out.stdout
    assert "实施期限：2020-01-01 ~ 2020-12-31（按招用日期判断）" in out.stdout
    assert "[hire.unemployed_months_at_hire >= {min_registered_months}]" in out.stdout
    assert "满足时：所在区县实施一次性吸纳就业补贴；不满足时：所在区县未实施一次性吸纳就业补贴" in out.stdout
    assert "2020-01-01 起：按当地标准" in out.stdout


def test_rules_show_an_unknown_program():
    out = run("rules", "show", "task99_nothing")
    assert out.returncode == 2
    assert "没有这个项目：task99_nothing" in out.stderr
    out = run("rules", "show", "task99_nothing", "--lang", "en")
    assert out.returncode == 2 and out.stderr.startswith("No such program: task99_nothing")


def test_schema_prints_the_published_schema():
    out = run("schema")
    assert out.returncode == 0, out.stderr
    schema = json.loads(out.stdout)
    assert schema == json.loads(json.dumps(decision_schema()))
    assert schema["$id"] == SCHEMA_ID
    Draft202012Validator.check_schema(schema)
    assert {"decisions", "as_of", "rules_version"} <= set(schema["required"])


def test_version():
    out = run("--version")
    assert out.returncode == 0 and out.stdout.startswith("subsidy 0.")


OUTPUTS = [
    ["evaluate", "samples/person-near-retirement.json"],
    ["rules"],
    ["schema"],
    ["batch", "--template"],
    ["--help"],
    ["--version"],
]


@pytest.mark.parametrize("args", OUTPUTS, ids=" ".join)
def test_an_output_that_cannot_be_written_is_said_in_one_line(args: list[str]):
    """A full disk (here /dev/full) is the command's one line on stderr, in the language asked."""
    with open("/dev/full", "w") as full:
        out = run(*args, stdout=full)
        assert out.returncode == 1 and out.stderr == "无法写出结果（磁盘空间不足）\n"
        if args not in (["schema"], ["--version"]):  # the ones without --lang
            out = run(*args, "--lang", "en", stdout=full)
            assert (
                out.returncode == 1 and out.stderr == "Cannot write the output (no room left on the disk)\n"
            )


@pytest.mark.parametrize("args", OUTPUTS, ids=" ".join)
def test_a_reader_that_went_away_is_no_error(args: list[str]):
    """``subsidy rules | head``: quiet, and the exit status of a process ended by SIGPIPE."""
    read, write = os.pipe()
    os.close(read)
    try:
        out = run(*args, stdout=write)
    finally:
        os.close(write)
    assert out.returncode == 141 and out.stderr == ""


def test_argparse_speaks_chinese():
    out = run("batch", "--no-such-option")
    assert out.returncode == 2
    assert "用法：subsidy" in out.stderr and "不认识的参数：--no-such-option" in out.stderr
    assert "usage:" not in out.stderr and "unrecognized" not in out.stderr
    helped = run("evaluate", "-h")
    assert "显示本帮助并退出" in helped.stdout and "show this help" not in helped.stdout


@pytest.mark.parametrize(
    ("args", "zh", "en"),
    [
        (["--as-of", "2020-13-01"], "评估日期：没有这一天：2020年13月1日", "evaluation date: no such day"),
        (["--workers", "0"], "参数 --workers：应为正整数：0", "argument --workers: a whole number from 1"),
        (["--bogus"], "不认识的参数：--bogus", "unrecognized arguments: --bogus"),
    ],
    ids=["a date that does not exist", "no workers", "an unknown option"],
)
def test_argument_errors_come_in_the_language_asked(tmp_path: Path, args: list[str], zh: str, en: str):
    """argparse's words and the argument checks' follow ``--lang`` (read before argparse reads it)."""
    base = ["batch", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv")]
    chinese = run(*base, *args)
    assert chinese.returncode == 2 and zh in chinese.stderr and "用法：subsidy" in chinese.stderr
    for lang in (["--lang", "en"], ["--lang=en"]):
        english = run(*base, *args, *lang)
        assert english.returncode == 2 and "usage: subsidy" in english.stderr and en in english.stderr
        assert not HAN.search(english.stderr)


@pytest.mark.parametrize("command", ["batch", "evaluate", "rules"])
def test_the_help_of_a_command_with_lang_is_english_when_asked(command: str):
    """The commands that take --lang describe themselves in English when asked: no Chinese on the
    page (the Chinese page is the default)."""
    page = run(command, "-h", "--lang", "en")
    assert page.returncode == 0 and "usage: subsidy " + command in page.stdout and "options:" in page.stdout
    assert not HAN.search(page.stdout)
    assert HAN.search(run(command, "-h").stdout)


def test_the_list_of_commands_is_english_when_asked():
    """Every command's summary on ``subsidy --help --lang en``: Chinese only in the notice's number."""
    page = run("--help", "--lang", "en")
    assert page.returncode == 0 and "usage: subsidy" in page.stdout
    chinese = [line for line in page.stdout.splitlines() if HAN.search(line)]
    assert chinese == ["Eligibility rules for Chongqing's 2020 stable-employment notice (其他〔2020〕4号)"]


@pytest.mark.parametrize("command", ["schema", "serve", "db", "create-admin", "create-user", "create-token"])
def test_a_help_page_asked_in_english_is_english_throughout(command: str):
    """A command without a language of its own still describes itself in the language its help was
    asked in: argparse's words and ours alike."""
    page = run(command, "-h", "--lang", "en")
    assert page.returncode == 0 and "usage: subsidy " + command in page.stdout and "options:" in page.stdout
    assert not HAN.search(page.stdout)


def test_every_help_page_is_chinese(monkeypatch):
    """argparse words most of its own parts of a help page (headings, -h) through gettext, and each
    text it asks for is in the table; a text it never asks for (``--version``'s help before Python
    3.12) is given in Chinese where the argument is made. No page has an English phrase left."""
    import argparse

    from engine import argparse_zh
    from engine.cli import build_parser

    monkeypatch.setattr(argparse, "_", argparse._)  # restored after the test, as install changes it
    monkeypatch.setattr(argparse, "ngettext", argparse.ngettext)
    asked: list[str] = []
    words = argparse_zh._gettext
    monkeypatch.setattr(argparse_zh, "_gettext", lambda text: asked.append(text) or words(text))
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    pages = [parser.format_help(), *(command.format_help() for command in commands.choices.values())]
    assert len(pages) > 10 and asked
    assert sorted({text for text in asked if text not in argparse_zh.ZH}) == []
    english = [re.search(r"[a-z']+ [a-z']+ [a-z']+", page) for page in pages]  # what gettext never sees
    assert [found.group() for found in english if found] == []
    unexplained = [
        f"{name} {a.option_strings[0] if a.option_strings else a.dest}"
        for name, command in commands.choices.items()
        for a in command._actions
        if not a.help
    ]
    assert unexplained == []  # every argument says what it is for


@pytest.mark.parametrize(
    ("content", "words", "english", "library"),
    [
        (
            b'{"kind": "person",}',
            "第1行第19列应为用英文双引号括起的字段名",
            "line 1, column 19: a field name in double quotes was expected",
            "Expecting property name",
        ),
        (b'{"kind": "person"', "第1行第18列缺少逗号", "line 1, column 18: a comma is missing", "delimiter"),
        (b"\xff\xfe{}", "不是 UTF-8 编码的文本", "not UTF-8 text", "codec"),
        (
            b'{"kind": "person", "person": {"birth_date": "9999-12-31"}}',
            "申请人·出生日期（person.birth_date）：日期应在 1900-01-01 至 2199-12-31 之间",
            "person.birth_date: a date between 1900-01-01 and 2199-12-31",
            "Value error",
        ),
        (
            b'{"kind": "person", "shoe_size": ' + b"9" * 5000 + b"}",
            "不是有效的 JSON：有一个数字超过 4300 位",
            "not valid JSON: a number has more than 4300 digits",
            "integer string conversion",
        ),
    ],
    ids=["a trailing comma", "no closing brace", "not UTF-8", "a field out of range", "a number too long"],
)
def test_a_damaged_case_file_is_described_in_our_words_in_the_language_asked(
    tmp_path: Path, content: bytes, words: str, english: str, library: str
):
    path = tmp_path / "case.json"
    path.write_bytes(content)
    out = run("evaluate", str(path))
    assert out.returncode == 2
    assert words in out.stderr and library not in out.stderr
    out = run("evaluate", str(path), "--lang", "en")
    assert out.returncode == 2
    assert english in out.stderr and library not in out.stderr
    assert not HAN.search(out.stderr)


def test_a_bad_district_option_is_the_option_at_fault():
    out = run("evaluate", "samples/person-near-retirement.json", "--district", "渝中")
    assert out.returncode == 2
    assert out.stderr.startswith("--district：没有“渝中”这个区县（是否指 渝中区？）")
    assert "案件数据有误" not in out.stderr
    out = run("evaluate", "samples/person-near-retirement.json", "--district", "渝中", "--lang", "en")
    assert out.returncode == 2
    assert out.stderr.startswith("--district: there is no district “渝中” (did you mean 渝中区?)")


def test_json_true_is_not_a_number_of_months(tmp_path: Path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"kind": "person", "person": {"ui_contribution_months": True}}))
    out = run("evaluate", str(path))
    assert out.returncode == 2
    assert "失业保险累计缴费月数" in out.stderr and "应为数字" in out.stderr


def test_rules_in_english_name_parts_and_units_in_english():
    out = run("rules", "--lang", "en")
    assert out.returncode == 0
    first = out.stdout.splitlines()[:2]
    assert first[0] == "I. Supporting enterprises in keeping jobs"
    assert "[Municipal Human Resources and Social Security Bureau]" in first[1]
    shown = run("rules", "show", "task55_unemployment_benefit", "--lang", "en").stdout
    assert "Lead: Municipal Human Resources and Social Security Bureau" in shown


def test_every_part_and_unit_of_the_notice_has_an_english_name():
    from engine.catalog import catalog_file
    from engine.notice import tasks

    english = catalog_file().english
    for task in tasks().values():
        assert task.part in english.parts
        assert set(task.lead_units) | set(task.responsible_units) <= set(english.units)


@pytest.mark.parametrize(
    "name", ["task55_unemployment_benefit", "失业保险金", "Unemployment insurance benefit"]
)
def test_rules_show_by_id_or_title(name: str):
    out = run("rules", "show", name)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("失业保险金  [task55_unemployment_benefit]")


def test_schema_input_lists_the_case_and_registry_fields():
    out = run("schema", "--input")
    assert out.returncode == 0, out.stderr
    schema = json.loads(out.stdout)
    Draft202012Validator.check_schema(schema)
    columns = schema["x-registry-columns"]
    person = {c["header"]: c for c in columns["person"]}
    assert person["出生日期"]["field"] == "person.birth_date" and person["出生日期"]["type"] == "date"
    assert person["目前已就业"]["values"] == ["是", "否"]
    assert "失业保险累计缴费月数" in json.dumps(schema["$defs"], ensure_ascii=False)  # titles in Chinese
    assert {c["header"] for c in columns["special"]} >= {"案件编号", "类型"}


def test_schema_input_english_is_english_but_for_the_notice_words():
    """Each field's English (label, question, unit) beside its Chinese: a term of the notice it
    glosses is quoted “…”, a document is named by its number."""
    schema = json.loads(run("schema", "--input").stdout)
    english: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            english.extend(v for k, v in node.items() if k in ("en", "ask_en", "unit_en"))
            node = list(node.values())
        if isinstance(node, list):
            for child in node:
                walk(child)

    walk(schema)
    assert "CNY" in english  # 元
    ours = [re.sub(r"“[^”]*”|[\u4e00-\u9fff]+〔\d{4}〕\d+号", "", text) for text in english]
    assert not [text for text in ours if HAN.search(text)]


ALLOCATOR_PROBE = """
import os, sys
from engine.cli import main
main(["rules", "--json"])
import polars  # takes its allocator's settings from the environment when first imported
print(os.environ["_RJEM_MALLOC_CONF"], file=sys.stderr)
"""


@pytest.mark.parametrize("inherited", [None, "dirty_decay_ms:500,muzzy_decay_ms:1000"])
def test_the_command_keeps_freed_pages_whatever_it_inherits(inherited):
    """polars' allocator settings (``_RJEM_MALLOC_CONF``, the last value of a setting wins) end with
    the command's 10 s in a ``subsidy`` process and so in the workers it starts, also when it was
    started by a program that had imported polars (and so passed on polars' half a second)."""
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if inherited is not None:
        env["_RJEM_MALLOC_CONF"] = inherited
    done = subprocess.run(
        [sys.executable, "-c", ALLOCATOR_PROBE], env=env, capture_output=True, text=True, check=True
    )
    setting = done.stderr.strip().splitlines()[-1]
    assert setting.endswith(",dirty_decay_ms:10000"), setting


BLAS_PROBE = """
import os, sys
from engine.cli import main
main(["rules", "--json"])
print(os.environ.get("OPENBLAS_NUM_THREADS"), file=sys.stderr)
"""


@pytest.mark.parametrize(("inherited", "expected"), [(None, "1"), ("2", "2")])
def test_the_command_starts_no_blas_threads_unless_asked(inherited, expected):
    """numpy's OpenBLAS reads its thread count from the environment when first loaded: ``subsidy``
    sets one thread for itself and its workers, and keeps a number the user set."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if inherited is not None:
        env["OPENBLAS_NUM_THREADS"] = inherited
    done = subprocess.run(
        [sys.executable, "-c", BLAS_PROBE], env=env, capture_output=True, text=True, check=True
    )
    assert done.stderr.strip().splitlines()[-1] == expected


def test_ctrl_c_in_a_command_ends_it_quietly(monkeypatch, capsys):
    """Ctrl-C in a command without words of its own for it (here ``rules``; also while ``evaluate``
    loads its modules) is the exit status a shell reports for Ctrl-C, and no traceback."""

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr("engine.cli.cmd_rules", interrupted)
    assert main(["rules"]) == 130
    assert capsys.readouterr().err == ""
