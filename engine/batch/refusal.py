"""A refusal of a whole run, worded in both languages: the command prints the one asked for."""

from __future__ import annotations

from engine.values import Worded, in_lang


class Refusal(Worded):
    """Nothing is evaluated; ``str()`` is the Chinese text, ``text("en")`` the English one (the
    Chinese where no English is worded)."""

    def __init__(self, zh: str, en: str | None = None):
        super().__init__(zh, en or zh)

    @property
    def en(self) -> str:
        return self.args[0].en

    def text(self, lang: str) -> str:
        return in_lang(self.args[0], lang)
