"""Tiny scenarios whose whole event log is asserted (SimPy's test style)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialer import simulate
from eventlog import iter_envelopes
from tests.dialer.conftest import one_contact_doc as _one_contact

START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def _log(table):
    rows = table.select(["time", "event_type"]).to_pylist()
    return [(r["event_type"], (r["time"] - START).total_seconds()) for r in rows]


def test_one_answered_call_full_log():
    r = simulate(_one_contact())
    assert _log(r.events) == [
        ("INITIATED", 0.0),
        ("CONNECTED_TO_SYSTEM", 5.0),
        ("QUEUED", 5.0),
        ("CONNECTED_TO_AGENT", 5.0),
        ("DISCONNECTED", 65.0),
        ("COMPLETED", 75.0),
    ]
    last = r.events.to_pylist()[-1]
    assert last["disconnect_reason"] == "CUSTOMER_DISCONNECT"
    assert last["greeting_end_ts"] - last["greeting_start_ts"] == timedelta(seconds=1)
    assert r.summary["connected_to_agent"] == 1 and r.summary["abandoned"] == 0


def test_no_answer_rings_for_the_ring_timeout_then_retries_after_the_interval():
    doc = _one_contact(
        **{
            "simulation.behaviour": {"outcomes": {"human": 0.0, "no_answer": 1.0}},
            "campaign.entryLimitsConfig": {"maxEntryCount": 2, "minEntryInterval": "PT10M"},
        }
    )
    r = simulate(doc)
    log = _log(r.events)
    # Two attempts: ring 20 s (ringTimeout), then again 10 minutes later.
    assert log == [
        ("INITIATED", 0.0),
        ("DISCONNECTED", 20.0),
        ("COMPLETED", 20.0),
        ("INITIATED", 620.0),
        ("DISCONNECTED", 640.0),
        ("COMPLETED", 640.0),
    ]
    # The campaign gives up ringing: Connect's TELECOM_ORIGINATOR_CANCEL.
    assert set(r.events.column("disconnect_reason").to_pylist()) == {None, "TELECOM_ORIGINATOR_CANCEL"}
    assert r.events.column("sim_attempt").to_pylist() == [1, 1, 1, 2, 2, 2]


def test_machine_detected_is_hung_up_without_an_agent():
    doc = _one_contact(
        **{
            "simulation.behaviour": {
                "outcomes": {"human": 0.0, "machine_no_beep": 1.0},
                "timeToAnswer": {"fixed": 4},
                "machineGreeting": {"fixed": 8},
            },
            "simulation.amd": {"detectionDelay": {"fixed": 2.5}, "falsePositiveRate": 0, "falseNegativeRate": 0},
            "campaign.channelSubtypeConfig.telephony.defaultOutboundConfig.answerMachineDetectionConfig": {
                "enableAnswerMachineDetection": True
            },
        }
    )
    r = simulate(doc)
    assert _log(r.events) == [
        ("INITIATED", 0.0),
        ("CONNECTED_TO_SYSTEM", 4.0),
        ("DISCONNECTED", 6.5),
        ("COMPLETED", 6.5),
    ]
    last = r.events.to_pylist()[-1]
    assert last["amd_status"] == "VOICEMAIL_NO_BEEP" and last["sim_amd_correct"] is True


def test_envelope_shape_follows_amazon_connect_contact_events():
    r = simulate(_one_contact())
    envs = list(iter_envelopes(r.events))
    final = next(e for e in envs if e["detail"]["eventType"] == "DISCONNECTED")
    assert set(final) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
    assert final["source"] == "aws.connect" and final["detail-type"] == "Amazon Connect Contact Event"
    d = final["detail"]
    assert d["channel"] == "VOICE" and d["initiationMethod"] == "OUTBOUND"
    assert d["campaign"] == {"campaignId": "test-campaign"}
    assert d["customerEndpoint"]["type"] == "TELEPHONE_NUMBER" and d["customerEndpoint"]["address"].startswith("+1212")
    assert d["initiationTimestamp"] == "2026-12-01T14:00:00.000Z"
    assert d["customerVoiceActivity"] == {
        "greetingStartTimestamp": "2026-12-01T14:00:05.000Z",
        "greetingEndTimestamp": "2026-12-01T14:00:06.000Z",
    }
    assert d["agentInfo"]["connectedToAgentTimestamp"] == "2026-12-01T14:00:05.000Z"
    assert d["disconnectTimestamp"] == "2026-12-01T14:01:05.000Z"
    assert d["simulation"]["party"] == "HUMAN" and d["simulation"]["timeZone"] == "America/New_York"
    # An event only shows what has happened by its own time.
    initiated = envs[0]["detail"]
    assert "disconnectTimestamp" not in initiated and "agentInfo" not in initiated
