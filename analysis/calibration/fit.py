"""``calibrate``: contact behaviour fitted from a Connect-shaped log.

Reads only what Amazon Connect writes (``log.dials`` drops the simulator's
ground truth first) and the base campaign (ring timeout, AMD settings,
abandonment threshold: how the log was made). Each piece, and what it
corrects for:

* answer shares by local hour: AMD's errors (a confusion matrix from labels
  or from the AMD settings) and answers the ring timeout cut off
  (``answers``);
* time to answer: truncated at the ring timeout;
* talk: the agents' contacts include machines AMD passed as people, a
  second, short component (the base document's ``machineTalk``), fitted as
  a two-component mixture;
* wrap-up (after-contact work): whole;
* patience in silence: people who hung up waiting (seen whole, or only
  known to have given up before the dialer queued them) against people
  served or given the information message (censored), with the machines in
  the queue (who never hang up) as an immune share;
* AMD timing: machines' detection delay (truncated at AMD's cap) and the
  silence AMD waits after a person's greeting; people's greetings.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.calibration import answers as ans
from analysis.calibration import labels as lab
from analysis.calibration.behaviour import MIN_SAMPLE, fit_amd_timing, fit_patience, fit_talk
from analysis.calibration.log import CalibrationError, _as_table, dials, ground_truth_present, local_hours, seconds
from analysis.calibration.survival import DurationFit, best_fit
from campaigns.document import CampaignDocument, CampaignDocumentError, load_document, parse_document
from dialer.engine import DEFAULT_RING_TIMEOUT

MIN_DIALS_PER_HOUR = 500  # fewer dials in a local hour: that hour takes the overall shares
_MS = 0.002  # timestamps are whole milliseconds: two of them apart by less are the same instant

RING_OUT_REASONS = ("TELECOM_ORIGINATOR_CANCEL", "TELECOM_UNANSWERED")


@dataclass
class Calibration:
    """The fitted blocks, the document they make, and what they rest on."""

    behaviour: dict[str, Any]
    amd: dict[str, Any]
    wrap_up: dict[str, Any] | None
    base: dict[str, Any]
    shares: ans.ShareFit
    fits: dict[str, DurationFit]
    notes: list[str] = field(default_factory=list)
    kaplan_meier: pd.DataFrame | None = None
    patience_data: pd.DataFrame | None = None

    def blocks(self) -> dict[str, Any]:
        """``simulation.behaviour`` / ``amd`` / ``agents.wrapUp`` as fitted."""
        sim: dict[str, Any] = {"behaviour": self.behaviour, "amd": self.amd}
        if self.wrap_up is not None:
            sim["agents"] = {"wrapUp": self.wrap_up}
        return {"simulation": sim}

    def document(self) -> dict[str, Any]:
        """The base campaign with the fitted blocks in place (a valid
        document: simulate it)."""
        doc = copy.deepcopy(self.base)
        sim = doc["simulation"]
        sim["behaviour"] = {**sim.get("behaviour", {}), **self.behaviour}
        sim["amd"] = {**sim.get("amd", {}), **self.amd}
        if "falsePositiveRate" in self.amd:  # the measured rates replace any operating point given
            sim["amd"].pop("sensitivity", None)
        if self.wrap_up is not None:
            sim["agents"] = {**sim["agents"], "wrapUp": self.wrap_up}
        parse_document(doc)  # the fit must give a valid document
        return doc

    def report(self) -> pd.DataFrame:
        """One row per fitted quantity: value, standard error, sample, family."""
        rows = []
        for k, v in self.shares.overall.items():
            rows.append(
                {
                    "parameter": f"outcomes.{k}",
                    "value": v,
                    "se": self.shares.overall_se.get(k, math.nan),
                    "n": sum(self.shares.dials_by_hour.values()),
                    "family": "share",
                }
            )
        for name, f in self.fits.items():
            rows.append(
                {
                    "parameter": f"{name}.mean",
                    "value": f.mean,
                    "se": f.mean_se,
                    "n": f.n_exact + f.n_censored,
                    "censored": f.n_censored,
                    "family": f.family,
                }
            )
            rows.append(
                {
                    "parameter": f"{name}.sd",
                    "value": f.sd,
                    "se": math.nan,
                    "n": f.n_exact + f.n_censored,
                    "censored": f.n_censored,
                    "family": f.family,
                }
            )
        return pd.DataFrame(rows)


def _base_document(campaign: Any) -> tuple[CampaignDocument, dict[str, Any]]:
    try:
        if isinstance(campaign, CampaignDocument):
            return campaign, campaign.to_document()
        if isinstance(campaign, (str, Path)):
            doc = load_document(campaign)
        elif isinstance(campaign, dict):
            doc = parse_document(campaign)
        else:
            raise CalibrationError(f"campaign: expected a document, mapping or path, got {type(campaign).__name__}")
    except CampaignDocumentError as exc:
        raise CalibrationError(str(exc)) from None
    return doc, doc.to_document()


def calibrate(
    events: Any,
    campaign: Any,
    *,
    labels: Any = None,
    min_dials_per_hour: int = MIN_DIALS_PER_HOUR,
) -> Calibration:
    """Fit contact behaviour from ``events`` (a Connect-shaped log: path,
    run directory, Arrow table or DataFrame; ground-truth columns, if any,
    are dropped unread) made by the campaign ``campaign`` (its ring timeout,
    AMD settings and abandonment threshold). ``labels``: a labelled sample
    (CSV path or DataFrame contact_id, party) for the AMD correction; without
    it the campaign's AMD settings are the prior."""
    doc, base = _base_document(campaign)
    notes: list[str] = []
    table = _as_table(events)
    truth = ground_truth_present(table)
    calls = dials(table)
    label_table = lab.read_labels(labels) if labels is not None else None
    label_found = lab.label_counts(label_table, calls) if label_table is not None else None
    if truth:
        notes.append(f"ground-truth columns {truth} ignored (dropped before fitting)")
    tel = doc.campaign.telephony
    out_cfg = tel.default_outbound_config
    amd_on = bool(
        out_cfg.answer_machine_detection_config
        and out_cfg.answer_machine_detection_config.enable_answer_machine_detection
    )
    b = doc.simulation.behaviour
    fits: dict[str, DurationFit] = {}

    # Ring timeout: the campaign's, checked against the log's ring-outs (the
    # fitted shares and the document that carries them must agree on it).
    timeout = float(out_cfg.ring_timeout or DEFAULT_RING_TIMEOUT)
    # The dialer's own give-up is TELECOM_ORIGINATOR_CANCEL (Connect admin
    # guide, DisconnectReason; compliance/audit/ring.py); logs written by this
    # simulator before it followed Connect's list say TELECOM_UNANSWERED.
    rang_out = calls["disconnect_reason"].isin(RING_OUT_REASONS) & calls["connected_to_system_ts"].isna()
    ringouts = seconds(calls, "disconnect_ts", "initiation_ts")[rang_out]
    if len(ringouts) and abs(float(ringouts.median()) - timeout) > 0.5:
        raise CalibrationError(
            f"campaign.channelSubtypeConfig.telephony.defaultOutboundConfig.ringTimeout: {timeout:g} s, but the "
            f"log's ring-outs ({'/'.join(RING_OUT_REASONS)}) last {float(ringouts.median()):.1f} s: give the campaign that made the log"
        )

    # Time to answer, truncated at the timeout.
    answered = calls["connected_to_system_ts"].notna()
    tta = seconds(calls, "connected_to_system_ts", "initiation_ts")[answered].to_numpy()
    if tta.size < MIN_SAMPLE:
        raise CalibrationError(
            f"events: only {tta.size} answered calls (connected_to_system_ts set); need at least {MIN_SAMPLE}"
        )
    over = tta[tta > timeout + _MS]
    if over.size:
        raise CalibrationError(
            f"events.connected_to_system_ts: an answer {over.max():.1f} s after the dial, past the ring timeout {timeout:g} s"
        )
    fits["timeToAnswer"] = best_fit(np.minimum(tta, timeout - 1e-3), truncate_at=timeout)
    in_time = max(fits["timeToAnswer"].cdf(timeout), 1e-6)

    # AMD correction.
    verdict = ans.verdict_of(calls)
    vcounts = verdict[answered].value_counts().reindex(ans.VERDICTS, fill_value=0).to_numpy(dtype=float)
    prior = ans.prior_confusion(doc.simulation.amd if amd_on else None, b)
    if label_found is not None:
        lcounts, summary = label_found
        confusion, post = ans.labelled_confusion(vcounts, lcounts, prior)
        notes.append(f"AMD correction from {summary['labelled']} labelled contacts {summary}")
    else:
        if not amd_on:
            raise CalibrationError(
                "labels: AMD is off in the campaign, so the log cannot tell people from machines; give a labelled sample"
            )
        _check_verdicts(vcounts, prior, amd_on)
        confusion = prior
        post = ans.posterior(ans.em_shares(vcounts, prior), prior)
        notes.append("AMD correction from the campaign's AMD settings (a stated prior; no labels)")
    shares = ans.fit_shares(calls, local_hours(calls, _default_zone(doc)), confusion, post, in_time, min_dials_per_hour)
    shares.overall_se = ans.bootstrap_se(
        ans.observed_outcome(calls).value_counts(),
        vcounts,
        prior,
        label_found[0] if label_found is not None else None,
        in_time,
    )
    machine_given_verdict = pd.Series(1.0 - post[:, 0], index=list(ans.VERDICTS))

    # Talk: people, mixed with machines AMD passed on.
    agent = calls["connected_to_agent_ts"].notna()
    talk = seconds(calls, "disconnect_ts", "connected_to_agent_ts")[agent].to_numpy()
    if talk.size >= MIN_SAMPLE:
        fits["talk"] = fit_talk(talk, b)
    else:
        notes.append(f"talk: {talk.size} contacts with an agent, fewer than {MIN_SAMPLE}: kept the base document's")

    # Wrap-up.
    wrap = (
        seconds(calls, "after_contact_work_end_ts", "disconnect_ts")[agent].dropna().to_numpy()
        if "after_contact_work_end_ts" in calls
        else np.array([])
    )
    if wrap.size >= MIN_SAMPLE:
        fits["wrapUp"] = best_fit(np.maximum(wrap, 0.0))

    # Patience in silence.
    km, pdata = None, None
    if b.patience_in_silence is not None:
        found = fit_patience(calls, doc, machine_given_verdict)
        if found is None:
            notes.append("patienceInSilence: too few people waited in the queue to fit it; kept the base document's")
        else:
            fits["patienceInSilence"], km, pdata, note = found
            notes.append(note)

    # AMD timing and people's greetings.
    if amd_on:
        fit_amd_timing(calls, doc, fits, notes)

    behaviour: dict[str, Any] = {
        "outcomes": ans.rounded(shares.overall),
        "byLocalHour": {str(h): ans.rounded(s) for h, s in shares.by_hour.items()},
    }
    for key in ("timeToAnswer", "talk", "patienceInSilence", "greeting"):
        if key in fits:
            behaviour[key] = fits[key].document()
    amd: dict[str, Any] = {}
    for key in ("detectionDelay", "silenceAfterGreeting"):
        if key in fits:
            amd[key] = fits[key].document()
    if labels is not None and amd_on:
        amd.update(_operating_point(confusion))
    wrap_doc = fits["wrapUp"].document() if "wrapUp" in fits else None
    return Calibration(behaviour, amd, wrap_doc, base, shares, fits, notes, km, pdata)


