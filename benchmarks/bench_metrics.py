"""Benchmark: metrics over time of a 10,000,000-event run (target < 10 s).

Generates a synthetic run with the engine's flat event schema (calls with
realistic outcomes, AMD verdicts, greetings, queueing, agents; every call's
events as the engine writes them: INITIATED, CONNECTED_TO_SYSTEM, QUEUED,
CONNECTED_TO_AGENT, DISCONNECTED, COMPLETED) under /tmp, then times
``analysis.metrics.metrics_over_time`` on its events.parquet +
timeline.parquet. The file is reused by later runs.

    python benchmarks/bench_metrics.py [--events 10000000] [--dir /tmp/dialer-bench-metrics]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from eventlog import EVENT_SCHEMA

START_MS = 1_796_133_600_000  # 2026-12-01T14:00:00Z
TS = pa.timestamp("ms", tz="UTC")


def make_run(n_events: int, *, seed: int = 1, days: float = 3.0, agents: int = 400) -> tuple[pa.Table, pa.Table]:
    """A synthetic run of about ``n_events`` events: (events, timeline)."""
    rng = np.random.default_rng(seed)
    n = int(n_events / 2.80)  # about 2.8 events per call with these shares
    horizon = days * 86400.0
    init = np.sort(rng.uniform(0, horizon, n))
    party = rng.choice(7, n, p=[0.12, 0.18, 0.07, 0.50, 0.05, 0.06, 0.02])  # HUMAN .. FAX
    human, machine = party == 0, (party == 1) | (party == 2)
    answered = human | machine | (party == 6)
    ring = rng.gamma(3.24, 9 / 3.24, n)
    sys_t = np.where(answered, init + ring, np.nan)
    greet = np.where(human, rng.lognormal(0.03, 0.35, n), np.where(machine, rng.lognormal(2.15, 0.32, n), np.nan))
    gs, ge = np.where(human | machine, sys_t, np.nan), np.where(human | machine, sys_t + greet, np.nan)
    amd_delay = rng.lognormal(0.86, 0.31, n)
    fp = human & (rng.random(n) < 0.05)
    fn = machine & (rng.random(n) < 0.10)
    live = (human & ~fp) | fn
    q = np.where(live, sys_t + amd_delay, np.nan)
    wait = np.where(rng.random(n) < 0.75, 0.0, rng.exponential(1.0, n))
    dropped = live & (rng.random(n) < 0.04)
    agent_t = np.where(live & ~dropped, q + wait, np.nan)
    talk = rng.lognormal(4.99, 0.6, n)
    disc = np.where(
        ~np.isnan(agent_t),
        agent_t + talk,
        np.where(dropped, q + 10.0, np.where(answered, sys_t + amd_delay, init + np.where(party == 3, 20.0, 2.0))),
    )
    acw = np.where(~np.isnan(agent_t), disc + rng.lognormal(2.9, 0.4, n), np.nan)
    amd_status = np.where(
        fp,
        "VOICEMAIL_NO_BEEP",
        np.where(
            live,
            "HUMAN_ANSWERED",
            np.where(
                party == 1,
                "VOICEMAIL_BEEP",
                np.where(party == 2, "VOICEMAIL_NO_BEEP", np.where(party == 6, "FAX_MACHINE_DETECTED", "")),
            ),
        ),
    )

    # events per call: INITIATED, [CONNECTED_TO_SYSTEM], [QUEUED], [CONNECTED_TO_AGENT], DISCONNECTED, [COMPLETED]
    kinds = [
        ("INITIATED", init, np.ones(n, bool)),
        ("CONNECTED_TO_SYSTEM", sys_t, answered),
        ("QUEUED", q, live),
        ("CONNECTED_TO_AGENT", agent_t, ~np.isnan(agent_t)),
        ("DISCONNECTED", disc, np.ones(n, bool)),
        ("COMPLETED", acw, ~np.isnan(acw)),
    ]
    call_idx = np.concatenate([np.flatnonzero(mask) for _, _, mask in kinds])
    ev_t = np.concatenate([t[mask] for _, t, mask in kinds])
    ev_kind = np.concatenate([np.full(mask.sum(), k, np.int8) for k, (_, _, mask) in enumerate(kinds)])
    order = np.lexsort((ev_kind, ev_t))
    call_idx, ev_t, ev_kind = call_idx[order], ev_t[order], ev_kind[order]
    m = len(ev_t)

    def ms(x):
        return START_MS + np.round(x * 1000).astype(np.int64)

    def ts(values):
        v = values[call_idx]
        known = ~np.isnan(v) & (v <= ev_t + 1e-9)
        return pa.array(ms(np.where(known, v, 0.0)), type=TS, mask=~known)

    def strings(prefix: str, ints: np.ndarray) -> pa.Array:
        return pc.binary_join_element_wise(prefix, pc.cast(pa.array(ints), pa.string()), "")

    def from_vocab(vocab, codes, mask=None):
        d = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), mask=mask), pa.array(vocab))
        return d.cast(pa.string())

    names = ["INITIATED", "CONNECTED_TO_SYSTEM", "QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED", "COMPLETED"]
    amd_vocab = ["", "HUMAN_ANSWERED", "VOICEMAIL_BEEP", "VOICEMAIL_NO_BEEP", "FAX_MACHINE_DETECTED"]
    amd_codes = np.searchsorted(np.array(sorted(amd_vocab)), amd_status)
    amd_vocab_sorted = sorted(amd_vocab)
    parties = ["HUMAN", "MACHINE_BEEP", "MACHINE_NO_BEEP", "NO_ANSWER", "BUSY", "INVALID", "FAX"]
    agent_of_call = rng.integers(0, agents, n)
    after_sys = ev_kind >= 1
    cols = {
        "event_id": strings("ev-", np.arange(m)),
        "time": pa.array(ms(ev_t), type=TS),
        "event_type": from_vocab(names, ev_kind),
        "contact_id": strings("contact-", call_idx),
        "campaign_id": pa.array(np.full(m, "bench"), pa.string()),
        "instance_id": pa.array(np.full(m, "contact-center-1"), pa.string()),
        "channel": pa.array(np.full(m, "VOICE"), pa.string()),
        "initiation_method": pa.array(np.full(m, "OUTBOUND"), pa.string()),
        "customer_address": strings("+1212", 5550000 + call_idx % 1_000_000),
        "system_address": pa.array(np.full(m, "+12125550000"), pa.string()),
        "queue_id": pa.array(np.full(m, "outbound"), pa.string(), mask=~(live[call_idx] & (ev_kind >= 2))),
        "agent_id": pc.if_else(
            pa.array((ev_kind >= 3) & ~np.isnan(agent_t[call_idx])),
            strings("agent-", agent_of_call[call_idx]),
            pa.scalar(None, pa.string()),
        ),
    }
    for name, v in (
        ("initiation_ts", init),
        ("connected_to_system_ts", sys_t),
        ("greeting_start_ts", gs),
        ("greeting_end_ts", ge),
        ("enqueue_ts", q),
        ("connected_to_agent_ts", agent_t),
        ("disconnect_ts", disc),
        ("after_contact_work_end_ts", acw),
    ):
        cols[name] = ts(v)
    amd_c = amd_codes[call_idx]
    cols["amd_status"] = from_vocab(amd_vocab_sorted, amd_c, mask=~(after_sys & (amd_c > 0)))
    cols["disconnect_reason"] = pa.array(np.where(ev_kind >= 4, "CUSTOMER_DISCONNECT", None), pa.string())
    cols["sim_recipient"] = pa.array(call_idx.astype(np.int64))
    cols["sim_attempt"] = pa.array(np.ones(m, np.int16))
    cols["sim_party"] = from_vocab(parties, party[call_idx])
    cols["sim_amd_correct"] = pa.array(~(fp | fn)[call_idx], mask=~(after_sys & answered[call_idx]))
    cols["sim_time_zone"] = pa.array(np.full(m, "America/New_York"), pa.string())
    cols["sim_message_played"] = pa.array(dropped[call_idx], mask=ev_kind < 4)
    cols["sim_opt_out"] = pa.array(np.zeros(m, bool), mask=ev_kind < 4)
    cols["sim_client_token"] = pa.nulls(m, pa.string())
    events = pa.Table.from_arrays([cols[c] for c in EVENT_SCHEMA.names], schema=EVENT_SCHEMA)

    # timeline: 60 s steps, agent levels consistent with the calls' handle time
    steps = int(horizon // 60)
    starts = np.arange(steps) * 60.0
    dials = np.bincount((init // 60).astype(int), minlength=steps)[:steps]
    handle = np.where(~np.isnan(agent_t), acw - agent_t, 0.0)
    busy_sec = np.bincount((np.nan_to_num(agent_t) // 60).astype(int), weights=handle, minlength=steps)[:steps]
    busy = np.minimum(busy_sec / 60.0, agents * 0.97)
    on_break = np.full(steps, agents * 0.08)
    idle = np.maximum(agents - busy - on_break, 0)
    timeline = pa.table(
        {
            "interval_start": pa.array(START_MS + (starts * 1000).astype(np.int64), type=TS),
            "interval_seconds": np.full(steps, 60.0),
            "agents_logged_in": np.full(steps, float(agents)),
            "agents_busy": busy,
            "agents_on_break": on_break,
            "agents_idle": idle,
            "lines_in_use": dials * 25.0 / 60.0,
            "dials": dials.astype(np.int64),
            "pacing_level": np.full(steps, 2.5),
        }
    )
    return events, timeline


def ensure_run(directory: Path, n_events: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    ev_path = directory / "events.parquet"
    if ev_path.exists() and pq.ParquetFile(ev_path).metadata.num_rows >= n_events * 0.95:
        return directory
    t = time.perf_counter()
    events, timeline = make_run(n_events)
    pq.write_table(events, ev_path, compression="zstd", row_group_size=1_000_000)
    pq.write_table(timeline, directory / "timeline.parquet")
    print(f"generated {events.num_rows:,} events in {time.perf_counter() - t:.1f} s -> {ev_path}")
    return directory


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/dialer-bench-metrics"))
    args = ap.parse_args()
    from analysis.metrics import metrics_over_time, run_totals

    d = ensure_run(args.dir, args.events)
    rows = pq.ParquetFile(d / "events.parquet").metadata.num_rows
    t = time.perf_counter()
    m = metrics_over_time(d, interval="15min")
    elapsed = time.perf_counter() - t
    t = time.perf_counter()
    tot = run_totals(d)
    elapsed_tot = time.perf_counter() - t
    print(
        f"metrics_over_time: {rows:,} events, {len(m)} intervals of 15 min in {elapsed:.2f} s "
        f"({rows / elapsed / 1e6:.1f} M events/s; target < 10 s)"
    )
    print(
        f"run_totals: {elapsed_tot:.2f} s; dials {tot['dials']:,}, US abandonment {tot['abandonment_rate_us']:.2%}, "
        f"UK {tot['abandonment_rate_uk']:.2%}, occupancy {tot['agent_occupancy']:.1%}"
    )
    print(f"RESULT bench_metrics events={rows} seconds={elapsed:.2f} target_s=10 ok={elapsed < 10}")


if __name__ == "__main__":
    main()
