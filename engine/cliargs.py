"""What every subcommand's arguments share: dates read as everywhere else, refusals on stderr.

engine/cli.py builds the parser and registers the subcommands (engine/batch/cli.py, web/commands.py);
they take these from here, so no subcommand imports the command that registers it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from engine.values import parse_date

EXIT_BAD_INPUT = 2


def as_of_date(text: str) -> date:
    """``--as-of``: read like every other date (engine/values.py); argparse prints the message."""
    try:
        return parse_date(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"评估日期：{err}") from None


def fail(message: str) -> int:
    """A refusal: one line (or a short list) on stderr, exit code 2."""
    print(message, file=sys.stderr)
    return EXIT_BAD_INPUT
