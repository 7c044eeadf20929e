"""The answers of the pre-dial gate."""

from __future__ import annotations

from enum import IntEnum


class Verdict(IntEnum):
    """Why a dial is (not) allowed now. ALLOWED is 0 so ``if verdict:`` reads
    "if forbidden"."""

    ALLOWED = 0
    OUTSIDE_HOURS = 1  # outside the jurisdiction's calling hours (callee's local time)
    HOLIDAY = 2  # a public holiday on which the rules forbid calls
    RESTRICTED_PERIOD = 3  # one of the campaign's restrictedPeriods
    DNC = 4  # on a do-not-call list, or opted out
    RECALL_BAN = 5  # UK: 72 h after an abandoned call / same day after an AMD machine verdict
    ENTRY_LIMIT = 6  # entryLimitsConfig: maxEntryCount reached or minEntryInterval not elapsed
    FREQUENCY_LIMIT = 7  # communicationLimitsOverride: maxCountPerRecipient per frequency days
    OUTSIDE_SCHEDULE = 8  # outside the campaign's schedule or its own openHours
