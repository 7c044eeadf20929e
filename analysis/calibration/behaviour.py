"""The durations whose log is partial: talk (machines mixed in), patience
(censored, with an immune share), AMD timing (truncated at the cap).
``fit.calibrate`` calls them; each returns ``survival.DurationFit``s."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analysis.calibration import answers as ans
from analysis.calibration.log import seconds
from analysis.calibration.survival import FAMILIES, DurationFit, _frozen, _start, best_fit, kaplan_meier, minimize
from campaigns.document import CampaignDocument
from dialer.run import abandonment_setting

MIN_SAMPLE = 20  # fewer observations of a duration: it keeps the base document's value
_MS = 0.002  # timestamps are whole milliseconds: two of them apart by less are the same instant


def _machine_density(doc_dist: Any, x: np.ndarray) -> np.ndarray:
    """Density of the machines' handling time at ``x``: a histogram of
    draws from the base document's ``machineTalk`` with 1 s bins (a fixed
    value becomes 1 s wide; timestamps are milliseconds)."""
    draws = np.sort(doc_dist.sample(np.random.default_rng(7), 20_000))
    lo = np.searchsorted(draws, x - 0.5, side="left")
    hi = np.searchsorted(draws, x + 0.5, side="right")
    dens: np.ndarray = (hi - lo) / draws.size
    return dens


def fit_talk(talk: np.ndarray, b: Any) -> DurationFit:
    """People's talk from agents' contacts: ``(1 - m) f(x) + m g(x)`` with
    ``g`` the machines' handling time (base document) and the machine share
    ``m`` fitted too; families by AIC."""
    x = np.maximum(talk, 1e-3)
    g = _machine_density(b.machine_talk, x)
    fits = []
    for family in FAMILIES:
        start = np.append(_start(family, x[g == 0] if (g == 0).any() else x), -2.0)

        def nll(p: np.ndarray, family: str = family) -> float:
            m = 1.0 / (1.0 + math.exp(-p[-1]))
            try:
                f = _frozen(family, p[:-1]).pdf(x)
            except (OverflowError, ValueError):
                return 1e300
            ll = np.log((1 - m) * f + m * g + 1e-300).sum()
            return -float(ll) if math.isfinite(ll) else 1e300

        res = minimize(nll, start)
        d = _frozen(family, res.x[:-1])
        m = 1.0 / (1.0 + math.exp(-res.x[-1]))
        n = x.size * (1 - m)
        fit = DurationFit(
            family,
            float(d.mean()),
            float(d.std()),
            -float(res.fun),
            n,
            0.0,
            aic=2 * res.x.size + 2 * float(res.fun),
            theta=tuple(res.x[:-1]),
        )
        fit.mean_se = float(d.std()) / math.sqrt(max(n, 1))
        fit.extra["machine_share"] = m
        fits.append(fit)
    lowest = min(f.aic for f in fits)
    best = min((f for f in fits if f.aic <= lowest + 2), key=lambda f: (len(f.theta), f.aic))
    best.extra["aic"] = {f.family: round(f.aic, 2) for f in fits}
    return best


def fit_patience(
    calls: pd.DataFrame, doc: CampaignDocument, machine_given_verdict: pd.Series
) -> tuple[DurationFit, pd.DataFrame, pd.DataFrame, str] | None:
    """Patience from the people who had to wait (queued, no agent at once).

    Times run from the end of the greeting (when silence starts). A caller
    who hung up is seen whole, unless they hung up the moment they were
    queued (they had given up while AMD listened: left-censored at the
    queueing); one served, or given the information message at the
    abandonment threshold, is right-censored then. Machines the AMD passed
    never hang up: an immune share, each call's ``P(machine | verdict)``.
    A call queued before its greeting ended was not a person in silence (a
    machine whose long greeting AMD cut short) and is left out, with the
    expected machine count reduced by as many."""
    if "enqueue_ts" not in calls or "greeting_end_ts" not in calls:
        return None
    queued = calls["enqueue_ts"].notna()
    agent = calls["connected_to_agent_ts"]
    waited = queued & (agent.isna() | (seconds(calls, "connected_to_agent_ts", "enqueue_ts") > _MS))
    w = calls[waited]
    if len(w) < MIN_SAMPLE:
        return None
    expected_machines = float(machine_given_verdict.reindex(ans.verdict_of(w)).fillna(0).sum())
    entry = seconds(w, "enqueue_ts", "greeting_end_ts")
    in_silence = entry.notna() & (entry > 0)
    excluded = int((~in_silence).sum())
    w, entry = w[in_silence], entry[in_silence]
    immune = max(expected_machines - excluded, 0.0) / max(len(w), 1)
    setting = abandonment_setting(doc, None)
    point, threshold = setting if setting is not None else ("GREETING_END", math.inf)
    served = w["connected_to_agent_ts"].notna()
    hung_up = ~served & (w["disconnect_reason"] == "CUSTOMER_DISCONNECT")
    dropped = ~served & ~hung_up
    leave = seconds(w, "disconnect_ts", "greeting_end_ts")
    at_once = hung_up & (leave <= entry + _MS)
    exact = leave[hung_up & ~at_once].to_numpy()
    left = entry[at_once].to_numpy()
    clock = w["greeting_end_ts"] if point == "GREETING_END" else w["connected_to_system_ts"]
    drop_at = (clock - w["greeting_end_ts"]).dt.total_seconds() + threshold
    right = np.concatenate(
        [
            seconds(w, "connected_to_agent_ts", "greeting_end_ts")[served].to_numpy(),
            np.maximum(drop_at[dropped].to_numpy(), entry[dropped].to_numpy()),
        ]
    )
    if exact.size + left.size < 5:
        return None
    fit = best_fit(exact, right=right, left=left, immune=min(immune, 0.99))
    fit.extra["immune_share"] = immune
    # The product-limit curve: callers at risk from their queueing on
    # (delayed entry); those who had given up before it are only in the
    # parametric fit (left-censored), so the curve is conditional on being
    # in the queue.
    km_exit = np.concatenate([exact, right])
    km_event = np.concatenate([np.ones(exact.size, bool), np.zeros(right.size, bool)])
    km_entry = np.concatenate(
        [entry[hung_up & ~at_once].to_numpy(), entry[served].to_numpy(), entry[dropped].to_numpy()]
    )
    km = kaplan_meier(km_exit, km_event, km_entry)
    data = pd.DataFrame({"exit": km_exit, "event": km_event, "entry": km_entry})
    note = (
        f"patienceInSilence: {len(w)} people waited ({exact.size} hung up while waiting, {left.size} before they were queued, "
        f"{int(served.sum())} served, {int(dropped.sum())} given the message; machines among them {immune:.1%}, "
        f"{excluded} queued before their greeting ended left out)"
    )
    return fit, km, data, note


def fit_amd_timing(calls: pd.DataFrame, doc: CampaignDocument, fits: dict[str, DurationFit], notes: list[str]) -> None:
    """Machines' detection delay: answer to verdict on calls AMD called a
    machine (the hang-up; beep verdicts, which AMD's false positives on
    people never give), truncated at AMD's cap (longer ones end
    ``AMD_UNRESOLVED``). People: the silence from greeting end to the
    verdict, and the greeting itself, on calls AMD passed as people after
    their greeting ended (a machine passed on is usually still talking)."""
    amd = doc.simulation.amd
    cap = amd.max_analysis_seconds
    await_prompt = bool(
        doc.campaign.telephony.default_outbound_config.answer_machine_detection_config
        and doc.campaign.telephony.default_outbound_config.answer_machine_detection_config.await_answer_machine_prompt
    )
    status = calls["amd_status"]
    use = (
        "VOICEMAIL_NO_BEEP" if await_prompt else "VOICEMAIL_BEEP"
    )  # with awaitAnswerMachinePrompt a beep call hangs up after the message
    delay = seconds(calls, "disconnect_ts", "connected_to_system_ts")[status == use].dropna().to_numpy()
    if delay.size >= MIN_SAMPLE:
        kw: dict[str, Any] = {"truncate_at": cap} if cap is not None else {}
        fits["detectionDelay"] = best_fit(np.minimum(delay, cap - 1e-3) if cap is not None else delay, **kw)
    else:
        notes.append(
            f"amd.detectionDelay: {delay.size} {use} verdicts, fewer than {MIN_SAMPLE}: kept the base document's"
        )
    human = (status == "HUMAN_ANSWERED") & calls["enqueue_ts"].notna() if "enqueue_ts" in calls else status != status
    silence = seconds(calls, "enqueue_ts", "greeting_end_ts")[human]
    ok = silence > 0
    if int(ok.sum()) >= MIN_SAMPLE:
        fits["silenceAfterGreeting"] = best_fit(silence[ok].to_numpy())
        greeting = seconds(calls, "greeting_end_ts", "greeting_start_ts")[human][ok].to_numpy()
        fits["greeting"] = best_fit(greeting)
