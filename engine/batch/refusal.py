"""A refusal of a whole run, worded in both languages: the command prints the one asked for."""

from __future__ import annotations


class Refusal(ValueError):
    """Nothing is evaluated; ``str()`` is the Chinese text, ``en`` the English one (if worded)."""

    def __init__(self, zh: str, en: str | None = None):
        super().__init__(zh)
        self.en = en

    def text(self, lang: str) -> str:
        return self.en if lang == "en" and self.en else str(self)
