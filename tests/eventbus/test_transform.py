"""InputPath and InputTransformer as the EventBridge user guide defines them."""

from __future__ import annotations

import json

import pytest

from eventbus.transform import Transform, TransformError

EVENT = {"id": "e1", "detail": {"contactId": "c-1", "eventType": "DISCONNECTED", "n": 3, "agentInfo": None, "tags": ["a", "b"]}}


def test_whole_event_by_default():
    assert json.loads(Transform.from_target({"Id": "t"}).apply(EVENT)) == EVENT


def test_input_path_selects_a_part():
    t = Transform.from_target({"Id": "t", "InputPath": "$.detail.tags[1]"})
    assert t.apply(EVENT) == '"b"'


def test_constant_input():
    assert Transform.from_target({"Id": "t", "Input": '{"k": 1}'}).apply(EVENT) == '{"k": 1}'


def test_json_template_quotes_strings_once():
    t = Transform.from_target({"Id": "t", "InputTransformer": {
        "InputPathsMap": {"id": "$.detail.contactId", "n": "$.detail.n", "missing": "$.detail.nope"},
        "InputTemplate": '{"contact": <id>, "text": "contact <id> has <n>", "n": <n>, "m": <missing>, "rule": "<aws.events.rule-name>"}',
    }})
    out = json.loads(t.apply(EVENT, rule_name="hangups"))
    assert out == {"contact": "c-1", "text": "contact c-1 has 3", "n": 3, "m": None, "rule": "hangups"}


def test_text_template():
    t = Transform.from_target({"Id": "t", "InputTransformer": {
        "InputPathsMap": {"id": "$.detail.contactId"}, "InputTemplate": "Contact <id> hung up"}})
    assert t.apply(EVENT) == "Contact c-1 hung up"


@pytest.mark.parametrize("target, field", [
    ({"Id": "t", "InputPath": "detail"}, "InputPath"),
    ({"Id": "t", "InputTransformer": {"InputPathsMap": {"x": "$.a["}, "InputTemplate": "<x>"}}, "InputPathsMap.x"),
    ({"Id": "t", "Input": "{not json"}, "Input"),
    ({"Id": "t", "Input": "{}", "InputPath": "$.a"}, "Only one of"),
])
def test_bad_transforms_name_the_field(target, field):
    with pytest.raises(TransformError, match=field.replace("[", r"\[")):
        Transform.from_target(target)
