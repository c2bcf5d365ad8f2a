"""README's commands work exactly as written on a fresh clone.

Every command README shows (in ``sh`` blocks and in inline code) is read here. Those without
placeholders that are quick are run as written, in a copy of the tracked files (what a fresh clone
holds: no ``artifacts/``, no ``instance/``) with this venv linked in as ``.venv``; for every other
command, the script or module it runs must exist, ``subsidy``'s subcommand must take each option
it names, and no command may call a bare ``python`` (a fresh machine may have none, or another).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
VENV = Path(sys.prefix)
STARTS = (".venv/bin/", "python", "subsidy ", "subsidy\n", "bash ", "SUBSIDY_")
# Commands that are run: quick, and touching nothing outside the copy.
RUN = (
    ".venv/bin/subsidy evaluate",
    "subsidy evaluate",
    "subsidy rules",
    "subsidy schema",
    "subsidy --version",
    ".venv/bin/python -m pytest features",
    ".venv/bin/python scripts/feature_report.py",
)
PLACEHOLDER = re.compile(r"[A-Z]{2,}[A-Z_]*(?:\.\w+)?\b|[\[\]|$<>]|关键词")


def _lines(block: str) -> list[str]:
    """A shell block's commands: continuation lines (a trailing \\, or an indented line of
    options) joined, comments dropped."""
    out: list[str] = []
    for raw in block.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not line.strip():
            continue
        if out and (
            out[-1].endswith("\\") or (re.match(r"\s+[\[-]", raw) and not raw.strip().startswith(".venv"))
        ):
            out[-1] = out[-1].rstrip("\\").rstrip() + " " + line.strip()
        else:
            out.append(line.strip())
    return out


def commands() -> list[str]:
    """Every command README shows, each ``&&``-joined part on its own."""
    found: list[str] = []
    for block in re.findall(r"```(?:sh|bash)\n(.*?)```", README, re.S):
        found += _lines(block)
    parts = [p.strip() for c in found for p in c.split("&&")]
    return list(dict.fromkeys(p for p in parts if p))


def mentions() -> list[str]:
    """Commands named in the text (inline code with a space: a word alone is no command)."""
    spans = [c for c in re.findall(r"`([^`\n]+)`", README) if c.startswith(STARTS) and " " in c]
    parts = [p.strip() for c in spans for p in c.split("&&")]
    return list(dict.fromkeys(p for p in parts if p))


def _argv(command: str) -> list[str]:
    words = shlex.split(command)
    while words and re.match(r"^[A-Z_]+=", words[0]):  # VAR=value before the command
        words.pop(0)
    return words


BLOCKS = commands()  # shown to be typed: the quick ones are run
ALL = list(dict.fromkeys(BLOCKS + mentions()))


def test_readme_shows_commands():
    assert any(c.startswith(".venv/bin/subsidy evaluate samples/") for c in ALL)
    assert any("--cucumberjson=artifacts/features.json" in c for c in ALL)


@pytest.mark.parametrize("command", ALL)
def test_no_command_calls_a_bare_python(command: str):
    argv = _argv(command)
    assert not argv or argv[0] != "python", f"{command}: use .venv/bin/python (or python3 before the venv)"


@pytest.mark.parametrize("command", [c for c in ALL if re.search(r"\.py\b|-m \w", c)])
def test_scripts_and_modules_named_exist(command: str):
    argv = _argv(command)
    for i, word in enumerate(argv):
        if word.endswith(".py") and "/" in word:
            assert (ROOT / word).is_file(), f"{command}: no {word}"
        if word == "-m" and i + 1 < len(argv) and argv[i + 1].split(".")[0] in ("web", "engine", "scripts"):
            module = ROOT / argv[i + 1].replace(".", "/")
            assert module.with_suffix(".py").is_file() or (module / "__main__.py").is_file(), command


def _subsidy(command: str) -> list[str] | None:
    argv = [w for w in _argv(command.replace("[", " ").replace("]", " "))]
    if not argv or argv[0] not in ("subsidy", ".venv/bin/subsidy"):
        return None
    return argv[1:]


@pytest.mark.parametrize("command", [c for c in ALL if _subsidy(c) is not None])
def test_every_subsidy_option_shown_exists(command: str, capsys):
    argv = _subsidy(command) or []
    sub = next((w for w in argv if not w.startswith("-")), None)
    help_args = [sub, "--help"] if sub and not argv[0].startswith("-") else ["--help"]
    assert main(help_args) == 0
    text = capsys.readouterr().out
    for word in argv:
        option = word.split("=")[0]
        if option.startswith("-") and option not in ("-", "--"):
            assert re.search(rf"(^|[\s,\[]){re.escape(option)}\b", text), f"{command}: no option {option}"


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """The tracked files as they are in the work tree (a fresh clone's), and this venv as .venv."""
    target = tmp_path_factory.mktemp("clone")
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(VENV)
    return target


RUNNABLE = [
    c
    for c in BLOCKS + [m for m in mentions() if m.startswith(".venv/bin/")]
    if c.startswith(RUN) and not PLACEHOLDER.search(c.split(" ", 1)[-1])
]


def test_the_quick_commands_are_found():
    assert ".venv/bin/subsidy evaluate samples/person-near-retirement.json --as-of 2020-09-15" in RUNNABLE
    assert ".venv/bin/python -m pytest features --cucumberjson=artifacts/features.json" in RUNNABLE


def test_readme_commands_run_as_written_on_a_fresh_clone(clone: Path):
    for command in RUNNABLE:  # in README's order: the report reads what the features run wrote
        argv = _argv(command)
        if argv[0] == "subsidy":
            argv[0] = ".venv/bin/subsidy"
        argv[0] = str(clone / argv[0]) if argv[0].startswith(".venv/") else argv[0]
        done = subprocess.run(argv, cwd=clone, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    assert (clone / "artifacts" / "features.html").is_file()
