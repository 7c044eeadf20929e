"""EventBridge semantics for contact events: patterns, buses, rules,
targets, retries and dead letters, archives and replay (docs/eventbus.md).

In Python::

    from eventbus import Bus
    bus = Bus()
    bus.put_rule("hangups", {"detail": {"eventType": ["DISCONNECTED"]}})
    bus.add_callable("hangups", print)
    simulate(campaign, bus=bus)
    bus.drain()
"""

from eventbus.bus import Bus, Chaos
from eventbus.delivery import Backoff, RetryPolicy
from eventbus.evaluate import matches
from eventbus.machine import RuleSet
from eventbus.pattern import InvalidPatternError, Pattern, compile_pattern

__all__ = [
    "Backoff",
    "Bus",
    "Chaos",
    "InvalidPatternError",
    "Pattern",
    "RetryPolicy",
    "RuleSet",
    "compile_pattern",
    "matches",
]
