"""Audit speed: ten million events from Parquet, on one core.

Generates a synthetic run (about 4 million calls, 10 million events, the
engine's flat schema) under /tmp once, then audits it in a fresh process with
Arrow limited to one thread, and prints seconds and peak RSS.

    python benchmarks/bench_audit.py [--events 10000000] [--jurisdiction UK]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

DEFAULT_PATH = "/tmp/dialer-bench/events-{n}.parquet"


def generate(path: str, n_events: int, seed: int = 7) -> None:
    from eventlog import EVENT_SCHEMA

    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    start_ms = 1_764_597_600_000  # 2025-12-01T14:00Z
    writer = pq.ParquetWriter(path + ".part", EVENT_SCHEMA, compression="zstd")
    written, call0 = 0, 0
    ts = pa.timestamp("ms", tz="UTC")
    zones = np.array(["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"], dtype=object)
    area = np.array([1212, 1312, 1303, 1415])
    while written < n_events:
        m = 400_000  # calls per chunk (about a million events)
        call = np.arange(call0, call0 + m)
        kind = rng.choice(5, size=m, p=[0.10, 0.25, 0.55, 0.05, 0.05])  # human, machine, no answer, busy, invalid
        zi = rng.integers(0, 4, size=m)
        phone = area[zi] * 10_000_000 + rng.integers(2_000_000, 9_999_999, size=m)
        t_init = start_ms + np.sort(rng.integers(0, 3 * 86400_000, size=m)) // 1
        answered = kind <= 1
        cts = np.where(answered, t_init + rng.integers(5_000, 20_000, size=m), -1)
        gs = np.where(answered, cts + 300, -1)
        ge = np.where(answered, gs + rng.integers(500, 1_200, size=m), -1)
        human = kind == 0
        fp = (kind == 0) & (rng.random(m) < 0.05)
        agent = np.where(human & ~fp & (rng.random(m) < 0.98), ge + rng.integers(100, 700, size=m), -1)
        disc = np.where(
            agent > 0, agent + 120_000, np.where(answered, ge + 5_000, t_init + rng.integers(15_000, 30_000, size=m))
        )
        amd = np.where(human & ~fp, "HUMAN_ANSWERED", np.where(answered, "VOICEMAIL_BEEP", None)).astype(object)
        reason = np.select(
            [agent > 0, answered, kind == 2, kind == 3],
            ["AGENT_DISCONNECT", "CONTACT_FLOW_DISCONNECT", "TELECOM_UNANSWERED", "TELECOM_BUSY"],
            "TELECOM_NUMBER_INVALID",
        ).astype(object)
        party = np.array(["HUMAN", "MACHINE_BEEP", "NO_ANSWER", "BUSY", "INVALID"], dtype=object)[kind]
        # events per call: INITIATED, [CONNECTED_TO_SYSTEM], [QUEUED, CONNECTED_TO_AGENT], DISCONNECTED, [COMPLETED]
        with_agent = agent > 0
        n_ev = 2 + answered.astype(int) + 3 * with_agent.astype(int)
        idx = np.repeat(np.arange(m), n_ev)
        pos = np.arange(idx.size) - np.repeat(np.cumsum(n_ev) - n_ev, n_ev)
        types_ans = np.array(
            ["INITIATED", "CONNECTED_TO_SYSTEM", "QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED", "COMPLETED"],
            dtype=object,
        )
        et = np.where(
            with_agent[idx],
            types_ans[np.minimum(pos, 5)],
            np.where(
                answered[idx],
                np.array(["INITIATED", "CONNECTED_TO_SYSTEM", "DISCONNECTED"], dtype=object)[np.minimum(pos, 2)],
                np.array(["INITIATED", "DISCONNECTED"], dtype=object)[np.minimum(pos, 1)],
            ),
        )
        k = idx.size
        is_disc = et == "DISCONNECTED"

        def tcol(v):
            vv = v[idx]
            return pa.array(np.where(vv > 0, vv, 0), type=pa.int64(), mask=vv <= 0).cast(ts)

        cid = pc.binary_join_element_wise("c-", pa.array(call[idx]).cast(pa.string()), "")
        cols = {
            "event_id": pc.binary_join_element_wise(
                "e-", pa.array(np.arange(written, written + k)).cast(pa.string()), ""
            )
        }
        time_ms = np.where(is_disc, disc[idx], t_init[idx])
        cols["time"] = pa.array(time_ms, type=pa.int64()).cast(ts)
        cols["event_type"] = pa.array(et, type=pa.string())
        cols["contact_id"] = cid
        cols["campaign_id"] = pa.array(np.full(k, "bench-campaign", dtype=object), type=pa.string())
        cols["instance_id"] = pa.array(np.full(k, "inst", dtype=object), type=pa.string())
        cols["channel"] = pa.array(np.full(k, "VOICE", dtype=object), type=pa.string())
        cols["initiation_method"] = pa.array(np.full(k, "OUTBOUND", dtype=object), type=pa.string())
        cols["customer_address"] = pc.binary_join_element_wise("+", pa.array(phone[idx]).cast(pa.string()), "")
        cols["system_address"] = pa.nulls(k, pa.string())
        cols["queue_id"] = pa.nulls(k, pa.string())
        cols["agent_id"] = pa.nulls(k, pa.string())
        cols["initiation_ts"] = tcol(t_init)
        cols["connected_to_system_ts"] = tcol(cts)
        cols["greeting_start_ts"] = tcol(gs)
        cols["greeting_end_ts"] = tcol(ge)
        cols["enqueue_ts"] = tcol(np.where(with_agent, ge, -1))
        cols["connected_to_agent_ts"] = tcol(agent)
        cols["disconnect_ts"] = tcol(disc)
        cols["after_contact_work_end_ts"] = pa.nulls(k, ts)
        cols["amd_status"] = pa.array(amd[idx], type=pa.string())
        cols["disconnect_reason"] = pa.array(np.where(is_disc, reason[idx], None), type=pa.string())
        cols["sim_recipient"] = pa.array(call[idx], type=pa.int64())
        cols["sim_attempt"] = pa.array(np.ones(k, dtype=np.int16))
        cols["sim_party"] = pa.array(party[idx], type=pa.string())
        cols["sim_amd_correct"] = pa.array(~fp[idx], mask=~answered[idx])
        cols["sim_time_zone"] = pa.array(zones[zi][idx], type=pa.string())
        cols["sim_message_played"] = pa.array(np.ones(k, bool), mask=~is_disc)
        cols["sim_opt_out"] = pa.array(np.zeros(k, bool), mask=~is_disc)
        cols["sim_client_token"] = pa.nulls(k, pa.string())
        batch = pa.RecordBatch.from_arrays([cols[c] for c in EVENT_SCHEMA.names], schema=EVENT_SCHEMA)
        take = min(k, n_events - written)
        writer.write_batch(batch.slice(0, take), row_group_size=1_000_000)
        written += take
        call0 += m
    writer.close()
    os.replace(path + ".part", path)


def measure(path: str, jurisdiction: str) -> None:
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    from compliance import audit

    c0 = time.process_time()  # user + system: the shared cores make wall time noisy
    t0 = time.perf_counter()
    report = audit(path, jurisdiction)
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"audit {jurisdiction}: {report.events:,} events, {report.calls:,} calls in {dt:.2f} s "
        f"(CPU {cpu:.2f} s; {report.events / dt / 1e6:.1f} M events/s), peak RSS {rss:.0f} MiB, passed={report.passed}"
    )
    for r in report.rules:
        print(f"  {r.rule:38s} {r.figure():>10s}  limit {r.limit_text():>5s}  {'pass' if r.passed else r.passed}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--jurisdiction", default="UK")
    ap.add_argument("--path")
    ap.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    path = a.path or DEFAULT_PATH.format(n=a.events)
    if a.measure:
        measure(path, a.jurisdiction)
        return
    if not os.path.exists(path):
        t0 = time.perf_counter()
        generate(path, a.events)
        print(f"generated {path} in {time.perf_counter() - t0:.1f} s ({os.path.getsize(path) / 2**20:.0f} MiB)")
    subprocess.run(
        [sys.executable, __file__, "--measure", "--path", path, "--jurisdiction", a.jurisdiction], check=True
    )


if __name__ == "__main__":
    main()
