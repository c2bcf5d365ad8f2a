"""One letter per person on a screen's worklist, combined per district into one printable PDF.

Each letter says what the person qualifies for and from when, what to confirm or bring and by when
(the dates are the policy's own: the day an entitlement starts or ends; none is invented), and the
office's address, phone and hours from the district's settings (``office``, ``office_address``,
``office_phone``, ``office_hours``; a missing one is printed as a blank to fill in, and the run says
so). Letters are rendered with WeasyPrint, as the desk's notices are, many letters to a document
(its start-up and fonts are paid once per part, not per letter) and parts in parallel worker
processes; each finished part is kept under ``OUT/.letters/`` by its content's hash, so a run
interrupted and started again renders only what is missing. The parts are joined per district.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from engine.batch.options import in_order
from engine.districts import DistrictSettings
from engine.screen.render import render
from engine.screen.words import Words, folder_name, mask_id

if TYPE_CHECKING:
    from engine.screen.options import Options

PART = 100  # letters to a document: WeasyPrint's fixed costs paid once per hundred pages
TEMPLATE = Path(__file__).with_name("letter.html")
BLANK = "＿＿＿＿＿＿＿＿＿＿（请向区县经办机构询问）"
# The district settings a letter prints, in its order: the only place their names are written.
CONTACTS = {
    "office": "经办机构",
    "office_address": "办公地址",
    "office_phone": "联系电话",
    "office_hours": "办公时间",
}


@dataclass
class Item:
    title: str
    state: str  # 符合 / 自…起符合 / 符合，享受至…止 / 尚需一项信息
    grant: str
    todo: str  # what to confirm or bring, and by when, in a sentence
    by: str  # that date (ISO), a policy date: the day the entitlement starts or ends; or ""


@dataclass
class Letter:
    district: str
    case_id: str
    line: int
    kind: str  # person | enterprise
    name: str
    id_masked: str
    items: list[Item]


def _item(r: dict[str, Any], words: Words) -> Item:
    title, c = words.title(r["program"]), r["category"]
    card = "携带本人居民身份证" if r["kind"] == "person" else ""  # what a person brings; a unit: its papers
    until, start = r["eligible_until"], r["eligible_from"]
    if c == "one":
        question, who = words.question(r["program"], r["missing"][0], r["district"])
        bring = "请到经办机构说明，并携带相关证明材料。" if who in ("本人", "本单位") else f"（由{who}确认）"
        return Item(title, "尚需一项信息", "", f"还需一项信息才能作出决定：{question}{bring}", "")
    if c == "from":
        state = f"自{_day(start)}起符合" + (f"，享受至{_day(until)}止" if until else "")
        todo = f"届时无需另行申请；请于{_day(start)}起{card}到经办机构确认。"
        return Item(title, state, r["grant"], todo, start.isoformat())
    if c == "ending":
        todo = f"请于{_day(until)}期满前{card}到经办机构确认，并了解期满后可以享受的政策。"
        return Item(title, f"符合，享受至{_day(until)}止", r["grant"], todo, until.isoformat())
    state = "符合，无需另行申请" + (f"，享受至{_day(until)}止" if until else "")
    todo = f"请{card}到经办机构确认" + (f"，最迟于{_day(until)}前。" if until else "。")
    return Item(title, state, r["grant"], todo, until.isoformat() if until else "")


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def letters(listed: pl.DataFrame, words: Words) -> dict[str, list[Letter]]:
    """The worklist's people, one letter each (all their programs), per district, in input order."""
    out: dict[str, list[Letter]] = {}
    order = {"now": 0, "ending": 1, "from": 2, "one": 3}
    rows = sorted(listed.iter_rows(named=True), key=lambda r: (r["line"], order[r["category"]]))
    current: Letter | None = None
    for r in rows:
        if current is None or current.line != r["line"]:
            number = mask_id(r["id_number"]) if r["kind"] == "person" else r["id_number"]
            current = Letter(r["district"], r["case_id"], r["line"], r["kind"], r["name"], number, [])
            out.setdefault(r["district"], []).append(current)
        current.items.append(_item(r, words))
    return out


