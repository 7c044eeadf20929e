"""Event patterns: parse, validate and compile, with EventBridge's errors.

A pattern compiles to one or more *sub-rules* (``$or`` expands into
several); a sub-rule maps a dotted field path (``detail.campaign.campaignId``)
to the matchers of that field; an event matches a sub-rule when every field
has a value that one of its matchers accepts, and a pattern when any of its
sub-rules matches. The checks, their order and their messages follow
aws/event-ruler's ``JsonRuleCompiler``, which EventBridge runs, so an invalid
pattern is refused here with the reason AWS gives
(``Event pattern is not valid. Reason: ...``).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any, NoReturn

from eventbus.jsonvalues import Num, comparable, is_number, jackson_reason, loads, number_text
from eventbus.matchers import (
    AnythingBut,
    AnythingButString,
    Cidr,
    EqualsIgnoreCase,
    Exact,
    Exists,
    IpExact,
    Matcher,
    Numeric,
    Prefix,
    Suffix,
    Wildcard,
    looks_like_ip,
    parse_ip,
)

OR = "$or"
RESERVED_IN_OR = (
    "exact",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "numeric",
    "cidr",
    "exists",
    "wildcard",
)
MAX_PATTERN_CHARS = 4096
# How many wildcard positions of one pattern may be alive at once while
# reading a value. EventBridge refuses ``*:*:*:*:*:event-bus/*`` and accepts
# ``/Users/*/dir/dir/dir/dir/dir/doc.txt``; its exact limit is not published,
# so this bound is chosen between the two (see docs/eventbus.md).
MAX_WILDCARD_COMPLEXITY = 5

SubRule = dict[str, tuple[Matcher, ...]]


class InvalidPatternError(ValueError):
    """``InvalidEventPatternException``: the message is AWS's wording."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"Event pattern is not valid. Reason: {reason}")


def _barf(reason: str) -> NoReturn:
    raise InvalidPatternError(reason)


@dataclass(frozen=True)
class Pattern:
    text: str
    subrules: tuple[SubRule, ...]

    @property
    def paths(self) -> set[str]:
        return {p for s in self.subrules for p in s}


def compile_pattern(pattern: str | dict[str, Any]) -> Pattern:
    """Validate an event pattern (JSON text or a parsed mapping)."""
    if isinstance(pattern, str):
        text = pattern
        try:
            parsed = loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidPatternError(jackson_reason(exc, text)) from None
        except (ValueError, RecursionError) as exc:
            raise InvalidPatternError(str(exc)) from None
    else:
        text = json.dumps(pattern)
        parsed = loads(text)
    if not isinstance(parsed, dict):
        _barf("Filter is not an object")
    rules: list[SubRule] = []
    _parse_object(parsed, (), rules, in_or=False)
    return Pattern(text, tuple(rules))


def _join(path: tuple[str, ...], name: str) -> str:
    return ".".join((*path, name))


def _parse_object(obj: dict[str, Any], path: tuple[str, ...], rules: list[SubRule], in_or: bool) -> None:
    if not obj:
        _barf("Empty objects are not allowed")
    for name, value in obj.items():
        if name == OR:
            _parse_or(value, path, rules)
            continue
        if in_or and name in RESERVED_IN_OR:
            _barf(f"{name} is Ruler reserved fieldName which cannot be used inside {OR}.")
        if isinstance(value, dict):
            _parse_object(value, (*path, name), rules, in_or)
        elif isinstance(value, list):
            _write_rules(rules, _join(path, name), value)
        else:
            _barf(f'"{name}" must be an object or an array')


def _parse_or(value: Any, path: tuple[str, ...], rules: list[SubRule]) -> None:
    current = [dict(r) for r in rules]
    rules.clear()
    if not isinstance(value, list):
        _barf(f"It must be an Array followed with {OR}.")
    for element in value:
        if not isinstance(element, dict):
            _barf(f"Only JSON object is allowed in array of {OR} relationship.")
        branch = [dict(r) for r in current] or [{}]
        _parse_object(element, path, branch, in_or=True)
        rules.extend(branch)
    if len(value) < 2:
        _barf(f"There must have at least 2 Objects in {OR} relationship.")


def _write_rules(rules: list[SubRule], name: str, values: list[Any]) -> None:
    matchers: list[Matcher] = []
    for v in values:
        if isinstance(v, dict):
            matchers.append(_match_expression(v))
        elif isinstance(v, str):
            ip = parse_ip(v) if looks_like_ip(v) else None
            matchers.append(IpExact(v, ip) if ip is not None else Exact(v))
        elif isinstance(v, bool) or v is None:
            matchers.append(Exact(v))
        elif is_number(v):
            matchers.append(Exact(v, comparable(v)))
        else:
            _barf("Match value must be String, number, true, false, or null")
    if not matchers:
        _barf("Empty arrays are not allowed")
    if not rules:
        rules.append({})
    for rule in rules:
        rule[name] = tuple(matchers)


