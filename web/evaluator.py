"""The desk's engine: the shipped rules with the district settings saved on the desk.

Built once per settings version in each process and rebuilt when any district's settings change
(one aggregate query per evaluation tells); the rule book itself is loaded once.
"""

from __future__ import annotations

import threading
from datetime import date

from flask import current_app

from engine.decision import Evaluation
from engine.evaluate import CaseModel, Engine, default_engine
from web import db
from web.districts import store

KEY = "subsidy.engine"
_lock = threading.Lock()


def desk_engine() -> Engine:
    session = db.session()
    wanted = store.version(session)
    cached = current_app.extensions.get(KEY)
    if cached is None or cached[0] != wanted:
        with _lock:
            cached = current_app.extensions.get(KEY)
            if cached is None or cached[0] != wanted:
                cached = (wanted, Engine(default_engine().book, settings=store.book(session)))
                current_app.extensions[KEY] = cached
    return cached[1]


def evaluate(case: CaseModel, as_of: date, lang: str = "zh") -> Evaluation:
    return desk_engine().evaluate(case, as_of, lang)
