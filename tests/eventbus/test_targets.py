"""Targets against real servers: an HTTP endpoint (a local server), the
Redis and NATS servers of this machine (skipped with the reason when
absent), and a JSON-lines file."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid

import pytest

from dialer import simulate
from eventbus import Backoff, Bus
from eventbus.targets import Environment, FileSender, TargetError, kind_of
from tests.eventbus.conftest import small_campaign
from tests.eventbus.endpoint import Endpoint


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def http_bus(endpoint: Endpoint, connection: dict) -> Bus:
    dest = {"InvocationEndpoint": endpoint.url, "HttpMethod": "POST"}
    env = Environment(callables={}, lookup_destination=lambda arn: (dest, connection))
    return Bus(env=env, backoff=Backoff(0.01, 0.05))


ARN = "arn:aws:events:us-east-1:111122223333:api-destination/crm/0000"


def test_http_target_sends_auth_header_and_transformed_body():
    ep = Endpoint()
    try:
        bus = http_bus(
            ep,
            {
                "AuthorizationType": "API_KEY",
                "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"}},
            },
        )
        bus.put_rule("hangups", {"detail": {"eventType": ["DISCONNECTED"]}})
        bus.put_target(
            "hangups",
            {
                "Id": "crm",
                "Arn": ARN,
                "InputTransformer": {
                    "InputPathsMap": {"id": "$.detail.contactId", "why": "$.detail.disconnectReason"},
                    "InputTemplate": '{"contact": <id>, "reason": <why>}',
                },
            },
        )
        result = simulate(small_campaign(), bus=bus)
        bus.shutdown(20)
        want = {r["contact_id"] for r in result.events.to_pylist() if r["event_type"] == "DISCONNECTED"}
        assert {json.loads(b)["contact"] for _, b in ep.requests} == want
        assert all(h["x-api-key"] == "s3cret" for h, _ in ep.requests)
    finally:
        ep.close()


def test_http_retries_5xx_and_dead_letters_4xx():
    ep = Endpoint(status=[503, 200, 400])
    dead: list[dict] = []
    try:
        bus = http_bus(
            ep,
            {
                "AuthorizationType": "BASIC",
                "AuthParameters": {"BasicAuthParameters": {"Username": "u", "Password": "p"}},
            },
        )
        bus.put_rule("r", {"source": ["test"]})
        bus.put_target(
            "r", {"Id": "crm", "Arn": ARN, "DeadLetterConfig": {"Arn": bus.register_callable("dlq", dead.append)}}
        )
        bus.publish_many([{"id": "1", "source": "test", "detail": {}}])
        bus.drain(10)
        bus.publish_many([{"id": "2", "source": "test", "detail": {}}])
        stats = bus.shutdown(10)
        assert len(ep.requests) == 3 and ep.requests[0][0]["authorization"] == "Basic dTpw"
        assert stats["targets"]["r/crm"]["delivered"] == 1 and stats["targets"]["r/crm"]["retries"] == 1
        assert [d["event"]["id"] for d in dead] == ["2"] and dead[0]["attributes"]["ERROR_CODE"] == "400"
        assert "EXHAUSTED_RETRY_CONDITION" not in dead[0]["attributes"]
    finally:
        ep.close()


def test_file_target_appends_json_lines(tmp_path):
    bus = Bus(env=Environment(callables={}, file_dir=tmp_path))
    bus.put_rule("hangups", {"detail": {"eventType": ["DISCONNECTED"]}})
    bus.put_target("hangups", {"Id": "f", "Arn": "arn:dialer:file:::hangups", "InputPath": "$.detail"})
    result = simulate(small_campaign(), bus=bus)
    bus.shutdown(10)
    lines = [json.loads(x) for x in (tmp_path / "hangups.jsonl").read_text().splitlines()]
    assert len(lines) == sum(1 for r in result.events.to_pylist() if r["event_type"] == "DISCONNECTED")
    assert {x["eventType"] for x in lines} == {"DISCONNECTED"}


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b", ""])
def test_file_target_names_are_not_paths(name, tmp_path):
    with pytest.raises(TargetError):
        kind_of(f"arn:dialer:file:::{name}")
    with pytest.raises(TargetError):
        FileSender(tmp_path, name)


@pytest.mark.skipif(not reachable("127.0.0.1", 6379), reason="no Redis server at 127.0.0.1:6379")
def test_redis_stream_target():
    import redis

    stream = f"test-eventbus-{uuid.uuid4().hex[:8]}"
    client = redis.Redis(host="127.0.0.1", port=6379)
    try:
        bus = Bus()
        bus.put_rule("hangups", {"detail": {"eventType": ["DISCONNECTED"]}})
        bus.put_target("hangups", {"Id": "r", "Arn": f"arn:dialer:redis:::{stream}"})
        result = simulate(small_campaign(), bus=bus)
        bus.shutdown(10)
        entries = client.xrange(stream)
        want = {r["event_id"] for r in result.events.to_pylist() if r["event_type"] == "DISCONNECTED"}
        assert {json.loads(fields[b"event"])["id"] for _, fields in entries} == want
    finally:
        client.delete(stream)
        client.close()


@pytest.mark.skipif(not reachable("127.0.0.1", 4222), reason="no NATS server at 127.0.0.1:4222")
def test_nats_subject_target():
    import nats

    subject = f"test.eventbus.{uuid.uuid4().hex[:8]}"
    received: list[bytes] = []
    ready = threading.Event()
    done = threading.Event()

    async def listen():
        nc = await nats.connect("nats://127.0.0.1:4222")
        await nc.subscribe(subject, cb=_append)
        await nc.flush()
        ready.set()
        while not done.is_set():
            await asyncio.sleep(0.05)
        await nc.drain()

    async def _append(msg):
        received.append(msg.data)

    t = threading.Thread(target=lambda: asyncio.run(listen()), daemon=True)
    t.start()
    assert ready.wait(10)
    bus = Bus()
    bus.put_rule("hangups", {"detail": {"eventType": ["DISCONNECTED"]}})
    bus.put_target("hangups", {"Id": "n", "Arn": f"arn:dialer:nats:::{subject}"})
    result = simulate(small_campaign(), bus=bus)
    bus.shutdown(10)
    want = {r["event_id"] for r in result.events.to_pylist() if r["event_type"] == "DISCONNECTED"}
    end = time.time() + 5
    while len(received) < len(want) and time.time() < end:
        time.sleep(0.05)
    done.set()
    t.join(5)
    assert {json.loads(d)["id"] for d in received} == want


def test_http_dead_letter_gets_the_event_and_attribute_headers():
    ep, dlq = Endpoint(status=500), Endpoint()
    try:
        dests = {ARN: ep.url, ARN.replace("crm", "dlq"): dlq.url}
        conn = {
            "AuthorizationType": "BASIC",
            "AuthParameters": {"BasicAuthParameters": {"Username": "u", "Password": "p"}},
        }
        env = Environment(
            callables={},
            lookup_destination=lambda arn: ({"InvocationEndpoint": dests[arn], "HttpMethod": "POST"}, conn),
        )
        bus = Bus(env=env, backoff=Backoff(0.01, 0.05))
        bus.put_rule("r", {"source": ["test"]})
        bus.put_target(
            "r",
            {
                "Id": "crm",
                "Arn": ARN,
                "RetryPolicy": {"MaximumRetryAttempts": 0},
                "DeadLetterConfig": {"Arn": ARN.replace("crm", "dlq")},
            },
        )
        bus.publish_many([{"id": "e-1", "source": "test", "detail": {}}])
        bus.shutdown(10)
        assert len(dlq.requests) == 1
        headers, body = dlq.requests[0]
        assert json.loads(body)["id"] == "e-1"
        assert headers["x-dead-letter-error-code"] == "500"
        assert headers["x-dead-letter-exhausted-retry-condition"] == "MaximumRetryAttemptsExhausted"
    finally:
        ep.close()
        dlq.close()


def test_http_rate_limit():
    ep = Endpoint()
    try:
        conn = {
            "AuthorizationType": "BASIC",
            "AuthParameters": {"BasicAuthParameters": {"Username": "u", "Password": "p"}},
        }
        dest = {"InvocationEndpoint": ep.url, "HttpMethod": "POST", "InvocationRateLimitPerSecond": 20}
        bus = Bus(env=Environment(callables={}, lookup_destination=lambda arn: (dest, conn)))
        bus.put_rule("r", {"source": ["test"]})
        bus.put_target("r", {"Id": "crm", "Arn": ARN})
        t0 = time.monotonic()
        bus.publish_many([{"id": str(i), "source": "test", "detail": {}} for i in range(11)])
        bus.shutdown(10)
        # 11 calls at 20 a second: the last no earlier than 0.5 s after the first
        assert len(ep.requests) == 11 and time.monotonic() - t0 >= 0.5
    finally:
        ep.close()