def _only_key(expr: dict[str, Any], message: str = "Only one key allowed in match expression") -> None:
    if len(expr) > 1:
        _barf(message)


def _match_expression(expr: dict[str, Any]) -> Matcher:
    if not expr:
        _barf("Match expression name not found")
    kind, value = next(iter(expr.items()))
    m = _one_expression(kind, value)
    _only_key(
        expr,
        "Too many elements in numeric expression"
        if kind in ("numeric", "anything-but")
        else "Only one key allowed in match expression",
    )
    return m


def _one_expression(kind: str, value: Any) -> Matcher:
    if kind == "exact":
        if not isinstance(value, str):
            _barf("exact match pattern must be a string")
        return Exact(value)
    if kind in ("prefix", "suffix"):
        if isinstance(value, dict):
            return _affix_ignore_case(kind, value)
        if not isinstance(value, str):
            _barf(f"{kind} match pattern must be a string")
        return Prefix(value) if kind == "prefix" else Suffix(value)
    if kind == "numeric":
        if not isinstance(value, list):
            _barf("Value of numeric must be an array.")
        return _numeric(value)
    if kind == "anything-but":
        return _anything_but(value)
    if kind == "exists":
        if not isinstance(value, bool):
            _barf("exists match pattern must be either true or false.")
        return Exists(value)
    if kind == "cidr":
        if not isinstance(value, str):
            _barf("prefix match pattern must be a string")
        return Cidr(_cidr(value))
    if kind == "equals-ignore-case":
        if not isinstance(value, str):
            _barf("equals-ignore-case match pattern must be a string")
        return EqualsIgnoreCase(value)
    if kind == "wildcard":
        if not isinstance(value, str):
            _barf("wildcard match pattern must be a string")
        check_wildcard(value)
        return Wildcard(value)
    _barf(f"Unrecognized match type {kind}")
    raise AssertionError  # unreachable


def _affix_ignore_case(kind: str, value: dict[str, Any]) -> Matcher:
    if not value:
        _barf(f"{kind.title()} expression name not found")
    op, text = next(iter(value.items()))
    if op != "equals-ignore-case":
        _barf(f"Unsupported {kind} pattern: {op}")
    if not isinstance(text, str):
        _barf("equals-ignore-case match pattern must be a string")
    _only_key(value)
    return Prefix(text, True) if kind == "prefix" else Suffix(text, True)


def _number(v: Any) -> float:
    c = comparable(v)
    if c is None:
        _barf(f"Cannot compare number : {number_text(v)}")
    return c


