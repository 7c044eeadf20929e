"""ISO 8601 timestamps as clients and event files write them: shared by the
API (outbound requests' expirationTime) and the event readers, light enough
for the API to import at start."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_iso_utc(text: str) -> datetime:
    """An ISO 8601 timestamp ('Z' or an offset; none means UTC) in UTC.
    Raises ValueError."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)
