"""How each way a campaign call can end shows in its contact events, checked
against Amazon Connect's documented values (admin guide, "Contact records
data model", DisconnectReason and AnsweringMachineDetectionStatus; "Amazon
Connect contact events", COMPLETED), plus what the pacer and the audit are
told of an answer hung up on undecided."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from compliance import audit
from dialer import simulate
from dialer.pacing.base import Pacer
from eventlog import iter_envelopes
from tests.dialer.conftest import make_doc, one_contact_doc

START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
AMD_PATH = "campaign.channelSubtypeConfig.telephony.defaultOutboundConfig.answerMachineDetectionConfig"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _ending(outcome: str, amd: bool = True, **extra) -> dict:
    """The DISCONNECTED event of one call whose callee is ``outcome``."""
    doc = one_contact_doc(
        **{
            "simulation.behaviour": {
                "outcomes": {"human": 0.0, outcome: 1.0},
                "timeToAnswer": {"fixed": 5},
                "greeting": {"fixed": 1},
                "talk": {"fixed": 60},
            },
            AMD_PATH: {"enableAnswerMachineDetection": amd},
            **extra,
        }
    )
    events = simulate(doc).events.to_pylist()
    return next(e for e in events if e["event_type"] == "DISCONNECTED")


# Each simulated ending, the disconnect reason and AMD status Connect
# documents for it (docs/interfaces.md, "Disconnect reasons", has the quotes).
ENDINGS = [
    ("no_answer", "TELECOM_ORIGINATOR_CANCEL", "AMD_UNANSWERED"),  # rang out at ringTimeout: the campaign gave up
    ("busy", "TELECOM_BUSY", "SIT_TONE_BUSY"),
    ("invalid", "TELECOM_NUMBER_INVALID", "SIT_TONE_INVALID_NUMBER"),
    ("fax", "CONTACT_FLOW_DISCONNECT", "FAX_MACHINE_DETECTED"),  # the campaign's flow hangs up on the fax
    ("machine_no_beep", "CONTACT_FLOW_DISCONNECT", "VOICEMAIL_NO_BEEP"),
]


@pytest.mark.parametrize(("outcome", "reason", "status"), ENDINGS)
def test_each_failed_dial_ends_with_connects_reason_and_status(outcome: str, reason: str, status: str) -> None:
    extra = {"simulation.amd": {"sensitivity": 0.999999}} if outcome.startswith("machine") else {}
    e = _ending(outcome, **extra)
    assert (e["disconnect_reason"], e["amd_status"]) == (reason, status)


def test_amd_off_keeps_the_reason_and_says_not_applicable_before_media() -> None:
    for outcome, reason, _ in ENDINGS[:3]:
        e = _ending(outcome, amd=False)
        assert (e["disconnect_reason"], e["amd_status"]) == (reason, "AMD_NOT_APPLICABLE"), outcome


def _second_caller_waits(**extra) -> dict:
    """Two people dialled a second apart, one agent busy with the first for a
    minute: the DISCONNECTED event of the second."""
    doc = one_contact_doc(
        **{
            "campaign.channelSubtypeConfig.telephony.outboundMode": {"fixedRate": {"dialsPerSecond": 1.0}},
            "simulation.contacts": {"synthetic": {"count": 2, "areaCodes": {"212": 1.0}}},
            **extra,
        }
    )
    events = simulate(doc).events.to_pylist()
    second = sorted({e["contact_id"] for e in events} - {events[0]["contact_id"]})
    return next(e for e in events if e["event_type"] == "DISCONNECTED" and e["contact_id"] in second)


def test_a_person_hanging_up_while_waiting_is_customer_disconnect() -> None:
    e = _second_caller_waits(
        **{
            "simulation.behaviour": {
                "outcomes": {"human": 1.0},
                "timeToAnswer": {"fixed": 5},
                "greeting": {"fixed": 1},
                "talk": {"fixed": 60},
                "patienceInSilence": {"fixed": 1},
            },
            "simulation.safeHarbor": {"enabled": False},
        }
    )
    assert e["disconnect_reason"] == "CUSTOMER_DISCONNECT" and e["connected_to_agent_ts"] is None


def test_dropped_to_the_message_is_contact_flow_disconnect() -> None:
    e = _second_caller_waits(
        **{
            "simulation.behaviour": {
                "outcomes": {"human": 1.0},
                "timeToAnswer": {"fixed": 5},
                "greeting": {"fixed": 1},
                "talk": {"fixed": 60},
                "patienceInSilence": {"fixed": 30},
            },
            # fixedRate has no abandonment threshold unless given one.
            "simulation.safeHarbor": {"thresholdSeconds": 2},
        }
    )
    assert e["disconnect_reason"] == "CONTACT_FLOW_DISCONNECT" and e["sim_message_played"] is True
    assert e["connected_to_agent_ts"] is None


# -- COMPLETED ----------------------------------------------------------------------


def test_completed_follows_every_contact_and_repeats_disconnected_without_an_agent() -> None:
    doc = make_doc(
        **{
            AMD_PATH: {"enableAnswerMachineDetection": True},
            "simulation.behaviour": {
                "outcomes": {"human": 0.3, "machine_beep": 0.2, "no_answer": 0.3, "busy": 0.1, "invalid": 0.1}
            },
            "simulation.contacts.synthetic.count": 120,
        }
    )
    rows = simulate(doc).events.to_pylist()
    by_contact: dict[str, list[dict]] = {}
    for r in rows:
        by_contact.setdefault(r["contact_id"], []).append(r)
    with_acw = without = 0
    for evs in by_contact.values():
        disc = next(e for e in evs if e["event_type"] == "DISCONNECTED")
        done = evs[-1]
        assert done["event_type"] == "COMPLETED"
        if done["connected_to_agent_ts"] is None:
            without += 1
            assert done["time"] == disc["time"]
            assert done["after_contact_work_end_ts"] is None
            assert {k: v for k, v in done.items() if k not in ("event_id", "event_type")} == {
                k: v for k, v in disc.items() if k not in ("event_id", "event_type")
            }
        else:
            with_acw += 1
            assert done["after_contact_work_end_ts"] >= disc["disconnect_ts"]
            assert disc["after_contact_work_end_ts"] is None  # DISCONNECTED does not know it yet
    assert with_acw and without


def test_completed_without_acw_has_no_after_contact_work_fields() -> None:
    doc = one_contact_doc(**{"simulation.behaviour": {"outcomes": {"human": 0.0, "busy": 1.0}}})
    envs = [e["detail"] for e in iter_envelopes(simulate(doc).events)]
    assert [d["eventType"] for d in envs] == ["INITIATED", "DISCONNECTED", "COMPLETED"]
    assert "agentInfo" not in envs[-1] and envs[-1]["disconnectReason"] == "TELECOM_BUSY"


def test_zero_wrap_up_still_puts_acw_end_only_on_completed() -> None:
    events = simulate(one_contact_doc(**{"simulation.agents": {"count": 1, "wrapUp": {"fixed": 0}}})).events
    rows = {r["event_type"]: r for r in events.to_pylist()}
    assert rows["DISCONNECTED"]["after_contact_work_end_ts"] is None
    assert rows["COMPLETED"]["after_contact_work_end_ts"] == rows["DISCONNECTED"]["disconnect_ts"]


# -- AMD_UNRESOLVED_SILENCE ------------------------------------------------------------


def _undecided(greeting: float, on_unresolved: str = "CONNECT_AS_LIVE") -> pa.Table:
    doc = one_contact_doc(
        **{
            AMD_PATH: {"enableAnswerMachineDetection": True},
            "simulation.behaviour": {
                "outcomes": {"human": 1.0},
                "timeToAnswer": {"fixed": 5},
                "greeting": {"fixed": greeting},
                "talk": {"fixed": 60},
            },
            "simulation.amd": {
                "maxAnalysisSeconds": 1.9,
                "analysisMeasuredFrom": "SPEECH_START",
                "silenceAfterGreeting": {"fixed": 0.8},
                "onUnresolved": on_unresolved,
            },
        }
    )
    return simulate(doc).events


def test_giving_up_in_the_silence_after_the_greeting_is_unresolved_silence() -> None:
    # Greeting 1.5 s, then 0.8 s of silence before AMD would say "person":
    # the 1.9 s cap falls in the silence.
    events = _undecided(1.5).to_pylist()
    cts = next(e for e in events if e["event_type"] == "CONNECTED_TO_SYSTEM")
    assert cts["amd_status"] == "AMD_UNRESOLVED_SILENCE"
    # Given up 1.9 s after speech started (the answer, at 5 s): queued then.
    queued = next(e for e in events if e["event_type"] == "QUEUED")
    assert (queued["time"] - START).total_seconds() == pytest.approx(6.9)
    # Greeting 3 s: the cap falls while the person still speaks.
    cts = next(e for e in _undecided(3.0).to_pylist() if e["event_type"] == "CONNECTED_TO_SYSTEM")
    assert cts["amd_status"] == "AMD_UNRESOLVED"


def test_unresolved_silence_is_handled_like_unresolved() -> None:
    assert "CONNECTED_TO_AGENT" in _undecided(1.5).column("event_type").to_pylist()
    hung = _undecided(1.5, "HANG_UP")
    last = hung.to_pylist()[-1]
    assert last["amd_status"] == "AMD_UNRESOLVED_SILENCE" and last["disconnect_reason"] == "CONTACT_FLOW_DISCONNECT"
    # A person hung up on: abandoned under both definitions.
    assert audit(hung, "US").rule("abandonment_rate").measured == 1.0
    assert audit(hung, "UK").rule("abandonment_rate").measured == 1.0


# -- the pacer hears of undecided hang-ups ----------------------------------------------


def test_the_pacer_is_told_of_each_undecided_hang_up(monkeypatch: pytest.MonkeyPatch) -> None:
    told: list[float] = []
    resolved: list[bool] = []
    original = Pacer.on_live_resolved

    def spy(self: Pacer, abandoned: bool, now: float) -> None:
        resolved.append(abandoned)
        original(self, abandoned, now)

    original_hook = Pacer.on_undecided_hang_up

    def hook(self: Pacer, now: float) -> None:
        told.append(now)
        original_hook(self, now)

    monkeypatch.setattr(Pacer, "on_undecided_hang_up", hook)
    monkeypatch.setattr(Pacer, "on_live_resolved", spy)
    doc = make_doc(
        **{
            AMD_PATH: {"enableAnswerMachineDetection": True},
            "simulation.behaviour": {"outcomes": {"human": 0.5, "machine_beep": 0.5}, "greeting": {"fixed": 3}},
            "simulation.amd": {"maxAnalysisSeconds": 1.5, "onUnresolved": "HANG_UP"},
            "simulation.contacts.synthetic.count": 40,
        }
    )
    r = simulate(doc)
    undecided = sum(
        1
        for e in r.events.to_pylist()
        if e["event_type"] == "DISCONNECTED" and e["amd_status"] in ("AMD_UNRESOLVED", "AMD_UNRESOLVED_SILENCE")
    )
    assert undecided > 0 and len(told) == undecided
    # ... and by default counts each as a live call abandoned.
    assert resolved.count(True) >= undecided


def test_base_pacer_counts_an_undecided_hang_up_as_abandoned() -> None:
    seen: list[tuple[bool, float]] = []

    class Counting(Pacer):
        def on_live_resolved(self, abandoned: bool, now: float) -> None:
            seen.append((abandoned, now))

    Counting().on_undecided_hang_up(12.5)
    assert seen == [(True, 12.5)]


# -- agent and queue ids ----------------------------------------------------------------


def _ids(doc: dict) -> tuple[set[str], set[str]]:
    events = simulate(doc).events
    agents = {a for a in events.column("agent_id").to_pylist() if a}
    queues = {q for q in events.column("queue_id").to_pylist() if q}
    return agents, queues


def test_agent_and_queue_ids_are_uuids_stable_across_runs() -> None:
    doc = make_doc(**{"simulation.contacts.synthetic.count": 30})
    agents, queues = _ids(doc)
    assert agents and queues and all(UUID.fullmatch(x) for x in agents | queues)
    assert _ids(doc) == (agents, queues)
    # The same campaign's agents keep their ids whatever the seed.
    other_seed, _ = _ids(make_doc(**{"simulation.contacts.synthetic.count": 30, "simulation.seed": 9}))
    assert other_seed <= agents | other_seed and other_seed & agents
    # Another campaign on the instance has other agents.
    other, _ = _ids(make_doc(**{"simulation.contacts.synthetic.count": 30, "campaign.name": "another"}))
    assert not other & agents


def test_a_configured_queue_uuid_is_kept() -> None:
    q = "8f1e3a52-1b2c-4d5e-8f90-123456789abc"
    doc = make_doc(
        **{
            "simulation.contacts.synthetic.count": 5,
            "campaign.channelSubtypeConfig.telephony.connectQueueId": q,
        }
    )
    assert _ids(doc)[1] == {q}
    env = next(e for e in iter_envelopes(simulate(doc).events) if e["detail"]["eventType"] == "QUEUED")
    assert env["detail"]["queueInfo"]["queueArn"].endswith(f"/queue/{q}")
    assert UUID.fullmatch(env["detail"]["queueInfo"]["queueArn"].rsplit("/", 1)[-1])
