"""The labelled sample: contacts whose true party someone checked.

A few hundred answered calls with their true party (from call recordings,
QA listening, agents' dispositions) are what turns AMD verdicts into true
answer shares (``answers.labelled_confusion``). A labels file is a CSV
with columns ``contact_id`` and ``party`` (``HUMAN``, ``MACHINE_BEEP``,
``MACHINE_NO_BEEP``, ``FAX``; the outcome-share names ``human`` ... are
accepted too).

``labelled_sample`` plays the QA team on a simulated log: it draws answered
contacts and reads their true party from the ground truth. It is the only
reader of ground truth in calibration, and only to make such a sample.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.calibration.answers import ANSWERING, VERDICTS, verdict_of
from analysis.calibration.log import CalibrationError, _as_table

_PARTY_TO_CLASS = {
    "HUMAN": "human",
    "MACHINE_BEEP": "machine_beep",
    "MACHINE_NO_BEEP": "machine_no_beep",
    "FAX": "fax",
}
_CLASSES = {**_PARTY_TO_CLASS, **{k: k for k in ANSWERING}}


def read_labels(source: Any) -> pd.DataFrame:
    """A labels CSV (or DataFrame) as columns contact_id, cls (an ``ANSWERING`` class)."""
    if isinstance(source, pd.DataFrame):
        df = source.copy()
    else:
        path = os.fspath(source)
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
        except FileNotFoundError:
            raise CalibrationError(f"labels: no such file {path!r}") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise CalibrationError(f"labels: {path!r} is not a readable CSV ({exc})") from None
    for col in ("contact_id", "party"):
        if col not in df.columns:
            raise CalibrationError(
                f"labels: missing column {col!r} (expected contact_id,party; got {list(df.columns)})"
            )
    if df.empty:
        raise CalibrationError("labels: the file has no rows")
    df = df[["contact_id", "party"]].astype(str)
    unknown = df.loc[~df["party"].isin(list(_CLASSES)), ["contact_id", "party"]]
    if not unknown.empty:
        cid, party = unknown.iloc[0]
        raise CalibrationError(
            f"labels.party: unknown party {party!r} for contact {cid!r}; expected one of {sorted(_PARTY_TO_CLASS)}"
        )
    dup = df["contact_id"][df["contact_id"].duplicated()]
    if not dup.empty:
        raise CalibrationError(f"labels.contact_id: contact {dup.iloc[0]!r} is labelled twice")
    return pd.DataFrame({"contact_id": df["contact_id"], "cls": df["party"].map(_CLASSES)})


def label_counts(labels: pd.DataFrame, calls: pd.DataFrame) -> tuple[np.ndarray, dict[str, int]]:
    """Labels per (verdict, class), rows ``VERDICTS``, columns ``ANSWERING``.
    Every label must name an answered dial of the log; otherwise the error
    names the contact (a labels file from another log, or a typo)."""
    answered = calls[calls["connected_to_system_ts"].notna()]
    verdict = pd.Series(verdict_of(answered).to_numpy(), index=answered["contact_id"].to_numpy())
    known = set(calls["contact_id"])
    missing = labels.loc[~labels["contact_id"].isin(known), "contact_id"]
    if not missing.empty:
        raise CalibrationError(
            f"labels.contact_id: {len(missing)} labelled contact(s) not in the log, e.g. {missing.iloc[0]!r}"
        )
    unanswered = labels.loc[~labels["contact_id"].isin(verdict.index), "contact_id"]
    if not unanswered.empty:
        raise CalibrationError(
            f"labels.contact_id: contact {unanswered.iloc[0]!r} was not answered in the log "
            f"({len(unanswered)} such); label answered calls only"
        )
    v = verdict.loc[labels["contact_id"].to_numpy()].to_numpy()
    counts = pd.crosstab(
        pd.Categorical(v, categories=VERDICTS), pd.Categorical(labels["cls"], categories=ANSWERING), dropna=False
    )
    summary = {"labelled": len(labels), **{str(k): int(x) for k, x in labels["cls"].value_counts().items()}}
    return counts.to_numpy(dtype=float), summary


def labelled_sample(events: Any, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` answered contacts drawn at random with their true party: a QA
    sample made from a simulated log's ground truth (``sim_party``)."""
    table = _as_table(events)
    if "sim_party" not in table.column_names:
        raise CalibrationError("events: no sim_party column: a labelled sample needs a simulated log")
    final = table.filter(pc.equal(table["event_type"].cast(pa.string()), "DISCONNECTED"))
    df = final.select(["contact_id", "connected_to_system_ts", "sim_party"]).to_pandas()
    df = df[df["connected_to_system_ts"].notna() & df["sim_party"].astype(str).isin(list(_PARTY_TO_CLASS))]
    if len(df) < n:
        raise CalibrationError(f"labelled_sample: asked for {n} labels, the log has {len(df)} answered calls")
    pick = np.random.default_rng(seed).choice(len(df), size=n, replace=False)
    out = df.iloc[np.sort(pick)]
    return pd.DataFrame(
        {"contact_id": out["contact_id"].astype(str).to_numpy(), "party": out["sim_party"].astype(str).to_numpy()}
    )
