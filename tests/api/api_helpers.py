"""Shared test data and helpers for the API tests."""

from __future__ import annotations

import time

import boto3
import httpx
from botocore.config import Config

from api.testing import ServerProcess

CAMPAIGN = {
    "name": "api-test",
    "connectInstanceId": "cc-test",
    "channelSubtypeConfig": {
        "telephony": {
            "outboundMode": {
                "predictive": {
                    "bandwidthAllocation": 1.0,
                    "pacingStrategies": [
                        {
                            "abandonmentRate": {
                                "targetRate": 0.03,
                                "connectionStartPoint": "GREETING_END",
                                "connectionThresholdSeconds": 2,
                                "evaluationWindow": "PT1H",
                            }
                        }
                    ],
                }
            },
            "defaultOutboundConfig": {
                "connectContactFlowId": "flow-1",
                "connectSourcePhoneNumber": "+12125550000",
                "ringTimeout": 20,
                "answerMachineDetectionConfig": {
                    "enableAnswerMachineDetection": True,
                    "awaitAnswerMachinePrompt": False,
                },
            },
        }
    },
    "schedule": {"startTime": "2026-12-01T14:00:00Z", "endTime": "2026-12-01T16:00:00Z"},
    "communicationTimeConfig": {"localTimeZoneConfig": {"defaultTimeZone": "America/New_York"}},
}

SIMULATION = {
    "seed": 3,
    "jurisdiction": "US",
    "agents": {"count": 5},
    "behaviour": {"outcomes": {"human": 0.3, "machine_beep": 0.2, "no_answer": 0.4, "busy": 0.1}},
    "lines": 30,
}


class Server:
    def __init__(self, proc: ServerProcess, keys: dict):
        self.proc = proc
        self.keys = keys

    @property
    def url(self) -> str:
        return self.proc.url

    def boto(self, who: str = "manager", service: str = "connectcampaignsv2", secret: str | None = None):
        k = self.keys[who]
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=k.access_key_id,
            aws_secret_access_key=secret or k.secret_access_key,
            config=Config(retries={"max_attempts": 1}),
        )

    def http(self, who: str = "manager") -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[who].bearer}"} if who else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def wait_for(fn, timeout: float = 60.0, interval: float = 0.2):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met in {timeout}s (last: {last!r})")


def run_of(http: httpx.Client, campaign_id: str) -> dict:
    items = http.get("/sim/runs", params={"campaignId": campaign_id}).json()["items"]
    return items[0] if items else {}
