"""Preview dialling: an idle agent is reserved, reads the contact (up to
``timeoutConfig.durationInSeconds``), then the call is placed with that agent
waiting on it. No live answer ever waits; no call is ever abandoned."""

from __future__ import annotations

import math

from dialer.pacing.base import DialerView, Pacer


class Preview(Pacer):
    name = "preview"
    reserves_agent = True
    guarantees_agent = True

    def __init__(self, bandwidth: float, timeout_seconds: float) -> None:
        self.bandwidth = bandwidth
        self.timeout = float(timeout_seconds)

    def dials_wanted(self, view: DialerView) -> int:
        # bandwidthAllocation scales the share of idle agents this campaign takes.
        return (
            math.floor(max(self.bandwidth, 0.0) * view.idle_agents + 1e-9) if self.bandwidth < 1 else view.idle_agents
        )

    def level(self) -> float:
        return 1.0
