"""The native /sim API against a real server (SQLite): auth and roles,
contact centers, CSV upload with per-row errors, runs, events, live
stream, compliance report, tenants."""

from __future__ import annotations

import io
import json

import pyarrow.parquet as pq
import pytest
from api_helpers import CAMPAIGN, SIMULATION, wait_for


def test_credentials_are_required(sqlite_server):
    with sqlite_server.http(None) as h:
        for path in ("/sim/runs", "/sim/contact-centers", "/metrics"):
            r = h.get(path)
            assert r.status_code == 401 and r.json()["error"] == "Unauthorized"
        r = h.get("/sim/runs", headers={"Authorization": "Bearer dk_AKIAFAKE_nope"})
        assert r.status_code == 401
        assert h.get("/healthz").json() == {"status": "ok"}
    with sqlite_server.http("analyst") as h:
        r = h.put("/sim/contact-centers/x", json={"simulation": SIMULATION})
        assert r.status_code == 403
        assert h.get("/sim/whoami").json()["role"] == "analyst"


def test_contact_center_crud_and_validation(sqlite_server):
    with sqlite_server.http() as h:
        r = h.put("/sim/contact-centers/cc-crud", json={"name": "CC", "simulation": SIMULATION})
        assert r.status_code == 201
        assert r.json()["simulation"]["agents"]["count"] == 5
        assert (
            h.put("/sim/contact-centers/cc-crud", json={"simulation": {**SIMULATION, "lines": 40}}).status_code == 200
        )
        assert h.get("/sim/contact-centers/cc-crud").json()["simulation"]["lines"] == 40
        assert "cc-crud" in [c["instanceId"] for c in h.get("/sim/contact-centers").json()["items"]]
        bad = {**SIMULATION, "behaviour": {"outcomes": {"human": 0.5}}}
        r = h.put("/sim/contact-centers/cc-bad", json={"simulation": bad})
        assert r.status_code == 422
        assert any("outcomes" in d["field"] for d in r.json()["details"])
        assert h.delete("/sim/contact-centers/cc-crud").status_code == 204
        assert h.get("/sim/contact-centers/cc-crud").status_code == 404


CSV = "phone,time_zone,segment\n(212) 555-0100,,gold\nnot-a-number,,x\n+44 20 7946 0018,Europe/London,silver\n3055550101,,\n"


def test_csv_upload_keeps_good_rows(sqlite_server):
    with sqlite_server.http() as h:
        r = h.post("/sim/contact-lists", params={"name": "mixed"}, files={"file": ("c.csv", CSV, "text/csv")})
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["contactCount"] == 3 and body["rejectedCount"] == 1
        assert body["rejected"][0]["row"] == 2 and body["rejected"][0]["value"] == "not-a-number"
        assert body["rejected"][0]["reason"]
        phones = [(c["phone"], c["timeZone"]) for c in body["preview"]]
        assert phones == [
            ("+12125550100", "America/New_York"),
            ("+442079460018", "Europe/London"),
            ("+13055550101", "America/New_York"),
        ]
        lid = body["id"]
        page = h.get(f"/sim/contact-lists/{lid}/contacts", params={"limit": 2}).json()
        assert len(page["items"]) == 2 and page["total"] == 3 and page["nextToken"]
        rest = h.get(f"/sim/contact-lists/{lid}/contacts", params={"limit": 2, "nextToken": page["nextToken"]}).json()
        assert [c["position"] for c in rest["items"]] == [2] and rest["nextToken"] is None
        london = h.get(f"/sim/contact-lists/{lid}/contacts", params={"timeZone": "Europe/London"}).json()
        assert london["total"] == 1
        r = h.post("/sim/contact-lists", content="phone\n2125550100\n", headers={"content-type": "text/csv"})
        assert r.status_code == 201 and r.json()["contactCount"] == 1
        assert h.get("/sim/contact-lists/nope/contacts").status_code == 404


@pytest.fixture(scope="module")
def finished_run(sqlite_server):
    """A campaign with an uploaded list, started natively, run to the end."""
    with sqlite_server.http() as h:
        h.put("/sim/contact-centers/cc-native", json={"simulation": SIMULATION}).raise_for_status()
        rows = "phone\n" + "".join(f"212555{i:04d}\n" for i in range(150))
        lid = h.post("/sim/contact-lists", files={"file": ("l.csv", rows, "text/csv")}).json()["id"]
        cid = h.put("/v2/campaigns", json={**CAMPAIGN, "connectInstanceId": "cc-native", "name": "native"}).json()["id"]
        h.put(f"/sim/campaigns/{cid}/contacts", json={"contactListId": lid}).raise_for_status()
        doc = h.get(f"/sim/campaigns/{cid}/document").json()
        assert doc["simulation"]["agents"]["count"] == 5
        run = h.post(f"/sim/campaigns/{cid}/runs", json={"seed": 11}).json()
        assert run["status"] == "queued" and run["seed"] == 11
        done = wait_for(
            lambda: (r := h.get(f"/sim/runs/{run['id']}").json())["status"] in ("completed", "failed") and r, 90
        )
        assert done["status"] == "completed", done
        return cid, done


