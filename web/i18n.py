"""Chinese first, English by a switch: Flask-Babel with the catalogue in web/translations.

Message ids are the Chinese text itself, so the Chinese page needs no catalogue and a missing
English translation shows Chinese rather than a code. ``python -m web.i18n compile`` rebuilds
the .mo from the .po (the compiled file is committed, and rebuilt at start when it is stale).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import Babel, get_locale

LANGS = ("zh", "en")
TRANSLATIONS = Path(__file__).parent / "translations"
babel = Babel()


def current_lang() -> str:
    """The page's language: the caseworker's switch, else Chinese."""
    lang = session.get("lang")
    if lang in LANGS:
        return lang
    asked = request.args.get("lang")
    return asked if asked in LANGS else "zh"


def lang() -> str:
    """'zh' or 'en', for the engine's own texts (evaluate(..., lang=))."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def compile_catalogues(force: bool = False) -> list[Path]:
    """Compile every messages.po whose .mo is missing or older; returns what was written."""
    written = []
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        try:
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)
        except OSError:
            continue  # a read-only install keeps the committed .mo
        written.append(mo_path)
    return written


def init_app(app: Flask) -> None:
    compile_catalogues()
    babel.init_app(app, locale_selector=current_lang)


if __name__ == "__main__" and sys.argv[1:] == ["compile"]:
    for path in compile_catalogues(force=True):
        print(path)
