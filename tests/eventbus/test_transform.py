"""InputPath and InputTransformer. The template cases and their expected
outputs are those LocalStack recorded from AWS
(tests/aws/services/events/test_events_inputs.snapshot.json, see
tests/eventbus/data/README.md)."""

from __future__ import annotations

import json

import pytest

from eventbus.transform import Transform, TransformError

EVENT = {
    "id": "e1",
    "detail": {"contactId": "c-1", "eventType": "DISCONNECTED", "n": 3, "agentInfo": None, "tags": ["a", "b"]},
}

# The event and paths of LocalStack's "nested keys replacement" test.
AWS_EVENT = {
    "version": "0",
    "id": "e2",
    "detail-type": "core.update-account-command",
    "source": "core.update-account-command",
    "account": "111111111111",
    "time": "date",
    "region": "us-east-1",
    "resources": [],
    "detail": {
        "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"},
        "listsingle": ["HIGH"],
        "listmulti": ["ACTIVE", "INACTIVE"],
        "valid": True,
        "command": "update-account",
    },
}
AWS_PATHS = {
    "userId": "$.detail.payload.acc_id",
    "payload": "$.detail.payload",
    "systemstring": "$.detail.awsAccountId",
    "listsingle": "$.detail.listsingle",
    "listmulti": "$.detail.listmulti",
    "valid": "$.detail.valid",
}
AWS_CASES = [
    (
        '{"method": "PUT", "path": "users-service/users/<userId>", "bod": <payload>}',
        {
            "method": "PUT",
            "path": "users-service/users/0a787ecb-4015",
            "bod": {"acc_id": "0a787ecb-4015", "sf_id": "baz"},
        },
    ),
    (
        '"Payload of <payload> with path users-service/users/<userId> and <userId>"',
        "Payload of {acc_id:0a787ecb-4015,sf_id:baz} with path users-service/users/0a787ecb-4015 and 0a787ecb-4015",
    ),
    (
        '{"method": "PUT", "path": "users-service/users/<userId>", "bod": [<userId>, "hardcoded"]}',
        {"method": "PUT", "path": "users-service/users/0a787ecb-4015", "bod": ["0a787ecb-4015", "hardcoded"]},
    ),
    ('{"id" : <userId>}', {"id": "0a787ecb-4015"}),
    ('{"id" : "<userId>"}', {"id": "0a787ecb-4015"}),
    ('"<listmulti> multiple list items"', "[ACTIVE,INACTIVE] multiple list items"),
    ('{"singlelistitem": <listsingle>}', {"singlelistitem": ["HIGH"]}),
    (
        '"<listsingle> single list item <listmulti> multiple list items <systemstring> system account id <payload> payload <userId> user id"',
        "[HIGH] single list item [ACTIVE,INACTIVE] multiple list items  system account id {acc_id:0a787ecb-4015,sf_id:baz} payload 0a787ecb-4015 user id",
    ),
    (
        '{"multi_replacement": "users/<userId>/second/<userId>"}',
        {"multi_replacement": "users/0a787ecb-4015/second/0a787ecb-4015"},
    ),
    ('"Command is <valid>!"', "Command is true!"),
]


@pytest.mark.parametrize("template, want", AWS_CASES)
def test_templates_render_as_aws_does(template, want):
    t = Transform.from_target({"Id": "t", "InputTransformer": {"InputPathsMap": AWS_PATHS, "InputTemplate": template}})
    assert json.loads(t.apply(AWS_EVENT)) == want


@pytest.mark.parametrize("template", ['{"payload": "<payload>"}', '{"singlelistitem": "<listsingle>"}'])
def test_objects_inside_json_strings_are_not_delivered(template):
    t = Transform.from_target({"Id": "t", "InputTransformer": {"InputPathsMap": AWS_PATHS, "InputTemplate": template}})
    with pytest.raises(TransformError):
        t.apply(AWS_EVENT)


def test_missing_values_are_empty_strings():
    paths = {"detail-type": "$.detail-type", "timestamp": "$.time", "command": "$.detail.notinmessage"}
    t = Transform.from_target(
        {
            "Id": "t",
            "InputTransformer": {
                "InputPathsMap": paths,
                "InputTemplate": '{"detailType": <detail-type>,  "time": <timestamp>, "command": <command>}',
            },
        }
    )
    assert json.loads(t.apply(AWS_EVENT)) == {
        "detailType": "core.update-account-command",
        "time": "date",
        "command": "",
    }
    t = Transform.from_target(
        {
            "Id": "t",
            "InputTransformer": {
                "InputPathsMap": paths,
                "InputTemplate": '"Event of <detail-type> type, at time <timestamp>, info extracted from detail <command>"',
            },
        }
    )
    assert (
        json.loads(t.apply(AWS_EVENT))
        == "Event of core.update-account-command type, at time date, info extracted from detail "
    )


def test_undefined_placeholder_is_refused():
    with pytest.raises(TransformError, match="InputTemplate for target t1 contains invalid placeholder notdefinedkey."):
        Transform.from_target(
            {"Id": "t1", "InputTransformer": {"InputPathsMap": {"a": "$.a"}, "InputTemplate": '"<a> <notdefinedkey>"'}}
        )


def test_predefined_variables():
    t = Transform.from_target(
        {
            "Id": "t",
            "InputTransformer": {
                "InputPathsMap": {},
                "InputTemplate": '{"originalEvent": <aws.events.event>, "originalEventJson": <aws.events.event.json>, "rule": "<aws.events.rule-name>"}',
            },
        }
    )
    out = json.loads(t.apply(AWS_EVENT, rule_name="r1"))
    assert out["originalEventJson"] == AWS_EVENT and out["rule"] == "r1"
    assert out["originalEvent"]["detailType"] == "core.update-account-command" and "detail" not in out["originalEvent"]


def test_whole_event_by_default():
    assert json.loads(Transform.from_target({"Id": "t"}).apply(EVENT)) == EVENT


def test_input_path_selects_a_part():
    t = Transform.from_target({"Id": "t", "InputPath": "$.detail.tags[1]"})
    assert t.apply(EVENT) == '"b"'


def test_constant_input():
    assert Transform.from_target({"Id": "t", "Input": '{"k": 1}'}).apply(EVENT) == '{"k": 1}'


@pytest.mark.parametrize(
    "target, field",
    [
        ({"Id": "t", "InputPath": "detail"}, "InputPath"),
        ({"Id": "t", "InputTransformer": {"InputPathsMap": {"x": "$.a["}, "InputTemplate": "<x>"}}, "InputPathsMap.x"),
        ({"Id": "t", "Input": "{not json"}, "Input"),
        ({"Id": "t", "Input": "{}", "InputPath": "$.a"}, "Only one of"),
    ],
)
def test_bad_transforms_name_the_field(target, field):
    with pytest.raises(TransformError, match=field.replace("[", r"\[")):
        Transform.from_target(target)
