"""The smallest campaign definition the repository stores (a progressive
campaign on one flow), shared by the persistence tests."""

from __future__ import annotations

from typing import Any


def progressive_campaign(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "connectInstanceId": "cc-1",
        "channelSubtypeConfig": {
            "telephony": {
                "outboundMode": {"progressive": {"bandwidthAllocation": 1.0}},
                "defaultOutboundConfig": {"connectContactFlowId": "flow"},
            }
        },
    }
