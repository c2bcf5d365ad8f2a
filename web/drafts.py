"""Forms kept as drafts in the browser (static/desk.js) until they are saved.

A page with ``<form data-draft="KEY">`` has its fields saved in this browser's local storage as they
are typed, under the signed-in user's name, for at most 24 hours, encrypted with the user's draft
key (``draft_key``), which only their signed-in pages carry. When the server saves such a form it
calls ``draft_done(KEY)``; the next page tells the browser to drop that draft. Logging out wipes
every draft in the browser (``wipe_drafts``), and so does a page noticing that the login ended; a
submit refused because the login had ended keeps its form again, and the form offers it after the
next login.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app, g, session


def draft_done(key: str) -> None:
    session["draft_done"] = key


def wipe_drafts() -> None:
    """The next page (the login page, after a logout) wipes every draft kept in this browser."""
    session["wipe_drafts"] = "1"


def draft_key() -> str:
    """The signed-in user's key for their drafts (AES-256, base64), or "" when nobody is signed in.

    Derived from the secret key, the user and their password hash: the same after signing in again
    (a draft survives a login's end), different after a password change (old drafts cannot be read).
    """
    user = g.get("user")
    if user is None:
        return ""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    mac = hmac.new(secret, f"draft:{user.id}:{user.password_hash}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")
