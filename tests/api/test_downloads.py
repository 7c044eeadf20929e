"""Downloads are whole or absent (issue 9, item 4) and the files of a run
are private (item 6), against a real server: a loop downloading
events.parquet while a run completes only ever gets 409 (naming the run's
status) or the whole file; the live log can be read meanwhile."""

from __future__ import annotations

import io
import json
import stat

import httpx
import pyarrow.parquet as pq
import pytest
from api_helpers import CAMPAIGN, SIMULATION, wait_for

SIM = {**SIMULATION, "agents": {"count": 40}, "lines": 200, "seed": 5}


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def running_run(sqlite_server):
    """A run big enough (~100k events, a few seconds) to be caught live."""
    with sqlite_server.http() as h:
        h.put("/sim/contact-centers/cc-dl", json={"simulation": SIM}).raise_for_status()
        cid = h.put("/v2/campaigns", json={**CAMPAIGN, "connectInstanceId": "cc-dl", "name": "downloads"}).json()["id"]
        h.put(
            f"/sim/campaigns/{cid}/contacts", json={"synthetic": {"count": 30_000, "areaCodes": {"212": 1}}}
        ).raise_for_status()
        return h.post(f"/sim/campaigns/{cid}/runs", json={"seed": 2}).json()


def test_download_loop_during_completion_never_gets_a_part(sqlite_server, running_run):
    run_id = running_run["id"]
    statuses: set[str] = set()
    live_lines = 0
    with sqlite_server.http("analyst") as h:
        for _ in range(3000):  # bounded: ~0.05 s per turn, 90 s at most with the wait below
            r = h.get(f"/sim/runs/{run_id}/events")
            if r.status_code == 200:
                break
            assert r.status_code == 409, r.text
            status = h.get(f"/sim/runs/{run_id}").json()["status"]
            statuses.add(status)
            assert "events.parquet is served once the run has finished" in r.json()["message"]
            if status == "running" and live_lines == 0:
                # The live log reads while the run writes: whole JSON lines only.
                live = h.get(f"/sim/runs/{run_id}/events", params={"format": "jsonl"})
                if live.status_code == 409:  # the worker has not opened its log yet
                    continue
                assert live.status_code == 200, live.text
                lines = live.text.splitlines()
                assert all(json.loads(line)["detail-type"] for line in lines)
                live_lines = len(lines)
        else:
            pytest.fail("the run did not finish")
        data = r.content
        final = h.get(f"/sim/runs/{run_id}").json()
        assert final["status"] == "completed", final
        table = pq.read_table(io.BytesIO(data))
        # Several more downloads after completion: always the same whole file.
        for _ in range(5):
            assert h.get(f"/sim/runs/{run_id}/events").content == data
        jl = h.get(f"/sim/runs/{run_id}/events", params={"format": "jsonl"}).text.splitlines()
    assert "running" in statuses or "queued" in statuses, statuses
    assert table.num_rows == len(jl) > 10_000
    assert live_lines <= table.num_rows


def test_run_files_are_private(sqlite_server, running_run):
    run_id = running_run["id"]
    with sqlite_server.http("analyst") as h:
        wait_for(lambda: h.get(f"/sim/runs/{run_id}").json()["status"] == "completed", 120)
    data = sqlite_server.proc.data_dir
    run_dir = data / "runs" / run_id
    assert _mode(data / "dialer.sqlite") == 0o600
    assert _mode(data / "runs") == 0o700 and _mode(run_dir) == 0o700
    for f in run_dir.rglob("*"):
        assert _mode(f) == (0o700 if f.is_dir() else 0o600), f
    (out,) = run_dir.glob("attempt-*")  # the files of the run's one attempt (docs/service.md)
    assert not list(out.glob(".*.tmp")), "temporary files left behind"
    # The live log is compact: a few times the Parquet file, not ~1.2 KB per event.
    rows = pq.read_metadata(out / "events.parquet").num_rows
    zst = (out / "events.jsonl.zst").stat().st_size
    assert zst < 4 * (out / "events.parquet").stat().st_size and zst / rows < 100, (zst, rows)


def test_secret_key_file_is_private(tmp_path):
    from campaigns.settings import Settings

    s = Settings(data_dir=tmp_path / "fresh")
    s.signing_secret()
    assert _mode(tmp_path / "fresh" / "secret.key") == 0o600 and _mode(tmp_path / "fresh") == 0o700


def test_unknown_run_downloads_are_404(sqlite_server):
    with httpx.Client(
        base_url=sqlite_server.url, headers={"Authorization": f"Bearer {sqlite_server.keys['analyst'].bearer}"}
    ) as h:
        assert h.get("/sim/runs/nope/events").status_code == 404
        assert h.get("/sim/runs/nope/events", params={"format": "jsonl"}).status_code == 404


def test_atomic_writes_leave_the_old_file_or_the_new_one(tmp_path):
    from campaigns.files import atomic_path, write_atomic

    target = tmp_path / "events.parquet"
    write_atomic(target, b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["events.parquet"]
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new" and _mode(target) == 0o600


def test_simulate_writes_its_outputs_whole(tmp_path):
    """dialer.simulate writes events.parquet under a temporary name and renames it at the end."""
    from dialer import simulate

    out = tmp_path / "run"
    doc = {
        "campaign": CAMPAIGN,
        "simulation": {**SIMULATION, "contacts": {"synthetic": {"count": 50, "areaCodes": {"212": 1}}}},
    }
    simulate(doc, out_dir=out, keep_events=False)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["campaign.json", "events.parquet", "summary.json", "timeline.parquet"]
    assert pq.read_metadata(out / "events.parquet").num_rows > 0
