"""Abandonment rules: the rate per window (30-day period or calendar day),
the operator's AMD false-positive estimate, and the information message.

Abandoned: a live answer not connected to an agent within the threshold of
the clock start (``facts.CallFacts.abandoned``); the rate is counted per
window of the rule set's scope (campaign or instance)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeAlias

import numpy as np

from compliance.audit.facts import CallFacts
from compliance.audit.load import Calls
from compliance.audit.offenders import Offenders
from compliance.audit.report import RuleResult
from compliance.rules import AbandonmentRule, RuleSet
from compliance.windows import utc_offsets

DEFAULT_FP_SAMPLE = 400

FpSample: TypeAlias = int | float | tuple[int, int] | list[int] | None
"""``audit``'s ``fp_sample``: a sample size, a rate, or (tested, humans_found)."""


@dataclass
class _Win:
    key: np.ndarray  # window id per call
    scope: np.ndarray  # scope code per window
    start_ms: np.ndarray
    end_ms: np.ndarray
    count: int


def _windows(ab: AbandonmentRule, t_init: np.ndarray, scope_codes: np.ndarray, findings: list[str]) -> _Win:
    n = t_init.size
    if n == 0:
        return _Win(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0), 0)
    if ab.window == "CALENDAR_MONTH":
        # The calendar month in the window zone (CRTC: per calendar month).
        off = utc_offsets(ab.window_zone or "UTC", t_init / 1000.0) * 1000
        days = np.floor((t_init + off) / 86400_000.0).astype("datetime64[D]")
        idx = days.astype("datetime64[M]").astype(np.int64)
        del off, days
    elif ab.window == "CALENDAR_DAY":
        zone = ab.window_zone or "UTC"
        off = utc_offsets(zone, t_init / 1000.0)
        off *= 1000
        x = t_init + off  # (in place from here: fewer 30 MB temporaries)
        del off
        x /= 86400_000.0 * ab.window_days
        idx = np.floor(x, out=x).astype(np.int64)
        del x
    else:
        span = 86400_000.0 * ab.window_days
        first = _first_per_scope(scope_codes, t_init)
        idx = np.floor((t_init - first[scope_codes]) / span).astype(np.int64)
    uniq, key = _unique_inverse(scope_codes, idx)
    scope = uniq >> 32
    w_idx = (uniq & ((1 << 32) - 1)) + idx.min()
    if ab.window == "CALENDAR_MONTH":
        # The month's bounds as UTC ms (approximately: midnight UTC of its first day).
        months = w_idx.astype("datetime64[M]")
        start = months.astype("datetime64[D]").astype(np.int64) * 86400_000.0
        end = (months + 1).astype("datetime64[D]").astype(np.int64) * 86400_000.0
    elif ab.window == "CALENDAR_DAY":
        # Report the local calendar day bounds as UTC ms (approximately: local midnight).
        start = w_idx * 86400_000.0 * ab.window_days
        end = start + 86400_000.0 * ab.window_days
    else:
        span = 86400_000.0 * ab.window_days
        first = _first_per_scope(scope_codes, t_init)
        start = first[scope] + w_idx * span
        end = start + span
    return _Win(np.asarray(key, dtype=np.int64), scope, start, end, uniq.size)


