"""Logs of live answers with a known number abandoned (for rate tests)."""

from __future__ import annotations

from datetime import datetime

from event_rows import call


def live_calls(live: int, abandoned: int, *, base: datetime, number: str, first: int) -> list[dict]:
    """``live`` live answers 30 s apart from ``base`` to ``number`` (its last
    digits varied), the first ``abandoned`` never reaching an agent."""
    rows = []
    for k in range(live):
        i = first + k
        num = number[:-4] + f"{i % 10000:04d}"
        rows.append(
            call(
                i,
                at=k * 30.0,
                number=num,
                base=base,
                agent_after_start=None if k < abandoned else 0.8,
                message=True if k < abandoned else None,
            )
        )
    return rows
