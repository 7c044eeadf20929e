"""The bus in-process: a run publishes to it; rules route to callables;
retries, dead letters, back-pressure, chaos, archive and replay, pacing."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from dialer import simulate
from eventbus import Backoff, Bus, Chaos
from tests.eventbus.conftest import small_campaign

FAST = Backoff(0.01, 0.05)


def run(bus: Bus, seed: int = 1):
    return simulate(small_campaign(), seed=seed, bus=bus, campaign_id="camp-1")


def test_fixture_collects_exactly_the_matching_events(bus_events):
    hangups = bus_events({"source": ["aws.connect"], "detail": {"eventType": ["DISCONNECTED"]}})
    result = run(hangups.bus)
    want = [r["event_id"] for r in result.events.to_pylist() if r["event_type"] == "DISCONNECTED"]
    got = [e["id"] for e in hangups.events]
    assert want and sorted(got) == sorted(want)
    assert all(e["detail-type"] == "Amazon Connect Contact Event" for e in hangups.events)


def test_events_arrive_in_simulated_time_order_across_batches(bus_events):
    everything = bus_events({"source": ["aws.connect"]})
    batches: list[int] = []
    bus = everything.bus
    write = bus.write
    bus.write = lambda b: (batches.append(b.num_rows), write(b))  # type: ignore[method-assign]
    result = simulate(small_campaign(), seed=1, bus=bus, batch_calls=5)
    times = [e["time"] for e in everything.events]
    assert len(batches) > 5 and len(times) == result.events.num_rows
    assert times == sorted(times)
    # the batches themselves overlap in time: the bus had to reorder
    firsts = list(result.events.column("time").to_pylist())
    assert firsts != sorted(firsts)


def test_failing_target_retries_then_dead_letters():
    calls: list[str] = []
    dead: list[dict] = []
    bus = Bus(backoff=FAST)

    def failing(event):
        calls.append(event["id"])
        raise RuntimeError("CRM is down")

    bus.put_rule("hangups", {"detail": {"eventType": ["DISCONNECTED"]}})
    dlq = bus.register_callable("dlq", dead.append)
    bus.add_callable("hangups", failing, RetryPolicy={"MaximumRetryAttempts": 2}, DeadLetterConfig={"Arn": dlq})
    result = run(bus)
    stats = bus.shutdown(10)
    n = sum(1 for r in result.events.to_pylist() if r["event_type"] == "DISCONNECTED")
    assert len(calls) == 3 * n  # one attempt and two retries each
    assert len(dead) == n and stats["targets"]["hangups/callable-1"]["dead_lettered"] == n
    attrs = dead[0]["attributes"]
    assert attrs["ERROR_CODE"] == "RuntimeError" and attrs["ERROR_MESSAGE"] == "CRM is down"
    assert attrs["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttemptsExhausted" and attrs["RETRY_ATTEMPTS"] == "2"
    assert attrs["RULE_ARN"].endswith(":rule/hangups") and dead[0]["event"]["detail"]["eventType"] == "DISCONNECTED"


def test_a_slow_target_blocks_neither_the_run_nor_other_targets():
    release = threading.Event()
    fast: list[dict] = []
    bus = Bus(capacity=5, put_timeout_s=0.2)
    bus.put_rule("all", {"source": ["aws.connect"]})
    dead: list[dict] = []
    bus.add_callable(
        "all",
        lambda e: release.wait(10),
        target_id="slow",
        DeadLetterConfig={"Arn": bus.register_callable("dlq", dead.append)},
    )
    bus.add_callable("all", fast.append, target_id="fast")
    t0 = time.monotonic()
    result = run(bus)
    assert time.monotonic() - t0 < 10
    assert bus.drain(0) is False  # the slow one is still busy
    release.set()
    stats = bus.shutdown(10)
    n = result.events.num_rows
    assert len(fast) == n
    slow = stats["targets"]["all/slow"]
    assert slow["backpressure"] >= 1 and slow["overflow"] > 0 and slow["overflow"] + slow["delivered"] == n
    assert len(dead) == slow["overflow"] and {d["attributes"]["ERROR_CODE"] for d in dead} == {"TargetQueueFull"}


def test_chaos_duplicates_and_reorders_but_loses_nothing():
    got: list[dict] = []
    bus = Bus(chaos=Chaos(duplicates=0.3, reorder_window=20, seed=4))
    bus.put_rule("all", {"source": ["aws.connect"]})
    bus.add_callable("all", got.append)
    result = run(bus)
    bus.shutdown(10)
    ids = [e["id"] for e in got]
    want = set(result.events.column("event_id").to_pylist())
    assert set(ids) == want
    dupes = len(ids) - len(want)
    # 30% of events doubled: with hundreds of events, 15%..45% is > 5 sd wide
    assert 0.15 * len(want) < dupes < 0.45 * len(want)
    times = [e["time"] for e in got]
    assert times != sorted(times)


def test_archive_and_replay_mark_events():
    got: list[dict] = []
    bus = Bus()
    bus.put_archive("hangups", {"detail": {"eventType": ["DISCONNECTED"]}})
    run(bus)
    archived = bus.archived("hangups")
    assert archived and all(e["detail"]["eventType"] == "DISCONNECTED" for e in archived)
    bus.put_rule("replayed", {"replay-name": [{"exists": True}]})
    bus.add_callable("replayed", got.append)
    n = bus.replay(
        "hangups",
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2026, 12, 2, tzinfo=UTC),
        replay_name="again",
    )
    bus.drain(10)
    assert n == len(archived) == len(got) and {e["replay-name"] for e in got} == {"again"}


def test_speed_plays_in_real_time_times_the_factor():
    got: list[float] = []
    bus = Bus(speed=3600.0)  # one simulated hour per second
    bus.put_rule("all", {"source": ["aws.connect"]})
    bus.add_callable("all", lambda e: got.append(time.monotonic()))
    t0 = time.monotonic()
    run(bus)
    bus.drain(30)
    span = got[-1] - got[0]
    # the events span most of the hour-long schedule: 0.3..1.2 s of wall time
    assert 0.3 < span < 1.5, span
    assert time.monotonic() - t0 >= span
