"""Bounded memories for answers a registry repeats (classes of facts, outcomes, grants, cells).

They are plain dicts, so a lookup stays a plain ``dict.get``; ``keep`` is called only to add.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def keep(memory: dict[K, V], key: K, value: V, limit: int) -> V:
    """Remember ``value`` under ``key`` and return it; a full memory forgets everything first, so
    a worker's memory stays bounded whatever the registry holds."""
    if len(memory) >= limit:
        memory.clear()
    memory[key] = value
    return value
