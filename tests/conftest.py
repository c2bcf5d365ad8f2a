"""Fixtures shared by the engine's and the web desk's tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def make_registry() -> ModuleType:
    """bench/make_registry.py (bench/ is not a package): the benchmarks' realistic registries."""
    spec = importlib.util.spec_from_file_location("make_registry", ROOT / "bench" / "make_registry.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
