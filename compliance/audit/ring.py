"""Ring time: an unanswered call rings long enough before the hang-up
(Ofcom's 15 s, for example)."""

from __future__ import annotations

import numpy as np

from compliance.audit.facts import CallFacts
from compliance.audit.load import Calls
from compliance.audit.offenders import Offenders
from compliance.audit.report import RuleResult

# Disconnect reasons of a dial that rang out unanswered (Connect admin guide,
# "Contact records data model", DisconnectReason): the dialer gave up
# (TELECOM_ORIGINATOR_CANCEL, what this simulator writes), the network's 60 s
# ring limit (TELECOM_TIMEOUT), and TELECOM_UNANSWERED, which this simulator
# wrote for ring-outs before it followed Connect's list (in a real Connect
# log it is the network or handset refusing the call).
RANG_OUT = ("TELECOM_ORIGINATOR_CANCEL", "TELECOM_TIMEOUT", "TELECOM_UNANSWERED")


def ring_time_rule(calls: Calls, facts: CallFacts, minimum_seconds: float, offenders: Offenders) -> RuleResult:
    unanswered = calls.reason.isin(RANG_OUT)
    with np.errstate(invalid="ignore"):
        short = unanswered & ((calls.disc - facts.t_init) < minimum_seconds * 1000.0)
    ids, count = offenders(short)
    return RuleResult.calls(
        rule="ring_time",
        description=f"unanswered calls ring at least {minimum_seconds:g} s before hang-up",
        ids=ids,
        count=count,
        severity="error",
        details={"unanswered_calls": int(unanswered.sum()), "minimum_seconds": minimum_seconds},
    )
