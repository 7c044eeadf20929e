"""The boto3 ``events`` client against a real ``dialer serve``: the
AWS-validated pattern corpus through TestEventPattern; buses, rules and
targets; a campaign run delivered to an HTTP endpoint through an API
destination with a transformer; a failing target's events in the
dead-letter queue after the retry policy; an archive replayed."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from api_helpers import CAMPAIGN, SIMULATION, Server, run_of, wait_for
from botocore.exceptions import ClientError

from api.testing import ServerProcess, make_keys
from tests.databases import empty_database
from tests.eventbus.conftest import corpus
from tests.eventbus.endpoint import Endpoint

UTC = dt.UTC


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def srv(request, tmp_path_factory):
    """A server on each database (PostgreSQL skipped when unavailable); quick
    retries so that the dead-letter test takes seconds."""
    data = tmp_path_factory.mktemp("srv-events")
    url, schema = empty_database(request.param, data)
    keys = dict(
        zip(
            ("manager", "analyst", "other"),
            make_keys(url, ("manager", "default"), ("analyst", "default"), ("manager", "other")),
            strict=False,
        )
    )
    proc = ServerProcess(data_dir=data, database_url=url, extra_env={"DIALER_EVENTBUS_BACKOFF_BASE_S": "0.05"}).start()
    yield Server(proc, keys)
    proc.stop()
    if schema is not None:
        schema.close()


def test_corpus_through_test_event_pattern(srv):
    ev = srv.boto(service="events")
    for case in corpus():
        if case["expected"] in ("invalid", "invalid_event"):
            with pytest.raises(ClientError) as err:
                ev.test_event_pattern(EventPattern=case["pattern"], Event=case["event"])
            want = "InvalidEventPatternException" if case["expected"] == "invalid" else "ValidationException"
            assert err.value.response["Error"]["Code"] == want, case["name"]
            if case["expected"] == "invalid" and not case["name"].startswith("invalid_json:"):
                assert err.value.response["Error"]["Message"] == case["error_message"]
        else:
            got = ev.test_event_pattern(EventPattern=case["pattern"], Event=case["event"])["Result"]
            assert got is (case["expected"] == "match"), case["name"]


def test_buses_rules_and_targets(srv):
    ev = srv.boto(service="events")
    arn = ev.create_event_bus(Name="orders")["EventBusArn"]
    assert arn == "arn:aws:events:us-east-1:111122223333:event-bus/orders"
    assert ev.describe_event_bus(Name="orders")["Arn"] == arn
    assert {"default", "orders"} <= {b["Name"] for b in ev.list_event_buses()["EventBuses"]}
    with pytest.raises(ev.exceptions.ResourceAlreadyExistsException):
        ev.create_event_bus(Name="orders")
    with pytest.raises(ClientError, match="Cannot delete event bus default"):
        ev.delete_event_bus(Name="default")
    rule_arn = ev.put_rule(
        Name="big", EventBusName="orders", EventPattern='{"detail": {"n": [{"numeric": [">", 10]}]}}'
    )["RuleArn"]
    assert rule_arn.endswith(":rule/orders/big")
    with pytest.raises(
        ev.exceptions.InvalidEventPatternException, match='Reason: "source" must be an object or an array'
    ):
        ev.put_rule(Name="bad", EventPattern='{"source": "x"}')
    ev.disable_rule(Name="big", EventBusName="orders")
    assert ev.describe_rule(Name="big", EventBusName="orders")["State"] == "DISABLED"
    ev.enable_rule(Name="big", EventBusName="orders")
    r = ev.put_targets(
        Rule="big",
        EventBusName="orders",
        Targets=[
            {"Id": "q", "Arn": "arn:aws:sqs:us-east-1:111122223333:big-orders"},
            {"Id": "bad", "Arn": "arn:aws:lambda:us-east-1:111122223333:function:f"},
        ],
    )
    assert r["FailedEntryCount"] == 1 and r["FailedEntries"][0]["TargetId"] == "bad"
    with pytest.raises(ClientError, match="InputTemplate for target t contains invalid placeholder nope."):
        ev.put_targets(
            Rule="big",
            EventBusName="orders",
            Targets=[
                {
                    "Id": "t",
                    "Arn": "arn:aws:sqs:us-east-1:111122223333:x",
                    "InputTransformer": {
                        "InputPathsMap": {"a": "$.detail.n"},
                        "InputTemplate": '{"a": <a>, "b": <nope>}',
                    },
                }
            ],
        )
    assert [t["Id"] for t in ev.list_targets_by_rule(Rule="big", EventBusName="orders")["Targets"]] == ["q"]
    by_target = ev.list_rule_names_by_target(
        TargetArn="arn:aws:sqs:us-east-1:111122223333:big-orders", EventBusName="orders"
    )
    assert by_target["RuleNames"] == ["big"]
    out = ev.put_events(
        Entries=[
            {"Source": "shop", "DetailType": "order", "Detail": json.dumps({"n": n}), "EventBusName": "orders"}
            for n in (5, 11, 12)
        ]
    )
    assert out["FailedEntryCount"] == 0 and len(out["Entries"]) == 3
    with srv.http() as h:
        msgs = wait_for(
            lambda: (m := h.get("/sim/eventbus/queues/big-orders").json()["messages"]) and len(m) == 2 and m
        )
    assert sorted(json.loads(m["body"])["detail"]["n"] for m in msgs) == [11, 12]
    with pytest.raises(ClientError, match="has targets"):
        ev.delete_rule(Name="big", EventBusName="orders")
    ev.remove_targets(Rule="big", EventBusName="orders", Ids=["q"])
    ev.delete_rule(Name="big", EventBusName="orders")
    with pytest.raises(ev.exceptions.ResourceNotFoundException):
        ev.describe_rule(Name="big", EventBusName="orders")
    ev.delete_event_bus(Name="orders")


def test_tenants_and_roles(srv):
    mine = srv.boto(service="events")
    mine.put_rule(Name="private", EventPattern='{"source": ["x"]}')
    other = srv.boto("other", service="events")
    assert "private" not in {r["Name"] for r in other.list_rules()["Rules"]}
    with pytest.raises(ClientError) as err:
        srv.boto("analyst", service="events").put_rule(Name="nope", EventPattern='{"source": ["x"]}')
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    bad = srv.boto(service="events", secret="wrong")
    with pytest.raises(ClientError):
        bad.list_rules()
    mine.delete_rule(Name="private")


def test_campaign_run_delivered_dead_lettered_archived_and_replayed(srv):
    ok, failing = Endpoint(), Endpoint(status=500)
    try:
        ev = srv.boto(service="events")
        camp = srv.boto()
        conn = ev.create_connection(
            Name="crm",
            AuthorizationType="API_KEY",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k1"}},
        )
        dest = ev.create_api_destination(
            Name="crm", ConnectionArn=conn["ConnectionArn"], InvocationEndpoint=ok.url, HttpMethod="POST"
        )
        down = ev.create_api_destination(
            Name="down", ConnectionArn=conn["ConnectionArn"], InvocationEndpoint=failing.url, HttpMethod="POST"
        )
        with srv.http() as h:
            assert h.put("/sim/contact-centers/cc-bus", json={"simulation": SIMULATION}).status_code in (200, 201)
            body = copy.deepcopy(CAMPAIGN)
            body.update(name="bus-run", connectInstanceId="cc-bus")
            cid = camp.create_campaign(**body)["id"]
            h.put(
                f"/sim/campaigns/{cid}/contacts", json={"synthetic": {"count": 120, "areaCodes": {"212": 1.0}}}
            ).raise_for_status()
            pattern = json.dumps(
                {
                    "source": ["aws.connect"],
                    "detail-type": ["Amazon Connect Contact Event"],
                    "detail": {"eventType": ["DISCONNECTED"], "campaign": {"campaignId": [cid]}},
                }
            )
            ev.put_rule(Name="hangups", EventPattern=pattern)
            ev.put_targets(
                Rule="hangups",
                Targets=[
                    {
                        "Id": "crm",
                        "Arn": dest["ApiDestinationArn"],
                        "InputTransformer": {
                            "InputPathsMap": {"contact": "$.detail.contactId", "reason": "$.detail.disconnectReason"},
                            "InputTemplate": '{"contactId": <contact>, "reason": <reason>}',
                        },
                    },
                    {
                        "Id": "down",
                        "Arn": down["ApiDestinationArn"],
                        "RetryPolicy": {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 60},
                        "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:111122223333:hangups-dlq"},
                    },
                ],
            )
            bus_arn = ev.describe_event_bus()["Arn"]
            ev.create_archive(ArchiveName="hangups", EventSourceArn=bus_arn, EventPattern=pattern)
            camp.start_campaign(id=cid)
            wait_for(lambda: camp.get_campaign_state(id=cid)["state"] == "Completed", timeout=120)
            run = run_of(h, cid)
            lines = h.get(f"/sim/runs/{run['id']}/events", params={"format": "jsonl"}).text.splitlines()
            hangups = [json.loads(x) for x in lines if json.loads(x)["detail"]["eventType"] == "DISCONNECTED"]
            want = {e["detail"]["contactId"] for e in hangups}
            assert want
            got = [json.loads(b) for _, b in ok.requests]
            assert {g["contactId"] for g in got} == want  # every match, nothing else (duplicates allowed)
            assert all(hd["x-api-key"] == "k1" for hd, _ in ok.requests)
            dlq = h.get("/sim/eventbus/queues/hangups-dlq").json()["messages"]
            assert {json.loads(m["body"])["id"] for m in dlq} == {e["id"] for e in hangups}
            assert len(failing.requests) == 2 * len(hangups)  # first attempt + one retry
            a = dlq[0]["attributes"]
            assert a["ERROR_CODE"] == "500" and a["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttemptsExhausted"
            assert a["RULE_ARN"].endswith(":rule/hangups") and a["TARGET_ARN"] == down["ApiDestinationArn"]
            # The run's files are in its (only) attempt's folder.
            (stats_path,) = (srv.proc.data_dir / "runs" / run["id"]).glob("attempt-*/eventbus.json")
            stats = json.loads(stats_path.read_text())
            assert stats["targets"]["hangups/crm"]["delivered"] == len(ok.requests)
            assert stats["targets"]["hangups/down"]["dead_lettered"] == len(hangups)
            archive = ev.describe_archive(ArchiveName="hangups")
            assert archive["EventCount"] == len(hangups) and archive["SizeBytes"] > 0

            ev.remove_targets(Rule="hangups", Ids=["down"])
            before = len(ok.requests)
            ev.put_rule(Name="replayed", EventPattern='{"replay-name": ["again"]}')
            ev.put_targets(Rule="replayed", Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:111122223333:replayed"}])
            ev.start_replay(
                ReplayName="again",
                EventSourceArn=archive["ArchiveArn"],
                EventStartTime=dt.datetime(2026, 12, 1, tzinfo=UTC),
                EventEndTime=dt.datetime(2026, 12, 2, tzinfo=UTC),
                Destination={"Arn": bus_arn},
            )
            wait_for(lambda: ev.describe_replay(ReplayName="again")["State"] == "COMPLETED", timeout=60)
            replay = ev.describe_replay(ReplayName="again")
            assert replay["EventLastReplayedTime"].year == 2026
            assert {json.loads(b)["contactId"] for _, b in ok.requests[before:]} == want
            replayed = h.get("/sim/eventbus/queues/replayed").json()["messages"]
            assert {json.loads(m["body"])["id"] for m in replayed} == {e["id"] for e in hangups}
            assert ev.list_replays()["Replays"][0]["ReplayName"] == "again"
    finally:
        ok.close()
        failing.close()


def test_bus_settings(srv):
    with srv.http() as h:
        r = h.put("/sim/eventbus/buses/default/settings", json={"speed": -1})
        assert (
            r.status_code == 422
            and r.json()["details"][0]["field"] == "speed"
            and "-1" in r.json()["details"][0]["message"]
        )
        r = h.put("/sim/eventbus/buses/default/settings", json={"chaos": {"duplicates": 2}})
        assert r.status_code == 422 and r.json()["details"][0]["field"] == "chaos.duplicates"
        assert h.put("/sim/eventbus/buses/nope/settings", json={"speed": 2}).status_code == 404
        # Names outside the documented pattern are refused, not looked up (found by schemathesis).
        assert h.get("/sim/eventbus/queues/%F3%8E%84%AA").status_code == 422
        assert h.put("/sim/eventbus/buses/a%20b/settings", json={"speed": 2}).status_code == 422
        r = h.put(
            "/sim/eventbus/buses/default/settings", json={"speed": 60, "chaos": {"duplicates": 0.1, "reorderWindow": 5}}
        )
        assert r.status_code == 200 and r.json()["Settings"]["speed"] == 60
    with srv.http("analyst") as h:
        assert h.put("/sim/eventbus/buses/default/settings", json={"speed": 2}).status_code == 403
    with srv.http() as h:
        assert h.put("/sim/eventbus/buses/default/settings", json={}).status_code == 200


def test_malformed_members_are_4xx(srv):
    """Raw JSON 1.1 requests with members of the wrong shape: 400s in AWS's
    error shape, never 500."""

    with srv.http() as h:
        for op, body in [
            ("PutTargets", {"Rule": "x", "Targets": "nope"}),
            ("PutRule", {"Name": "r-shape", "EventPattern": {"not": "a string"}}),
            ("PutEvents", {"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}", "Time": "yesterday"}]}),
            ("TestEventPattern", {"EventPattern": '{"a": [1]}', "Event": 5}),
            ("NoSuchOperation", {}),
        ]:
            r = h.post(
                "/",
                json=body,
                headers={"X-Amz-Target": f"AWSEvents.{op}", "Content-Type": "application/x-amz-json-1.1"},
            )
            if op == "PutEvents":  # entries fail one by one
                assert r.status_code == 200 and r.json()["FailedEntryCount"] == 1
                assert r.json()["Entries"][0]["ErrorCode"] == "InvalidArgument"
                continue
            assert 400 <= r.status_code < 500, (op, r.status_code, r.text)
            assert "__type" in r.json()
        ev = srv.boto(service="events")
        ev.put_rule(Name="shape", EventPattern='{"source": ["x"]}')
        r = h.post(
            "/",
            json={
                "Rule": "shape",
                "Targets": [{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:111122223333:q", "RetryPolicy": "often"}],
            },
            headers={"X-Amz-Target": "AWSEvents.PutTargets"},
        )
        assert r.status_code < 500 and (r.status_code == 400 or r.json()["FailedEntryCount"] == 1)
        ev.remove_targets(Rule="shape", Ids=["t"])
        ev.delete_rule(Name="shape")


def test_run_played_in_real_time_times_speed(srv, request):
    """``speed`` on the default bus: a run's events reach the target spread
    over the schedule divided by the speed, not all at once."""
    if "postgres" in request.node.name:
        pytest.skip("timing test: once is enough (SQLite)")
    ev, camp = srv.boto(service="events"), srv.boto()
    with srv.http() as h:
        assert h.put("/sim/contact-centers/cc-speed", json={"simulation": SIMULATION}).status_code in (200, 201)
        body = copy.deepcopy(CAMPAIGN)
        body.update(name="speed-run", connectInstanceId="cc-speed")
        cid = camp.create_campaign(**body)["id"]
        h.put(
            f"/sim/campaigns/{cid}/contacts", json={"synthetic": {"count": 60, "areaCodes": {"212": 1.0}}}
        ).raise_for_status()
        ev.put_rule(Name="speedy", EventPattern=json.dumps({"detail": {"campaign": {"campaignId": [cid]}}}))
        ev.put_targets(Rule="speedy", Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:111122223333:speedy"}])
        assert h.put("/sim/eventbus/buses/default/settings", json={"speed": 1200}).status_code == 200
        try:
            camp.start_campaign(id=cid)
            wait_for(lambda: camp.get_campaign_state(id=cid)["state"] == "Completed", timeout=120)
        finally:
            h.put("/sim/eventbus/buses/default/settings", json={})
        msgs = h.get("/sim/eventbus/queues/speedy").json()["messages"]
        events = [json.loads(m["body"]) for m in msgs]
        sim_span = (
            dt.datetime.fromisoformat(events[-1]["time"].replace("Z", "+00:00"))
            - dt.datetime.fromisoformat(events[0]["time"].replace("Z", "+00:00"))
        ).total_seconds()
        wall = [dt.datetime.fromisoformat(m["createdAt"]) for m in msgs]
        wall_span = (wall[-1] - wall[0]).total_seconds()
        # expected wall span = sim_span / 1200 (about a second); scheduling slack 0.6 s
        assert sim_span > 600 and abs(wall_span - sim_span / 1200) < 0.6, (sim_span, wall_span)
        ev.remove_targets(Rule="speedy", Ids=["q"])
        ev.delete_rule(Name="speedy")


def test_aws_limits_and_errors(srv):
    """Limits and messages as AWS answered them (LocalStack's recorded
    snapshots): five targets per rule, target ids, PutEvents size and bus."""
    ev = srv.boto(service="events")
    ev.put_rule(Name="limits", EventPattern='{"source": ["x"]}')
    q = "arn:aws:sqs:us-east-1:111122223333:limits"
    with pytest.raises(ClientError) as err:
        ev.put_targets(Rule="limits", Targets=[{"Id": f"t{i}", "Arn": q} for i in range(6)])
    assert err.value.response["Error"]["Code"] == "LimitExceededException"
    with pytest.raises(ClientError) as err:
        ev.put_targets(Rule="limits", Targets=[{"Id": "!@#$@!#$", "Arn": q}])
    assert err.value.response["Error"]["Message"].startswith(
        "1 validation error detected: Value '!@#$@!#$' at 'targets.1.member.id'"
    )
    with pytest.raises(ev.exceptions.ResourceNotFoundException, match="Event bus nope does not exist."):
        ev.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": "nope"}])
    with pytest.raises(ClientError, match="Total size of the entries in the request is over the limit."):
        ev.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": json.dumps({"x": "y" * 300_000})}])
    ev.delete_rule(Name="limits")


def test_replay_errors_as_aws_words_them(srv):
    ev = srv.boto(service="events")
    bus_arn = ev.describe_event_bus()["Arn"]
    other = ev.create_event_bus(Name="replay-other")["EventBusArn"]
    arn = ev.create_archive(ArchiveName="replay-errors", EventSourceArn=bus_arn)["ArchiveArn"]
    t0, t1 = dt.datetime(2026, 12, 1, tzinfo=UTC), dt.datetime(2026, 12, 2, tzinfo=UTC)
    cases = [
        (
            {
                "EventSourceArn": arn.replace("replay-errors", "missing"),
                "Destination": {"Arn": bus_arn},
                "EventStartTime": t0,
                "EventEndTime": t1,
            },
            "Parameter EventSourceArn is not valid. Reason: Archive missing does not exist.",
        ),
        (
            {"EventSourceArn": arn, "Destination": {"Arn": other}, "EventStartTime": t0, "EventEndTime": t1},
            "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
        ),
        (
            {"EventSourceArn": arn, "Destination": {"Arn": bus_arn}, "EventStartTime": t1, "EventEndTime": t0},
            "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.",
        ),
    ]
    for kwargs, message in cases:
        with pytest.raises(ClientError) as err:
            ev.start_replay(ReplayName="bad", **kwargs)
        assert err.value.response["Error"]["Message"] == message
    with pytest.raises(ev.exceptions.ResourceNotFoundException, match="Replay nope does not exist."):
        ev.describe_replay(ReplayName="nope")
    ev.delete_archive(ArchiveName="replay-errors")
    ev.delete_event_bus(Name="replay-other")