def _token_text(arr: list[Any], i: int) -> str:
    if i >= len(arr):
        return "]"
    v = arr[i]
    if isinstance(v, str):
        return v
    if is_number(v):
        return number_text(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    return "[" if isinstance(v, list) else "{"


def _numeric(arr: list[Any]) -> Numeric:
    if not arr or not isinstance(arr[0], str):
        _barf(f"Invalid member in numeric match: {_token_text(arr, 0)}")
    op = arr[0]
    names = {"=": "equals", ">=": ">=", ">": ">", "<=": "<=", "<": "<"}
    if op not in names:
        _barf(f"Unrecognized numeric range operator: {op}")
    if len(arr) < 2 or not is_number(arr[1]):
        _barf(f"Value of {names[op]} must be numeric")
    v = _number(arr[1])
    if op == "=":
        if len(arr) > 2:
            _barf("Too many elements in numeric expression")
        return Numeric(v, False, v, False)
    if op in ("<", "<="):
        if len(arr) > 2:
            _barf("Too many elements in numeric expression")
        return Numeric(None, False, v, op == "<")
    if len(arr) == 2:
        return Numeric(v, op == ">", None, False)
    if not isinstance(arr[2], str):
        _barf(f"Bad value in numeric range: {_token_text(arr, 2)}")
    op2 = arr[2]
    if op2 not in ("<", "<="):
        _barf(f"Bad numeric range operator: {op2}")
    if len(arr) < 4 or not is_number(arr[3]):
        _barf(f"Value of {op2} must be numeric")
    top = _number(arr[3])
    if len(arr) > 4:
        _barf("Too many terms in numeric range expression")
    if not v < top:
        _barf("Bottom must be less than top")
    return Numeric(v, op == ">", top, op2 == "<")


_AB_KINDS = ("equals-ignore-case", "prefix", "suffix", "wildcard")


def _anything_but(value: Any) -> Matcher:
    kind = ""
    if isinstance(value, dict):
        if not value:
            _barf("Anything-But expression name not found")
        kind, value_inner = next(iter(value.items()))
        if kind not in _AB_KINDS:
            _barf(f"Unsupported anything-but pattern: {kind}")
        if len(value) > 1:
            # the inner object holds one operator only
            inner_ok = isinstance(value_inner, (list, str)) or is_number(value_inner)
            if inner_ok:
                _barf("Too many elements in numeric expression")
        value = value_inner
    if not (isinstance(value, (list, str)) or is_number(value)):
        _barf("Value of anything-but must be an array or single string/number value.")
    items = value if isinstance(value, list) else [value]
    if not kind:
        strings: set[str] = set()
        numbers: set[float | str] = set()
        for v in items:
            if isinstance(v, str):
                strings.add(v)
            elif is_number(v):
                c = comparable(v)
                numbers.add(c if c is not None else number_text(v))
            else:
                _barf(
                    "Inside anything but list, start|null|boolean is not supported."
                    if isinstance(value, list)
                    else "Inside anything-but list, start|null|boolean is not supported."
                )
        if bool(strings) == bool(numbers):
            _barf("Inside anything but list, either all values are number or string, mixed type is not supported")
        return AnythingBut(frozenset(strings), frozenset(numbers))
    texts = []
    for v in items:
        if isinstance(v, str):
            if kind in ("prefix", "suffix") and v == "":
                _barf("Null prefix/suffix not allowed")
            texts.append(v)
        elif kind == "equals-ignore-case":
            _barf("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.")
        elif kind == "wildcard":
            _barf("wildcard match pattern must be a string")
        else:
            _barf("prefix/suffix match pattern must be a string")
    if kind == "wildcard":
        for t in texts:
            check_wildcard(t)
    return AnythingButString(kind, tuple(texts))


def _cidr(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    parts = text.split("/")
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()  # as Java's String.split drops trailing empty strings
    if len(parts) != 2:
        _barf("Malformed CIDR, one '/' required")
    try:
        bits = int(parts[1])
    except ValueError:
        _barf("Malformed CIDR, mask bits must be an integer")
    if bits < 0:
        _barf("Malformed CIDR, mask bits must not be negative")
    if not looks_like_ip(parts[0]):
        _barf(f"Nonstandard IP address: {parts[0]}")
    ip = parse_ip(parts[0])
    if ip is None:
        _barf(f"Invalid IP address: {parts[0]}")
    if ip.version == 4 and bits > 31:
        _barf("IPv4 mask bits must be < 32")
    if ip.version == 6 and bits > 127:
        _barf("IPv6 mask bits must be < 128")
    return ipaddress.ip_network(f"{ip}/{bits}", strict=False)


def check_wildcard(text: str) -> None:
    """Escapes and repeated stars as event-ruler's WildcardParser checks
    them (positions count UTF-8 bytes of the value in its JSON quotes, as
    AWS reports them), then the complexity bound."""
    data = text.encode("utf-8")
    i = 0
    tokens: list[int | None] = []  # None = star, else a byte
    while i < len(data):
        b = data[i]
        if b == 0x2A:
            if i + 1 < len(data) and data[i + 1] == 0x2A:
                _barf(f"Consecutive wildcard characters at pos {i + 1}")
            tokens.append(None)
        elif b == 0x5C:
            if i + 1 < len(data) and data[i + 1] in (0x2A, 0x5C):
                tokens.append(data[i + 1])
                i += 2
                continue
            _barf(f"Invalid escape character at pos {i + 1}")
        else:
            tokens.append(b)
        i += 1
    if wildcard_complexity(tokens) > MAX_WILDCARD_COMPLEXITY:
        _barf(
            "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences "
            "after a wildcard character"
        )


def wildcard_complexity(tokens: list[int | None]) -> int:
    """The largest number of star positions a reader can be inside at once,
    over every possible value (a subset construction over the pattern)."""
    if tokens.count(None) < 2:
        return tokens.count(None)
    alphabet = {t for t in tokens if t is not None} | {-1}

    def closure(states: set[int]) -> frozenset[int]:
        out = set(states)
        for s in states:
            j = s
            while j < len(tokens) and tokens[j] is None:
                j += 1
                out.add(j)
        return frozenset(out)

    start = closure({0})
    seen = {start}
    todo = [start]
    best = 0
    while todo:
        cur = todo.pop()
        best = max(best, sum(1 for s in cur if s < len(tokens) and tokens[s] is None))
        for ch in alphabet:
            nxt = set()
            for s in cur:
                if s < len(tokens):
                    t = tokens[s]
                    if t is None:
                        nxt.add(s)
                    elif t == ch:
                        nxt.add(s + 1)
            if nxt:
                c = closure(nxt)
                if c not in seen:
                    seen.add(c)
                    todo.append(c)
                    if len(seen) > 5000:
                        return MAX_WILDCARD_COMPLEXITY + 1
    return best


__all__ = ["InvalidPatternError", "Num", "Pattern", "compile_pattern"]
