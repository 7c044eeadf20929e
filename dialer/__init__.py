"""The discrete-event engine of outbound campaigns.

``simulate(campaign, ...)`` is the entry point (DESIGN.md contract 3). It is
imported lazily so that ``dialer.events`` can be used by the compliance
package without loading the engine.
"""

from __future__ import annotations

__all__ = ["simulate", "SimulationResult"]


def __getattr__(name: str):
    if name in __all__:
        from dialer import run

        return getattr(run, name)
    raise AttributeError(f"module 'dialer' has no attribute {name!r}")
