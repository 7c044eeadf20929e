"""A contact log as Amazon Connect writes it, one row per dial.

Our events carry the simulator's ground truth beside Connect's fields (the
``sim_*`` columns, ``detail.simulation`` in an envelope: who really
answered, whether AMD was right, the callee's zone). A real Connect log has
none of it, so calibration must not read it: ``connect_shaped`` drops it,
and ``dials`` (what the fitters read) starts from a Connect-shaped log,
whatever it is given. The callee's local hour comes, as the dialer's own
calling-hours check does, from the number (``phonegeo``, area code) and the
campaign's default time zone.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from eventlog.readers import read_events
from eventlog.schema import AMD_STATUSES, COLUMNS, DISCONNECT_REASONS, EVENT_SCHEMA, TS_FIELDS
from phonegeo.zones import zone_keys

# Columns that are ours, not Connect's (eventlog.schema: "simulation ground truth").
GROUND_TRUTH_COLUMNS = tuple(c for c in COLUMNS if c.startswith("sim_"))
CONNECT_COLUMNS = tuple(c for c in COLUMNS if c not in GROUND_TRUTH_COLUMNS)
# What the fitters need of a Connect log, and the Arrow type each must have.
REQUIRED = (
    "event_type",
    "contact_id",
    "customer_address",
    "initiation_ts",
    "connected_to_system_ts",
    "disconnect_ts",
    "amd_status",
    "disconnect_reason",
)
_TIMESTAMPS = set(TS_FIELDS)
_NEVER_EMPTY = ("event_type", "contact_id", "customer_address", "initiation_ts", "disconnect_ts", "disconnect_reason")


class CalibrationError(ValueError):
    """Input calibration cannot use; the message names the field and value."""


def connect_shaped(events: Any) -> pa.Table:
    """The log without the simulator's ground-truth columns: what a real
    Amazon Connect contact-event log holds (``CONNECT_COLUMNS``)."""
    table = _as_table(events)
    return table.drop_columns([c for c in table.column_names if c in GROUND_TRUTH_COLUMNS])


def ground_truth_present(events: Any) -> list[str]:
    """The ground-truth columns that hold any value (a simulated log)."""
    table = _as_table(events)
    return [c for c in GROUND_TRUTH_COLUMNS if c in table.column_names and table[c].null_count < table.num_rows]


def _as_table(events: Any) -> pa.Table:
    if isinstance(events, pa.Table):
        return events
    if isinstance(events, pd.DataFrame):
        return pa.Table.from_pandas(events, preserve_index=False)
    if isinstance(events, (str, os.PathLike)):
        path = os.fspath(events)
        if os.path.isdir(path) and os.path.exists(os.path.join(path, "events.parquet")):
            path = os.path.join(path, "events.parquet")
        try:
            return read_events(path, strict=True).table
        except FileNotFoundError:
            raise CalibrationError(f"events: no such file {path!r}") from None
        except ValueError as exc:
            raise CalibrationError(f"events: {exc}") from None
    raise CalibrationError(f"events: expected a path, a pyarrow Table or a DataFrame, got {type(events).__name__}")


def _check_columns(table: pa.Table) -> None:
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise CalibrationError(f"events: missing column {missing[0]!r} (a Connect contact log has {list(REQUIRED)})")
    for name in REQUIRED + tuple(c for c in CONNECT_COLUMNS if c in table.column_names and c not in REQUIRED):
        col = table[name]
        want = EVENT_SCHEMA.field(name).type
        typ = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
        if name in _TIMESTAMPS or name == "time":
            if not pa.types.is_timestamp(typ) and not (pa.types.is_null(typ)):
                raise CalibrationError(f"events.{name}: expected timestamps, got {typ}")
        elif want == pa.string() and not (
            pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_null(typ)
        ):
            raise CalibrationError(f"events.{name}: expected text, got {typ}")


def dials(events: Any) -> pd.DataFrame:
    """One row per dial of a Connect-shaped log, with every timestamp the
    call reached (its last event: COMPLETED after wrap-up, else
    DISCONNECTED), AMD status and disconnect reason. Contacts never dialled
    (EXPIRED) are left out. Raises ``CalibrationError`` naming the field and
    value for a log it cannot read."""
    table = connect_shaped(events)
    _check_columns(table)
    if table.num_rows == 0:
        raise CalibrationError("events: the log is empty (no events)")
    # A Parquet file without a column reads as that column all null
    # (eventlog.readers): a column every dial has must hold something.
    for name in _NEVER_EMPTY:
        if table[name].null_count == table.num_rows:
            raise CalibrationError(f"events.{name}: no value in any of the {table.num_rows} events")
    keep = [c for c in CONNECT_COLUMNS if c in table.column_names]
    df = table.select(keep).to_pandas()
    for c in ("event_type", "amd_status", "disconnect_reason"):
        df[c] = df[c].astype("object")
    bad_type = sorted(
        set(df["event_type"].dropna())
        - {
            "INITIATED",
            "CONTACT_DATA_UPDATED",
            "CONNECTED_TO_SYSTEM",
            "QUEUED",
            "CONNECTED_TO_AGENT",
            "DISCONNECTED",
            "COMPLETED",
        }
    )
    if bad_type:
        raise CalibrationError(f"events.event_type: unknown value {bad_type[0]!r}")
    for col, vocab in (("amd_status", AMD_STATUSES), ("disconnect_reason", DISCONNECT_REASONS)):
        unknown = sorted(set(df[col].dropna()) - {v for v in vocab if v})
        if unknown:
            raise CalibrationError(f"events.{col}: unknown value {unknown[0]!r}")
    final = df[df["event_type"].isin(["DISCONNECTED", "COMPLETED"])]
    final = final.assign(_rank=(final["event_type"] == "COMPLETED").astype(int))
    final = final.sort_values(["contact_id", "_rank"]).drop_duplicates("contact_id", keep="last").drop(columns="_rank")
    calls = final[final["initiation_ts"].notna()].reset_index(drop=True)
    if calls.empty:
        raise CalibrationError("events: no dials (no DISCONNECTED event with an initiation_ts)")
    if calls["customer_address"].isna().any():
        cid = calls.loc[calls["customer_address"].isna(), "contact_id"].iloc[0]
        raise CalibrationError(f"events.customer_address: missing for contact {cid!r}")
    out: pd.DataFrame = calls
    return out


def local_hours(calls: pd.DataFrame, default_zone: str | None) -> np.ndarray:
    """The callee's local hour at the dial: the number's first zone (area
    code, as ``AREA_CODE`` detection reads it), else ``default_zone``, else UTC."""
    digits = calls["customer_address"].astype(str).str.lstrip("+")
    numbers = (
        pd.to_numeric(digits.where(digits.str.fullmatch(r"\d{1,18}")), errors="coerce").fillna(-1).astype(np.int64)
    )
    index, answers = zone_keys(numbers.to_numpy())
    zone_of_answer = [zones[0] if zones else (default_zone or "UTC") for zones, _ in answers]
    zones = np.asarray(zone_of_answer, dtype=object)[index] if len(answers) else np.array([], dtype=object)
    init = pd.to_datetime(calls["initiation_ts"], utc=True)
    hours = np.empty(len(calls), dtype=np.int64)
    for zone in pd.unique(zones):
        at = zones == zone
        hours[at] = init[at].dt.tz_convert(zone).dt.hour.to_numpy()
    return hours


def seconds(calls: pd.DataFrame, later: str, earlier: str) -> pd.Series:
    """``later - earlier`` in seconds (NaN where either is missing)."""
    return (calls[later] - calls[earlier]).dt.total_seconds()
