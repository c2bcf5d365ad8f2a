"""The frozen pydantic base the rule files and the district table share, and their two-language text."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Data read from a file a person wrote: unknown keys refused, nothing changed after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    zh: str
    en: str

    def __call__(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


# Units as the rule files and the facts write them (Chinese), and as English writes them: one table,
# so a unit is not Chinese in an English page.
UNITS_EN = {
    "元": "CNY",
    "元/月": "CNY a month",
    "个月": "months",
    "天": "days",
    "岁": "years",
    "人": "people",
    "比例": "fraction",
    "%": "%",
}


def unit_word(unit: str, lang: str = "zh") -> str:
    """A unit (元, 个月) as ``lang`` writes it; one the table lacks is shown as written."""
    return unit if lang == "zh" else UNITS_EN.get(unit, unit)
