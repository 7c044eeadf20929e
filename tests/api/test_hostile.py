"""The service as an attacker meets it (issue 9): bodies are bounded and
refused before they are read when the caller is not authenticated; a
request value never names a file; text no database can store is a 4xx
naming the field, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import pytest
from api_helpers import CAMPAIGN, SIMULATION, wait_for

BIG = 60 * 1024 * 1024  # the issue measured 300 MB by hand; see docs/service.md


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        kb = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))
    return kb / 1024


class HealthPoller:
    """Polls /healthz in a thread; ``worst`` is its slowest answer."""

    def __init__(self, url: str):
        self.url, self.worst, self.failures = url, 0.0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=5) as c:
            while not self._stop.is_set():
                t = time.perf_counter()
                if c.get(self.url + "/healthz").status_code != 200:
                    self.failures += 1
                self.worst = max(self.worst, time.perf_counter() - t)
                time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)


@pytest.mark.parametrize(
    ("method", "path", "ctype", "status"),
    [
        ("PUT", "/v2/campaigns", "application/json", 403),
        ("POST", "/sim/contact-lists", "text/csv", 401),
        ("PUT", "/sim/contact-centers/cc-x", "application/json", 401),
    ],
)
def test_unauthenticated_big_body_is_refused_before_it_is_read(sqlite_server, method, path, ctype, status):
    body = b"{" * BIG
    pid = sqlite_server.proc.proc.pid
    before = _rss_mib(pid)
    with HealthPoller(sqlite_server.url) as poll:
        t = time.perf_counter()
        r = httpx.request(method, sqlite_server.url + path, content=body, headers={"content-type": ctype}, timeout=30)
        took = time.perf_counter() - t
        time.sleep(0.1)
    assert r.status_code == status, r.text
    # Measured ~0.1 s for 60 MB (the client's own write included); 2 s
    # leaves room for a loaded CI machine and is still far below the 10.8 s
    # the issue measured for reading and parsing such a body.
    assert took < 2.0, took
    assert _rss_mib(pid) - before < 30, (before, _rss_mib(pid))
    assert poll.failures == 0 and poll.worst < 1.0, poll.worst


def test_unauthenticated_invalid_json_is_an_auth_error_not_a_400(sqlite_server):
    for headers, status in (
        ({}, 403),
        ({"authorization": "Bearer dk_nope.nope"}, 403),
        ({"authorization": "AWS4-HMAC-SHA256 Credential=x"}, 403),
    ):
        r = httpx.put(sqlite_server.url + "/v2/campaigns", content=b"{not json", headers=headers)
        assert r.status_code == status and r.headers["x-amzn-ErrorType"] == "AccessDeniedException", r.text
    r = httpx.post(
        sqlite_server.url + "/sim/campaigns/x/runs", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_authenticated_bodies_over_the_route_limit_are_413(sqlite_server):
    with sqlite_server.http() as h:
        r = h.put("/v2/campaigns", content=b" " * (2 * 1024 * 1024), headers={"content-type": "application/json"})
        assert r.status_code == 413 and "1048576 bytes" in r.json()["message"]

        def chunks():  # no Content-Length: counted while it streams
            for _ in range(40):
                yield b" " * (64 * 1024)

        r = h.put("/sim/contact-centers/cc-x", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["error"] == "TooLarge"
        # The contact-list upload has its own, larger limit.
        csv = b"phone,note\n" + (b"2125550100," + b"n" * 1000 + b"\n") * 1200  # 1.2 MB, 1,200 rows
        r = h.post("/sim/contact-lists", content=csv, headers={"content-type": "text/csv"})
        assert len(csv) > 1024 * 1024 and r.status_code == 201 and r.json()["contactCount"] == 1200, r.text[:300]
    # Refused from the Content-Length alone: the answer comes before a byte
    # of the 51 MB body is sent.
    head = (
        f"POST /sim/contact-lists HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {sqlite_server.keys['manager'].bearer}\r\n"
        f"Content-Type: text/csv\r\nContent-Length: {51 * 1024 * 1024}\r\n\r\n"
    )
    port = int(sqlite_server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head.encode())
        answer = sock.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413") and "connection: close" in answer.lower(), answer[:300]


def test_sigv4_body_is_part_of_the_signature(sqlite_server):
    """boto3 signs the body hash; a body swapped after signing is refused,
    and a declared X-Amz-Content-SHA256 that does not match is too."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials

    k = sqlite_server.keys["manager"]
    creds = botocore.credentials.Credentials(k.access_key_id, k.secret_access_key)
    body = json.dumps({**CAMPAIGN, "name": "signed"})
    req = botocore.awsrequest.AWSRequest(
        method="PUT", url=sqlite_server.url + "/v2/campaigns", data=body, headers={"content-type": "application/json"}
    )
    botocore.auth.SigV4Auth(creds, "connect-campaigns", "us-east-1").add_auth(req)
    headers = dict(req.headers.items())
    ok = httpx.put(sqlite_server.url + "/v2/campaigns", content=body, headers=headers)
    assert ok.status_code == 200, ok.text
    bad = httpx.put(sqlite_server.url + "/v2/campaigns", content=body.replace("signed", "swapped"), headers=headers)
    assert bad.status_code == 403 and "signature" in bad.json()["message"]
    lying = httpx.put(
        sqlite_server.url + "/v2/campaigns", content=body, headers={**headers, "x-amz-content-sha256": "0" * 64}
    )
    assert lying.status_code == 403