def _check_verdicts(vcounts: np.ndarray, prior: np.ndarray, amd_on: bool) -> None:
    """Refuse verdicts the campaign's AMD cannot give on answered calls
    (none at all with AMD on: the amd_status column is empty or the log is
    not this campaign's; a verdict with AMD off). With labels, the labels
    say what each verdict hides."""
    impossible = {v: int(n) for v, n, p in zip(ans.VERDICTS, vcounts, prior.sum(axis=0), strict=True) if n and not p}
    if impossible:
        verdict, n = max(impossible.items(), key=lambda kv: kv[1])
        shown = "no amd_status" if verdict == "NONE" else repr(verdict)
        raise CalibrationError(
            f"events.amd_status: {n} answered calls have {shown}, which the campaign's AMD "
            f"({'on' if amd_on else 'off'}: answerMachineDetectionConfig) never gives; give the campaign that made the log"
        )


def _default_zone(doc: CampaignDocument) -> str | None:
    ctc = doc.campaign.communication_time_config
    return ctc.local_time_zone_config.default_time_zone if ctc else None


def _operating_point(confusion: np.ndarray) -> dict[str, float]:
    """AMD's accuracy as the labels measured it: people taken for machines
    and machines taken for people among calls AMD decided, and its errors."""
    v = {k: i for i, k in enumerate(ans.VERDICTS)}
    h = confusion[0]
    fp = h[v["VOICEMAIL_NO_BEEP"]] + h[v["VOICEMAIL_BEEP"]]
    fp_rate = fp / max(fp + h[v["HUMAN_ANSWERED"]], 1e-12)
    m = confusion[1] + confusion[2]
    fn = m[v["HUMAN_ANSWERED"]]
    fn_rate = fn / max(fn + m[v["VOICEMAIL_BEEP"]] + m[v["VOICEMAIL_NO_BEEP"]], 1e-12)
    return {"falsePositiveRate": round(float(fp_rate), 6), "falseNegativeRate": round(float(fn_rate), 6)}
