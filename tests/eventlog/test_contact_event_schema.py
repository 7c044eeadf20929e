"""Every event of every example, and of a few random campaigns, is an Amazon
Connect contact event: it validates against ``eventlog/contact-event.schema.json``
(field names and status values as Connect documents them), and our
vocabularies hold no value Connect does not use.

A run has up to 600k events and the jsonschema package takes about a
millisecond per envelope here, so the examples are checked in two parts that
together cover every event:

* the values that differ from event to event (ids, phone numbers) are checked
  on every row, vectorised, against the schema's own patterns;
* an envelope's shape (which fields it has, its enums, the rules between
  them) depends only on the row's event type, its coded values and which of
  its fields are null: one real row of each such class is turned into an
  envelope and validated in full. A row class the schema rejects therefore
  fails the test whichever row of it came first.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import jsonschema
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from campaigns.contacts import load_contacts
from campaigns.document import parse_document
from dialer import simulate
from eventlog import iter_envelopes, row_to_envelope
from eventlog.schema import AMD_STATUSES, DISCONNECT_REASONS, EVENT_TYPES
from tests.dialer.conftest import make_doc

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "eventlog" / "contact-event.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
DETAIL = SCHEMA["$defs"]["detail"]["properties"]

# Columns whose value changes from row to row: checked per row, not per class.
PER_ROW = {"event_id", "contact_id", "customer_address", "sim_recipient", "sim_attempt", "sim_client_token", "time"}


def _errors(envelope: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(envelope)]


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_vocabularies_are_connects() -> None:
    """A value we can emit is one Connect documents (the schema's enums are
    written from the admin guide, not from our tuples)."""
    assert set(EVENT_TYPES) <= set(DETAIL["eventType"]["enum"])
    assert set(AMD_STATUSES[1:]) <= set(DETAIL["answeringMachineDetectionStatus"]["enum"])
    assert set(DISCONNECT_REASONS[1:]) <= set(DETAIL["disconnectReason"]["enum"])


def test_schema_rejects_what_connect_does_not_send() -> None:
    """The schema is strict enough to catch the old mistakes."""
    doc = simulate(make_doc(**{"simulation.contacts.synthetic.count": 20}))
    env = next(iter_envelopes(doc.events))
    assert _errors(env) == []
    bad_instance = json.loads(json.dumps(env))
    bad_instance["detail"]["instanceArn"] = "arn:aws:connect:us-east-1:111122223333:instance/test-instance"
    assert any("instanceArn" in e for e in _errors(bad_instance))
    bad_status = json.loads(json.dumps(env))
    bad_status["detail"]["answeringMachineDetectionStatus"] = "MACHINE"
    assert _errors(bad_status)
    stray = json.loads(json.dumps(env))
    stray["detail"]["simulation"]["afterContactWorkEndTimestamp"] = "2026-12-01T14:00:00.000Z"
    assert _errors(stray)
    email_only = json.loads(json.dumps(env))
    email_only["detail"]["eventType"] = "DISCONNECTED"
    email_only["detail"]["disconnectTimestamp"] = env["time"]
    email_only["detail"]["disconnectReason"] = "DISCARDED"  # Connect: email contacts only
    assert any("disconnectReason" in e for e in _errors(email_only))


def test_schema_wants_uuid_agents_and_queues_and_acw_only_after_an_agent() -> None:
    doc = simulate(make_doc(**{"simulation.contacts.synthetic.count": 5}))
    envs = list(iter_envelopes(doc.events))
    assert all(_errors(e) == [] for e in envs)
    done = next(e for e in envs if e["detail"]["eventType"] == "COMPLETED" and "agentInfo" in e["detail"])
    named = json.loads(json.dumps(done))
    arn = named["detail"]["agentInfo"]["agentArn"]
    named["detail"]["agentInfo"]["agentArn"] = arn.rsplit("/", 1)[0] + "/agent-0000"
    assert any("agentArn" in e for e in _errors(named))
    queue = json.loads(json.dumps(done))
    queue["detail"]["queueInfo"]["queueArn"] = queue["detail"]["queueInfo"]["queueArn"].rsplit("/", 1)[0] + "/outbound"
    assert any("queueArn" in e for e in _errors(queue))
    # A COMPLETED of a contact an agent talked to must carry its ACW ...
    bare = json.loads(json.dumps(done))
    del bare["detail"]["agentInfo"]["afterContactWorkEndTimestamp"]
    assert _errors(bare)
    # ... and one no agent talked to must not.
    no_agent = json.loads(json.dumps(done))
    no_agent["detail"]["agentInfo"]["connectedToAgentTimestamp"] = None
    assert _errors(no_agent)


def _pattern(ref: str) -> str:
    return SCHEMA["$defs"][ref]["pattern"]


def _check_per_row(events: pa.Table) -> None:
    for col in ("event_id", "contact_id", "agent_id", "queue_id"):
        ok = pc.match_substring_regex(events[col], _pattern("uuid"))
        assert pc.all(ok).as_py() is not False, f"{col}: not a UUID in some rows"
    phone = SCHEMA["$defs"]["endpoint"]["properties"]["address"]["pattern"]
    assert pc.all(pc.match_substring_regex(events["customer_address"], phone)).as_py(), "customer_address not E.164"
    assert pc.min(events["sim_recipient"]).as_py() >= 0 and pc.min(events["sim_attempt"]).as_py() >= 1
    assert events["time"].null_count == 0


def _class_exemplars(events: pa.Table) -> pa.Table:
    """One real row per class of rows that give envelopes of the same shape."""
    keys = {}
    for name in events.column_names:
        if name in PER_ROW:
            continue
        col = events[name]
        if pa.types.is_timestamp(col.type) or name in ("agent_id", "queue_id"):
            keys[name] = pc.is_valid(col)
        else:
            keys[name] = col
    keyed = pa.table({**keys, "_row": pa.array(range(events.num_rows), pa.int64())})
    first = keyed.group_by(list(keys), use_threads=False).aggregate([("_row", "min")])
    return events.take(first["_row_min"])


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_event_of_every_example_is_a_connect_contact_event(example: Path) -> None:
    events = simulate(example).events
    assert events.num_rows > 0
    _check_per_row(events)
    exemplars = _class_exemplars(events)
    problems = []
    for row in exemplars.to_pylist():
        for err in _errors(row_to_envelope(row)):
            problems.append(f"{row['event_type']} {row['amd_status']} {row['disconnect_reason']}: {err}")
    assert not problems, "\n".join(problems[:20])


def _random_campaign(rng: random.Random) -> dict:
    mode = rng.choice(["progressive", "predictive", "agentless", "preview"])
    modes = {
        "progressive": {"progressive": {"bandwidthAllocation": 1.0}},
        "predictive": {"predictive": {"bandwidthAllocation": 1.0}},
        "agentless": {"agentless": {}},
        "preview": {"preview": {"bandwidthAllocation": 1.0, "timeoutConfig": {"durationInSeconds": 30}}},
    }
    shares = [rng.random() for _ in range(7)]
    total = sum(shares)
    outcomes = dict(
        zip(
            ("human", "machine_beep", "machine_no_beep", "no_answer", "busy", "invalid", "fax"),
            (s / total for s in shares),
            strict=True,
        )
    )
    amd_on = rng.random() < 0.7
    amd: dict = {
        "maxAnalysisSeconds": rng.choice([None, 1.9, 3.0, 5.0]),
        "analysisMeasuredFrom": rng.choice(["ANSWER", "SPEECH_START"]),
        "onUnresolved": rng.choice(["CONNECT_AS_LIVE", "HANG_UP"]),
        "sensitivity": rng.choice([0.5, 0.7, 0.9, 0.97]),
        "errorRate": rng.choice([0.0, 0.05]),
        "unclassifiedSitShare": rng.choice([0.0, 0.5]),
    }
    return make_doc(
        **{
            "campaign.channelSubtypeConfig.telephony.outboundMode": modes[mode],
            "campaign.channelSubtypeConfig.telephony.defaultOutboundConfig.answerMachineDetectionConfig": {
                "enableAnswerMachineDetection": amd_on,
                "awaitAnswerMachinePrompt": rng.random() < 0.5,
            },
            "simulation.seed": rng.randrange(1000),
            "simulation.jurisdiction": rng.choice(["US", "UK"]),
            "simulation.behaviour.outcomes": outcomes,
            "simulation.amd": amd,
            "simulation.agents": {"count": rng.randint(1, 4), "wrapUp": {"fixed": rng.choice([0, 5])}},
            "simulation.contacts.synthetic.count": 150,
            "simulation.lines": 10,
        }
    )


@pytest.mark.parametrize("seed", range(6))
def test_every_event_of_random_campaigns_validates_in_full(seed: int) -> None:
    """Small random campaigns (mode, AMD on/off and its settings, outcome
    shares, jurisdiction): every envelope validated, no sampling."""
    result = simulate(_random_campaign(random.Random(seed)))
    envs = list(iter_envelopes(result.events))
    assert envs
    problems = [f"event {i}: {e}" for i, env in enumerate(envs) for e in _errors(env)]
    assert not problems, "\n".join(problems[:20])


def test_expired_requests_validate() -> None:
    """A request past its expirationTime ends undialled: DISCONNECTED then
    COMPLETED, no initiation timestamp, Connect's EXPIRED reason."""
    doc = parse_document(make_doc(**{"simulation.contacts.synthetic.count": 60, "simulation.agents": {"count": 1}}))
    contacts = load_contacts(doc)
    contacts.expires_at = np.full(len(contacts), 60.0)
    envs = list(iter_envelopes(simulate(doc, contacts=contacts).events))
    expired = [e for e in envs if e["detail"].get("disconnectReason") == "EXPIRED"]
    assert expired and all("initiationTimestamp" not in e["detail"] for e in expired)
    problems = [f"event {i}: {e}" for i, env in enumerate(envs) for e in _errors(env)]
    assert not problems, "\n".join(problems[:20])
