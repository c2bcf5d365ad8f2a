"""YAML read safely (no Python objects from tags), with LibYAML's parser where PyYAML was built with
it: every run loads the rule book and the district settings, and the C parser takes a tenth of the
time of the pure-Python one (the two give the same data; tests/test_rulebook.py loads every file)."""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str) -> Any:
    return yaml.load(text, Loader=SafeLoader)
