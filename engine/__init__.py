"""The eligibility engine for Chongqing notice 其他〔2020〕4号.

Supported Pythons: 3.11 (verified) and 3.12 (durable-rules 2.0.28's C module still compiles: it
calls ``PyEval_CallObject``, deprecated since 3.9 and removed in 3.13). pyproject.toml's
``requires-python`` makes pip refuse other versions at install; ``unsupported_python`` gives the
same reason in one line at the first run of ``subsidy`` when the package was put in place some
other way (a source checkout on PYTHONPATH), instead of an ImportError about a missing C symbol.
"""

from __future__ import annotations

import sys

SUPPORTED_PYTHONS = ((3, 11), (3, 12))


def unsupported_python(version: tuple[int, ...] = tuple(sys.version_info)) -> str | None:
    """Why this interpreter cannot run the engine, in one line; None when it can."""
    if tuple(version[:2]) in SUPPORTED_PYTHONS:
        return None
    shown = ".".join(map(str, version[:3]))
    return (
        f"不支持 Python {shown}：请使用 Python 3.11 或 3.12（规则引擎 durable-rules 2.0.28 "
        f"不能在 3.13 及以后的版本上运行）。Unsupported Python {shown}: use 3.11 or 3.12."
    )