def test_run_results(sqlite_server, finished_run):
    cid, run = finished_run
    with sqlite_server.http("analyst") as h:
        assert h.get(f"/v2/campaigns/{cid}/state").json()["state"] == "Completed"
        s = h.get(f"/sim/runs/{run['id']}/summary").json()
        assert s["dial_attempts"] > 0 and s["contacts"] == 150
        table = pq.read_table(io.BytesIO(h.get(f"/sim/runs/{run['id']}/events").content))
        assert table.num_rows > 0
        assert set(table.column("event_type").to_pylist()) >= {"INITIATED", "DISCONNECTED"}
        lines = h.get(f"/sim/runs/{run['id']}/events", params={"format": "jsonl"}).text.splitlines()
        assert len(lines) == table.num_rows
        env = json.loads(lines[0])
        assert env["detail-type"] == "Amazon Connect Contact Event" and env["detail"]["campaign"]["campaignId"] == cid
        page = h.get(
            f"/sim/runs/{run['id']}/events", params={"format": "json", "eventType": "DISCONNECTED", "limit": 5}
        ).json()
        assert len(page["items"]) == 5 and all(e["detail"]["eventType"] == "DISCONNECTED" for e in page["items"])
        runs = h.get("/sim/runs", params={"campaignId": cid, "status": "completed"}).json()
        assert [r["id"] for r in runs["items"]] == [run["id"]]


def test_live_stream_replays_and_ends(sqlite_server, finished_run):
    _, run = finished_run
    with sqlite_server.http("analyst") as h:
        contact, end = 0, None
        with h.stream("GET", f"/sim/runs/{run['id']}/stream", params={"eventType": "DISCONNECTED"}) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            event = None
            for line in r.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    if event == "contact":
                        assert json.loads(line[6:])["detail"]["eventType"] == "DISCONNECTED"
                        contact += 1
                    elif event == "end":
                        end = json.loads(line[6:])
                        break
        assert contact > 0 and end["status"] == "completed"


def test_compliance_report_and_plots(sqlite_server, finished_run):
    _, run = finished_run
    with sqlite_server.http("analyst") as h:
        r = h.get(f"/sim/runs/{run['id']}/compliance")
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["jurisdiction"] and "rules" in report and "passed" in report
        r = h.get(f"/sim/runs/{run['id']}/plots")
        assert r.status_code in (200, 501), r.text
        if r.status_code == 200:
            assert r.json()["items"], "no plot drawn"
            png = h.get(r.json()["items"][0]["href"])
            assert png.status_code == 200 and png.content[:4] == b"\x89PNG"


def test_tenants_are_isolated(sqlite_server, finished_run):
    cid, run = finished_run
    with sqlite_server.http("other") as h:
        assert h.get(f"/sim/runs/{run['id']}").status_code == 404
        assert h.get(f"/sim/runs/{run['id']}/events").status_code == 404
        assert h.get(f"/sim/campaigns/{cid}/document").status_code == 404
        assert h.get("/sim/runs").json()["items"] == []
        assert h.get(f"/v2/campaigns/{cid}").status_code == 404


def test_metrics(sqlite_server, finished_run):
    with sqlite_server.http("analyst") as h:
        text = h.get("/metrics").text
    assert "dialer_http_requests_total" in text
    assert 'dialer_runs{status="completed"}' in text
    dials = [line for line in text.splitlines() if line.startswith("dialer_dials_simulated ")]
    assert dials and float(dials[0].split()[1]) > 0


def test_pause_resume_stop_a_run(sqlite_server):
    with sqlite_server.http() as h:
        h.put(
            "/sim/contact-centers/cc-pause", json={"simulation": {**SIMULATION, "agents": {"count": 20}}}
        ).raise_for_status()
        cid = h.put("/v2/campaigns", json={**CAMPAIGN, "connectInstanceId": "cc-pause", "name": "pause"}).json()["id"]
        h.put(
            f"/sim/campaigns/{cid}/contacts", json={"synthetic": {"count": 20000, "areaCodes": {"212": 1.0}}}
        ).raise_for_status()
        run = h.post(f"/sim/campaigns/{cid}/runs").json()
        wait_for(lambda: h.get(f"/sim/runs/{run['id']}").json()["status"] == "running", 30)
        assert h.post(f"/v2/campaigns/{cid}/pause").status_code == 200
        paused = h.get(f"/sim/runs/{run['id']}").json()
        assert paused["status"] == "paused"
        assert h.get(f"/v2/campaigns/{cid}/state").json()["state"] == "Paused"
        r = h.post(f"/sim/runs/{run['id']}/resume")
        assert r.status_code == 200
        assert h.post(f"/sim/runs/{run['id']}/stop").status_code == 200
        final = wait_for(
            lambda: (r := h.get(f"/sim/runs/{run['id']}").json())["status"] in ("stopped", "completed") and r, 60
        )
        assert final["status"] == "stopped"
        assert h.get(f"/v2/campaigns/{cid}/state").json()["state"] == "Stopped"
        assert h.post(f"/sim/runs/{run['id']}/pause").status_code == 409
