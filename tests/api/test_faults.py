"""Faults: SIGKILL of the server (and its workers) during a run, graceful
shutdown, two runs at once, ten clients at once."""

from __future__ import annotations

import concurrent.futures as cf

import pytest
from api_helpers import CAMPAIGN, SIMULATION, Server, wait_for

from api.testing import ServerProcess, make_keys
from tests.databases import empty_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def restartable(request, tmp_path):
    url, schema = empty_database(request.param, tmp_path)
    keys = dict(zip(("manager",), make_keys(url, ("manager", "default")), strict=False))
    proc = ServerProcess(data_dir=tmp_path, database_url=url)
    yield Server(proc, keys)
    proc.stop()
    if schema is not None:
        schema.close()


def _long_campaign(h, name: str, count: int = 40000) -> str:
    h.put(
        "/sim/contact-centers/cc-long", json={"simulation": {**SIMULATION, "agents": {"count": 40}}}
    ).raise_for_status()
    cid = h.put("/v2/campaigns", json={**CAMPAIGN, "connectInstanceId": "cc-long", "name": name}).json()["id"]
    h.put(
        f"/sim/campaigns/{cid}/contacts", json={"synthetic": {"count": count, "areaCodes": {"212": 1.0}}}
    ).raise_for_status()
    return cid


def test_sigkill_during_a_run_then_restart(restartable):
    srv = restartable
    srv.proc.start()
    with srv.http() as h:
        cid = _long_campaign(h, "killed")
        rows = "phone\n2125550100\n2125550101\n"
        lid = h.post("/sim/contact-lists", files={"file": ("l.csv", rows, "text/csv")}).json()["id"]
        h.post(f"/v2/campaigns/{cid}/start").raise_for_status()
        run_id = wait_for(
            lambda: (
                (r := h.get("/sim/runs", params={"campaignId": cid}).json()["items"])
                and r[0]["status"] == "running"
                and r[0]["id"]
            ),
            30,
        )
        wait_for(lambda: h.get(f"/sim/runs/{run_id}").json()["progress"] > 0, 30, 0.05)
    srv.proc.kill_group()  # server and worker die mid-run
    srv.proc.start()
    with srv.http() as h:
        after = h.get(f"/sim/runs/{run_id}").json()
        assert after["status"] in ("queued", "running", "completed"), after
        final = wait_for(
            lambda: (r := h.get(f"/sim/runs/{run_id}").json())["status"] in ("completed", "failed") and r, 120
        )
        assert final["status"] == "completed" and final["attempts"] == 2
        assert "restarted" in (final["error"] or "")
        assert h.get(f"/v2/campaigns/{cid}/state").json()["state"] == "Completed"
        assert h.get(f"/sim/contact-lists/{lid}").json()["contactCount"] == 2
        assert h.get(f"/v2/campaigns/{cid}").json()["campaign"]["name"] == "killed"


def test_graceful_shutdown_marks_interrupted_then_fails_clearly(restartable, tmp_path):
    srv = restartable
    srv.proc.extra_env = {"DIALER_MAX_RUN_ATTEMPTS": "1"}
    srv.proc.start()
    with srv.http() as h:
        cid = _long_campaign(h, "graceful")
        h.post(f"/v2/campaigns/{cid}/start").raise_for_status()
        h.post(f"/v2/campaigns/{cid}/pause").raise_for_status()  # hold it in flight
        run_id = h.get("/sim/runs", params={"campaignId": cid}).json()["items"][0]["id"]
        wait_for(lambda: h.get(f"/sim/runs/{run_id}").json()["heartbeatAt"], 30)
    srv.proc.stop()  # SIGTERM: workers stopped, runs marked interrupted
    from sqlalchemy import text

    from campaigns.db import make_engine

    eng = make_engine(srv.proc.database_url)
    with eng.connect() as c:
        assert c.execute(text("SELECT status FROM runs WHERE id = :i"), {"i": run_id}).scalar() == "interrupted"
    eng.dispose()
    srv.proc.start()
    with srv.http() as h:
        final = h.get(f"/sim/runs/{run_id}").json()
        assert final["status"] == "failed" and "gave up" in final["error"]
        assert h.get(f"/v2/campaigns/{cid}/state").json()["state"] == "Failed"


def test_two_runs_at_once_and_ten_clients(sqlite_server):
    with sqlite_server.http() as h:
        h.put("/sim/contact-centers/cc-two", json={"simulation": SIMULATION}).raise_for_status()
        cids = []
        for i in range(2):
            cid = h.put("/v2/campaigns", json={**CAMPAIGN, "connectInstanceId": "cc-two", "name": f"two-{i}"}).json()[
                "id"
            ]
            h.put(
                f"/sim/campaigns/{cid}/contacts", json={"synthetic": {"count": 3000, "areaCodes": {"305": 1.0}}}
            ).raise_for_status()
            cids.append(cid)
        for cid in cids:
            h.post(f"/v2/campaigns/{cid}/start").raise_for_status()
        target = cids[0]

    def client(n: int) -> list[int]:
        codes = []
        with sqlite_server.http() as hc:
            for j in range(15):
                codes.append(hc.get(f"/v2/campaigns/{target}").status_code)
                body = {
                    "outboundRequests": [
                        {
                            "clientToken": f"c{n}-{j}",
                            "expirationTime": "2026-12-01T15:00:00Z",
                            "channelSubtypeParameters": {
                                "telephony": {"destinationPhoneNumber": "+12125550100", "attributes": {}}
                            },
                        }
                    ]
                }
                codes.append(hc.put(f"/v2/campaigns/{target}/outbound-requests", json=body).status_code)
        return codes

    with cf.ThreadPoolExecutor(10) as pool:
        codes = [c for res in pool.map(client, range(10)) for c in res]
    assert set(codes) == {200}, sorted(set(codes))
    with sqlite_server.http() as h:
        for cid in cids:
            wait_for(lambda: h.get(f"/v2/campaigns/{cid}/state").json()["state"] == "Completed", 120)
        runs = [h.get("/sim/runs", params={"campaignId": cid}).json()["items"][0] for cid in cids]
        assert all(r["status"] == "completed" and r["summary"]["dial_attempts"] > 0 for r in runs)
        # the requests put while the first run was going were dialled by it
        reqs = h.get(f"/sim/campaigns/{target}/outbound-requests", params={"limit": 500}).json()
        assert reqs["total"] == 150
        assert {r["status"] for r in reqs["items"]} == {"DISPATCHED"}
