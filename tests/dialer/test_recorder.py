"""The recorder's fast paths keep the event contract: what reaches disk and
every sink is EVENT_SCHEMA, whatever batch boundaries or compact records the
engine used on the way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dialer import simulate
from eventlog import EVENT_SCHEMA, CallbackSink
from tests.dialer.conftest import make_doc, one_contact_doc

START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)

# Mixed outcomes, AMD on and retries: every kind of record (compact
# unanswered ones, answered-too-late ones, machines, people) in one run.
MIXED = {
    "simulation.contacts": {"synthetic": {"count": 300, "areaCodes": {"212": 0.5, "305": 0.5}}},
    "simulation.agents": {"count": 4},
    "simulation.behaviour": {
        "outcomes": {"human": 0.3, "machine_beep": 0.2, "no_answer": 0.3, "busy": 0.1, "invalid": 0.1},
        "timeToAnswer": {"gamma": {"mean": 12, "sd": 8}},
    },
    "campaign.channelSubtypeConfig.telephony.defaultOutboundConfig.answerMachineDetectionConfig": {
        "enableAnswerMachineDetection": True
    },
    "campaign.entryLimitsConfig": {"maxEntryCount": 3, "minEntryInterval": "PT10M"},
    "simulation.retry": {"on": ["NO_ANSWER", "BUSY", "MACHINE"]},
}


def _sorted(table: pa.Table) -> list[dict]:
    """Rows without the event id (numbered in batch order), in a canonical order."""
    rows = table.drop_columns(["event_id"]).to_pylist()
    return sorted(rows, key=lambda r: (r["contact_id"], r["time"], r["event_type"]))


def test_parquet_file_reads_back_exactly_in_event_schema(tmp_path):
    r = simulate(make_doc(**MIXED), out_dir=tmp_path)
    on_disk = pq.read_table(tmp_path / "events.parquet")
    assert on_disk.schema.equals(EVENT_SCHEMA), on_disk.schema
    assert r.events.schema.equals(EVENT_SCHEMA)
    assert on_disk.equals(r.events)
    assert on_disk.num_rows > 500


def test_sinks_that_take_plain_batches_get_event_schema():
    batches: list[pa.RecordBatch] = []
    r = simulate(make_doc(**MIXED), sinks=[CallbackSink(batches.append)], batch_calls=50)
    assert len(batches) > 3
    assert all(b.schema.equals(EVENT_SCHEMA) for b in batches)
    assert pa.Table.from_batches(batches).equals(r.events)


@pytest.mark.parametrize("batch_calls", [1, 7, 64])
def test_batch_boundaries_change_no_event(batch_calls):
    doc = make_doc(**MIXED)
    whole = simulate(doc, batch_calls=100_000).events
    split = simulate(doc, batch_calls=batch_calls).events
    assert split.num_rows == whole.num_rows
    assert _sorted(split) == _sorted(whole)
    ids = split.column("event_id").to_pylist()
    assert len(set(ids)) == len(ids)


def test_unanswered_calls_are_recorded_like_any_other_ended_call():
    doc = make_doc(
        **{
            **MIXED,
            "simulation.contacts": {"synthetic": {"count": 3, "areaCodes": {"212": 1.0}}},
            "simulation.behaviour": {"outcomes": {"human": 0.0, "no_answer": 1.0}},
            "campaign.entryLimitsConfig": {"maxEntryCount": 2, "minEntryInterval": "PT10M"},
        }
    )
    events = simulate(doc).events.to_pylist()
    ended = [e for e in events if e["event_type"] == "DISCONNECTED"]
    assert len(ended) == 6  # 3 contacts, 2 attempts each
    for e in ended:
        assert e["disconnect_reason"] == "TELECOM_ORIGINATOR_CANCEL"
        assert e["amd_status"] == "AMD_UNANSWERED"
        assert e["sim_party"] == "NO_ANSWER"
        assert e["disconnect_ts"] - e["initiation_ts"] == timedelta(seconds=20)  # ringTimeout
        assert e["agent_id"] is None and e["queue_id"] is None and e["connected_to_system_ts"] is None
        assert e["sim_amd_correct"] is None
        assert e["sim_message_played"] is False and e["sim_opt_out"] is False
    assert sorted(e["sim_attempt"] for e in ended) == [1, 1, 1, 2, 2, 2]
    # A call nobody answered: INITIATED, DISCONNECTED, and COMPLETED right
    # after it with the same data (no after-contact work: no agent).
    assert {e["event_type"] for e in events} == {"INITIATED", "DISCONNECTED", "COMPLETED"}
    completed = [e for e in events if e["event_type"] == "COMPLETED"]
    strip = ("event_id", "event_type")
    assert [{k: v for k, v in e.items() if k not in strip} for e in completed] == [
        {k: v for k, v in e.items() if k not in strip} for e in ended
    ]


def test_retries_fall_due_in_the_order_the_first_attempts_ended():
    doc = make_doc(
        **{
            "simulation.contacts": {"synthetic": {"count": 3, "areaCodes": {"212": 1.0}}},
            "simulation.agents": {"count": 3},
            "simulation.behaviour": {"outcomes": {"human": 0.0, "busy": 1.0}},
            "simulation.retry": {"on": ["BUSY"]},
            "campaign.entryLimitsConfig": {"maxEntryCount": 2, "minEntryInterval": "PT10M"},
        }
    )
    events = simulate(doc).events.to_pylist()
    ends = [
        (e["time"], e["sim_recipient"]) for e in events if e["event_type"] == "DISCONNECTED" and e["sim_attempt"] == 1
    ]
    again = [
        (e["time"], e["sim_recipient"]) for e in events if e["event_type"] == "INITIATED" and e["sim_attempt"] == 2
    ]
    assert len(ends) == len(again) == 3
    # Busy tones of random length: the first attempts end in some order;
    # the second attempts follow it, each at least the interval later.
    assert [rec for _, rec in sorted(again)] == [rec for _, rec in sorted(ends)]
    for (t_end, rec), (t_again, rec2) in zip(sorted(ends), sorted(again), strict=False):
        assert rec == rec2 and t_again - t_end >= timedelta(minutes=10)


def test_timeline_integrates_agent_levels_across_interval_boundaries():
    # One agent, one call: busy from the answer at 5 s to the end of wrap-up
    # at 75 s (talk 60 s, wrap-up 10 s); 30-second intervals.
    doc = one_contact_doc(
        **{
            "simulation.statsIntervalSeconds": 30,
            "campaign.schedule": {"startTime": "2026-12-01T14:00:00Z", "endTime": "2026-12-01T14:02:00Z"},
        }
    )
    r = simulate(doc)
    rows = r.timeline.to_pylist()
    busy = [row["agents_busy"] for row in rows[:4]]
    assert busy == pytest.approx([25 / 30, 1.0, 15 / 30, 0.0])
    assert [row["agents_logged_in"] for row in rows[:4]] == pytest.approx([1.0, 1.0, 1.0, 1.0])
    assert rows[0]["interval_start"] == START
    assert r.summary["agent_occupancy"] == pytest.approx(70 / 120)
