"""Forms kept as drafts in the browser (static/desk.js) until they are saved.

A page with ``<form data-draft="KEY">`` has its fields saved in this browser's local storage as they
are typed, under the signed-in user's name, for at most 24 hours. When the server saves such a form
it calls ``draft_done(KEY)``; the next page tells the browser to drop that draft. A submit refused
because the login had ended keeps it, and the form offers it again after the next login.
"""

from __future__ import annotations

from flask import session


def draft_done(key: str) -> None:
    session["draft_done"] = key
