"""Metrics of a run, over time and in total, computed from its flat events
(``events.parquet``, one row per event, ``eventlog.EVENT_SCHEMA``) and
its timeline (``timeline.parquet``, agents and lines as time averages).

Every call ends with exactly one DISCONNECTED event that carries all of the
call's timestamps, so one vectorised DuckDB query over those rows gives every
per-call fact; a second one aggregates the timeline. Calls are attributed to
the interval in which they were dialled (``initiation_ts``), so the intervals
add up to the run's totals.

Definitions (docs/analysis.md has the table and the Amazon Connect names):

- live answer: a call a person answered (``sim_party = HUMAN``; without the
  simulation ground truth, ``amd_status = HUMAN_ANSWERED`` or no verdict),
  including the people the AMD took for machines (the engine's
  ``live_answers``).
- AMD false positive: a person the AMD classified as a machine (hung up on).
- US abandoned (TCPA/TSR): a live answer the AMD let through that was not
  connected to an agent within 2 s of the END of the greeting, unless the
  callee hung up before that deadline; rate = abandoned / live answers the
  AMD let through (``live_answers_us``).
- UK abandoned (Ofcom): the same with the clock at the START of the
  greeting, plus every AMD false positive; rate = abandoned / (abandoned +
  live connected) = abandoned / live answers.

These are the definitions of ``compliance.audit`` (a test checks that both
give the same figures); the engine's own ``abandonment_rate`` differs (it
counts callees who hang up before the deadline and divides by every live
answer), see docs/analysis.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from campaigns.document import parse_iso_duration

__all__ = [
    "DEFAULT_INTERVAL",
    "THRESHOLD_SECONDS",
    "RunFiles",
    "call_facts",
    "metrics_over_time",
    "parse_interval",
    "run_files",
    "run_totals",
]

DEFAULT_INTERVAL = "15min"
THRESHOLD_SECONDS = 2.0
MACHINE_STATUSES = ("VOICEMAIL_BEEP", "VOICEMAIL_NO_BEEP")


@dataclass(frozen=True)
class RunFiles:
    """Where a run directory keeps its outputs."""

    run_dir: Path
    events: Path
    timeline: Path | None
    summary: Path | None


# The per-interval and whole-run counts (integers; the rates derive from them).
COUNT_COLUMNS = (
    "dials",
    "answered",
    "live_answers",
    "live_answers_us",
    "machine_answers",
    "amd_false_positives",
    "amd_false_negatives",
    "connects",
    "live_connects",
    "abandoned_us",
    "abandoned_uk",
)


def run_files(run_dir: str | os.PathLike[str]) -> RunFiles:
    d = Path(run_dir)
    events = d / "events.parquet"
    if not events.exists():
        raise FileNotFoundError(f"{d}: no events.parquet (is this a run directory written by `dialer simulate --out`?)")
    timeline = d / "timeline.parquet"
    summary = d / "summary.json"
    return RunFiles(d, events, timeline if timeline.exists() else None, summary if summary.exists() else None)


def parse_interval(interval: str | int | float | pd.Timedelta) -> float:
    """An interval as seconds: ``900``, ``"15min"``, ``"1h"``, ``"PT15M"``."""
    if isinstance(interval, (int, float, np.integer, np.floating)):
        seconds = float(interval)
    elif isinstance(interval, pd.Timedelta):
        seconds = interval.total_seconds()
    else:
        text = str(interval).strip()
        try:
            if text.upper().startswith("P"):
                seconds = parse_iso_duration(text.upper()).total_seconds()
            else:
                seconds = pd.Timedelta(text).total_seconds()
        except ValueError:
            raise ValueError(
                f"interval: expected a duration such as '15min', '1h', 'PT15M' or seconds, got {interval!r}"
            ) from None
    if not seconds > 0:
        raise ValueError(f"interval must be positive, got {interval!r}")
    return seconds


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------


def _connect() -> duckdb.DuckDBPyConnection:

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def _relation_sql(con: duckdb.DuckDBPyConnection, name: str, source: Any) -> str:
    """Register ``source`` (a Parquet path, a run directory, an Arrow table or a
    pandas frame) and return SQL naming it."""
    if source is None:
        return ""
    if isinstance(source, (str, os.PathLike)):
        p = Path(source)
        if p.is_dir():
            p = p / ("events.parquet" if name == "events" else "timeline.parquet")
        if not p.exists():
            raise FileNotFoundError(f"no such {name} file: {p}")
        escaped = str(p).replace("'", "''")
        return f"read_parquet('{escaped}')"
    if isinstance(source, (pa.Table, pa.RecordBatch, pd.DataFrame)):
        con.register(f"{name}_src", source)
        return f"{name}_src"
    raise TypeError(
        f"{name}: expected a Parquet path, a run directory, a pyarrow Table or a DataFrame, got {type(source).__name__}"
    )


def _calls_sql(events_sql: str, threshold: float) -> str:
    """One row per call, from the DISCONNECTED events."""
    machine = ", ".join(f"'{s}'" for s in MACHINE_STATUSES)
    thr_ms = round(threshold * 1000)
    return f"""
    WITH d AS (
        SELECT
            epoch_ms(initiation_ts) AS t_init,
            epoch_ms(connected_to_system_ts) AS t_sys,
            epoch_ms(greeting_start_ts) AS t_gs,
            epoch_ms(greeting_end_ts) AS t_ge,
            epoch_ms(enqueue_ts) AS t_q,
            epoch_ms(connected_to_agent_ts) AS t_agent,
            epoch_ms(disconnect_ts) AS t_disc,
            amd_status, sim_party,
            coalesce(disconnect_reason = 'CUSTOMER_DISCONNECT', false) AS callee_hung_up,
            connected_to_system_ts IS NOT NULL AS answered
        FROM {events_sql}
        WHERE event_type = 'DISCONNECTED'
    ), c AS (
        SELECT *,
            answered AND CASE
                WHEN sim_party IS NOT NULL THEN sim_party = 'HUMAN'
                ELSE amd_status IS NULL OR amd_status NOT IN ({machine}, 'FAX_MACHINE_DETECTED', 'SIT_TONE_BUSY', 'SIT_TONE_INVALID_NUMBER', 'AMD_UNANSWERED')
            END AS human,
            answered AND coalesce(amd_status IN ({machine}), false) AS amd_machine,
            answered AND CASE
                WHEN sim_party IS NOT NULL THEN sim_party LIKE 'MACHINE%'
                ELSE coalesce(amd_status IN ({machine}), false)
            END AS machine
        FROM d
    )
    SELECT
        t_init, t_sys, t_gs, t_ge, t_q, t_agent, t_disc,
        human AS live,
        human AND NOT amd_machine AS live_us,
        machine,
        human AND amd_machine AS amd_fp,
        machine AND amd_status = 'HUMAN_ANSWERED' AS amd_fn,
        t_agent IS NOT NULL AS connect,
        human AND t_agent IS NOT NULL AS live_connect,
        human AND NOT amd_machine
            AND NOT coalesce(t_agent <= coalesce(t_ge, t_gs, t_sys) + {thr_ms}, false)
            AND NOT (callee_hung_up AND t_agent IS NULL AND t_disc <= coalesce(t_ge, t_gs, t_sys) + {thr_ms})
            AS aband_us,
        human AND (amd_machine OR (
            NOT coalesce(t_agent <= coalesce(t_gs, t_ge, t_sys) + {thr_ms}, false)
            AND NOT (callee_hung_up AND t_agent IS NULL AND t_disc <= coalesce(t_gs, t_ge, t_sys) + {thr_ms})))
            AS aband_uk,
        CASE WHEN human THEN (t_agent - t_sys) / 1000.0 END AS tta,
        CASE WHEN human THEN (t_agent - t_q) / 1000.0 END AS wait,
        CASE WHEN t_agent IS NOT NULL THEN (t_disc - t_init) / 1000.0 END AS duration,
        CASE WHEN t_agent IS NOT NULL THEN (t_disc - t_agent) / 1000.0 END AS talk
    FROM c
    """


_AGG_SQL = """
    count(*)::BIGINT AS dials,
    count_if(t_sys IS NOT NULL)::BIGINT AS answered,
    count_if(live)::BIGINT AS live_answers,
    count_if(live_us)::BIGINT AS live_answers_us,
    count_if(machine)::BIGINT AS machine_answers,
    count_if(amd_fp)::BIGINT AS amd_false_positives,
    count_if(amd_fn)::BIGINT AS amd_false_negatives,
    count_if(connect)::BIGINT AS connects,
    count_if(live_connect)::BIGINT AS live_connects,
    count_if(aband_us)::BIGINT AS abandoned_us,
    count_if(aband_uk)::BIGINT AS abandoned_uk,
    avg(tta) AS mean_time_to_agent_s,
    quantile_cont(tta, 0.5) AS p50_time_to_agent_s,
    quantile_cont(tta, 0.9) AS p90_time_to_agent_s,
    quantile_cont(tta, 0.95) AS p95_time_to_agent_s,
    avg(wait) AS mean_queue_answer_time_s,
    avg(duration) AS mean_contact_duration_s,
    avg(talk) AS mean_talk_s
