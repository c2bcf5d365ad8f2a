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


@pytest.fixture
def yuzhong_offers_hiring_subsidy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A district table in which 渝中区 runs the one-off hiring subsidy from 2020-01-01, read as a
    deployment reads its own (SUBSIDY_DISTRICTS_FILE), and an engine of its own reading it."""
    from engine.districts import districts
    from engine.evaluate import Engine
    from engine.rulebook import load_rulebook, rules_dir

    declared = (
        "  渝中区:\n    offers_hiring_subsidy:\n      - {from: 2020-01-01, value: true, document: 示例}\n"
    )
    table = (rules_dir() / "districts.yaml").read_text(encoding="utf-8").replace("  渝中区: {}\n", declared)
    path = tmp_path / "districts.yaml"
    path.write_text(table, encoding="utf-8")
    monkeypatch.setenv("SUBSIDY_DISTRICTS_FILE", str(path))
    districts.cache_clear()
    yield Engine(load_rulebook())
    districts.cache_clear()
