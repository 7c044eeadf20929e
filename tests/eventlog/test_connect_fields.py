"""Fields as Amazon Connect's contact events carry them (admin guide,
"Amazon Connect contact events"): after-contact work under agentInfo on
COMPLETED, queueInfo.queueType, a UUID instance id in the ARNs, and the
CONTACT_DATA_UPDATED event of a previewed contact the agent accepted."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from dialer import simulate
from eventlog import envelopes_to_table, iter_envelopes
from tests.dialer.conftest import one_contact_doc

START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _by_type(envs: list[dict]) -> dict[str, dict]:
    return {e["detail"]["eventType"]: e["detail"] for e in envs}


def test_after_contact_work_is_under_agent_info_on_completed() -> None:
    envs = _by_type(list(iter_envelopes(simulate(one_contact_doc()).events)))
    done = envs["COMPLETED"]["agentInfo"]
    # Talk ends at 65 s, wrap-up 10 s.
    assert done["afterContactWorkStartTimestamp"] == "2026-12-01T14:01:05.000Z"
    assert done["afterContactWorkEndTimestamp"] == "2026-12-01T14:01:15.000Z"
    assert done["afterContactWorkDuration"] == 10
    assert "afterContactWorkEndTimestamp" not in envs["COMPLETED"]["simulation"]
    assert "afterContactWorkStartTimestamp" not in envs["DISCONNECTED"]["agentInfo"]


def test_queue_type_and_instance_uuid_in_arns() -> None:
    envs = list(iter_envelopes(simulate(one_contact_doc()).events))
    queued = _by_type(envs)["QUEUED"]
    assert queued["queueInfo"]["queueType"] == "STANDARD"
    arn = queued["instanceArn"]
    assert re.fullmatch(rf"arn:aws:connect:us-east-1:111122223333:instance/{UUID}", arn)
    assert queued["queueInfo"]["queueArn"].startswith(arn + "/queue/")
    # The configured name is kept beside it, so reading the log back loses nothing.
    assert queued["simulation"]["instanceId"] == "test-instance"
    assert {e["detail"]["instanceArn"] for e in envs} == {arn}


def test_envelopes_read_back_to_the_same_rows() -> None:
    events = simulate(one_contact_doc()).events
    back = envelopes_to_table(iter_envelopes(events))
    for col in ("instance_id", "after_contact_work_end_ts", "accepted_by_agent_ts", "amd_status", "event_type"):
        assert back[col].to_pylist() == events[col].to_pylist(), col


def test_a_previewed_contact_has_contact_data_updated_at_the_accept() -> None:
    doc = one_contact_doc(
        **{
            "campaign.channelSubtypeConfig.telephony.outboundMode": {
                "preview": {"bandwidthAllocation": 1.0, "timeoutConfig": {"durationInSeconds": 30}}
            },
            "simulation.agents": {"count": 1, "wrapUp": {"fixed": 10}, "previewTime": {"fixed": 7}},
        }
    )
    events = simulate(doc).events
    kinds = events["event_type"].to_pylist()
    assert kinds[:2] == ["INITIATED", "CONTACT_DATA_UPDATED"]
    envs = list(iter_envelopes(events))
    initiated, updated = envs[0]["detail"], envs[1]["detail"]
    assert "agentInfo" not in initiated
    accepted = updated["agentInfo"]["acceptedByAgentTimestamp"]
    assert accepted == updated["initiationTimestamp"] == envs[1]["time"]
    # From the accept on, every event of the contact names its agent.
    assert all(e["detail"]["agentInfo"]["agentArn"] == updated["agentInfo"]["agentArn"] for e in envs[1:])
    # Not previewed: no such event.
    assert "CONTACT_DATA_UPDATED" not in simulate(one_contact_doc()).events["event_type"].to_pylist()
