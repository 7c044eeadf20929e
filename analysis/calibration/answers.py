"""Who answered: outcome shares by the callee's local hour, corrected for
AMD's errors and for answers the ring timeout cut off.

A Connect log says what AMD *decided* (``HUMAN_ANSWERED``,
``VOICEMAIL_BEEP`` ...), not who was there: machines taken for people
inflate the "human" count, people taken for machines deflate it. With
``P(verdict | true class)``, the confusion matrix ``C``, the verdict counts
of an hour are multinomial with probabilities ``pi @ C``; the true shares
``pi`` are found by EM (the misclassification EM, which stays on the simplex)
rather than by inverting ``C`` (which can give negative shares).

``C`` comes from one of:

* a labelled sample (contacts whose true party someone checked: QA
  listening, agents' dispositions). For each verdict, the labels give
  ``P(class | verdict)``; weighted by the verdicts' shares in the whole log,
  that is the joint ``P(class, verdict)`` and so ``C``. This is right
  whether the sample was drawn from all answered calls or verdict by
  verdict (stratified double sampling, Tenenbein 1970). Verdicts with few
  labels lean on the prior (a Dirichlet with ``PRIOR_WEIGHT`` pseudo-labels);
* the campaign's AMD settings (``simulation.amd``: operating point, error
  rate, the analysis cap with the greeting and delay distributions), a
  stated prior.

Calls the ring timeout cut off are answers the log never saw: the time to
answer is fitted truncated at the timeout (``survival.fit_duration``), and
each answering class's share is divided by ``G(timeout)``, the share of
answers that come in time; ``no_answer`` takes what is left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from campaigns.document import OUTCOMES, Amd, Behaviour

# True classes behind an answered call, as outcome-share keys.
ANSWERING = ("human", "machine_beep", "machine_no_beep", "fax")
# Verdicts on answered calls (amd_status; "NONE" when AMD was off).
VERDICTS = (
    "HUMAN_ANSWERED",
    "VOICEMAIL_BEEP",
    "VOICEMAIL_NO_BEEP",
    "FAX_MACHINE_DETECTED",
    "AMD_UNRESOLVED",
    "AMD_UNRESOLVED_SILENCE",
    "AMD_ERROR",
    "NONE",
)
PRIOR_WEIGHT = 2.0  # pseudo-labels per verdict from the prior (enough to fill an unlabelled verdict)
_MC = 40_000  # Monte Carlo draws for the prior's unresolved shares


def observed_outcome(calls: pd.DataFrame) -> pd.Series:
    """Per dial what the log can tell: answered, busy, invalid, unanswered."""
    reason = calls["disconnect_reason"]
    out = pd.Series("unanswered", index=calls.index, dtype=object)
    out[reason == "TELECOM_BUSY"] = "busy"
    out[reason == "TELECOM_NUMBER_INVALID"] = "invalid"
    out[calls["connected_to_system_ts"].notna()] = "answered"
    return out


def verdict_of(calls: pd.DataFrame) -> pd.Series:
    v = calls["amd_status"].where(calls["amd_status"].notna(), "NONE").astype(object)
    v[~v.isin(VERDICTS)] = "NONE"
    return v


def prior_confusion(amd: Amd | None, behaviour: Behaviour) -> np.ndarray:
    """``P(verdict | class)`` implied by the AMD settings (``simulation.amd``),
    rows ``ANSWERING``, columns ``VERDICTS``. ``amd`` None: AMD off, every
    answered call has no verdict."""
    c = np.zeros((len(ANSWERING), len(VERDICTS)))
    if amd is None:
        c[:, VERDICTS.index("NONE")] = 1.0
        return c
    fp, fn = amd.operating_point()
    e = amd.error_rate
    cap = amd.max_analysis_seconds if amd.max_analysis_seconds is not None else np.inf
    rng = np.random.default_rng(20261129)
    # Past the cap the verdict is AMD_UNRESOLVED_SILENCE when the greeting
    # (which starts at the answer) is over, AMD_UNRESOLVED while it plays
    # (dialer/amd.py); the listening cap is taken from the answer here.
    greeting = behaviour.greeting.sample(rng, _MC)
    over_h = greeting + amd.silence_after_greeting.sample(rng, _MC) > cap
    u_h = (float(np.mean(over_h & (greeting > cap))), float(np.mean(over_h & (greeting <= cap))))
    over_m = amd.detection_delay.sample(rng, _MC) > cap
    machine_greeting = behaviour.machine_greeting.sample(rng, _MC)
    u_m = (float(np.mean(over_m & (machine_greeting > cap))), float(np.mean(over_m & (machine_greeting <= cap))))
    u_f = (float(np.mean(amd.tone_detection_delay.sample(rng, _MC) > cap)), 0.0)
    col = {v: i for i, v in enumerate(VERDICTS)}
    ok = 1 - e

    def row(i: int, unresolved: tuple[float, float], right: str, wrong: str | None, wrong_rate: float) -> None:
        c[i, col["AMD_ERROR"]] = e
        c[i, col["AMD_UNRESOLVED"]] = ok * unresolved[0]
        c[i, col["AMD_UNRESOLVED_SILENCE"]] = ok * unresolved[1]
        decided = ok * (1 - sum(unresolved))
        c[i, col[right]] += decided * (1 - wrong_rate)
        if wrong is not None:
            c[i, col[wrong]] += decided * wrong_rate

    row(0, u_h, "HUMAN_ANSWERED", "VOICEMAIL_NO_BEEP", fp)
    row(1, u_m, "VOICEMAIL_BEEP", "HUMAN_ANSWERED", fn)
    row(2, u_m, "VOICEMAIL_NO_BEEP", "HUMAN_ANSWERED", fn)
    row(3, u_f, "FAX_MACHINE_DETECTED", None, 0.0)
    return c


def em_shares(
    counts: np.ndarray, confusion: np.ndarray, start: np.ndarray | None = None, iters: int = 2000
) -> np.ndarray:
    """True class shares ``pi`` (on the simplex) maximising the multinomial
    likelihood of verdict ``counts`` under ``pi @ confusion``."""
    k = confusion.shape[0]
    pi = np.full(k, 1.0 / k) if start is None else np.asarray(start, dtype=float).copy()
    # A verdict no class can give tells nothing about the shares (the caller
    # refuses a log made mostly of them): left out, not counted as nobody.
    counts = np.where(confusion.sum(axis=0) > 0, counts, 0.0)
    n = counts.sum()
    if n <= 0:
        return pi
    for _ in range(iters):
        joint = pi[:, None] * confusion  # class x verdict
        col = joint.sum(axis=0)
        post = np.divide(joint, col, out=np.zeros_like(joint), where=col > 0)
        new = (post * counts[None, :]).sum(axis=1) / n
        done = bool(np.abs(new - pi).max() < 1e-12)
        pi = np.asarray(new, dtype=float)
        if done:
            break
    return pi


def posterior(pi: np.ndarray, confusion: np.ndarray) -> np.ndarray:
    """``P(class | verdict)``: rows verdicts, columns classes."""
    joint = pi[:, None] * confusion
    col = joint.sum(axis=0)
    post: np.ndarray = np.divide(joint, col, out=np.zeros_like(joint), where=col > 0)
    return post.T


def labelled_confusion(
    verdict_counts: np.ndarray, label_counts: np.ndarray, prior: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(C, P(class | verdict))`` from labels (rows verdicts, columns
    classes) and the whole log's verdict counts; each verdict's labels are
    shrunk towards the prior's ``P(class | verdict)`` by ``PRIOR_WEIGHT``."""
    pi0 = em_shares(verdict_counts, prior)
    prior_post = posterior(pi0, prior)
    n_v = label_counts.sum(axis=1, keepdims=True)
    post = (label_counts + PRIOR_WEIGHT * prior_post) / (n_v + PRIOR_WEIGHT)
    joint = post * (verdict_counts / max(verdict_counts.sum(), 1))[:, None]  # verdict x class
    rows = joint.T  # class x verdict
    share = rows.sum(axis=1, keepdims=True)
    c = np.divide(rows, share, out=np.array(prior, dtype=float), where=share > 0)
    return c, post


