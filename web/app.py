"""The desk's application factory (``web.create_app`` imports it when first called)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from web import db, english, errors, i18n, sealing, security, settings
from web.drafts import draft_key
from web.filters import register_filters


class Desk(Flask):
    """Flask, with an error log that never carries the request's data (see web.errors)."""

    def log_exception(self, exc_info: Any) -> None:
        errors.log_exception(self, exc_info)


def instance_path(config: dict[str, Any] | None = None) -> Path:
    """The instance folder: ``config``'s INSTANCE_PATH, SUBSIDY_INSTANCE_PATH, else Flask's for the
    package (the commands find the database there before they make an app, which would create it)."""
    instance = (config or {}).get("INSTANCE_PATH") or os.environ.get("SUBSIDY_INSTANCE_PATH")
    return Path(instance).resolve() if instance else Path(Flask("web").instance_path)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build an app; ``config`` overrides the environment (tests pass DATABASE_URL, TESTING)."""
    app = Desk("web", instance_path=str(instance_path(config)))
    settings.private_folder(Path(app.instance_path))  # the key, the SQLite file, batch registries
    app.config.update(settings.from_environment(Path(app.instance_path), config))

    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    db.init_app(app)
    sealing.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    english.init_app(app)
    errors.init_app(app)
    register_filters(app)
    app.jinja_env.globals["user_draft_key"] = draft_key

    from web.admin.views import bp as admin_bp
    from web.api.views import bp as api_bp
    from web.auth.views import bp as auth_bp
    from web.batches.views import bp as batches_bp
    from web.caseload.views import bp as caseload_bp
    from web.cases.views import bp as cases_bp
    from web.districts.views import bp as districts_bp
    from web.notices.views import bp as notices_bp
    from web.reviews.views import bp as reviews_bp
    from web.views import bp as main_bp

    for blueprint in (
        main_bp,
        auth_bp,
        cases_bp,
        batches_bp,
        admin_bp,
        districts_bp,
        notices_bp,
        reviews_bp,
        api_bp,
        caseload_bp,
    ):
        app.register_blueprint(blueprint)
    return app
