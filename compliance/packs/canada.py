"""Canada: CRTC Unsolicited Telecommunications Rules (telemarketing, live
agents). Source: crtc.gc.ca/eng/phone/telemarketing/tobligations/rules-regles.htm
(REFERENCE.md section 1), with the provincial layers found
(``local_rules``: British Columbia) and, in ``CANADA_ADAD``, the hours of the
CRTC's Automatic Dialing-Announcing Device rules (recorded-message calls).
Provinces without a layer: docs/compliance.md says why.
"""

from __future__ import annotations

from typing import Any

# Weekdays 09:00-21:30; Saturday and Sunday 10:00-18:00 (callee's local time):
# the CRTC's telemarketing hours, which British Columbia's regulation repeats.
TELEMARKETING_HOURS = {
    "MONDAY": "09:00-21:30",
    "TUESDAY": "09:00-21:30",
    "WEDNESDAY": "09:00-21:30",
    "THURSDAY": "09:00-21:30",
    "FRIDAY": "09:00-21:30",
    "SATURDAY": "10:00-18:00",
    "SUNDAY": "10:00-18:00",
}

CANADA: dict[str, Any] = {
    "name": "CA",
    "description": "CRTC Unsolicited Telecommunications Rules, telemarketing calls",
    "country": "CA",
    "hours": dict(TELEMARKETING_HOURS),
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
    # Provincial layers, chosen by the callee's province (area code, or postal
    # code when known); a layer only restricts the CRTC rules.
    "local_rules": [
        {
            # B.C. Telemarketer Licensing Regulation (Business Practices and
            # Consumer Protection Act), as its regulator states it: weekdays
            # 09:00-21:30, weekends 10:00-18:00 (the CRTC's), no calls on
            # statutory holidays, and at most one call per 30 days about the
            # same offer. It binds telemarketers who need a B.C. licence
            # (distance sales contracts); the regulation's sections were not
            # read. Holidays: the ``holidays`` library's CA/BC calendar.
            "region": "BC",
            "name": "British Columbia Telemarketer Licensing Regulation",
            "hours": dict(TELEMARKETING_HOURS),
            "holidays": True,
            "frequency": [{"count": 1, "days": 30, "key": "campaign"}],
            "effective_from": "2005-10-01",
            "source": (
                "B.C. Telemarketer Licensing Regulation under the Business Practices and Consumer Protection Act, "
                "in force 1 October 2005 (secondary: Consumer Protection BC, consumerprotectionbc.ca/2011/07/"
                "everything-you-wanted-to-know-about-telemarketers and /2023/03/5-rules-about-telemarketing-calls; "
                "UBCM resolution B152 (2005), provincial response)"
            ),
            "confirmed": False,
        }
    ],
}

# Recorded-message campaigns (an automatic dialing-announcing device, ADAD):
# the CRTC's ADAD rules allow such calls weekdays 09:30-20:00, Saturday
# 10:30-17:00, Sunday 12:00-17:00 (REFERENCE.md section 1, from the CRTC's
# rules page). Telecom Regulatory Policy CRTC 2009-200 modified "calling hour
# restrictions applied to ... an automatic dialing-announcing device"; the
# modified values were not read, so these hours are unconfirmed. An ADAD
# call for solicitation also needs the callee's express consent (not
# modelled). Applied over ``CANADA`` (``derive``): the rest is unchanged.
CANADA_ADAD: dict[str, Any] = {
    "name": "CA_ADAD",
    "description": "CRTC Unsolicited Telecommunications Rules, Part IV: automatic dialing-announcing devices",
    "hours": {
        "MONDAY": "09:30-20:00",
        "TUESDAY": "09:30-20:00",
        "WEDNESDAY": "09:30-20:00",
        "THURSDAY": "09:30-20:00",
        "FRIDAY": "09:30-20:00",
        "SATURDAY": "10:30-17:00",
        "SUNDAY": "12:00-17:00",
    },
    "sources": [
        "CRTC Unsolicited Telecommunications Rules, Part IV (ADAD Rules), crtc.gc.ca rules-regles.htm "
        "(hours as REFERENCE.md gives them; unconfirmed after Telecom Regulatory Policy CRTC 2009-200)",
        "CRTC Unsolicited Telecommunications Rules, Part II (telemarketing) and Part III (DNCL), crtc.gc.ca rules-regles.htm",
    ],
}
