"""API latency under load on loopback: DescribeCampaign and
PutOutboundRequestBatch against a real ``dialer serve`` process, on SQLite
and on PostgreSQL, with SigV4-signed requests (as boto3 sends them).

Each operation is driven at a fixed rate (default 200 requests/s) for a few
seconds by a pool of paced client threads; latency is send-to-response of
the HTTP exchange (every request is signed before the run starts). Prints p50,
p99, max and the achieved requests per second; target p99 < 25 ms at 200/s.

    python benchmarks/bench_api.py [--rate 200] [--seconds 5] [--postgres URL]

PostgreSQL is used when --postgres or DIALER_TEST_POSTGRES_URL is given and
reachable (a throwaway schema is created and dropped).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

from api.testing import PgSchema, ServerProcess, make_keys, postgres_base_url  # noqa: E402

CAMPAIGN = {
    "name": "bench",
    "connectInstanceId": "bench-cc",
    "channelSubtypeConfig": {
        "telephony": {
            "outboundMode": {"progressive": {"bandwidthAllocation": 1.0}},
            "defaultOutboundConfig": {"connectContactFlowId": "flow"},
        }
    },
    "schedule": {"startTime": "2026-12-01T14:00:00Z", "endTime": "2026-12-01T22:00:00Z"},
}


class Signer:
    def __init__(self, base: str, key):
        self.base = base
        self.auth = SigV4Auth(Credentials(key.access_key_id, key.secret_access_key), "connect-campaigns", "us-east-1")

    def sign(self, method: str, path: str, body: bytes = b"") -> tuple[str, dict, bytes]:
        req = AWSRequest(method=method, url=self.base + path, data=body, headers={"Content-Type": "application/json"})
        self.auth.add_auth(req)
        return self.base + path, dict(req.headers.items()), body


def drive(make_request, rate: float, seconds: float, threads: int = 16) -> dict:
    """``make_request(i)`` returns (method, url, headers, body); run them at
    ``rate`` per second for ``seconds``."""
    total = int(rate * seconds)
    prepared = [make_request(i) for i in range(total)]  # sign before the clock starts
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def worker(k: int) -> None:
        with httpx.Client(timeout=10) as client:
            for i in range(k, total, threads):
                method, url, headers, body = prepared[i]
                due = start + i / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                t0 = time.perf_counter()
                r = client.request(method, url, headers=headers, content=body)
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
                    if r.status_code != 200:
                        errors[0] += 1

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "errors": errors[0],
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(pct(0.50), 2),
        "p99_ms": round(pct(0.99), 2),
        "max_ms": round(latencies[-1] * 1000, 2),
    }


def bench_database(label: str, url: str, rate: float, seconds: float) -> list[dict]:
    key, = make_keys(url, ("manager", "default"))
    with tempfile.TemporaryDirectory(prefix="bench-api-") as d:
        srv = ServerProcess(data_dir=Path(d), database_url=url).start()
        try:
            signer = Signer(srv.url, key)
            u, h, b = signer.sign("PUT", "/v2/campaigns", json.dumps(CAMPAIGN).encode())
            cid = httpx.put(u, headers=h, content=b).json()["id"]

            def describe(i):
                u, h, b = signer.sign("GET", f"/v2/campaigns/{cid}")
                return "GET", u, h, b

            def put_batch(i):
                body = {"outboundRequests": [
                    {"clientToken": f"b{i}-{j}", "expirationTime": "2026-12-01T20:00:00Z",
                     "channelSubtypeParameters": {"telephony": {"destinationPhoneNumber": f"+1212555{(i * 10 + j) % 10000:04d}", "attributes": {}}}}
                    for j in range(10)]}
                u, h, b = signer.sign("PUT", f"/v2/campaigns/{cid}/outbound-requests", json.dumps(body).encode())
                return "PUT", u, h, b

            drive(describe, rate, 1.0)  # warm-up
            out = []
            for name, fn in (("DescribeCampaign", describe), ("PutOutboundRequestBatch(10)", put_batch)):
                res = drive(fn, rate, seconds)
                res.update(database=label, operation=name, target_rps=rate)
                out.append(res)
            return out
        finally:
            srv.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--postgres", default=None, help="PostgreSQL URL (default: DIALER_TEST_POSTGRES_URL)")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-db-") as d:
        results += bench_database("sqlite", f"sqlite:///{d}/bench.sqlite", args.rate, args.seconds)
    if args.postgres:
        os.environ["DIALER_TEST_POSTGRES_URL"] = args.postgres
    base, reason = postgres_base_url()
    if base is None:
        print(f"(PostgreSQL skipped: {reason})")
    else:
        schema = PgSchema(base)
        try:
            results += bench_database("postgresql", schema.url, args.rate, args.seconds)
        finally:
            schema.close()
    print(f"{'database':<11} {'operation':<28} {'target/s':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6}")
    ok = True
    for r in results:
        print(f"{r['database']:<11} {r['operation']:<28} {r['target_rps']:>8.0f} {r['rps']:>7.1f} {r['p50_ms']:>7.2f} "
              f"{r['p99_ms']:>7.2f} {r['max_ms']:>7.2f} {r['errors']:>6}")
        ok &= r["errors"] == 0
    print("target: p99 < 25 ms at 200 req/s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
