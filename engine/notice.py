"""The notice's own text, shipped beside the rules, split into its 66 numbered tasks.

Rules quote the notice; tests check each quote against the task it cites, so a rule can never
claim words the notice does not say. The lead and responsible units come from the same text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

NOTICE_FILE = "notice/qita-2020-4.txt"
_TASK = re.compile(r"^(\d{1,2})\.(?=\S)")
_PART = re.compile(r"^[一二三四五六七]、\S+$")
_SUBSECTION = re.compile(r"^\([一二三四五六七八九十]+\)\S+$")
_UNITS = re.compile(r"\(牵头单位：([^;)]*)(?:;责任单位：([^)]*))?\)$")


@dataclass(frozen=True)
class Task:
    number: int
    part: str
    section: str
    text: str  # the task's words, without its closing unit list
    lead_units: tuple[str, ...]
    responsible_units: tuple[str, ...]


def compact(text: str) -> str:
    """Drop the line breaks and spaces the printed layout puts inside sentences."""
    return re.sub(r"\s+", "", text)


@lru_cache(maxsize=1)
def notice_text() -> str:
    return (resources.files("rules") / NOTICE_FILE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def tasks() -> dict[int, Task]:
    """Task number → Task, from the 分工 (division of tasks) part of the notice."""
    text = notice_text()
    body = text[text.index("务分工") + len("务分工") :]
    part = section = ""
    current: list[str] = []
    raw: list[tuple[int, str, str, str]] = []

    def close() -> None:
        if current:
            number, words = current[0].split(".", 1)
            raw.append((int(number), part_at, section_at, compact(words + "".join(current[1:]))))
            current.clear()

    part_at = section_at = ""
    for line in (ln.strip() for ln in body.splitlines()):
        if _PART.match(line) or _SUBSECTION.match(line) or _TASK.match(line):
            close()
        if _PART.match(line):
            part = line
        elif _SUBSECTION.match(line):
            section = line
        elif _TASK.match(line):
            part_at, section_at = part, section
            current.append(line)
        elif current and line:
            current.append(line)
    close()
    out = {}
    for number, p, s, words in raw:
        m = _UNITS.search(words)
        lead = tuple(m.group(1).split("、")) if m else ()
        resp = tuple(m.group(2).split("、")) if m and m.group(2) else ()
        out[number] = Task(number, p, s, words[: m.start()] if m else words, lead, resp)
    return out


def quotes_task(quote: str, numbers: list[int]) -> bool:
    """True when the quote is the notice's own words from the cited tasks."""
    joined = "".join(tasks()[n].text for n in numbers if n in tasks())
    return compact(quote) in joined
