"""Canada: CRTC Unsolicited Telecommunications Rules (telemarketing, live
agents). Source: crtc.gc.ca/eng/phone/telemarketing/tobligations/rules-regles.htm
(REFERENCE.md section 1). Provincial rules stricter than these are not
encoded (none read in a statute): docs/compliance.md lists them as not covered.
"""

from __future__ import annotations

from typing import Any

CANADA: dict[str, Any] = {
    "name": "CA",
    "description": "CRTC Unsolicited Telecommunications Rules, telemarketing calls",
    "country": "CA",
    # Weekdays 09:00-21:30; Saturday and Sunday 10:00-18:00 (callee's local time).
    "hours": {
        "MONDAY": "09:00-21:30",
        "TUESDAY": "09:00-21:30",
        "WEDNESDAY": "09:00-21:30",
        "THURSDAY": "09:00-21:30",
        "FRIDAY": "09:00-21:30",
        "SATURDAY": "10:00-18:00",
        "SUNDAY": "10:00-18:00",
    },
    # No CRTC ban on public holidays.
    "holidays": {"country": "CA", "forbid_calls": False},
    "abandonment": {
        # Not connected to a representative within 2 seconds of the greeting.
        "clock_start": "GREETING_END",
        "threshold_seconds": 2.0,
        # A limit per calendar month per campaign; 5% is the commonly cited
        # figure (unconfirmed: blank in the copy REFERENCE.md found).
        "limit": 0.05,
        "denominator": "LIVE",
        "scope": "CAMPAIGN",
        "window": "CALENDAR_MONTH",
        "window_days": 31,
        "window_zone": "America/Toronto",
        "message_required": True,
    },
    "ring_minimum_seconds": None,
    # Internal DNC: add within 14 days (kept 3 years and 14 days); the national
    # DNCL copy no older than 31 days.
    "dnc": {
        "registry": "National Do Not Call List (DNCL)",
        "registry_max_age_days": 31,
        "company_request_days": 14,
        "internal_retention_days": 3 * 365 + 14,
    },
    "sources": [
        "CRTC Unsolicited Telecommunications Rules, Part II (telemarketing) and Part III (DNCL), crtc.gc.ca rules-regles.htm"
    ],
    "effective_from": "2008-09-30",
}
