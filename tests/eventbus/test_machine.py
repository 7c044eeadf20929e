"""The compiled rule set agrees with the reference evaluation on real
contact events, and only checks the sub-rules whose anchor holds."""

from __future__ import annotations

import random

import pytest

from dialer import simulate
from eventbus.envelopes import envelopes_of
from eventbus.evaluate import matches
from eventbus.machine import RuleSet
from eventbus.pattern import compile_pattern
from tests.eventbus.conftest import small_campaign

EVENT_TYPES = ["INITIATED", "CONNECTED_TO_SYSTEM", "QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED", "COMPLETED"]


@pytest.fixture(scope="module")
def envelopes():
    result = simulate(small_campaign(), seed=2, campaign_id="camp-a")
    return [e for b in result.events.to_batches() for e in envelopes_of(b)]


def random_pattern(rng: random.Random, contact_ids: list[str]) -> dict:
    detail: dict = {}
    if rng.random() < 0.6:
        detail["eventType"] = rng.sample(EVENT_TYPES, rng.randint(1, 2))
    if rng.random() < 0.4:
        detail["campaign"] = {"campaignId": [rng.choice(["camp-a", "camp-b"])]}
    if rng.random() < 0.3:
        detail["disconnectReason"] = [
            rng.choice(
                [{"exists": False}, {"exists": True}, {"prefix": "TELECOM"}, {"anything-but": "CUSTOMER_DISCONNECT"}]
            )
        ]
    if rng.random() < 0.3:
        detail["simulation"] = {"attempt": [{"numeric": [">=", rng.randint(0, 2)]}]}
    if rng.random() < 0.2:
        detail["contactId"] = rng.sample(contact_ids, 2)
    pattern: dict = {"source": ["aws.connect"]} if rng.random() < 0.8 else {"source": [{"prefix": "aws."}]}
    if detail:
        pattern["detail"] = detail
    if rng.random() < 0.15:
        pattern = {"$or": [pattern, {"detail": {"eventType": [rng.choice(EVENT_TYPES)]}}]}
    return pattern


def test_rule_set_agrees_with_reference(envelopes):
    rng = random.Random(7)
    ids = sorted({e["detail"]["contactId"] for e in envelopes})
    patterns = {f"r{i}": compile_pattern(random_pattern(rng, ids)) for i in range(80)}
    rules = RuleSet()
    for k, p in patterns.items():
        rules.add(k, p)
    total = 0
    for e in envelopes:
        want = [k for k, p in patterns.items() if matches(p, e)]
        assert rules.match(e) == want
        total += len(want)
    assert total > len(envelopes)  # the rules do match things


def test_rules_can_be_removed_and_disabled(envelopes):
    rules = RuleSet()
    rules.add("hangups", {"detail": {"eventType": ["DISCONNECTED"]}})
    e = next(x for x in envelopes if x["detail"]["eventType"] == "DISCONNECTED")
    assert rules.match(e) == ["hangups"]
    rules.remove("hangups")
    assert rules.match(e) == []


def test_arrays_of_objects_use_consistent_elements():
    rules = RuleSet()
    rules.add("r", {"a": {"b": [1], "c": [4]}})
    assert rules.match({"a": [{"b": 1, "c": 2}, {"b": 3, "c": 4}]}) == []
    assert rules.match({"a": [{"b": 1, "c": 4}]}) == ["r"]


def test_only_rules_whose_anchor_holds_are_checked(envelopes):
    """A thousand rules on a thousand campaigns: an event of one campaign
    checks the few rules of that campaign, not the thousand."""
    rules = RuleSet()
    for i in range(1000):
        rules.add(
            f"r{i}",
            {
                "source": ["aws.connect"],
                "detail": {"campaign": {"campaignId": [f"camp-{i}"]}, "eventType": ["DISCONNECTED"]},
            },
        )
    rules.add("mine", {"source": ["aws.connect"], "detail": {"campaign": {"campaignId": ["camp-a"]}}})
    for e in envelopes[:50]:
        assert rules.match(e) == ["mine"]
        assert rules.checked(e) == 1
