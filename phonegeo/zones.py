"""The callee's local time zone(s): from an explicit zone, a postcode, the
number itself (phonenumbers' prefix time-zone data), or the campaign default.

A number whose prefix spans several zones (an Australian mobile, Alaska's
907) returns all of them: the gate allows a dial only when every zone is
inside its window (the safe reading; Connect's ``PRIMARY_ONLY`` scope keeps
only the first zone instead).

The number's zones are phonenumbers' own answer (``time_zones_for_number``):
the longest prefix the library's data defines, up to its 9-digit keys (Lord
Howe, Cocos, Christmas Island, WA's 08 51xx blocks), never a truncated
number. It is computed once per (longest matching prefix, number length)
on a real number of that key: the number without its last four digits,
or its longest matching prefix when that is longer (the region and number
type, which phonenumbers decides on the whole number, are read from the
first number of each key). A million-contact list costs a few thousand
phonenumbers calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import phonenumbers
from phonenumbers import timezone as pn_timezone
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

from phonegeo.errors import LocalTimeError
from phonegeo.postcodes import zone_for_postcode

UNKNOWN = "Etc/Unknown"
MISSING_TIMEZONE = "MISSING_TIMEZONE"

# How a zone was found, as ``dialer explain`` prints it.
EXPLICIT, ZIP, AREA_CODE, DEFAULT = "explicit", "zip", "area_code", "default"

# Prefixes of the time-zone data, as integers, per length (1..9 digits).
_PREFIXES: dict[int, np.ndarray] = {
    length: np.asarray(sorted(int(k) for k in TIMEZONE_DATA if len(k) == length), dtype=np.int64)
    for length in range(1, TIMEZONE_LONGEST_PREFIX + 1)
}


@cache
def check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file name
        raise LocalTimeError(f"unknown IANA time zone {name!r}") from None
    return name


def _matched_prefix(digits: str) -> str:
    """The longest prefix of ``digits`` present in phonenumbers' zone data ('' if none)."""
    for length in range(min(TIMEZONE_LONGEST_PREFIX, len(digits)), 0, -1):
        if digits[:length] in TIMEZONE_DATA:
            return digits[:length]
    return ""


_KEY_CACHE: dict[tuple[str, int], tuple[tuple[str, ...], str | None]] = {}


def _zones_for_key(key: str, length: int, example: str) -> tuple[tuple[str, ...], str | None]:
    """phonenumbers' zones and region for ``example``, which stands for every
    number of its key and length (cached by key and length only)."""
    cached = _KEY_CACHE.get((key, length))
    if cached is not None:
        return cached
    try:
        parsed = phonenumbers.parse("+" + example, None)
    except phonenumbers.NumberParseException:
        answer: tuple[tuple[str, ...], str | None] = ((), None)
    else:
        zones = tuple(z for z in pn_timezone.time_zones_for_number(parsed) if z != UNKNOWN)
        answer = (zones, phonenumbers.region_code_for_number(parsed))
    if len(_KEY_CACHE) > 500_000:
        _KEY_CACHE.clear()
    _KEY_CACHE[(key, length)] = answer
    return answer


def _key(digits: str) -> str:
    matched = _matched_prefix(digits)
    return digits[: max(len(matched), len(digits) - 4, 1)]


def zones_for_number(e164: str) -> tuple[tuple[str, ...], str | None]:
    """(zones, ISO region) of an E.164 number; zones is empty when unknown."""
    digits = e164.lstrip("+")
    return _zones_for_key(_key(digits), len(digits), digits)


