import pytest

from campaigns.lifecycle import InvalidTransition, can, transition


def test_happy_path():
    s = transition("Initialized", "start")
    assert s == "Running"
    assert transition(s, "pause") == "Paused"
    assert transition("Paused", "resume") == "Running"
    assert transition("Running", "stop") == "Stopped"
    assert transition("Paused", "stop") == "Stopped"


@pytest.mark.parametrize(
    "state,action",
    [
        ("Initialized", "pause"),
        ("Initialized", "resume"),
        ("Initialized", "stop"),
        ("Running", "start"),
        ("Running", "resume"),
        ("Paused", "start"),
        ("Paused", "pause"),
        ("Stopped", "pause"),
        ("Completed", "stop"),
    ],
)
def test_refused(state, action):
    assert not can(state, action)
    with pytest.raises(InvalidTransition) as e:
        transition(state, action)
    assert e.value.state == state and state in str(e.value)


@pytest.mark.parametrize("state", ["Stopped", "Completed", "Failed"])
def test_a_finished_campaign_can_run_again(state):
    assert transition(state, "start") == "Running"
