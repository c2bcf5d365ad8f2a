"""``subsidy serve``: migrate the database, then serve with waitress (or werkzeug's server)."""

from __future__ import annotations

import sys

from web import create_app
from web.migrate import upgrade
from web.sealing import seal_existing


def serve(host: str = "127.0.0.1", port: int = 5000, threads: int = 8) -> int:
    app = create_app()
    upgrade(app.config["DATABASE_URL"])
    seal_existing(app)  # ID numbers stored before migration 0005: encrypted now
    from engine.evaluate import default_engine

    default_engine()  # compile the rules before the first caseworker waits for it
    try:
        from waitress import serve as waitress_serve
    except ImportError:
        print("waitress 未安装，使用 werkzeug 开发服务器（仅限本机使用）", file=sys.stderr)
        app.run(host=host, port=port, threaded=True)
        return 0
    print(f"稳就业补贴审核台：http://{host}:{port}/", file=sys.stderr)
    waitress_serve(app, host=host, port=port, threads=threads, ident="subsidy")
    return 0
