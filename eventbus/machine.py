"""A compiled rule set: which rules match an event, without testing every
rule on every event.

Rules are compiled into *conditions* (a field path and its matchers),
shared between rules that state the same one (``source: ["aws.connect"]``
in a hundred rules is one condition). For each path the machine keeps a
hash of the literal values that satisfy some condition, a hash of the
case-sensitive prefixes (one lookup per distinct prefix length) and a short
list of the other tests (numeric, suffix, anything-but...); what a value
satisfies is remembered per path (values repeat: event types, campaign
ids). An event is read once per path the rule set names, which gives the
set of satisfied conditions. Each sub-rule
is filed under its most selective condition (its *anchor*, usually an exact
value such as a campaign id): only sub-rules whose anchor is satisfied are
checked, by set membership of their other conditions. This is the counting
idea behind event-ruler's automaton, in a form that is fast in Python.

An event in which a rule's path runs through an array of objects is handed
to the reference evaluation (``evaluate.py``), which keeps the fields of
one rule on the same array element, as EventBridge does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

from eventbus.evaluate import flatten, match_subrule
from eventbus.jsonvalues import comparable
from eventbus.matchers import Exact, Exists, Matcher, Prefix
from eventbus.pattern import Pattern, compile_pattern

_DEEP = object()
MEMO_SIZE = 50_000

K = TypeVar("K", bound=Hashable)
# One path's step of the plan: its getter, its memo (value -> conditions held),
# its evaluator, and the conditions that hold when it is present / absent.
_Step = tuple[
    Callable[[Any], Any], dict[Any, tuple[int, ...]], Callable[[Any], tuple[int, ...]], tuple[int, ...], tuple[int, ...]
]


def value_key(v: Any) -> Any:
    """The hash key of a leaf value: strings as themselves, the rest tagged
    so that ``"5"``, ``5`` and ``true`` never collide."""
    if v.__class__ is str:
        return v
    if v is None or v is True or v is False:
        return ("c", v)
    return ("n", float(v))


def _literal_key(m: Matcher) -> Any:
    if not isinstance(m, Exact):
        return None
    v = m.value
    if isinstance(v, str) or v is None or isinstance(v, bool):
        return value_key(v)
    c = comparable(v)
    return None if c is None else ("n", c)


def _leaves(node: Any, out: list[Any]) -> None:
    if isinstance(node, list):
        for el in node:
            if isinstance(el, list):
                _leaves(el, out)
            elif not isinstance(el, dict):
                out.append(el)
    elif not isinstance(node, dict):
        out.append(node)


def _getter(path: str) -> Callable[[Any], Any]:
    """Read the leaf values at a dotted path; ``_DEEP`` when the path runs
    through an array of objects. Keys that contain dots
    (``{"a.b": 1}`` for path ``a.b``) are found when the plain nested path
    is absent; an event holding both spellings of one path is the one case
    where only the nested one is read here (the reference evaluation reads
    both)."""
    segs = path.split(".")
    n = len(segs)
    keys = [[".".join(segs[i:j]) if j > i else "" for j in range(n + 1)] for i in range(n)]

    def search(node: dict[str, Any], i: int, out: list[Any]) -> bool:
        deep = False
        for j in range(i + 1, n + 1):
            k = keys[i][j]
            if k in node:
                child = node[k]
                if j == n:
                    _leaves(child, out)
                else:
                    deep = descend(child, j, out) or deep
        return deep

    def descend(child: Any, j: int, out: list[Any]) -> bool:
        if isinstance(child, dict):
            return search(child, j, out)
        if isinstance(child, list):
            deep = False
            for el in child:
                if isinstance(el, dict):
                    deep = True
                    search(el, j, out)
                elif isinstance(el, list):
                    deep = descend(el, j, out) or deep
            return deep
        return False

    def get(event: Any) -> Any:
        # The common case first: plain nested objects, no dotted keys.
        node = event
        for s in segs:
            if node.__class__ is not dict:
                break
            node = node.get(s, _DEEP)
            if node is _DEEP:
                break
        else:
            if node.__class__ is list or node.__class__ is dict:
                out: list[Any] = []
                _leaves(node, out)
                return out
            return (node,)
        out = []
        if isinstance(event, dict) and search(event, 0, out):
            return _DEEP
        return out

    return get


class _PathIndex:
    __slots__ = ("absent", "exact", "get", "path", "prefixes", "present", "tests")

    def __init__(self, path: str):
        self.path = path
        self.get = _getter(path)
        self.exact: dict[Any, list[int]] = {}
        self.prefixes: dict[str, list[int]] = {}
        self.tests: dict[tuple[Any, ...], tuple[Matcher, list[int]]] = {}
        self.present: list[int] = []
        self.absent: list[int] = []


class RuleSet(Generic[K]):
    """Named patterns, compiled on first use after a change; ``K`` is the
    type of the names (a bus uses rule names, ``str``)."""

    def __init__(self) -> None:
        self._patterns: dict[K, Pattern] = {}
        self._dirty = True
        self._plan: list[_Step] = []
        self._anchors: dict[int, list[tuple[K, tuple[int, ...]]]] = {}
        self._order: dict[K, int] = {}
        self._last_checked = 0

    def __len__(self) -> int:
        return len(self._patterns)

    def add(self, key: K, pattern: Pattern | str | dict[str, Any]) -> None:
        self._patterns[key] = pattern if isinstance(pattern, Pattern) else compile_pattern(pattern)
        self._dirty = True

    def remove(self, key: K) -> None:
        if self._patterns.pop(key, None) is not None:
            self._dirty = True

    def keys(self) -> Iterable[K]:
        return self._patterns.keys()

    def _compile(self) -> None:
        conds: dict[tuple[str, tuple[Any, ...]], int] = {}
        indexes: dict[str, _PathIndex] = {}
        cost: list[int] = []
        subrules: list[tuple[K, list[int]]] = []
        for key, pattern in self._patterns.items():
            for sub in pattern.subrules:
                cids = []
                for path, matchers in sub.items():
                    ck = (path, tuple(m.key for m in matchers))
                    cid = conds.get(ck)
                    if cid is None:
                        cid = conds[ck] = len(cost)
                        cost.append(self._file(indexes.setdefault(path, _PathIndex(path)), cid, matchers))
                    cids.append(cid)
                subrules.append((key, cids))
        freq = [0] * len(cost)
        for _, cids in subrules:
            for c in cids:
                freq[c] += 1
        anchors: dict[int, list[tuple[K, tuple[int, ...]]]] = {}
        for key, cids in subrules:
            anchor = min(cids, key=lambda c: cost[c] * freq[c])
            rest = tuple(c for c in cids if c != anchor)
            anchors.setdefault(anchor, []).append((key, rest))
        self._anchors = anchors
        self._plan = [(ix.get, {}, self._evaluator(ix), tuple(ix.present), tuple(ix.absent)) for ix in indexes.values()]
        self._order = {k: i for i, k in enumerate(self._patterns)}
        self._dirty = False

    @staticmethod
    def _file(ix: _PathIndex, cid: int, matchers: tuple[Matcher, ...]) -> int:
        """Index one condition; return its cost weight (how often it is
        expected to hold: literals rarely, ``exists`` nearly always)."""
        weight = 1
        for m in matchers:
            lit = _literal_key(m)
            if lit is not None:
                ix.exact.setdefault(lit, []).append(cid)
            elif isinstance(m, Prefix) and not m.ignore_case:
                # Case-sensitive prefixes: one hash lookup per distinct length.
                ix.prefixes.setdefault(m.prefix, []).append(cid)
                weight = max(weight, 10)
            elif isinstance(m, Exists):
                (ix.present if m.present else ix.absent).append(cid)
                weight = max(weight, 100)
            else:
                ix.tests.setdefault(m.key, (m, []))[1].append(cid)
                weight = max(weight, 10)
        return weight

    @staticmethod
    def _evaluator(ix: _PathIndex) -> Callable[[Any], tuple[int, ...]]:
        """The conditions of one path that a value satisfies."""
        exact, prefixes = ix.exact, ix.prefixes
        lengths = tuple(sorted({len(p) for p in prefixes}))
        tests = tuple(ix.tests.values())

        def conditions(v: Any) -> tuple[int, ...]:
            out: list[int] = []
            if v.__class__ is str:
                out.extend(exact.get(v, ()))
                for n in lengths:
                    out.extend(prefixes.get(v[:n], ()))
            else:
                out.extend(exact.get(value_key(v), ()))
            for m, cids in tests:
                if m.test(v):
                    out.extend(cids)
            return tuple(out)

        return conditions

    def checked(self, event: Any) -> int:
        """How many sub-rules ``match`` checks for this event (those whose
        anchor holds): the work, against ``len(self)`` rules."""
        self.match(event)
        return self._last_checked

    def match(self, event: Any) -> list[K]:
        """The keys of the rules the event matches, in the order added."""
        if self._dirty:
            self._compile()
        sat: set[int] = set()
        add = sat.update
        for get, memo, conditions, present, absent in self._plan:
            vals = get(event)
            if vals is _DEEP:
                self._last_checked = len(self._patterns)
                return self._slow(event)
            if not vals:
                if absent:
                    add(absent)
                continue
            if present:
                add(present)
            for v in vals:
                # Values repeat (event types, campaign ids): remember what
                # each one satisfies, in a bounded memo per path.
                k = v if v.__class__ is str else (v.__class__, v)
                hit = memo.get(k)
                if hit is None:
                    hit = conditions(v)
                    if len(memo) >= MEMO_SIZE:
                        memo.clear()
                    memo[k] = hit
                if hit:
                    add(hit)
        if not sat:
            self._last_checked = 0
            return []
        found: set[K] = set()
        anchors = self._anchors
        checked = 0
        for cid in sat:
            candidates = anchors.get(cid, ())
            checked += len(candidates)
            for key, rest in candidates:
                if key not in found:
                    for c in rest:
                        if c not in sat:
                            break
                    else:
                        found.add(key)
        self._last_checked = checked
        if len(found) > 1:
            order = self._order
            return sorted(found, key=order.__getitem__)
        return list(found)

    def _slow(self, event: Any) -> list[K]:
        flat = flatten(event)
        return [k for k, p in self._patterns.items() if any(match_subrule(flat, s) for s in p.subrules)]
