"""Ids of the Connect resources named in contact events: agents and queues.

Connect writes every resource id in an ARN as a UUID
(``.../instance/<uuid>/agent/<uuid>``, ``.../queue/<uuid>``; admin guide,
"Amazon Connect contact events", samples). The simulator's agents are numbered
and its queue may be configured by name, so each gets a name-based UUID
(``uuid5``): the same instance, campaign and agent number give the same id on
any machine and for any seed, so replications of a campaign name the same
agents. A configured id that already is a UUID is kept.
"""

from __future__ import annotations

import uuid

# uuid5 namespaces, one per kind of resource (fixed: changing them renames
# every agent and queue of every log).
_AGENT_NAMESPACE = uuid.UUID("0b7f7c8e-52a1-5d36-9a0e-4f1f3c2d9b61")
_QUEUE_NAMESPACE = uuid.UUID("5d0c9a44-8e2b-5f7a-b1c3-7a6e2f90d4c8")


def _as_uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return None


def queue_uuid(instance: str, queue: str) -> str:
    """The queue's id in ARNs: ``queue`` if it is a UUID (a real
    ``connectQueueId``), else a UUID derived from the instance and the name."""
    return _as_uuid(queue) or str(uuid.uuid5(_QUEUE_NAMESPACE, f"{instance}|{queue}"))


def agent_uuids(instance: str, campaign: str, count: int) -> list[str]:
    """The ids of agents 0 .. count - 1 of ``campaign`` on ``instance``."""
    return [str(uuid.uuid5(_AGENT_NAMESPACE, f"{instance}|{campaign}|{a}")) for a in range(count)]
