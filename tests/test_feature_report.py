"""scripts/feature_report.py: the reviewers' HTML page, from a cucumber JSON these tests write."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import textwrap
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("feature_report", ROOT / "scripts" / "feature_report.py")
assert _spec and _spec.loader
report = importlib.util.module_from_spec(_spec)
sys.modules["feature_report"] = report
_spec.loader.exec_module(report)

FEATURE = textwrap.dedent(
    """\
    # language: zh-CN
    功能: 任务32 灵活就业社会保险补贴延长1年
      说明文字

      背景:
        假如申请人情况如下:
          | 字段         | 值 |
          | 就业困难人员 | 是 |

      场景: 全部满足
        当评估资格时
        那么结果为“符合”

      场景大纲: 期满日期
        假如“期满日期”为“<日期>”
        那么结果为“<结果>”

        例子:
          | 日期       | 结果   |
          | 2020-02-29 | 符合   |
          |            | 不符合 |
    """
)


def step(keyword: str, name: str, line: int, status: str = "passed", error: str | None = None) -> dict:
    result = {"status": status, "duration": 1000}
    if error is not None:
        result["error_message"] = error
    return {"keyword": keyword, "name": name, "line": line, "match": {"location": ""}, "result": result}


BACKGROUND = [step("假如", "申请人情况如下:", 6)]
ONE_STEP = [step("当", "评估资格时", 4)]
FAILURE = (
    "request = <FixtureRequest>\n"
    ">       assert d.status == STATUS[status]\n"
    "E       AssertionError: “灵活就业社会保险补贴延长1年”的结果为 eligible，而不是不符合。\n"
    "E       满足：就业困难人员为是\n"
    "features/conftest.py:118: AssertionError"
)


def cucumber(feature_uri: str) -> list[dict]:
    return [
        {
            "keyword": "功能",
            "uri": feature_uri,
            "name": "任务32 灵活就业社会保险补贴延长1年",
            "description": "说明文字 <b>不是标签</b>",
            "elements": [
                {
                    "keyword": "场景",
                    "id": "test_全部满足",
                    "name": "全部满足",
                    "line": 10,
                    "steps": [*BACKGROUND, step("当", "评估资格时", 11), step("那么", "结果为“符合”", 12)],
                },
                {
                    "keyword": "场景大纲",
                    "id": "test_期满日期[2020-02-29-符合]",
                    "name": "期满日期",
                    "line": 14,
                    "steps": [
                        *BACKGROUND,
                        step("假如", "“期满日期”为“2020-02-29”", 15),
                        step("那么", "结果为“符合”", 16),
                    ],
                },
                {
                    "keyword": "场景大纲",
                    "id": "test_期满日期[-不符合]",
                    "name": "期满日期",
                    "line": 14,
                    "steps": [
                        *BACKGROUND,
                        step("假如", "“期满日期”为“”", 15, "failed", FAILURE),
                        step("那么", "结果为“不符合”", 16, "failed"),  # pytest-bdd marks the rest failed
                    ],
                },
            ],
        },
        {
            "keyword": "功能",
            "uri": "features/elsewhere.feature",
            "name": "任务5 <script>alert(1)</script>",
            "description": "",
            "elements": [
                {
                    "keyword": "场景",
                    "id": "test_a",
                    "name": "A",
                    "line": 3,
                    "steps": [step("当", "评估资格时", 4)],
                }
            ],
        },
        {
            "keyword": "功能",
            "uri": "features/untitled.feature",
            "name": "没有任务编号的功能",
            "description": "",
            "elements": [
                {
                    "keyword": "场景",
                    "id": "test_b",
                    "name": "B",
                    "line": 3,
                    "steps": [step("当", "评估资格时", 4)],
                }
            ],
        },
    ]


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "x.feature").write_text(FEATURE, "utf-8")
    (tmp_path / "artifacts").mkdir()
    json_path = tmp_path / "artifacts" / "features.json"
    json_path.write_text(json.dumps(cucumber("features/x.feature"), ensure_ascii=False), "utf-8")
    return json_path, tmp_path / "artifacts" / "features.html"


def test_load_groups_scenarios_and_reads_the_feature_file(written):
    json_path, _ = written
    features = report.load(json_path)
    assert [(f.task, f.name) for f in features][:2] == [
        (32, "任务32 灵活就业社会保险补贴延长1年"),
        (5, "任务5 <script>alert(1)</script>"),
    ]
    assert features[2].task is None
    first, passed, failed = features[0].scenarios
    assert [s.status for s in (first, passed, failed)] == ["passed", "passed", "failed"]
    assert first.steps[0].table == [["字段", "值"], ["就业困难人员", "是"]]
    assert passed.example == {"日期": "2020-02-29", "结果": "符合"}
    assert failed.example == {"日期": "", "结果": "不符合"}
    assert [s.status for s in failed.steps] == ["passed", "failed", "not_run"]
    assert failed.steps[1].error.splitlines() == [
        "AssertionError: “灵活就业社会保险补贴延长1年”的结果为 eligible，而不是不符合。",
        "满足：就业困难人员为是",
    ]


def test_the_page_counts_groups_by_task_number_and_shows_failures(written):
    json_path, html_path = written
    assert report.main([str(json_path), str(html_path)]) == 0
    page = html_path.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in page
    assert "<th>合计</th><th>5</th><th class='ok'>4</th><th class='bad'>1</th>" in page
    assert "有场景未通过" in page
    # Task 5 before task 32 (by number, not as text), features without a number last.
    assert page.index('id="task-5"') < page.index('id="task-32"') < page.index('id="task-other"')
    assert "例子：日期＝2020-02-29，结果＝符合" in page
    assert "例子：日期＝（空），结果＝不符合" in page
    assert "失败原因：" in page and "而不是不符合。" in page
    assert "（未执行）" in page
    assert "<td>就业困难人员</td><td>是</td>" in page
    assert page.count('class="scenario failed"') == 1
    assert page.count('class="scenario passed"') == 4


def test_the_page_is_self_contained_escaped_and_printable(written):
    json_path, html_path = written
    report.main([str(json_path), str(html_path)])
    page = html_path.read_text("utf-8")
    assert "<script" not in page  # the feature named <script> is shown as text
    assert "任务5 &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "说明文字 &lt;b&gt;不是标签&lt;/b&gt;" in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    assert "<link" not in page
    assert "@media print" in page

    class Balance(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []
            self.void = {"meta", "br", "img", "hr", "input", "link"}

        def handle_starttag(self, tag, attrs):
            if tag not in self.void:
                self.stack.append(tag)

        def handle_endtag(self, tag):
            assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
            self.stack.pop()

    parser = Balance()
    parser.feed(page)
    assert parser.stack == []


def test_all_passing_and_empty_runs(tmp_path: Path):
    data = cucumber("features/none.feature")[1:]
    json_path = tmp_path / "f.json"
    json_path.write_text(json.dumps(data), "utf-8")
    page = report.render(report.load(json_path), generated=datetime(2020, 9, 15, 8, 30))
    assert "全部场景通过。" in page and "有场景未通过" not in page
    assert "生成时间：2020-09-15 08:30" in page
    assert "没有运行任何场景。" in report.render([])


def test_missing_or_bad_json_is_reported_in_chinese(tmp_path: Path, capsys):
    assert report.main([str(tmp_path / "none.json"), str(tmp_path / "out.html")]) == 1
    assert "找不到场景结果文件" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{}", "utf-8")
    assert report.main([str(bad), str(tmp_path / "out.html")]) == 1
    assert "无法读取场景结果" in capsys.readouterr().err
    assert not (tmp_path / "out.html").exists()


def test_real_pytest_bdd_output_round_trips(tmp_path: Path):
    """Run pytest-bdd itself on a tiny feature, so the script reads the real JSON format."""
    (tmp_path / "demo.feature").write_text(
        textwrap.dedent(
            """\
            # language: zh-CN
            功能: 任务7 演示
              场景: 通过的场景
                假如数字为1
                那么数字为1

              场景: 未通过的场景
                假如数字为1
                那么数字为2
                而且数字为1
            """
        ),
        "utf-8",
    )
    (tmp_path / "test_demo.py").write_text(
        textwrap.dedent(
            """\
            import pytest
            from pytest_bdd import given, parsers, scenarios, then

            scenarios("demo.feature")

            @pytest.fixture
            def box():
                return {}

            @given(parsers.parse("数字为{n:d}"))
            def put(box, n):
                box["n"] = n

            @then(parsers.parse("数字为{n:d}"))
            def check(box, n):
                assert box["n"] == n, f"数字是{box['n']}，不是{n}"
            """
        ),
        "utf-8",
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n", "utf-8")
    json_path = tmp_path / "out" / "features.json"
    json_path.parent.mkdir()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--cucumberjson={json_path}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr  # one scenario fails on purpose
    html_path = tmp_path / "out" / "features.html"
    assert report.main([str(json_path), str(html_path)]) == 0
    [feature] = report.load(json_path)
    assert feature.task == 7
    assert [s.status for s in feature.scenarios] == ["passed", "failed"]
    assert [s.status for s in feature.scenarios[1].steps] == ["passed", "failed", "not_run"]
    assert "数字是1，不是2" in feature.scenarios[1].steps[1].error
    page = html_path.read_text("utf-8")
    assert "<th>合计</th><th>2</th><th class='ok'>1</th><th class='bad'>1</th>" in page
