"""Value matchers: one small class per EventBridge comparison.

Each matcher answers ``test(value)`` for one leaf value of an event (a
``str``, a number, ``True``/``False`` or ``None``) and has a ``key`` so that
identical conditions in different rules are evaluated once. The semantics
follow aws/event-ruler, the engine EventBridge runs (its README and
``JsonRuleCompiler``): strings and numbers never match each other, string
operators (prefix, suffix, wildcard, equals-ignore-case, cidr) only see
strings, ``anything-but`` matches every value that is not excluded,
including ``null`` and values of the other type.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from eventbus.jsonvalues import comparable, is_number, number_text

_IPV4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6 = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")


def looks_like_ip(text: str) -> bool:
    return bool(_IPV4.fullmatch(text) or _IPV6.fullmatch(text))


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not looks_like_ip(text):
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def fold(text: str) -> str:
    """Case folding character by character, as event-ruler compares
    (``"ß"`` does not equal ``"SS"``, which ``str.casefold`` would allow)."""
    return text.lower()


class Matcher:
    """Base: ``test`` one leaf value; ``key`` identifies equal conditions."""

    @property
    def key(self) -> tuple[Any, ...]:  # pragma: no cover - interface
        raise NotImplementedError

    def test(self, v: Any) -> bool:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Exact(Matcher):
    """A literal: a string, a number (compared as a number and as text),
    ``true``, ``false`` or ``null``."""

    value: Any
    number: float | None = None

    @property
    def key(self) -> tuple[Any, ...]:
        v = self.value
        if isinstance(v, str):
            return ("s", v)
        if v is None or isinstance(v, bool):
            return ("c", v)
        return ("n", number_text(v))

    def test(self, v: Any) -> bool:
        p = self.value
        if isinstance(p, str):
            return isinstance(v, str) and v == p
        if p is None:
            return v is None
        if isinstance(p, bool):
            return isinstance(v, bool) and v is p
        if not is_number(v):
            return False
        if number_text(v) == number_text(p):
            return True
        return self.number is not None and float(v) == self.number


@dataclass(frozen=True)
class IpExact(Matcher):
    """A literal string that is an IP address: equal addresses match
    whatever their spelling (``2001:db8::1`` and ``2001:0db8:0:0:0:0:0:1``)."""

    text: str
    address: ipaddress.IPv4Address | ipaddress.IPv6Address

    @property
    def key(self) -> tuple[Any, ...]:
        return ("ip", self.text)

    def test(self, v: Any) -> bool:
        if not isinstance(v, str):
            return False
        return v == self.text or parse_ip(v) == self.address


@dataclass(frozen=True)
class Prefix(Matcher):
    prefix: str
    ignore_case: bool = False

    @property
    def key(self) -> tuple[Any, ...]:
        return ("prefix", self.prefix, self.ignore_case)

    def test(self, v: Any) -> bool:
        if not isinstance(v, str):
            return False
        return fold(v).startswith(fold(self.prefix)) if self.ignore_case else v.startswith(self.prefix)


@dataclass(frozen=True)
class Suffix(Matcher):
    suffix: str
    ignore_case: bool = False

    @property
    def key(self) -> tuple[Any, ...]:
        return ("suffix", self.suffix, self.ignore_case)

    def test(self, v: Any) -> bool:
        if not isinstance(v, str):
            return False
        return fold(v).endswith(fold(self.suffix)) if self.ignore_case else v.endswith(self.suffix)


@dataclass(frozen=True)
class EqualsIgnoreCase(Matcher):
    text: str

    @property
    def key(self) -> tuple[Any, ...]:
        return ("eic", fold(self.text))

    def test(self, v: Any) -> bool:
        return isinstance(v, str) and fold(v) == fold(self.text)


@functools.lru_cache(maxsize=4096)
def wildcard_regex(pattern: str) -> re.Pattern[str]:
    """``*`` is any run of characters; ``\\*`` and ``\\\\`` are literals."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append(".*")
        elif c == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*\\":
            out.append(re.escape(pattern[i + 1]))
            i += 1
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


@dataclass(frozen=True)
class Wildcard(Matcher):
    pattern: str
    regex: re.Pattern[str] = field(init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", wildcard_regex(self.pattern))

    @property
    def key(self) -> tuple[Any, ...]:
        return ("wildcard", self.pattern)

    def test(self, v: Any) -> bool:
        return isinstance(v, str) and self.regex.fullmatch(v) is not None


@dataclass(frozen=True)
class Numeric(Matcher):
    """A range over numbers; either bound may be absent."""

    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False

    @property
    def key(self) -> tuple[Any, ...]:
        return ("numeric", self.low, self.low_open, self.high, self.high_open)

    def test(self, v: Any) -> bool:
        if not is_number(v):
            return False
        x = float(v)
        if self.low is not None and (x <= self.low if self.low_open else x < self.low):
            return False
        return not (self.high is not None and (x >= self.high if self.high_open else x > self.high))


@dataclass(frozen=True)
class Cidr(Matcher):
    network: ipaddress.IPv4Network | ipaddress.IPv6Network

    @property
    def key(self) -> tuple[Any, ...]:
        return ("cidr", str(self.network))

    def test(self, v: Any) -> bool:
        if not isinstance(v, str):
            return False
        ip = parse_ip(v)
        return ip is not None and ip.version == self.network.version and ip in self.network


@dataclass(frozen=True)
class Exists(Matcher):
    """Handled by the field, not per value: true when the field has at
    least one leaf value (objects and empty arrays have none)."""

    present: bool

    @property
    def key(self) -> tuple[Any, ...]:
        return ("exists", self.present)

    def test(self, v: Any) -> bool:
        return self.present


@dataclass(frozen=True)
class AnythingBut(Matcher):
    """Every value except the listed strings, or the listed numbers."""

    strings: frozenset[str] = frozenset()
    numbers: frozenset[float | str] = frozenset()

    @property
    def key(self) -> tuple[Any, ...]:
        return ("anything-but", tuple(sorted(self.strings)), tuple(sorted(self.numbers)))

    def test(self, v: Any) -> bool:
        if isinstance(v, str):
            return v not in self.strings
        if is_number(v):
            c = comparable(v)
            return (c if c is not None else number_text(v)) not in self.numbers
        return True


@dataclass(frozen=True)
class AnythingButString(Matcher):
    """anything-but with equals-ignore-case, prefix, suffix or wildcard."""

    kind: str
    values: tuple[str, ...]

    @property
    def key(self) -> tuple[Any, ...]:
        return ("anything-but-" + self.kind, tuple(sorted(self.values)))

    def test(self, v: Any) -> bool:
        if not isinstance(v, str):
            return True
        if self.kind == "equals-ignore-case":
            return fold(v) not in {fold(x) for x in self.values}
        if self.kind == "prefix":
            return not any(v.startswith(x) for x in self.values)
        if self.kind == "suffix":
            return not any(v.endswith(x) for x in self.values)
        return not any(wildcard_regex(x).fullmatch(v) for x in self.values)