@dataclass
class ShareFit:
    """Outcome shares: overall and by local hour (``OUTCOMES`` order), the
    confusion matrix used, and the counts behind them."""

    overall: dict[str, float]
    by_hour: dict[int, dict[str, float]]
    confusion: pd.DataFrame  # P(verdict | class)
    class_given_verdict: pd.DataFrame  # P(class | verdict)
    dials_by_hour: dict[int, int]
    answered_in_time: float  # G(ring timeout)
    verdict_counts: dict[str, int]
    overall_se: dict[str, float] = field(default_factory=dict)


def _shares(counts: pd.Series, verdicts: np.ndarray, confusion: np.ndarray, in_time: float) -> dict[str, float]:
    """Outcome shares of one group of dials from its observed outcomes and
    verdict counts (answered calls)."""
    n = float(counts.sum())
    answered = float(counts.get("answered", 0))
    pi = em_shares(verdicts, confusion) if answered > 0 else np.zeros(len(ANSWERING))
    out = dict.fromkeys(OUTCOMES, 0.0)
    for k, share in zip(ANSWERING, pi, strict=True):
        out[k] = answered / n * float(share) / in_time
    out["busy"] = float(counts.get("busy", 0)) / n
    out["invalid"] = float(counts.get("invalid", 0)) / n
    rest = 1.0 - sum(v for k, v in out.items() if k != "no_answer")
    if rest < 0:  # more answers than dials once the timeout is undone: scale the answering classes down
        scale = (1.0 - out["busy"] - out["invalid"]) / sum(out[k] for k in ANSWERING)
        for k in ANSWERING:
            out[k] *= scale
        rest = 0.0
    out["no_answer"] = rest
    return out


