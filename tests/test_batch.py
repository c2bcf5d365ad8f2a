"""``subsidy batch``: every row decided or reported, in any encoding and header language.

A registry is the unit data staff work with; nothing in it may silently vanish. Each test writes a
small registry, runs the command as a caseworker would (``engine.cli.main``) and reads the files.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date
from pathlib import Path

import pytest

from engine.batch.layout import csv_text
from engine.batch.progress import Progress, wanted
from engine.cli import main
from engine.evaluate import default_engine
from engine.idcard import check_char
from engine.labels import fact_by_label
from engine.models import parse_case

AS_OF = "2020-09-15"
BOM = "\ufeff"
HEAD = ["案件编号", "身份证号码", "出生日期", "性别", "目前已就业", "失业保险金期满日期", "低保对象", "备注"]
HEAD[-1] = "姓名"  # a free-text column


def id_number(birth: str, male: bool = True, seq: int = 1) -> str:
    first17 = f"500101{birth.replace('-', '')}{seq:02d}{1 if male else 2}"
    return first17 + check_char(first17)


GOOD = [
    ["P1", id_number("1961-03-10"), "1961-03-10", "男", "否", "2020-08-31", "否", "张三"],
    ["P2", "", "1975-06-01", "女", "是", "", "是", "李四"],
    ["P3", id_number("1990-01-31", male=False), "", "", "", "", "", "王五"],
]


def write(path: Path, lines: list[str], encoding: str = "utf-8-sig") -> Path:
    path.write_bytes("".join(lines).encode(encoding))
    return path


def csv_line(row: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(row)
    return buf.getvalue()


def registry(path: Path, rows: list[list[str]], head: list[str] = HEAD, encoding: str = "utf-8-sig") -> Path:
    return write(path, [csv_line(head), *(csv_line(r) for r in rows)], encoding)


def run(tmp_path: Path, source: Path, *extra: str, name: str = "out.csv") -> tuple[int, Path, Path]:
    out = tmp_path / name
    code = main(["batch", str(source), "-o", str(out), "--as-of", AS_OF, "--quiet", "--workers", "1", *extra])
    return code, out, out.with_name(out.stem + ".errors.csv")


def read(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8")
    assert text.startswith(BOM), "Excel and WPS need the BOM"
    return list(csv.reader(io.StringIO(text[1:])))


def errors_by_line(path: Path) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    for line, _case, column, reason in read(path)[1:]:
        out.setdefault(int(line), []).append((column, reason))
    return out


# --- nothing lost ---------------------------------------------------------------------------------


def test_injected_bad_rows_are_reported_and_the_rest_decided(tmp_path, capsys):
    lines = [csv_line(HEAD)]  # line 1
    lines.append(csv_line(GOOD[0]))  # 2
    lines.append(csv_line(["B1", "", "1961-02-30", "男", "否", "", "", "坏日期"]))  # 3: impossible date
    lines.append(csv_line(["B2", id_number("1961-03-10")[:-1] + "0", "", "", "", "", "", "坏校验"]))  # 4
    lines.append(csv_line(["B3", "", "", "男", "也许", "", "", "坏选项"]))  # 5: not 是/否
    lines.append(csv_line(["B4", "", "", "不详", "", "", "", ""]))  # 6: unknown category
    lines.append("B5,,1961-03-10\r\n")  # 7: short row
    lines.append(csv_line([*GOOD[1], "多出"]))  # 8: long row
    lines.append(csv_line(["Q1", "", "1970-01-01", "男", "否", "", "", '多行\n"备注"，含逗号']))  # 9-10
    lines.append(csv_line(GOOD[2]))  # 11
    lines.append("\r\n")  # 12: a blank line is not a row
    raw = [line.encode("utf-8") for line in lines]
    raw.append(csv_line(["G1", "", "", "", "", "", "", "国标编码"]).encode("gb18030"))  # 13: wrong encoding
    raw.append('U1,,"1961-03-10,男,否,,,未闭合\r\n'.encode())  # 14: a quote never closed
    raw.append(csv_line(["P4", "", "1962-05-05", "男", "否", "", "", "最后"]).encode())  # 15
    source = tmp_path / "bad.csv"
    source.write_bytes(codecs_bom() + b"".join(raw))

    code, out, errors = run(tmp_path, source)
    assert code == 0
    decided = read(out)[1:]
    assert [(row[0], row[1]) for row in decided] == [
        ("P1", "2"),
        ("Q1", "9"),
        ("P3", "11"),
        ("P4", "15"),
    ]
    reported = errors_by_line(errors)
    assert sorted(reported) == [3, 4, 5, 6, 7, 8, 13, 14]
    assert reported[3] == [("出生日期", "没有这一天：1961年2月30日")]
    assert reported[4][0][0] == "身份证号码" and "校验位错误" in reported[4][0][1]
    assert reported[5][0][0] == "目前已就业" and "是" in reported[5][0][1]
    assert reported[6][0][0] == "性别" and "男、女" in reported[6][0][1]
    assert "本行有3列" in reported[7][0][1] and "本行有9列" in reported[8][0][1]
    assert "UTF-8" in reported[13][0][1] and "姓名" in reported[13][0][1]
    assert "引号" in reported[14][0][1]
    summary = capsys.readouterr().err
    assert "读取 12 行：已评估 4 行，数据有误 8 行" in summary
    assert "空行 1 行" in summary


def codecs_bom() -> bytes:
    return BOM.encode("utf-8")


def test_every_error_of_a_row_is_reported_at_once(tmp_path):
    source = registry(tmp_path / "r.csv", [["E1", "", "1961-13-01", "男", "也许", "2020-02-30", "", ""]])
    _, _, errors = run(tmp_path, source)
    columns = [column for column, _ in errors_by_line(errors)[2]]
    assert sorted(columns) == sorted(["出生日期", "目前已就业", "失业保险金期满日期"])


def test_an_id_number_that_contradicts_the_birth_date_is_refused(tmp_path):
    source = registry(tmp_path / "r.csv", [["C1", id_number("1961-03-10"), "1961-03-11", "", "", "", "", ""]])
    _, out, errors = run(tmp_path, source)
    assert read(out)[1:] == []
    [(column, reason)] = errors_by_line(errors)[2]
    assert column == "出生日期" and "不一致" in reason


# --- encodings and headers ------------------------------------------------------------------------


def test_gb18030_bom_and_plain_utf8_give_the_same_output(tmp_path):
    outputs = []
    for name, encoding in (("bom.csv", "utf-8-sig"), ("plain.csv", "utf-8"), ("gbk.csv", "gb18030")):
        source = registry(tmp_path / name, GOOD, encoding=encoding)
        code, out, errors = run(tmp_path, source, name=f"out-{name}")
        assert code == 0 and len(read(errors)) == 1
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(read(tmp_path / "out-gbk.csv")) == 1 + len(GOOD)


def test_english_dotted_headers_equal_chinese_labels(tmp_path):
    english = ["case_id" if h == "案件编号" else fact_by_label(h, "person").name for h in HEAD]
    assert "person.birth_date" in english
    _, zh, _ = run(tmp_path, registry(tmp_path / "zh.csv", GOOD), name="zh-out.csv")
    _, en, _ = run(tmp_path, registry(tmp_path / "en.csv", GOOD, head=english), name="en-out.csv")
    # The same rows; the carried identifying columns keep each file's own headers.
    assert zh.read_bytes().split(b"\r\n")[1:] == en.read_bytes().split(b"\r\n")[1:]
    assert read(zh)[0][3:5] == ["身份证号码", "姓名"] and read(en)[0][3:5] == [
        "person.id_number",
        "person.name",
    ]


def test_an_unknown_header_refuses_the_file_and_lists_the_known_ones(tmp_path, capsys):
    source = registry(tmp_path / "r.csv", GOOD, head=[*HEAD[:-1], "鞋码"])
    code, out, errors = run(tmp_path, source)
    assert code == 2
    message = capsys.readouterr().err
    assert "不认识的列名：鞋码" in message and "出生日期" in message and "失业保险金期满日期" in message
    assert not out.exists() and not errors.exists()
    assert list(tmp_path.glob("out.csv*")) == []


def test_person_and_enterprise_rows_in_one_file(tmp_path):
    head = ["案件编号", "类型", "出生日期", "性别", "招用日期", "被吸纳人员失业登记日期", "劳动合同起始日期"]
    rows = [
        ["P1", "个人", "1961-03-10", "男", "", "", ""],
        ["E1", "单位", "", "", "2020-03-16", "2019-09-16", "2020-03-16"],
        ["E2", "enterprise", "", "", "2020-03-16", "", ""],
        ["X1", "单位", "1961-03-10", "", "", "", ""],  # a person's column filled on an enterprise row
        ["X2", "机关", "", "", "", "", ""],
    ]
    code, out, errors = run(tmp_path, registry(tmp_path / "mixed.csv", rows, head=head), "--long")
    assert code == 0
    decided = read(out)
    assert decided[0][:6] == ["案件编号", "行号", "类型", "项目", "项目名称", "结论"]
    kinds = {(row[0], row[2]) for row in decided[1:]}
    assert kinds == {("P1", "个人"), ("E1", "单位"), ("E2", "单位")}
    book = default_engine().book
    assert sum(1 for row in decided[1:] if row[0] == "E1") == len(book.for_subject("enterprise"))
    reported = errors_by_line(errors)
    assert "不是单位案件的字段" in reported[5][0][1]
    assert reported[6][0][0] == "类型"


# --- output ---------------------------------------------------------------------------------------


def test_output_agrees_with_evaluating_each_case_alone(tmp_path):
    """The batch words plain verdicts; the published decisions must say the same."""
    _, out, _ = run(tmp_path, registry(tmp_path / "r.csv", GOOD), "--long", "--lang", "en")
    rows = read(out)
    assert rows[0] == [
        "case_id",
        "line",
        "kind",
        "身份证号码",  # the identifying columns carried from the input, under its headers
        "姓名",
        "program",
        "title",
        "status",
        "grant",
        "failed",
        "failed_ids",
        "missing",
        "dates",
        "changes",
    ]
    by_case: dict[str, dict[str, list[str]]] = {}
    for row in rows[1:]:
        raw = next(r for r in GOOD if r[0] == row[0])
        assert row[3:5] == [raw[HEAD.index("身份证号码")], raw[HEAD.index("姓名")]]
        row = row[:3] + row[5:]  # the carried columns checked, the rest as before
        by_case.setdefault(row[0], {})[row[3]] = row
    for raw in GOOD:
        person = {
            fact_by_label(h, "person").name.split(".", 1)[1]: v
            for h, v in zip(HEAD[1:], raw[1:], strict=True)
            if v
        }
        person = {
            k: {"男": "male", "女": "female", "是": True, "否": False}.get(v, v) for k, v in person.items()
        }
        evaluation = default_engine().evaluate(
            parse_case({"person": person}), date.fromisoformat(AS_OF), "en"
        )
        for d in evaluation.decisions:
            row = by_case[raw[0]][d.program]
            assert row[5] == d.status.value
            assert row[9].split(";") == ([m.fact for m in d.missing] or [""])
            shown = {k.id: k.date.isoformat() for k in d.dates if k.date}
            assert dict(p.split("=") for p in row[10].split(";") if p) == shown
            changes = (
                [f"{c.date.isoformat()}={c.status.value}" for c in d.timeline.changes] if d.timeline else []
            )
            assert row[11].split(";") == (changes or [""])
            if d.status.value == "not_eligible":
                failed = [c for c in d.conditions if c.result.value == "not_met"]
                assert set(row[8].split(";")) <= {c.id for c in failed} and row[8]
                # the readable column names the same conditions, in the rule file's words
                by_id = {c.id: c.text for c in failed}
                assert row[7].split(";") == [by_id[i] for i in row[8].split(";")]


def test_wide_output_one_row_per_case_in_input_order(tmp_path):
    rows = [[f"W{i}", "", f"19{50 + i % 40}-01-0{1 + i % 9}", "男", "否", "", "", ""] for i in range(25)]
    _, out, _ = run(tmp_path, registry(tmp_path / "r.csv", rows), "--chunk", "4")
    decided = read(out)
    programs = [r for r in default_engine().book.rules.values() if r.subject == "person"]
    assert decided[0][:5] == ["案件编号", "行号", "类型", "身份证号码", "姓名"]
    assert len(decided[0]) == 5 + 7 * len(programs)  # a person registry: person programs only
    assert [row[0] for row in decided[1:]] == [r[0] for r in rows]
    assert [row[1] for row in decided[1:]] == [str(i + 2) for i in range(25)]


def test_identifying_columns_are_carried_into_the_results(tmp_path):
    head = ["姓名", "出生日期", "案件编号", "身份证号码"]
    rows = [
        ["王五", "1961-03-10", "C1", ""],
        ["赵六", "1990-13-01", "C2", ""],
        ["钱七", "", "C3", "500101196103100037"],
    ]
    _, out, errors = run(tmp_path, registry(tmp_path / "r.csv", rows, head=head))
    decided = read(out)
    assert decided[0][:5] == ["案件编号", "行号", "类型", "姓名", "身份证号码"]  # in their input order
    assert [row[:5] for row in decided[1:]] == [
        ["C1", "2", "个人", "王五", ""],
        ["C3", "4", "个人", "钱七", "500101196103100037"],
    ]  # the refused row (a bad date) is in the errors file, not here
    assert 3 in errors_by_line(errors)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_template_round_trips_and_its_example_row_is_not_judged(tmp_path, capsys, lang):
    for kind in ("person", "enterprise"):
        template = tmp_path / f"{kind}.csv"
        assert main(["batch", "--template", "--kind", kind, "--lang", lang, "-o", str(template)]) == 0
        header, example = read(template)
        assert header[:2] == (["案件编号", "类型"] if lang == "zh" else ["case_id", "kind"])
        assert all(h.isascii() for h in header) == (lang == "en")
        code, out, errors = run(tmp_path, template, "--lang", lang, name=f"{kind}-out.csv")
        assert code == 0 and read(errors)[1:] == [] and read(out)[1:] == []
        said = capsys.readouterr().err
        if lang == "zh":
            assert "读取 0 行：已评估 0 行，数据有误 0 行；模板示例行 1 行（已跳过）" in said
        else:
            assert "Read 0 rows: 0 evaluated, 0 with bad data; 1 template example row skipped" in said
        # the same row under a case number of its own is a case: valid, and judged
        filled = tmp_path / f"{kind}-filled.csv"
        filled.write_bytes(template.read_bytes() + csv_line(["C-001", *example[1:]]).encode("utf-8"))
        code, out, errors = run(tmp_path, filled, name=f"{kind}-filled-out.csv")
        assert code == 0 and read(errors)[1:] == []
        [row] = read(out)[1:]
        assert row[0] == "C-001"
        assert "读取 1 行：已评估 1 行，数据有误 0 行" in capsys.readouterr().err


def test_a_file_with_only_a_header_writes_empty_results(tmp_path, capsys):
    code, out, errors = run(tmp_path, registry(tmp_path / "r.csv", []))
    assert code == 0 and len(read(out)) == 1 and len(read(errors)) == 1
    assert "读取 0 行" in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00\x00"], ids=["empty", "utf16"])
def test_an_empty_or_utf16_file_is_refused(tmp_path, content, capsys):
    source = tmp_path / "r.csv"
    source.write_bytes(content)
    code, out, _ = run(tmp_path, source)
    assert code == 2 and not out.exists()
    assert capsys.readouterr().err.strip()


def test_an_output_folder_that_does_not_exist_is_refused(tmp_path, capsys):
    source = registry(tmp_path / "r.csv", GOOD)
    assert main(["batch", str(source), "-o", str(tmp_path / "nowhere" / "out.csv"), "--quiet"]) == 2
    assert "输出目录不存在" in capsys.readouterr().err


def test_progress_shows_on_a_terminal_only(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    assert wanted(Terminal(), quiet=False)
    assert not wanted(Terminal(), quiet=True)
    assert not wanted(io.StringIO(), quiet=False)
    monkeypatch.setenv("CI", "true")
    assert not wanted(Terminal(), quiet=False)
    screen = Terminal()
    bar = Progress(1000, True, screen)
    bar.last -= 1  # as if the last redraw were a second ago
    bar.update(450, 4500)
    bar.close()
    assert "45%" in screen.getvalue() and "4,500 行" in screen.getvalue()
    assert screen.getvalue().endswith("\r")


def _good(i: int) -> str:
    return csv_line([f"G{i}", "", f"19{60 + i % 30}-0{1 + i % 9}-1{i % 10}", "男", "否", "", "", "某"])


def _multiline(i: int) -> str:
    return csv_line([f"M{i}", "", "1970-01-01", "女", "", "", "", '第一行\n第二行,"引号"'])


def _unclosed(i: int) -> str:
    return f'B{i},,"1970-01-01,男,否,,,未闭合\r\n'


DAMAGES = [
    lambda i: csv_line([f"B{i}", "", "1970-02-30", "", "", "", "", ""]),
    lambda i: csv_line([f"B{i}", id_number("1961-03-10")[:-1] + "9", "", "", "", "", "", ""]),
    lambda i: csv_line([f"B{i}", "", "", "其他", "", "", "", ""]),
    lambda i: f"B{i},1970-01-01\r\n",
    lambda i: csv_line([f"B{i}", "", "", "", "", "", "", "", "多"]),
    lambda i: csv_line([f"B{i}", "", "", "", "", "", "", "黄某"]).encode("gb18030"),
    _unclosed,
]


def test_a_randomly_damaged_registry_loses_no_row(tmp_path, capsys):
    """400 rows, a third damaged in random ways: each good row decided at its line, each bad one
    reported at its line, and the counts add up. (After a quote that is never closed comes a row
    without quotes: otherwise CSV itself cannot tell where that record ends.)"""
    rng = random.Random(20200304)
    parts: list[bytes] = [csv_line(HEAD).encode("utf-8-sig")]
    line, decided_at, reported_at, after_unclosed = 2, {}, set(), False
    for i in range(400):
        if rng.random() < 0.33 and not after_unclosed:
            make = rng.choice(DAMAGES)
            reported_at.add(line)
        else:
            make = _good if after_unclosed or rng.random() < 0.8 else _multiline
        text = make(i)
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        if make in (_good, _multiline):
            decided_at[line] = data.split(b",", 1)[0].decode()
        after_unclosed = make is _unclosed
        parts.append(data)
        line += data.count(b"\n")
    source = tmp_path / "damaged.csv"
    source.write_bytes(b"".join(parts))
    _, out, errors = run(tmp_path, source, "--chunk", "37")
    assert {int(row[1]): row[0] for row in read(out)[1:]} == decided_at
    assert set(errors_by_line(errors)) == reported_at
    summary = capsys.readouterr().err
    assert f"读取 400 行：已评估 {len(decided_at)} 行，数据有误 {len(reported_at)} 行" in summary


@pytest.mark.parametrize(
    "row",
    [
        ["plain", "中文", ""],
        ["a,b", 'say "hi"', "two\nlines", "cr\rhere", "；、"],
        ['"', ",", " spaced ", "x"],
    ],
)
def test_output_rows_are_encoded_exactly_as_the_csv_module_writes_them(row):
    expected = io.StringIO()
    csv.writer(expected, lineterminator="\r\n").writerow(row)
    assert csv_text([row]) == expected.getvalue()
    assert next(csv.reader(io.StringIO(csv_text([row]), newline=""))) == row


def test_a_credit_code_s_check_character_is_checked_in_a_registry(tmp_path):
    """GB 32100-2015, as on a case (tests/test_models.py, where these sums are worked by hand): the
    rows of a wrong check character or of an ID number in the code's place are reported, in the
    words of the case models, in both languages; the others are decided."""
    head = ["案件编号", "类型", "单位名称", "统一社会信用代码", "招用日期"]
    rows = [
        ["E1", "单位", "甲公司", "91350100M000100Y43", "2020-03-16"],
        ["E2", "单位", "乙公司", "91500000MA5U000000", "2020-03-16"],  # check W
        ["E3", "单位", "丙公司", "500101196103100038", "2020-03-16"],  # check L
        ["E4", "单位", "丁公司", "91500000MA5U00000W", "2020-03-16"],
    ]
    source = registry(tmp_path / "codes.csv", rows, head=head)
    for lang, words in [
        ("zh", "统一社会信用代码校验位错误（应为 {}）"),
        ("en", "the unified social credit code's check character is wrong (should be {})"),
    ]:
        code, out, errors = run(tmp_path, source, "--lang", lang, name=f"out-{lang}.csv")
        assert code == 0
        assert sorted({row[0] for row in read(out)[1:]}) == ["E1", "E4"]
        assert errors_by_line(errors) == {
            3: [("统一社会信用代码", words.format("W"))],
            4: [("统一社会信用代码", words.format("L"))],
        }