def zone_keys(numbers: np.ndarray) -> tuple[np.ndarray, list[tuple[tuple[str, ...], str | None]]]:
    """Vectorised ``zones_for_number`` over int64 E.164 digits: (index per
    number into the answers, answers). Numbers < 1 get an empty answer."""
    numbers = np.asarray(numbers, dtype=np.int64)
    n = numbers.size
    if n == 0:
        return np.zeros(0, dtype=np.int64), []
    ok = numbers > 0
    ndig = np.zeros(n, dtype=np.int64)
    ndig[ok] = np.floor(np.log10(numbers[ok].astype(np.float64))).astype(np.int64) + 1
    # float log10 can be off by one at powers of ten: fix with integer compares.
    pow10 = np.power(10, np.clip(ndig - 1, 0, 18), dtype=np.int64)
    ndig[ok & (numbers < pow10)] -= 1
    pow10 = np.power(10, np.clip(ndig, 0, 18), dtype=np.int64)
    ndig[ok & (numbers >= pow10) & (ndig < 19)] += 1
    matched = np.zeros(n, dtype=np.int64)  # length of the longest matching prefix
    for length in range(TIMEZONE_LONGEST_PREFIX, 0, -1):
        todo = ok & (matched == 0) & (ndig >= length)
        if not todo.any():
            continue
        prefix = numbers[todo] // np.power(10, ndig[todo] - length, dtype=np.int64)
        table = _PREFIXES[length]
        pos = np.clip(np.searchsorted(table, prefix), 0, max(table.size - 1, 0))
        hit = table[pos] == prefix if table.size else np.zeros(prefix.size, dtype=bool)
        idx = np.flatnonzero(todo)[hit]
        matched[idx] = length
    keylen = np.maximum(matched, np.maximum(ndig - 4, 1))
    key = np.where(ok, numbers // np.power(10, np.maximum(ndig - keylen, 0), dtype=np.int64), -1)
    # One answer per (key, key length, number length).
    # key < 10**15 and ndig < 20: one int64 (the key's length follows from key and ndig).
    combo = np.where(key >= 0, key * 20 + ndig, -1)
    uniq, first, inverse = np.unique(combo, return_index=True, return_inverse=True)
    answers: list[tuple[tuple[str, ...], str | None]] = []
    for u, at in zip(uniq.tolist(), first.tolist(), strict=False):
        k, nd = (u // 20, u % 20) if u >= 0 else (-1, 0)
        if k < 0:
            answers.append(((), None))
            continue
        example = str(int(numbers[at]))
        answers.append(_zones_for_key(str(k), int(nd), example))
    return np.asarray(inverse, dtype=np.int64).reshape(-1), answers


@dataclass(frozen=True)
class Located:
    """Where a callee is: candidate zones, the number's region, and how the
    zones were found (explicit, zip, area_code, default)."""

    zones: tuple[str, ...]
    region: str | None
    how: str


def locate(
    e164: str,
    *,
    explicit_zone: str | None = None,
    postcode: str | None = None,
    default_zone: str | None = None,
    detection: tuple[str, ...] = ("AREA_CODE",),
    scope: str | None = None,
    number_zones: tuple[tuple[str, ...], str | None] | None = None,
) -> Located:
    """The zones a callee may be in, in order of precedence: an explicit zone,
    the postcode (when ZIP_CODE detection is on), the number (AREA_CODE), the
    campaign default. Raises ``LocalTimeError`` (``MISSING_TIMEZONE``) when
    none gives a zone."""
    zones_from_number, region = number_zones if number_zones is not None else zones_for_number(e164)
    if explicit_zone:
        return Located((check_zone(explicit_zone),), region, EXPLICIT)
    if postcode and "ZIP_CODE" in detection:
        z = zone_for_postcode(region or "US", postcode)
        if z:
            return Located((z,), region, ZIP)
    if "AREA_CODE" in detection and zones_from_number:
        zones = zones_from_number[:1] if scope == "PRIMARY_ONLY" else zones_from_number
        return Located(tuple(check_zone(z) for z in zones), region, AREA_CODE)
    if default_zone:
        return Located((check_zone(default_zone),), region, DEFAULT)
    if zones_from_number:
        return Located(tuple(check_zone(z) for z in zones_from_number), region, AREA_CODE)
    raise LocalTimeError(
        f"{MISSING_TIMEZONE}: no time zone for {e164!r}: give the contact a zone or set defaultTimeZone"
    )


def resolve_zones(
    e164: str,
    *,
    explicit_zone: str | None = None,
    postcode: str | None = None,
    default_zone: str | None = None,
    detection: tuple[str, ...] = ("AREA_CODE",),
    scope: str | None = None,
) -> tuple[tuple[str, ...], str | None]:
    """``locate`` as (zones, region)."""
    found = locate(
        e164,
        explicit_zone=explicit_zone,
        postcode=postcode,
        default_zone=default_zone,
        detection=detection,
        scope=scope,
    )
    return found.zones, found.region
