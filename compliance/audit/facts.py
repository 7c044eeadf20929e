"""The facts of each call that the rules judge, derived once in one place:
who answered (a person, by the ground truth when present, else by the AMD
verdict and a greeting), when the abandonment clock started, whether an agent
came within the threshold, and so whether the call was abandoned.

Definitions (docs/compliance.md has the long form):

* live answer: ``sim_party == HUMAN`` when the ground truth is present, else
  ``amd_status == HUMAN_ANSWERED`` (or no AMD verdict) with a greeting; a
  human the AMD classified as a machine (an AMD false positive) is counted
  separately and enters the rate only when the rule set says so (UK).
* abandoned: a live answer not connected to an agent within
  ``threshold_seconds`` of the clock start (greeting end, US; greeting start,
  UK), unless the callee hung up before that deadline. Exactly at the
  threshold counts as connected.
* agentless campaigns (no call ever queued or reached an agent, the message
  played) have no abandoned calls: the message is the call's purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compliance.audit.load import Calls
from compliance.rules import RuleSet

MACHINE_VERDICTS = ("VOICEMAIL_BEEP", "VOICEMAIL_NO_BEEP")
# No verdict, or one the dialer treats as live (an undecided call goes to an agent).
NO_VERDICT = ("AMD_NOT_APPLICABLE", "AMD_UNRESOLVED", "AMD_UNRESOLVED_SILENCE", "AMD_ERROR")


@dataclass(frozen=True)
class CallFacts:
    """One entry per call (arrays of the same length as ``Calls``)."""

    t_init: np.ndarray  # the dial, epoch ms (the event's time when the dial's is missing)
    live: np.ndarray  # a person answered and the AMD let them through
    machine_verdict: np.ndarray  # the AMD said machine
    fp_true: np.ndarray  # ... and it was a person (an AMD false positive)
    truth_known: bool  # false positives are known (ground truth or amdCorrect)
    in_time: np.ndarray  # an agent came within the threshold of the clock start
    abandoned: np.ndarray


def recorded_message_calls(calls: Calls) -> np.ndarray:
    """The calls of agentless campaigns (none of the campaign's calls queued
    or reached an agent, and some played the message): each such call,
    answered or not, was made by a device delivering a recorded message, so
    the state layers that bind such devices (NV, ME, NE) judge it. A log
    without ``sim_message_played`` has none."""
    played, played_known = calls.message_played
    routed = ~np.isnan(calls.enq) | ~np.isnan(calls.agent)
    codes, _ = calls.campaign.named()
    if not codes.size:
        return np.zeros(calls.n, dtype=bool)
    size = int(codes.max()) + 1
    routed_campaigns = np.zeros(size, dtype=bool)
    routed_campaigns[codes[routed]] = True
    messaging = np.zeros(size, dtype=bool)
    messaging[codes[played_known & played]] = True
    out: np.ndarray = (messaging & ~routed_campaigns)[codes]
    return out


def derive_facts(calls: Calls, rules: RuleSet) -> CallFacts:
    ab = rules.abandonment
    n = calls.n
    t_init = calls.init if calls.time is None else np.where(np.isnan(calls.init), calls.time, calls.init)
    g_start, g_end, t_agent = calls.g_start, calls.g_end, calls.agent

    amd = calls.amd
    party = calls.party
    has_party = ~party.is_null()
    human_true = party.eq("HUMAN")
    amd_correct, amd_correct_known = calls.amd_correct
    machine_verdict = amd.isin(MACHINE_VERDICTS)
    no_verdict = amd.is_null() | amd.isin(NO_VERDICT)
    greeted = ~np.isnan(g_start) | ~np.isnan(g_end)
    observable_live = greeted & (amd.eq("HUMAN_ANSWERED") | no_verdict)
    live_all = np.where(has_party, human_true, observable_live)
    fp_true = machine_verdict & np.where(has_party, human_true, amd_correct_known & ~amd_correct)
    truth_known = bool(has_party.any() or (amd_correct_known & machine_verdict).any())
    live = live_all & ~machine_verdict
    # Only calls meant for an agent can be abandoned. A campaign none of
    # whose calls ever queued or reached an agent is agentless: its live
    # answers hear the recorded message, which is the call's purpose; they
    # stay live calls (the denominator), never abandoned ones.
    played, played_known = calls.message_played
    routed = ~np.isnan(calls.enq) | ~np.isnan(t_agent)
    codes, _ = calls.campaign.named()
    agentless = np.zeros(n, dtype=bool)
    if codes.size:
        routed_campaigns = np.zeros(int(codes.max()) + 1, dtype=bool)
        routed_campaigns[codes[routed]] = True
        agentless = ~routed_campaigns[codes] & played_known & played

    if ab.clock_start == "GREETING_END":
        clock = np.where(np.isnan(g_end), np.where(np.isnan(g_start), calls.cts, g_start), g_end)
    elif ab.clock_start == "GREETING_START":
        clock = np.where(np.isnan(g_start), np.where(np.isnan(g_end), calls.cts, g_end), g_start)
    else:
        clock = calls.cts
    deadline = clock + ab.threshold_seconds * 1000.0
    del clock
    with np.errstate(invalid="ignore"):
        in_time = ~np.isnan(t_agent) & (t_agent <= deadline)
        callee_left = calls.reason.eq("CUSTOMER_DISCONNECT") & np.isnan(t_agent) & (calls.disc <= deadline)
    abandoned = live & ~in_time & ~callee_left & ~agentless
    return CallFacts(
        t_init=t_init,
        live=live,
        machine_verdict=machine_verdict,
        fp_true=fp_true,
        truth_known=truth_known,
        in_time=in_time,
        abandoned=abandoned,
    )
