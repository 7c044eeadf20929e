"""The campaign lifecycle (Connect's CampaignState) and how a run's status
maps onto it.

    Initialized --start--> Running --pause--> Paused --resume--> Running
    Running/Paused --stop--> Stopped
    Running --(run ends)--> Completed | Failed

A simulator can play a campaign again, so ``start`` is also accepted from
Stopped, Completed and Failed (each start is a new run).
"""

from __future__ import annotations

STATES = ("Initialized", "Running", "Paused", "Stopped", "Failed", "Completed")

_TRANSITIONS: dict[str, dict[str, str]] = {
    "start": {"Initialized": "Running", "Stopped": "Running", "Completed": "Running", "Failed": "Running"},
    "pause": {"Running": "Paused"},
    "resume": {"Paused": "Running"},
    "stop": {"Running": "Stopped", "Paused": "Stopped"},
}

# Run status -> campaign state.
RUN_TO_CAMPAIGN = {
    "queued": "Running",
    "running": "Running",
    "paused": "Paused",
    "completed": "Completed",
    "stopped": "Stopped",
    "failed": "Failed",
    "interrupted": "Running",  # until the restart resumes or fails it
}


class InvalidTransition(Exception):
    """An action the current state does not allow."""

    def __init__(self, action: str, state: str):
        self.action = action
        self.state = state
        allowed = sorted(_TRANSITIONS[action])
        super().__init__(f"cannot {action} a campaign in state {state}; {action} is allowed from {', '.join(allowed)}")


def transition(state: str, action: str) -> str:
    """The state after ``action`` or ``InvalidTransition``."""
    new = _TRANSITIONS[action].get(state)
    if new is None:
        raise InvalidTransition(action, state)
    return new


def can(state: str, action: str) -> bool:
    return state in _TRANSITIONS[action]
