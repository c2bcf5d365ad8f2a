"""At least 10,000 generated cases through validation and ``evaluate``: never a traceback, and
every refusal names its field and says what is wrong in Chinese."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fuzzing import cases, examples
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engine.errors import UNKNOWN, describe
from engine.evaluate import default_engine, evaluate
from engine.models import parse_case

PER_EXAMPLE = 25  # cases per Hypothesis example: 400 examples make the 10,000 cases
CJK = re.compile("[\u4e00-\u9fff]")
ENGINE = default_engine()
CASES = st.lists(
    cases(sorted(ENGINE.book.confirmation_keys()), tuple(sorted(ENGINE.book.rules))),
    min_size=PER_EXAMPLE,
    max_size=PER_EXAMPLE,
)


def check(data: Any, as_of: date, lang: str) -> str:
    """'decided' or 'refused'; any other outcome (an exception) fails the test."""
    try:
        case = parse_case(data, as_of)
    except ValidationError as err:
        errors = describe(err)
        assert errors
        for e in errors:
            assert CJK.search(e.message), f"not Chinese: {e}"
            assert e.message != UNKNOWN, f"a pydantic error without Chinese words: {err.errors()}"
            assert CJK.search(e.label), f"field not named in Chinese: {e}"
        return "refused"
    try:
        result = evaluate(case, as_of, lang)
    except ValueError as err:  # an unknown confirmation or program, worded by the engine
        assert CJK.search(str(err)), str(err)
        return "refused"
    assert result.decisions
    return "decided"


@examples(10_000 // PER_EXAMPLE)
@given(batch=CASES, as_of=st.dates(date(1990, 1, 1), date(2100, 12, 31)), lang=st.sampled_from(["zh", "en"]))
def test_every_generated_case_is_decided_or_refused_in_chinese(
    batch: list[Any], as_of: date, lang: str
) -> None:
    for data in batch:
        check(data, as_of, lang)
