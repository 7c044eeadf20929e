"""The AWS-validated corpus (tests/eventbus/data/README.md): every verdict
and every error message, through the reference evaluation and through the
compiled rule set."""

from __future__ import annotations

import pytest

from eventbus.evaluate import matches
from eventbus.jsonvalues import loads
from eventbus.machine import RuleSet
from eventbus.pattern import InvalidPatternError, compile_pattern
from tests.eventbus.conftest import corpus

CASES = corpus()


def test_corpus_is_complete():
    kinds = {c["expected"] for c in CASES}
    assert len(CASES) >= 160 and kinds == {"match", "no_match", "invalid", "invalid_event"}


@pytest.mark.parametrize("case", [c for c in CASES if c["expected"] == "invalid"], ids=lambda c: c["name"])
def test_invalid_patterns_refused_with_aws_message(case):
    with pytest.raises(InvalidPatternError) as err:
        compile_pattern(case["pattern"])
    assert str(err.value).startswith("Event pattern is not valid. Reason: ")
    if not case["name"].startswith("invalid_json:"):  # Jackson's wording is only approximated
        assert str(err.value) == case["error_message"]


@pytest.mark.parametrize("case", [c for c in CASES if c["expected"] in ("match", "no_match")], ids=lambda c: c["name"])
def test_verdicts(case):
    pattern = compile_pattern(case["pattern"])
    event = loads(case["event"])
    want = case["expected"] == "match"
    assert matches(pattern, event) is want
    rules = RuleSet()
    rules.add("r", pattern)
    assert (rules.match(event) == ["r"]) is want