def html(batch: list[Letter], district: str, office: DistrictSettings, as_of: date, version: str) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATE.parent), autoescape=select_autoescape(["html"]))
    template = env.get_template(TEMPLATE.name)
    return template.render(
        letters=batch,
        district=district,
        office=office,
        contacts=[(label, getattr(office, name)) for name, label in CONTACTS.items()],
        as_of=as_of.isoformat(),
        dated=_day(as_of),
        version=version,
        blank=BLANK,
    )


def render_all(tasks: list[tuple[str, str]], workers: int) -> None:
    """Every part, in parallel processes (WeasyPrint is single-threaded)."""
    todo = [t for t in tasks if not Path(t[1]).exists()]
    if workers <= 1 or len(todo) <= 1:
        for t in todo:
            render(t)
        return
    for _ in in_order(((t, 0, 0) for t in todo), min(workers, len(todo)), render, ("spawn", None, ())):
        pass  # the batch's pool: a worker lost stops the run, Ctrl-C reaches no worker


def join(parts: list[Path], target: Path) -> int:
    """The parts as one PDF, in order; returns its pages."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(str(part))
    pages = len(writer.pages)
    partial = target.with_suffix(".tmp")
    with partial.open("wb") as f:
        writer.write(f)
    os.replace(partial, target)
    return pages


def missing_contacts(office: DistrictSettings) -> list[str]:
    return [label for name, label in CONTACTS.items() if not getattr(office, name)]


FONT_PACKAGE = "fonts-wqy-microhei"  # the font scripts/test.sh and the desk's notices install


def no_chinese_font() -> str | None:
    """Why letters cannot be printed here: no font fontconfig knows covers Chinese, so WeasyPrint
    would draw every Chinese character as a box and report success. None when one does, or when
    fc-list (fontconfig's own tool) is not installed to ask."""
    try:
        found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
    except OSError:
        return None
    if found.stdout.strip():
        return None
    return (
        f"本机没有能显示中文的字体，告知信的中文会印成方框：请先安装 {FONT_PACKAGE}"
        f"（sudo apt-get install {FONT_PACKAGE}），或去掉 --letters"
    )


def write_letters(listed: pl.LazyFrame, opts: Options, words: Words) -> tuple[list[Path], list[str]]:
    """Each district's letters as ``OUT/<district>/告知信.pdf``; returns the files written and what
    each district has still to set for them."""

    settings = words.settings
    version = words.book.version
    parts_dir = opts.out / ".letters"
    parts_dir.mkdir(parents=True, exist_ok=True)
    plan: list[tuple[str, list[Path]]] = []
    tasks: list[tuple[str, str]] = []
    warnings = []
    for district in sorted(listed.select("district").unique().collect().to_series().to_list()):
        people = letters(listed.filter(pl.col("district") == district).collect(), words)[district]
        office = settings.settings(district) or DistrictSettings()
        if missing := missing_contacts(office):
            warnings.append(
                f"{district}的告知信缺少{'、'.join(missing)}（信中留空待填）：请在区县设置（rules/districts.yaml）中填写"
            )
        parts = []
        for k in range(0, len(people), PART):
            page = html(people[k : k + PART], district, office, opts.as_of, version)
            digest = hashlib.sha256(page.encode("utf-8")).hexdigest()[:20]
            part = parts_dir / f"{digest}.pdf"
            tasks.append((page, str(part)))
            parts.append(part)
        plan.append((district, parts))
    render_all(tasks, opts.workers or os.cpu_count() or 1)
    written = []
    for district, parts in plan:
        target = opts.out / folder_name(district) / "告知信.pdf"
        target.parent.mkdir(parents=True, exist_ok=True)
        join(parts, target)
        written.append(target)
    shutil.rmtree(parts_dir, ignore_errors=True)  # complete: the parts are in the districts' files
    return written, warnings
