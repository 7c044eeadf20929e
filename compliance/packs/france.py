"""France: décret n° 2022-1313 du 13 octobre 2022 (JORFTEXT000046421823),
in force 1 March 2023: when and how often a professional may canvass a
consumer by telephone. Before that date the pack sets no calling hours."""

from __future__ import annotations

from typing import Any

FRANCE: dict[str, Any] = {
    "name": "FR",
    "description": "Décret 2022-1313 (telephone canvassing of consumers), in force 1 March 2023",
    "country": "FR",
    "hours": None,
    "holidays": {"country": "FR", "forbid_calls": False},
    # No abandonment figure in the decree: measured, no legal limit.
    "abandonment": {"clock_start": "GREETING_END", "threshold_seconds": 2.0, "limit": None, "message_required": False},
    "ring_minimum_seconds": None,
    "dnc": {"registry": "Bloctel"},
    "sources": ["Décret n° 2022-1313 du 13 octobre 2022, legifrance.gouv.fr JORFTEXT000046421823"],
    "effective_from": "2023-03-01",
    "local_rules": [
        {
            # "*": every callee of the pack, whatever the region.
            "region": "*",
            "name": "Décret 2022-1313",
            # Monday to Friday 10:00-13:00 and 14:00-20:00; not Saturday, Sunday
            # or public holidays.
            "hours": {
                "MONDAY": ["10:00-13:00", "14:00-20:00"],
                "TUESDAY": ["10:00-13:00", "14:00-20:00"],
                "WEDNESDAY": ["10:00-13:00", "14:00-20:00"],
                "THURSDAY": ["10:00-13:00", "14:00-20:00"],
                "FRIDAY": ["10:00-13:00", "14:00-20:00"],
                "SATURDAY": [],
                "SUNDAY": [],
            },
            "holidays": True,
            # At most 4 calls per 30 calendar days to a consumer by one professional.
            "frequency": [{"count": 4, "hours": 30 * 24, "key": "campaign"}],
            # After a refusal during a call: no call for 60 days.
            "after_refusal_days": 60,
            "effective_from": "2023-03-01",
            "source": "Décret n° 2022-1313 du 13 octobre 2022, art. 1",
            "confirmed": True,
        }
    ],
}
