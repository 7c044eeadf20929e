"""The reference evaluation of a pattern against one event.

An event is flattened to leaf values by dotted path (an array contributes
each element; objects and empty arrays contribute nothing, so ``exists``
only sees leaves). When fields of one sub-rule sit inside the same array of
objects, their values must come from the same element, as event-ruler's
array consistency requires: ``{"a": [{"b": 1, "c": 2}, {"b": 3, "c": 4}]}``
does not match ``{"a": {"b": [1], "c": [4]}}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eventbus.matchers import Exists
from eventbus.pattern import Pattern, SubRule

Membership = tuple[tuple[int, int], ...]
Flat = dict[str, list[tuple[Any, Membership]]]


def flatten(event: Any) -> Flat:
    out: Flat = {}
    counter = [0]

    def walk(node: Any, path: str, mem: Membership) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else k, mem)
        elif isinstance(node, list):
            counter[0] += 1
            aid = counter[0]
            for i, v in enumerate(node):
                walk(v, path, (*mem, (aid, i)) if isinstance(v, (dict, list)) else mem)
        else:
            out.setdefault(path, []).append((node, mem))

    walk(event, "", ())
    return out


def _consistent(a: Membership, b: Membership) -> bool:
    if not a or not b:
        return True
    da = dict(a)
    return all(da.get(k, i) == i for k, i in b)


def match_subrule(flat: Flat, rule: SubRule) -> bool:
    options: list[list[Membership]] = []
    for path, matchers in rule.items():
        values = flat.get(path)
        if not values:
            if any(isinstance(m, Exists) and not m.present for m in matchers):
                continue
            return False
        exists = any(isinstance(m, Exists) and m.present for m in matchers)
        tests = [m for m in matchers if not isinstance(m, Exists)]
        found = [mem for v, mem in values if exists or any(m.test(v) for m in tests)]
        if not found:
            return False
        options.append(found)
    if not any(m for o in options for m in o):
        return True  # no arrays of objects involved: nothing to keep consistent
    return _search(sorted(options, key=len), 0, ())


def _search(options: list[list[Membership]], i: int, chosen: Membership) -> bool:
    if i == len(options):
        return True
    for mem in options[i]:  # noqa: SIM110 - a plain loop: no generator per level on the matcher path
        if _consistent(chosen, mem) and _search(options, i + 1, (*chosen, *mem)):
            return True
    return False


def matches(pattern: Pattern, event: Any, flat: Flat | None = None) -> bool:
    flat = flatten(event) if flat is None else flat
    return any(match_subrule(flat, r) for r in pattern.subrules)


def matching(patterns: Iterable[tuple[Any, Pattern]], event: Any) -> list[Any]:
    flat = flatten(event)
    return [key for key, p in patterns if matches(p, event, flat)]