def fit_shares(
    calls: pd.DataFrame,
    hours: np.ndarray,
    confusion: np.ndarray,
    class_given_verdict: np.ndarray,
    in_time: float,
    min_dials_per_hour: int,
) -> ShareFit:
    observed = observed_outcome(calls)
    verdict = verdict_of(calls)
    answered = observed == "answered"
    vcount = verdict[answered].value_counts().reindex(VERDICTS, fill_value=0)
    overall = _shares(observed.value_counts(), vcount.to_numpy(dtype=float), confusion, in_time)
    by_hour: dict[int, dict[str, float]] = {}
    dials_by_hour: dict[int, int] = {}
    for h in sorted(set(hours.tolist())):
        at = hours == h
        dials_by_hour[int(h)] = int(at.sum())
        if at.sum() < min_dials_per_hour:
            continue
        vc = verdict[answered & at].value_counts().reindex(VERDICTS, fill_value=0).to_numpy(dtype=float)
        by_hour[int(h)] = _shares(observed[at].value_counts(), vc, confusion, in_time)
    return ShareFit(
        overall=overall,
        by_hour=by_hour,
        confusion=pd.DataFrame(confusion, index=list(ANSWERING), columns=list(VERDICTS)),
        class_given_verdict=pd.DataFrame(class_given_verdict, index=list(VERDICTS), columns=list(ANSWERING)),
        dials_by_hour=dials_by_hour,
        answered_in_time=in_time,
        verdict_counts={str(k): int(v) for k, v in vcount.items()},
    )


def rounded(shares: dict[str, float]) -> dict[str, float]:
    """Shares rounded to 6 digits that still sum to 1 (the document checks
    within 1e-6): the remainder goes to ``no_answer``."""
    out = {k: round(max(v, 0.0), 6) for k, v in shares.items()}
    out["no_answer"] = round(1.0 - sum(v for k, v in out.items() if k != "no_answer"), 6)
    if out["no_answer"] < 0:
        biggest = max(ANSWERING, key=lambda k: out[k])
        out[biggest] = round(out[biggest] + out["no_answer"], 6)
        out["no_answer"] = 0.0
    return out


BOOTSTRAP_DRAWS = 200


def bootstrap_se(
    outcome_counts: pd.Series,
    verdict_counts: np.ndarray,
    prior: np.ndarray,
    label_counts: np.ndarray | None,
    in_time: float,
    draws: int = BOOTSTRAP_DRAWS,
    seed: int = 0,
) -> dict[str, float]:
    """Standard errors of the overall shares: a parametric bootstrap that
    redraws the log's outcome and verdict counts and, with labels, each
    verdict's labels (multinomial), and redoes the correction. The time to
    answer's share in time is held fixed (its error is an order smaller)."""
    rng = np.random.default_rng(seed)
    kinds = list(outcome_counts.index)
    p_out = outcome_counts.to_numpy(dtype=float) / outcome_counts.sum()
    n = int(outcome_counts.sum())
    p_verdict = verdict_counts / max(verdict_counts.sum(), 1)
    rows = []
    for _ in range(draws):
        out = pd.Series(rng.multinomial(n, p_out), index=kinds)
        vc = rng.multinomial(int(out.get("answered", 0)), p_verdict).astype(float)
        if label_counts is not None:
            per_verdict = label_counts.sum(axis=1)
            lc = np.array(
                [
                    rng.multinomial(int(k), row / k) if k > 0 else np.zeros(row.size)
                    for k, row in zip(per_verdict, label_counts, strict=True)
                ],
                dtype=float,
            )
            confusion, _ = labelled_confusion(vc, lc, prior)
        else:
            confusion = prior
        rows.append(_shares(out, vc, confusion, in_time))
    frame = pd.DataFrame(rows)
    return {k: float(frame[k].std(ddof=1)) for k in OUTCOMES}