def _first_per_scope(scope_codes: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The earliest time of each scope (NaN if any of its times is NaN), as
    ``np.minimum.at`` gives it, without its per-element cost."""
    k = int(scope_codes.max()) + 1
    if k == 1:
        return np.array([np.min(t)])
    if k > 64:
        first = np.full(k, np.inf)
        np.minimum.at(first, scope_codes, t)
        return first
    first = np.full(k, np.inf)
    for c in range(k):
        sel = np.flatnonzero(scope_codes == c)
        if sel.size:
            first[c] = np.min(t[sel])
    return first


def _unique_inverse(scope_codes: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(combined, return_inverse=True)`` for ``combined = scope *
    2**32 + (idx - idx.min())``, by counting when the windows are few (no sort)."""
    lo = int(idx.min())
    width = int(idx.max()) - lo + 1
    scopes = int(scope_codes.max()) + 1
    if width >= 1 << 32 or scopes * width > max(4 * idx.size, 1 << 16):
        return np.unique(scope_codes * (1 << 32) + (idx - lo), return_inverse=True)
    dense = idx - lo
    if scopes > 1:
        dense += scope_codes * width
    present = np.bincount(dense, minlength=scopes * width) > 0
    rank = np.cumsum(present) - 1
    kept = np.flatnonzero(present)
    uniq = (kept // width) * (1 << 32) + kept % width
    return uniq.astype(np.int64), rank[dense]


def _fp_rate(
    fp_sample: FpSample, machine_verdict: np.ndarray, fp_true: np.ndarray, truth_known: bool, seed: int
) -> tuple[float | None, dict[str, Any]]:
    """The operator's estimate of the share of machine verdicts that were humans."""
    n_machine = int(machine_verdict.sum())
    if isinstance(fp_sample, (tuple, list)):
        tested, found = int(fp_sample[0]), int(fp_sample[1])
        if tested <= 0 or not 0 <= found <= tested:
            raise ValueError(f"fp_sample must be (tested > 0, 0 <= humans_found <= tested), got {fp_sample!r}")
        rate, method = found / tested, "listening test given"
    elif isinstance(fp_sample, float):
        if not 0.0 <= fp_sample <= 1.0:
            raise ValueError(f"fp_sample as a rate must be between 0 and 1, got {fp_sample!r}")
        return fp_sample, {
            "rate": fp_sample,
            "method": "rate given",
            "machine_verdicts": n_machine,
            "estimated_false_positives": fp_sample * n_machine,
        }
    else:
        size = DEFAULT_FP_SAMPLE if fp_sample is None else int(fp_sample)
        if not truth_known or n_machine == 0:
            return (0.0 if n_machine == 0 else None), {
                "rate": 0.0 if n_machine == 0 else None,
                "method": "no machine verdicts"
                if n_machine == 0
                else "not estimated: no ground truth and no fp_sample given",
                "machine_verdicts": n_machine,
            }
        idx = np.flatnonzero(machine_verdict)
        rng = np.random.default_rng(seed)
        pick = idx if idx.size <= size else rng.choice(idx, size=size, replace=False)
        tested, found = int(pick.size), int(fp_true[pick].sum())
        rate, method = (
            found / tested,
            f"simple random sample of {tested} machine verdicts judged against the ground truth",
        )
    lo, hi = _wilson(found, tested)
    return rate, {
        "rate": rate,
        "method": method,
        "tested": tested,
        "humans_found": found,
        "rate_95ci": [lo, hi],
        "machine_verdicts": n_machine,
        "estimated_false_positives": rate * n_machine,
    }


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def _abandonment_rule(
    name: str,
    ab: AbandonmentRule,
    fp_true: np.ndarray | None,
    fp_rate: float | None,
    win: _Win,
    scope_names: list[str | None],
    facts: CallFacts,
    offenders: Offenders,
    *,
    severity: str,
) -> RuleResult:
    live, abandoned, machine_verdict = facts.live, facts.abandoned, facts.machine_verdict
    w = win.count
    num = np.bincount(win.key, weights=abandoned, minlength=w).astype(np.float64)
    den = np.bincount(win.key, weights=live, minlength=w).astype(np.float64)
    fp_count: np.ndarray = np.zeros(w)
    fp_note = None
    if ab.include_amd_false_positives:
        if fp_true is not None:
            fp_count = np.bincount(win.key, weights=fp_true, minlength=w).astype(np.float64)
            fp_note = "true count (simulation ground truth)"
        elif fp_rate is not None:
            fp_count = fp_rate * np.bincount(win.key, weights=machine_verdict, minlength=w)
            fp_note = f"estimated: {fp_rate:.4f} x machine verdicts"
        else:
            fp_note = "not included: no ground truth and no fp_sample"
    num_t, den_t = num + fp_count, den + fp_count
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(den_t > 0, num_t / np.where(den_t > 0, den_t, 1), 0.0)
    limit = ab.limit
    bad = (num_t > limit * den_t + 1e-9) if limit is not None else np.zeros(w, bool)
    worst = int(np.argmax(rate)) if w else -1
    measured = float(rate[worst]) if w else 0.0
    mask = abandoned | (fp_true if (fp_true is not None and ab.include_amd_false_positives) else False)
    mask = mask & bad[win.key] if w else mask
    ids, count = offenders(mask) if limit is not None else ([], 0)
    order = np.argsort(~bad, kind="stable")[:50]  # failing windows first
    windows = [
        {
            "scope": scope_names[int(win.scope[k])] if scope_names else None,
            "start": _iso(win.start_ms[k]),
            "end": _iso(win.end_ms[k]),
            "abandoned": float(num[k]),
            "amd_false_positives": float(fp_count[k]),
            "live": float(den[k]),
            "rate": float(rate[k]),
            "passed": not bool(bad[k]),
        }
        for k in order.tolist()
    ]
    clock = {"GREETING_END": "the end of the greeting", "GREETING_START": "the start of the greeting"}.get(
        ab.clock_start, "connection"
    )
    period = {"CALENDAR_DAY": "calendar day", "CALENDAR_MONTH": "calendar month"}.get(
        ab.window, f"{ab.window_days}-day period"
    )
    desc = (
        f"abandoned calls (no agent within {ab.threshold_seconds:g} s of {clock}) at most "
        f"{'(no legal limit)' if limit is None else f'{limit * 100:g}%'} of "
        f"{'abandoned + live' if ab.denominator == 'ABANDONED_PLUS_LIVE' else 'live'} calls per {period}"
        + (", AMD false positives counted as abandoned" if ab.include_amd_false_positives else "")
        + (" (operator's estimate)" if name.endswith("estimate") else "")
    )
    details = {
        "windows_evaluated": w,
        "windows_failed": int(bad.sum()),
        "worst_window": windows[0] if windows and not windows[0]["passed"] else ({"rate": measured} if w else None),
        "windows": windows,
        "numerator": float(num_t[worst]) if w else 0.0,
        "denominator": float(den_t[worst]) if w else 0.0,
        "amd_false_positives": fp_note,
        "clock_start": ab.clock_start,
        "threshold_seconds": ab.threshold_seconds,
    }
    passed = True if limit is None else not bool(bad.any())
    return RuleResult(
        rule=name,
        description=desc,
        severity=severity,
        measured=measured,
        limit=limit,
        passed=passed,
        unit="rate",
        offenders=ids,
        offender_count=count,
        details=details,
    )


def _iso(ms: float) -> str | None:
    if not math.isfinite(ms):
        return None
    return datetime.fromtimestamp(ms / 1000.0, UTC).isoformat().replace("+00:00", "Z")


def abandonment_rules(
    calls: Calls,
    facts: CallFacts,
    rules: RuleSet,
    offenders: Offenders,
    findings: list[str],
    *,
    fp_sample: FpSample,
    seed: int,
) -> tuple[list[RuleResult], dict[str, Any] | None]:
    """The abandonment rate per window (and, where AMD false positives count,
    the operator's estimate beside the true figure); with the estimate's
    working when the rule set counts false positives."""
    ab = rules.abandonment
    scope_codes, scope_names = (calls.campaign if ab.scope == "CAMPAIGN" else calls.instance).named()
    win = _windows(ab, facts.t_init, scope_codes, findings)
    del scope_codes
    fp_rate, fp_info = _fp_rate(fp_sample, facts.machine_verdict, facts.fp_true, facts.truth_known, seed)
    severity = "error" if ab.limit is not None else "info"
    main_fp = facts.fp_true if facts.truth_known else None
    results = [
        _abandonment_rule(
            "abandonment_rate", ab, main_fp, fp_rate, win, scope_names, facts, offenders, severity=severity
        )
    ]
    if ab.include_amd_false_positives and facts.truth_known:
        results.append(
            _abandonment_rule(
                "abandonment_rate_operator_estimate",
                ab,
                None,
                fp_rate,
                win,
                scope_names,
                facts,
                offenders,
                severity="warning",
            )
        )
    return results, (fp_info if ab.include_amd_false_positives else None)


def abandon_message_rule(calls: Calls, facts: CallFacts, offenders: Offenders) -> RuleResult:
    """Every abandoned call plays the information message (where the rule set
    asks for one); not assessable when no abandoned call says."""
    played, known = calls.message_played
    silent = facts.abandoned & known & ~played
    ids, count = offenders(silent)
    assessable = bool((facts.abandoned & known).any()) or not facts.abandoned.any()
    return RuleResult(
        rule="abandon_message",
        description="every abandoned call plays an information message (caller identity, number to call back / opt out)",
        severity="warning",
        measured=count,
        limit=0,
        passed=(count == 0) if assessable else None,
        unit="calls",
        offenders=ids,
        offender_count=count,
    )
