"""The discrete-event engine of outbound campaigns: pure (no database, no
HTTP), deterministic, events to pluggable sinks.

``simulate(campaign, ...)`` is the entry point (DESIGN.md contract 3).
"""

from dialer.run import SimulationResult, simulate

__all__ = ["SimulationResult", "simulate"]
