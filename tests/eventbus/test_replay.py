"""Replays in the service's runtime (SQLite file, no HTTP): progress,
completion, and cancellation."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine

from eventbus.operations import Operations
from eventbus.runtime import Config, ServerRuntime


def wait_state(ops: Operations, name: str, states: set[str], timeout: float = 30.0) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = ops.call("DescribeReplay", {"ReplayName": name})
        if r["State"] in states:
            return r
        time.sleep(0.05)
    raise AssertionError(f"replay {name} still {r['State']}")


def setup(tmp_path, n: int):
    engine = create_engine(f"sqlite:///{tmp_path / 'bus.sqlite'}")
    rt = ServerRuntime(engine, Config(file_dir=tmp_path / "files"))
    ops = Operations(rt, "default")
    bus = ops.call("DescribeEventBus", {})["Arn"]
    archive = ops.call("CreateArchive", {"ArchiveName": "a", "EventSourceArn": bus})["ArchiveArn"]
    t0 = datetime(2026, 12, 1, 14, tzinfo=UTC)
    rows = [
        (
            "a",
            t0 + timedelta(seconds=i),
            {
                "version": "0",
                "id": f"e{i}",
                "source": "test",
                "detail-type": "t",
                "account": "111122223333",
                "time": (t0 + timedelta(seconds=i)).isoformat(),
                "region": "us-east-1",
                "resources": [],
                "detail": {"i": i},
            },
        )
        for i in range(n)
    ]
    rt.store.archive(tenant="default", rows=rows)
    ops.call("PutRule", {"Name": "r", "EventPattern": json.dumps({"replay-name": [{"exists": True}]})})
    ops.call("PutTargets", {"Rule": "r", "Targets": [{"Id": "f", "Arn": "arn:dialer:file:::replayed"}]})
    return ops, rt, bus, archive, t0


def test_replay_completes_with_progress(tmp_path):
    ops, _rt, bus, archive, t0 = setup(tmp_path, 40)
    ops.call(
        "StartReplay",
        {
            "ReplayName": "r1",
            "EventSourceArn": archive,
            "Destination": {"Arn": bus},
            "EventStartTime": (t0 + timedelta(seconds=10)).timestamp(),
            "EventEndTime": (t0 + timedelta(seconds=29)).timestamp(),
        },
    )
    done = wait_state(ops, "r1", {"COMPLETED", "FAILED"})
    assert done["State"] == "COMPLETED" and done["EventLastReplayedTime"] == (t0 + timedelta(seconds=29)).timestamp()
    lines = [json.loads(x) for x in (tmp_path / "files" / "replayed.jsonl").read_text().splitlines()]
    assert sorted(e["detail"]["i"] for e in lines) == list(range(10, 30))
    assert {e["replay-name"] for e in lines} == {"r1"}
    assert list(lines[0]).index("replay-name") == list(lines[0]).index("region") + 1


def test_replay_can_be_cancelled(tmp_path):
    ops, rt, bus, archive, t0 = setup(tmp_path, 3000)
    ops.call(
        "StartReplay",
        {
            "ReplayName": "r2",
            "EventSourceArn": archive,
            "Destination": {"Arn": bus},
            "EventStartTime": t0.timestamp(),
            "EventEndTime": (t0 + timedelta(hours=2)).timestamp(),
        },
    )
    assert ops.call("CancelReplay", {"ReplayName": "r2"})["State"] == "CANCELLING"
    done = wait_state(ops, "r2", {"CANCELLED", "COMPLETED"})
    assert done["State"] == "CANCELLED"
    rt.bus("default", "default").drain(10)
    replayed = (
        (tmp_path / "files" / "replayed.jsonl").read_text().splitlines()
        if (tmp_path / "files" / "replayed.jsonl").exists()
        else []
    )
    assert len(replayed) < 3000
