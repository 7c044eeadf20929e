"""Pattern semantics beyond the corpus: array consistency, numbers,
``$or`` expansion, escapes, and the reasons AWS gives for bad patterns
(wording from aws/event-ruler's JsonRuleCompiler)."""

from __future__ import annotations

import pytest

from eventbus.evaluate import matches
from eventbus.jsonvalues import loads
from eventbus.pattern import InvalidPatternError, compile_pattern


def m(pattern: dict, event: dict) -> bool:
    return matches(compile_pattern(pattern), event)


def test_fields_in_one_array_element_must_match_together():
    event = {"a": [{"b": 1, "c": 2}, {"b": 3, "c": 4}]}
    assert m({"a": {"b": [1], "c": [2]}}, event)
    assert not m({"a": {"b": [1], "c": [4]}}, event)


def test_numbers_compare_as_numbers_and_never_as_strings():
    assert matches(compile_pattern('{"n": [5]}'), loads('{"n": 5.0}'))
    assert not m({"n": [5]}, {"n": "5"})
    assert not m({"n": ["5"]}, {"n": 5})
    assert m({"n": [{"numeric": [">", 0, "<=", 5]}]}, {"n": 5})
    assert not m({"n": [{"numeric": [">", 0, "<", 5]}]}, {"n": 5})


def test_true_is_not_one():
    assert not m({"flag": [True]}, {"flag": 1})
    assert m({"flag": [True]}, {"flag": True})


def test_or_expands_into_alternatives():
    p = compile_pattern({"source": ["aws.connect"], "$or": [{"detail": {"a": [1]}}, {"detail": {"b": [2]}}]})
    assert len(p.subrules) == 2
    assert matches(p, {"source": "aws.connect", "detail": {"b": 2}})
    assert not matches(p, {"source": "other", "detail": {"b": 2}})


def test_wildcard_escapes():
    assert m({"v": [{"wildcard": "a\\*b*"}]}, {"v": "a*bcd"})
    assert not m({"v": [{"wildcard": "a\\*b*"}]}, {"v": "axbcd"})


def test_exists_sees_leaves_only():
    assert not m({"d": [{"exists": True}]}, {"d": {"x": 1}})
    assert m({"d": [{"exists": False}]}, {"d": {"x": 1}})
    assert not m({"d": [{"exists": True}]}, {"d": []})
    assert m({"d": {"x": [{"exists": True}]}}, {"d": {"x": 1}})


def test_cidr_ipv4_and_ipv6():
    assert m({"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "10.1.2.3"})
    assert not m({"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "11.1.2.3"})
    assert m({"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8:0:0:0:0:0:1"})


@pytest.mark.parametrize(
    "pattern, reason",
    [
        ('{"a": [{"numeric": ["<", 5, ">", 1]}]}', "Too many elements in numeric expression"),
        ('{"a": [{"numeric": [">", 5, "<", 1]}]}', "Bottom must be less than top"),
        ('{"a": [{"numeric": ["!=", 5]}]}', "Unrecognized numeric range operator: !="),
        ('{"a": [{"prefix": "x", "suffix": "y"}]}', "Only one key allowed in match expression"),
        ('{"a": [{"exists": "yes"}]}', "exists match pattern must be either true or false."),
        (
            '{"a": [{"anything-but": [1, "x"]}]}',
            "Inside anything but list, either all values are number or string, mixed type is not supported",
        ),
        ('{"a": [{"anything-but": {"nope": "x"}}]}', "Unsupported anything-but pattern: nope"),
        ('{"a": [{"cidr": "10.0.0.0/32"}]}', "IPv4 mask bits must be < 32"),
        ('{"a": [{"wildcard": "a\\\\b"}]}', "Invalid escape character at pos 2"),
        ('{"$or": [{"a": [1]}]}', "There must have at least 2 Objects in $or relationship."),
        (
            '{"$or": [{"prefix": [1]}, {"b": [2]}]}',
            "prefix is Ruler reserved fieldName which cannot be used inside $or.",
        ),
        ('{"a": {}}', "Empty objects are not allowed"),
        ('{"a": [[1]]}', "Match value must be String, number, true, false, or null"),
        ("[1]", "Filter is not an object"),
    ],
)
def test_invalid_pattern_reasons(pattern, reason):
    with pytest.raises(InvalidPatternError) as err:
        compile_pattern(pattern)
    assert str(err.value) == f"Event pattern is not valid. Reason: {reason}"