# ---------------------------------------------------------------------------
# No file is read on a caller's say-so
# ---------------------------------------------------------------------------

MARKER = "MARKER-6f1c2a-file-contents"


@pytest.fixture(scope="module")
def small_run(sqlite_server):
    with sqlite_server.http() as h:
        h.put("/sim/contact-centers/cc-hostile", json={"simulation": SIMULATION}).raise_for_status()
        rows = "phone\n" + "".join(f"212555{i:04d}\n" for i in range(40))
        lid = h.post("/sim/contact-lists", files={"file": ("l.csv", rows, "text/csv")}).json()["id"]
        cid = h.put("/v2/campaigns", json={**CAMPAIGN, "connectInstanceId": "cc-hostile", "name": "hostile"}).json()[
            "id"
        ]
        h.put(f"/sim/campaigns/{cid}/contacts", json={"contactListId": lid}).raise_for_status()
        run = h.post(f"/sim/campaigns/{cid}/runs", json={"seed": 1}).json()
        done = wait_for(
            lambda: (r := h.get(f"/sim/runs/{run['id']}").json())["status"] in ("completed", "failed") and r, 90
        )
        assert done["status"] == "completed", done
        return done


def test_jurisdiction_is_a_name_never_a_file(sqlite_server, small_run, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(f"base: US\nname: {MARKER}\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text(f"base: [{MARKER}\n")
    values = [
        str(rules),
        str(broken),
        str(tmp_path / "missing.yaml"),
        "../../../etc/passwd",
        "/etc/passwd",
        "US.yaml",
        "file:///etc/hosts",
        "US/../UK",
        MARKER[:30],
    ]
    answers = set()
    with sqlite_server.http("analyst") as h:
        for value in values:
            r = h.get(f"/sim/runs/{small_run['id']}/compliance", params={"jurisdiction": value})
            assert r.status_code == 400, (value, r.status_code, r.text)
            assert MARKER not in r.text and value not in r.text
            answers.add(r.text)
        ok = h.get(f"/sim/runs/{small_run['id']}/compliance", params={"jurisdiction": "uk"})
        assert ok.status_code == 200 and ok.json()["jurisdiction"] == "UK", ok.text[:300]
    # One answer for every unknown name: nothing depends on the file system.
    assert len(answers) == 1, answers


def test_contact_center_jurisdiction_cannot_name_a_file(sqlite_server, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("base: US\n")
    with sqlite_server.http() as h:
        r = h.put("/sim/contact-centers/cc-files", json={"simulation": {**SIMULATION, "jurisdiction": str(rules)}})
        assert r.status_code == 422 and r.json()["details"][0]["field"] == "simulation.jurisdiction", r.text
        r = h.put("/sim/contact-centers/cc-files", json={"simulation": {**SIMULATION, "jurisdiction": "gb"}})
        assert r.status_code == 201 and r.json()["simulation"]["jurisdiction"] == "UK"


@pytest.mark.parametrize("value", ["../../etc/passwd", "/etc/passwd", "..%2F..%2Fetc%2Fpasswd", "events.parquet"])
def test_path_values_are_ids_not_paths(sqlite_server, small_run, value):
    with sqlite_server.http("analyst") as h:
        for path in (
            f"/sim/runs/{value}/events",
            f"/sim/runs/{value}/compliance",
            f"/sim/runs/{small_run['id']}/plots/{value}.png",
            f"/sim/contact-lists/{value}",
        ):
            r = h.get(path)
            assert 400 <= r.status_code < 500 and "root:" not in r.text, (path, r.status_code, r.text[:200])


# ---------------------------------------------------------------------------
# Text every database stores (item 5): same 4xx on SQLite and PostgreSQL
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["a\x00b", "tab\there", "bell\x07"])
def test_control_characters_in_names_are_400_naming_the_field(server, bad):
    with server.http() as h:
        r = h.put("/v2/campaigns", json={**CAMPAIGN, "name": bad})
        assert r.status_code == 400 and "name" in r.json()["message"], r.text
        r = h.put("/sim/contact-centers/cc-names", json={"name": bad, "simulation": SIMULATION})
        assert r.status_code in (400, 422) and "name" in r.text, r.text
        r = h.post(
            "/sim/contact-lists",
            params={"name": bad},
            content="phone\n2125550100\n",
            headers={"content-type": "text/csv"},
        )
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "name", r.text
        # httpx percent-encodes control characters in a multipart filename:
        # the server sees plain text, stores it, and never a control character.
        r = h.post("/sim/contact-lists", files={"file": (bad, "phone\n2125550100\n", "text/csv")})
        assert r.status_code == 201 and not any(ord(ch) < 32 for ch in r.json()["name"]), r.text


def test_nul_anywhere_is_a_4xx_on_every_database(server):
    with server.http() as h:
        cid = h.put("/v2/campaigns", json={**CAMPAIGN, "name": "nul-target"}).json()["id"]
        cases = [
            h.get("/v2/campaigns/a%00b"),
            h.get("/sim/runs", params={"campaignId": "x\x00"}),
            h.post(f"/v2/campaigns/{cid}/name", json={"name": "x\x00"}),
            h.put(
                f"/v2/campaigns/{cid}/outbound-requests",
                json={
                    "outboundRequests": [
                        {
                            "clientToken": "t\x00",
                            "expirationTime": "2099-01-01T00:00:00Z",
                            "channelSubtypeParameters": {"telephony": {"destinationPhoneNumber": "+12125550100"}},
                        }
                    ]
                },
            ),
            h.post(
                f"/v2/campaigns/{cid}/tags".replace(
                    cid, f"arn:aws:connect-campaigns:us-east-1:000000000000:campaign/{cid}"
                ),
                json={"tags": {"k\x00": "v"}},
            ),
            h.post(
                "/sim/contact-lists", content="phone,note\n2125550100,a\x00b\n", headers={"content-type": "text/csv"}
            ),
            h.post(
                "/sim/contact-lists",
                content="phone,postcode\n2125550100," + "9" * 40 + "\n",
                headers={"content-type": "text/csv"},
            ),
        ]
        for r in cases:
            assert 400 <= r.status_code < 500, (r.request.method, r.request.url, r.status_code, r.text[:300])
        assert h.get(f"/v2/campaigns/{cid}").json()["campaign"]["name"] == "nul-target"


@pytest.mark.parametrize("zone", ["../../../etc/passwd", "/etc/passwd", "Europe/../../etc/passwd", "a" * 300])
def test_time_zone_values_are_names_not_files(sqlite_server, zone):
    """zoneinfo opens files named by the key: a path or an over-long name is a 4xx, never a 500."""
    with sqlite_server.http() as h:
        r = h.put(
            "/sim/contact-centers/cc-zones",
            json={"simulation": {**SIMULATION, "agents": {"count": 2, "timeZone": zone}}},
        )
        assert r.status_code == 422 and "agents.timeZone" in r.text, r.text
        body = {**CAMPAIGN, "communicationTimeConfig": {"localTimeZoneConfig": {"defaultTimeZone": zone}}}
        r = h.put("/v2/campaigns", json=body)
        assert r.status_code == 400 and "defaultTimeZone" in r.json()["message"], r.text
        r = h.post(
            "/sim/contact-lists", content=f"phone,time_zone\n2125550100,{zone}\n", headers={"content-type": "text/csv"}
        )
        assert r.status_code in (201, 400), r.text
        if r.status_code == 201:
            assert r.json()["rejectedCount"] == 1 and r.json()["contactCount"] == 0
