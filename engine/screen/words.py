"""How the screen's worklists, 公示 lists and letters word and name things: program titles, lead
units and questions (worded once each), masked names and ID numbers, folder names."""

from __future__ import annotations

from engine.districts import DistrictBook
from engine.evaluate import missing_fact
from engine.rulebook import RuleBook

WHO = {"caseworker": "经办人（核实）"}  # the applicant: 本人 or 本单位 (APPLICANT)
APPLICANT = {"person": "本人", "enterprise": "本单位"}


def mask_name(name: str) -> str:
    """张三 → 张*, 王小明 → 王*明, 欧阳小明 → 欧**明: the middle masked, as 公示 lists print them."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id(number: str) -> str:
    """The first 6 and last 4 characters of an ID number (as the desk's notices show it); a shorter
    text is masked whole: a full ID number is never printed."""
    number = number.strip()
    if len(number) < 15:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


class Words:
    """Program titles, lead units and questions, worded once each."""

    def __init__(self, book: RuleBook, settings: DistrictBook):
        self.book = book
        self.settings = settings
        self._asked: dict[tuple[str, str, str], tuple[str, str]] = {}

    def lead(self, program: str) -> str:
        return "、".join(self.book.rules[program].lead_units)

    def title(self, program: str) -> str:
        return self.book.rules[program].title("zh")

    def question(self, program: str, fact: str, district: str) -> tuple[str, str]:
        """(the question, who answers it)."""
        key = (program, fact, district)
        if key not in self._asked:
            facts = {"district.settings": self.settings, "district.name": district}
            m = missing_fact(self.book.rules[program], fact, "zh", facts)
            who = (
                APPLICANT[self.book.rules[program].subject]
                if m.asked_of == "applicant"
                else WHO.get(m.asked_of)
            )
            if who is None:  # a district setting: its office declares it
                term = self.settings.terms[fact.split(".", 1)[1]]
                who = f"{district}{term.declared_by('zh')}"
            self._asked[key] = (m.question, who)
        return self._asked[key]


def folder_name(name: str) -> str:
    """A district's or unit's name as a folder name (they are fixed words; no path separators)."""
    return name.replace("/", "／").replace("\\", "＼").strip(".") or "_"
