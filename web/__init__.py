"""The caseworker's desk: a Flask app to enter a case, read the decision and keep the record.

``create_app`` is the application factory; ``web.wsgi:app`` is the production entry point and
``subsidy serve`` the local one. Blueprints: auth (login), cases (form, result, list), batches
(registry upload, progress, downloads), admin (accounts, API tokens), districts (district
settings), api (JSON evaluate, rules,
OpenAPI).
"""

from __future__ import annotations

from typing import Any


def create_app(config: dict[str, Any] | None = None) -> Any:
    """The Flask app (web/app.py). Flask, the database and the blueprints are imported here, when
    an app is made, so ``subsidy evaluate`` and ``subsidy batch`` start without them."""
    from web.app import create_app as make

    return make(config)
