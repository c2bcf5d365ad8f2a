"""Turn pytest-bdd's cucumber JSON into one readable, printable HTML page in Chinese.

    python scripts/feature_report.py [artifacts/features.json] [artifacts/features.html]

For policy reviewers who do not use a terminal: every scenario of every feature file, grouped by
the notice's task number (read from the feature's name, 任务N …), with pass or fail, its steps
and, for a failure, the reason. The page has no scripts and no outside files; it prints as is.
Data tables and the example rows of a 场景大纲 are read back from the feature files when they
can be found, because the cucumber JSON does not carry them.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

DEFAULT_JSON = Path("artifacts/features.json")
DEFAULT_HTML = Path("artifacts/features.html")

PASSED, FAILED, SKIPPED, NOT_RUN = "passed", "failed", "skipped", "not_run"
STATUS_ZH = {PASSED: "通过", FAILED: "未通过", SKIPPED: "跳过", NOT_RUN: "未执行"}
_TASK = re.compile(r"任务\s*(\d+)")
_EXAMPLES = ("例子", "Examples")
_NEXT_BLOCK = ("场景", "Scenario", "规则", "Rule", "@")


@dataclass
class Step:
    keyword: str
    text: str
    status: str
    error: str = ""
    table: list[list[str]] = field(default_factory=list)


@dataclass
class Scenario:
    keyword: str
    name: str
    example: dict[str, str]
    example_text: str
    steps: list[Step]

    @property
    def status(self) -> str:
        statuses = {s.status for s in self.steps}
        if FAILED in statuses:
            return FAILED
        if SKIPPED in statuses or not self.steps:
            return SKIPPED
        return PASSED


@dataclass
class Feature:
    name: str
    uri: str
    description: str
    task: int | None
    scenarios: list[Scenario]


# --- reading -----------------------------------------------------------------------------------


def _feature_source(uri: str, json_path: Path) -> list[str] | None:
    """The feature file's lines, looked up from the working folder or beside the JSON's folder."""
    for base in (Path.cwd(), json_path.resolve().parent.parent, json_path.resolve().parent):
        path = base / uri
        if path.is_file():
            return path.read_text(encoding="utf-8").splitlines()
    return None


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _table_after(lines: list[str] | None, line_no: int) -> list[list[str]]:
    """The data table written under the step on 1-based line ``line_no``."""
    if not lines:
        return []
    rows = []
    for line in lines[line_no:]:
        if not line.strip().startswith("|"):
            break
        rows.append(_cells(line))
    return rows


def _examples(lines: list[str] | None, line_no: int) -> list[dict[str, str]]:
    """The example rows of the 场景大纲 starting on 1-based line ``line_no``."""
    if not lines:
        return []
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    in_examples = False
    for line in lines[line_no:]:
        text = line.strip()
        if text.startswith(_NEXT_BLOCK):
            break
        if text.startswith(_EXAMPLES):
            in_examples, header = True, None
        elif in_examples and text.startswith("|"):
            if header is None:
                header = _cells(text)
            else:
                rows.append(dict(zip(header, _cells(text), strict=False)))
    return rows


def _example_of(element: dict[str, Any], rows: list[dict[str, str]]) -> tuple[dict[str, str], str]:
    """Which example row a test id like ``test_x[2019-09-16-满足-符合]`` ran, and its raw text."""
    m = re.search(r"\[(.*)\]$", str(element.get("id", "")))
    if not m:
        return {}, ""
    raw = m.group(1)
    for row in rows:
        if "-".join(row.values()) == raw:
            return row, raw
    return {}, raw


def _short_error(message: str) -> str:
    """The assertion lines of a pytest failure (``E   …``), or its last lines."""
    lines = message.splitlines()
    wanted = [ln[1:].strip() for ln in lines if ln.startswith("E ")]
    wanted = [ln for ln in wanted if ln]
    return "\n".join(wanted[:20] if wanted else lines[-12:])


def load(json_path: Path) -> list[Feature]:
    data = json.loads(json_path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError("不是 pytest-bdd 的 cucumber JSON（应为功能的列表）")
    features = []
    for f in data:
        uri = str(f.get("uri", ""))
        source = _feature_source(uri, json_path) if uri else None
        scenarios = []
        for element in f.get("elements", []):
            example, raw = _example_of(element, _examples(source, int(element.get("line", 0))))
            steps = []
            seen_failure = False
            for s in element.get("steps", []):
                result = s.get("result", {})
                status = result.get("status", SKIPPED)
                if status == FAILED and seen_failure:
                    status = NOT_RUN  # pytest-bdd marks every step after a failure as failed too
                elif status == FAILED:
                    seen_failure = True
                steps.append(
                    Step(
                        keyword=str(s.get("keyword", "")).strip(),
                        text=str(s.get("name", "")),
                        status=status,
                        error=_short_error(result.get("error_message", "")) if status == FAILED else "",
                        table=_table_after(source, int(s.get("line", 0))),
                    )
                )
            scenarios.append(
                Scenario(
                    keyword=str(element.get("keyword", "场景")),
                    name=str(element.get("name", "")),
                    example=example,
                    example_text=raw,
                    steps=steps,
                )
            )
        name = str(f.get("name", uri))
        m = _TASK.search(name)
        features.append(
            Feature(
                name=name,
                uri=uri,
                description=str(f.get("description", "")),
                task=int(m.group(1)) if m else None,
                scenarios=scenarios,
            )
        )
    return features


# --- writing -----------------------------------------------------------------------------------

CSS = """
body { font-family: "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; margin: 2em auto;
       max-width: 60em; padding: 0 1em; color: #222; line-height: 1.5; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
.meta { color: #555; font-size: .9em; }
table.counts { border-collapse: collapse; margin: 1em 0; }
table.counts td, table.counts th { border: 1px solid #bbb; padding: .3em .8em; text-align: center; }
.ok { color: #176c2d; } .bad { color: #b00020; } .skip { color: #8a6d00; } .norun { color: #777; }
section.task { border-top: 3px solid #444; margin-top: 2em; }
section.feature { margin: 1em 0 2em; }
.desc { white-space: pre-wrap; color: #444; background: #f6f6f6; padding: .5em .8em; font-size: .9em; }
div.scenario { border: 1px solid #ccc; border-left: 6px solid #176c2d; margin: .8em 0; padding: .4em .8em;
               page-break-inside: avoid; break-inside: avoid; }
div.scenario.failed { border-left-color: #b00020; background: #fff5f6; }
div.scenario.skipped { border-left-color: #8a6d00; }
.sc-head { font-weight: bold; }
.badge { display: inline-block; min-width: 3.5em; text-align: center; border-radius: 3px; color: #fff;
         padding: 0 .4em; margin-right: .5em; font-weight: normal; }
.badge.passed { background: #176c2d; } .badge.failed { background: #b00020; }
.badge.skipped { background: #8a6d00; }
.example { color: #333; font-size: .9em; margin: .2em 0; }
ol.steps { margin: .3em 0; padding-left: 1.6em; }
ol.steps li { margin: .1em 0; }
.kw { font-weight: bold; margin-right: .3em; }
.mark { display: inline-block; width: 1.2em; }
table.data { border-collapse: collapse; margin: .2em 0 .4em; font-size: .9em; }
table.data td { border: 1px solid #ccc; padding: 0 .5em; }
pre.error { white-space: pre-wrap; background: #fde7ea; border: 1px solid #e8a0aa; padding: .4em .6em;
            font-size: .85em; margin: .3em 0; }
nav ul { columns: 2; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  nav { display: none; }
  section.task { page-break-before: always; break-before: page; border-top: none; }
  section.task:first-of-type { page-break-before: auto; break-before: auto; }
  div.scenario.failed { background: none; }
  .badge { color: #000; border: 1px solid #000; background: none !important; }
}
"""

MARK = {PASSED: "✓", FAILED: "✗", SKIPPED: "–", NOT_RUN: "·"}
MARK_CLASS = {PASSED: "ok", FAILED: "bad", SKIPPED: "skip", NOT_RUN: "norun"}


def _counts(scenarios: list[Scenario]) -> dict[str, int]:
    out = {PASSED: 0, FAILED: 0, SKIPPED: 0}
    for s in scenarios:
        out[s.status] += 1
    return out


def _render_scenario(s: Scenario) -> str:
    parts = [
        f'<div class="scenario {s.status}">',
        f'<div class="sc-head"><span class="badge {s.status}">{STATUS_ZH[s.status]}</span>'
        f"{escape(s.keyword)}：{escape(s.name)}</div>",
    ]
    if s.example:
        shown = "，".join(f"{escape(k)}＝{escape(v) or '（空）'}" for k, v in s.example.items())
        parts.append(f'<div class="example">例子：{shown}</div>')
    elif s.example_text:
        parts.append(f'<div class="example">例子：{escape(s.example_text)}</div>')
    parts.append('<ol class="steps">')
    for step in s.steps:
        title, css = STATUS_ZH[step.status], MARK_CLASS[step.status]
        note = f' <span class="{css}">（{title}）</span>' if step.status != PASSED else ""
        parts.append(
            f'<li><span class="mark {css}" title="{title}">{MARK[step.status]}</span>'
            f'<span class="kw">{escape(step.keyword)}</span>{escape(step.text)}{note}'
        )
        if step.table:
            rows = "".join(
                "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in step.table
            )
            parts.append(f'<table class="data">{rows}</table>')
        if step.error:
            parts.append(f'<pre class="error">失败原因：\n{escape(step.error)}</pre>')
        parts.append("</li>")
    parts.append("</ol></div>")
    return "\n".join(parts)


def _task_key(task: int | None) -> tuple[int, int]:
    return (1, 0) if task is None else (0, task)


def render(features: list[Feature], source: str = "", generated: datetime | None = None) -> str:
    generated = generated or datetime.now()
    everything = [s for f in features for s in f.scenarios]
    total = _counts(everything)
    tasks: dict[int | None, list[Feature]] = {}
    for f in sorted(features, key=lambda f: (_task_key(f.task), f.name)):
        tasks.setdefault(f.task, []).append(f)

    verdict = (
        '<p class="bad"><strong>有场景未通过，请查看下方标红的场景。</strong></p>'
        if total[FAILED]
        else '<p class="ok"><strong>全部场景通过。</strong></p>'
        if everything
        else "<p>没有运行任何场景。</p>"
    )
    rows = []
    for task, group in tasks.items():
        c = _counts([s for f in group for s in f.scenarios])
        label = f"任务{task}" if task is not None else "其他"
        rows.append(
            f'<tr><td><a href="#task-{task if task is not None else "other"}">{label}</a></td>'
            f'<td>{sum(c.values())}</td><td class="ok">{c[PASSED]}</td><td class="bad">{c[FAILED]}</td>'
            f'<td class="skip">{c[SKIPPED]}</td></tr>'
        )
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>政策场景核对报告</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>政策场景核对报告</h1>",
        '<p class="meta">重庆市稳就业政策（其他〔2020〕4号）补贴资格规则引擎 · '
        f"生成时间：{generated:%Y-%m-%d %H:%M}"
        + (f" · 数据来源：{escape(source)}" if source else "")
        + "</p>",
        verdict,
        '<table class="counts"><tr><th>任务</th><th>场景</th><th>通过</th><th>未通过</th><th>跳过</th></tr>',
        *rows,
        f"<tr><th>合计</th><th>{len(everything)}</th><th class='ok'>{total[PASSED]}</th>"
        f"<th class='bad'>{total[FAILED]}</th><th class='skip'>{total[SKIPPED]}</th></tr></table>",
        "<p class='meta'>✓ 通过　✗ 未通过　· 因前一步未通过而未执行　– 跳过。"
        "“例子”一行列出该场景大纲本次使用的数值。</p>",
    ]
    for task, group in tasks.items():
        anchor = task if task is not None else "other"
        heading = f"任务{task}" if task is not None else "其他（功能名称中没有“任务N”）"
        out.append(f'<section class="task" id="task-{anchor}"><h2>{heading}</h2>')
        for f in group:
            c = _counts(f.scenarios)
            out.append('<section class="feature">')
            out.append(
                f"<h3>{escape(f.name)}</h3>"
                f'<p class="meta">文件：{escape(f.uri)} · 场景 {len(f.scenarios)} 个，'
                f'<span class="ok">通过 {c[PASSED]}</span>，<span class="bad">未通过 {c[FAILED]}</span>'
                + (f"，跳过 {c[SKIPPED]}" if c[SKIPPED] else "")
                + "</p>"
            )
            if f.description.strip():
                out.append(f'<div class="desc">{escape(f.description.strip())}</div>')
            out += [_render_scenario(s) for s in f.scenarios]
            out.append("</section>")
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 2 or any(a in ("-h", "--help") for a in args):
        print(__doc__, file=sys.stderr)
        return 2
    json_path = Path(args[0]) if args else DEFAULT_JSON
    html_path = Path(args[1]) if len(args) > 1 else DEFAULT_HTML
    try:
        features = load(json_path)
    except FileNotFoundError:
        hint = f"先运行 pytest features --cucumberjson={json_path}"
        print(f"找不到场景结果文件：{json_path}（{hint}）", file=sys.stderr)
        return 1
    except (json.JSONDecodeError, ValueError) as err:
        print(f"{json_path}：无法读取场景结果（{err}）", file=sys.stderr)
        return 1
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(render(features, source=str(json_path)), encoding="utf-8")
    c = _counts([s for f in features for s in f.scenarios])
    print(f"场景报告已生成：{html_path}（通过 {c[PASSED]}，未通过 {c[FAILED]}，跳过 {c[SKIPPED]}）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