"""


def _rates(df: pd.DataFrame) -> pd.DataFrame:
    live = df["live_answers"].astype(float)
    live_us = df["live_answers_us"].astype(float)
    df["abandonment_rate_us"] = np.where(live_us > 0, df["abandoned_us"] / live_us.where(live_us > 0, 1.0), np.nan)
    df["abandonment_rate_uk"] = np.where(live > 0, df["abandoned_uk"] / live.where(live > 0, 1.0), np.nan)
    return df


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def _table(source: Any, name: str) -> Any:
    """A Parquet path or run directory read into an Arrow table; anything
    else as it is."""
    if isinstance(source, (str, os.PathLike)):
        p = Path(source)
        p = p / name if p.is_dir() else p
        if not p.exists():
            raise FileNotFoundError(f"no such file: {p}")
        return pq.read_table(p)
    return source


def call_facts(events: Any, *, threshold_seconds: float = THRESHOLD_SECONDS) -> pd.DataFrame:
    """One row per call with the facts every metric is built from (times in
    ms since the epoch; durations in seconds; the boolean classifications)."""
    con = _connect()
    try:
        facts: pd.DataFrame = con.execute(_calls_sql(_relation_sql(con, "events", events), threshold_seconds)).df()
        return facts
    finally:
        con.close()


def metrics_over_time(
    events: Any,
    timeline: Any = None,
    *,
    interval: str | int | float = DEFAULT_INTERVAL,
    threshold_seconds: float = THRESHOLD_SECONDS,
) -> pd.DataFrame:
    """Per-interval metrics of one run, one row per interval.

    ``events`` is a run directory, an events Parquet path or an Arrow table;
    ``timeline`` (optional; taken from the run directory when ``events`` is
    one) adds occupancy, idle agents, lines in use and the dial ratio.
    Occupancy, dial ratio and dial level are NaN where no agent is staffed
    or dialling was closed (nothing dialled and the pacer not running: after
    the schedule only agents finishing their last calls remain), and the
    pacer's level is its mean while it ran.

    Columns: ``interval_start`` (UTC), ``interval_seconds``, ``dials``,
    ``dials_per_minute``, ``answered``, ``live_answers``, ``machine_answers``,
    ``amd_false_positives``, ``amd_false_negatives``, ``connects``,
    ``abandoned_us``, ``abandoned_uk``, ``abandonment_rate_us``,
    ``abandonment_rate_uk`` (this interval), ``cum_abandonment_rate_us``,
    ``cum_abandonment_rate_uk`` (from the start of the run to the interval's
    end), time to agent (answer to agent, live calls) mean and p50/p90/p95,
    ``mean_queue_answer_time_s`` (queue to agent, live calls connected),
    ``mean_contact_duration_s`` (dial to disconnect, calls connected to an
    agent), ``mean_talk_s``; with a timeline
    ``agents_logged_in``, ``agents_on_break``, ``agents_busy``,
    ``agents_idle``, ``lines_in_use`` (time averages), ``agent_occupancy``
    (busy / (busy + idle)), ``dial_ratio`` (dials per staffed agent in the
    interval), ``dial_level`` (lines in use per staffed agent),
    ``pacing_level``.
    """
    iv_ms = round(parse_interval(interval) * 1000)
    if timeline is None and isinstance(events, (str, os.PathLike)) and Path(events).is_dir():
        tl = Path(events) / "timeline.parquet"
        timeline = tl if tl.exists() else None
    con = _connect()
    try:
        ev_sql = _relation_sql(con, "events", events)
        calls = _calls_sql(ev_sql, threshold_seconds)
        df = con.execute(
            f"""
            SELECT (t_init // {iv_ms}) * {iv_ms} AS bucket, {_AGG_SQL}
            FROM ({calls}) GROUP BY bucket ORDER BY bucket
            """
        ).df()
        tl_df = None
        if timeline is not None:
            # Read through Arrow, not DuckDB's Parquet reader: that one
            # folds isnan() to false from the column statistics (DuckDB
            # 2.0.1, measured), and a timeline is small (a row a minute).
            tl_sql = _relation_sql(con, "timeline", _table(timeline, "timeline.parquet"))
            tl_df = con.execute(
                f"""
                SELECT (epoch_ms(interval_start) // {iv_ms}) * {iv_ms} AS bucket,
                    sum(interval_seconds) AS tl_seconds,
                    sum(agents_logged_in * interval_seconds) AS s_logged,
                    sum(agents_on_break * interval_seconds) AS s_break,
                    sum(agents_busy * interval_seconds) AS s_busy,
                    sum(agents_idle * interval_seconds) AS s_idle,
                    sum(lines_in_use * interval_seconds) AS s_lines,
                    sum(CASE WHEN NOT isnan(pacing_level) THEN pacing_level * interval_seconds END) AS s_pacing,
                    sum(CASE WHEN NOT isnan(pacing_level) THEN interval_seconds END) AS s_dialling,
                    sum(dials)::BIGINT AS tl_dials
                FROM {tl_sql} GROUP BY bucket ORDER BY bucket
                """
            ).df()
    finally:
        con.close()

    if tl_df is not None and len(tl_df):
        df = tl_df.merge(df, on="bucket", how="outer").sort_values("bucket", ignore_index=True)
    for c in COUNT_COLUMNS:
        df[c] = df[c].fillna(0).astype("int64")
    df.insert(0, "interval_start", pd.to_datetime(df["bucket"], unit="ms", utc=True))
    df.insert(1, "interval_seconds", iv_ms / 1000.0)
    df["dials_per_minute"] = df["dials"] / (iv_ms / 60000.0)
    df = _rates(df)
    cum_live = df["live_answers"].cumsum().astype(float)
    cum_live_us = df["live_answers_us"].cumsum().astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        df["cum_abandonment_rate_us"] = (df["abandoned_us"].cumsum() / cum_live_us).where(cum_live_us > 0)
        df["cum_abandonment_rate_uk"] = (df["abandoned_uk"].cumsum() / cum_live).where(cum_live > 0)

    if tl_df is not None and len(tl_df):
        secs = df["tl_seconds"].astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            df["agents_logged_in"] = df["s_logged"] / secs
            df["agents_on_break"] = df["s_break"] / secs
            df["agents_busy"] = df["s_busy"] / secs
            df["agents_idle"] = df["s_idle"] / secs
            df["lines_in_use"] = df["s_lines"] / secs
            df["pacing_level"] = df["s_pacing"] / df["s_dialling"]
            # Dialling was open when the pacer ran (it records its level at
            # every decision) or a call was dialled. Outside that (after the
            # schedule, agents finishing their last calls) occupancy would
            # read 100% and the dial ratio 0: neither is a measure of pacing,
            # so the interval shows no value.
            dialling = (df["s_dialling"].fillna(0) > 0) | (df["dials"] > 0)
            worked = df["s_busy"] + df["s_idle"]
            df["agent_occupancy"] = (df["s_busy"] / worked).where((worked > 0) & dialling)
            staffed = df["agents_logged_in"] - df["agents_on_break"]
            df["dial_ratio"] = (df["dials"] / staffed).where((staffed > 0) & dialling)
            df["dial_level"] = (df["lines_in_use"] / staffed).where((staffed > 0) & dialling)
        df = df.drop(
            columns=[
                "tl_seconds",
                "s_logged",
                "s_break",
                "s_busy",
                "s_idle",
                "s_lines",
                "s_pacing",
                "s_dialling",
                "tl_dials",
            ]
        )
    else:
        for c in (
            "agents_logged_in",
            "agents_on_break",
            "agents_busy",
            "agents_idle",
            "lines_in_use",
            "pacing_level",
            "agent_occupancy",
            "dial_ratio",
            "dial_level",
        ):
            df[c] = np.nan
    return df.drop(columns=["bucket"])


def run_totals(
    events: Any,
    timeline: Any = None,
    *,
    threshold_seconds: float = THRESHOLD_SECONDS,
) -> dict[str, float]:
    """The same metrics over the whole run, as one dict (the seed's metrics:
    time to agent, contact duration, abandonment rate by both definitions,
    plus occupancy when a timeline is given)."""
    if timeline is None and isinstance(events, (str, os.PathLike)) and Path(events).is_dir():
        tl = Path(events) / "timeline.parquet"
        timeline = tl if tl.exists() else None
    con = _connect()
    try:
        calls = _calls_sql(_relation_sql(con, "events", events), threshold_seconds)
        df = con.execute(f"SELECT {_AGG_SQL} FROM ({calls})").df()
        occ = None
        if timeline is not None:
            tl_sql = _relation_sql(con, "timeline", timeline)
            occ = con.execute(
                f"""SELECT sum(agents_busy * interval_seconds), sum(agents_idle * interval_seconds),
                           sum(lines_in_use * interval_seconds) / sum(interval_seconds),
                           sum(agents_logged_in * interval_seconds)
                    FROM {tl_sql}"""
            ).fetchone()
    finally:
        con.close()
    df = _rates(df)
    out: dict[str, Any] = {str(k): (v.item() if hasattr(v, "item") else v) for k, v in df.iloc[0].to_dict().items()}
    for k in COUNT_COLUMNS:
        out[k] = int(out[k] or 0)
    if occ is not None and occ[0] is not None:
        busy, idle, lines, logged = occ
        out["agent_occupancy"] = busy / (busy + idle) if busy + idle > 0 else float("nan")
        out["agent_logged_in_hours"] = logged / 3600.0
        out["agent_idle_hours"] = idle / 3600.0
        out["mean_lines_in_use"] = lines
        out["contacts_per_agent_hour"] = out["live_connects"] / (logged / 3600.0) if logged > 0 else float("nan")
    return out
