"""Production entry point: ``gunicorn -w 2 -b 127.0.0.1:8000 web.wsgi:app`` or
``waitress-serve --listen=127.0.0.1:8000 web.wsgi:app``. Run ``subsidy db upgrade`` first.
"""

from __future__ import annotations

from web import create_app

app = create_app()
