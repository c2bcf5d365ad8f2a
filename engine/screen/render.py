"""A letters' document rendered to PDF in a worker process. Kept apart from the rest of
engine/screen so a worker imports WeasyPrint only (not polars, the engine or the rule book): each
spawned worker starts in well under a second."""

from __future__ import annotations

import os
from pathlib import Path


def render(task: tuple[str, str]) -> str:
    """One document's HTML to its part file (written whole, then renamed); a part already there was
    rendered before an interruption and is kept."""
    from weasyprint import HTML

    page, target = task
    path = Path(target)
    if not path.exists():
        partial = path.with_suffix(".tmp")
        partial.write_bytes(HTML(string=page, base_url=None).write_pdf())
        os.replace(partial, path)
    return target
