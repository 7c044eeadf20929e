"""The callee's local time zone(s): from an explicit zone, a postcode, the
number itself (phonenumbers' prefix time-zone data), or the campaign default.

A number whose prefix spans several zones (an Australian mobile, Alaska's
907) returns all of them: the gate allows a dial only when every zone is
inside its window (the safe reading; Connect's ``PRIMARY_ONLY`` scope keeps
only the first zone instead).
"""

from __future__ import annotations

from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as pn_timezone

from phonegeo.errors import LocalTimeError
from phonegeo.postcodes import zone_for_postcode

UNKNOWN = "Etc/Unknown"


@cache
def check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file name
        raise LocalTimeError(f"unknown IANA time zone {name!r}") from None
    return name


@lru_cache(maxsize=200_000)
def _zones_for_prefix(prefix_number: str) -> tuple[tuple[str, ...], str | None]:
    parsed = phonenumbers.parse(prefix_number, None)
    zones = tuple(z for z in pn_timezone.time_zones_for_number(parsed) if z != UNKNOWN)
    return zones, phonenumbers.region_code_for_number(parsed)


def zones_for_number(e164: str) -> tuple[tuple[str, ...], str | None]:
    """(zones, ISO region) of an E.164 number; zones is empty when unknown.

    Time-zone data in phonenumbers is keyed by prefix, so the lookup is cached
    on the number with its last digits zeroed: a million-contact list costs a
    few thousand parses, not a million.
    """
    if len(e164) > 10:
        key = e164[:-4] + "0000"
        zones, region = _zones_for_prefix(key)
        if zones:
            return zones, region
    return _zones_for_prefix(e164)


def resolve_zones(
    e164: str,
    *,
    explicit_zone: str | None = None,
    postcode: str | None = None,
    default_zone: str | None = None,
    detection: tuple[str, ...] = ("AREA_CODE",),
    scope: str | None = None,
) -> tuple[tuple[str, ...], str | None]:
    """The zones a callee may be in, in order of precedence: an explicit zone,
    the postcode (when ZIP_CODE detection is on), the number (AREA_CODE), the
    campaign default. Returns (zones, region)."""
    zones_from_number, region = zones_for_number(e164)
    if explicit_zone:
        return (check_zone(explicit_zone),), region
    if postcode and "ZIP_CODE" in detection:
        z = zone_for_postcode(region or "US", postcode)
        if z:
            return (z,), region
    if "AREA_CODE" in detection and zones_from_number:
        zones = zones_from_number[:1] if scope == "PRIMARY_ONLY" else zones_from_number
        return tuple(check_zone(z) for z in zones), region
    if default_zone:
        return (check_zone(default_zone),), region
    if zones_from_number:
        return zones_from_number, region
    raise LocalTimeError(f"no time zone for {e164!r}: give the contact a zone or set defaultTimeZone")
