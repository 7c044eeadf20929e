"""API latency under load on loopback: DescribeCampaign and
PutOutboundRequestBatch against a real ``dialer serve`` process, on SQLite
and on PostgreSQL, with SigV4-signed requests (as boto3 sends them).

Each operation is driven open-loop at a constant rate (default 200
requests/s) for a few seconds. The generator is one asyncio event loop
writing pre-built raw HTTP/1.1 requests (SigV4-signed before the clock
starts) over keep-alive sockets and reading responses by Content-Length, so
it spends little CPU per request and has no GIL contention of its own.
Request i is due at ``start + i / rate`` and its latency is measured from
that due time, not from when it was actually written: a server (or client)
stall delays every request behind it and shows in the percentiles instead
of silently lowering the offered rate (no coordinated omission). A request
due while every socket is busy opens another socket.

Prints p50, p99, max and the achieved requests per second, plus the CPU the
client and the server process used per request and the client's worst send
lag (how late it wrote a request); target p99 < 25 ms at 200/s.

    python benchmarks/bench_api.py [--rate 200] [--seconds 5] [--postgres URL]

PostgreSQL is used when --postgres or DIALER_TEST_POSTGRES_URL is given and
reachable (a throwaway schema is created and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from api.testing import PgSchema, ServerProcess, make_keys, postgres_base_url

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
        self.host = urlsplit(base).netloc
        self.auth = SigV4Auth(Credentials(key.access_key_id, key.secret_access_key), "connect-campaigns", "us-east-1")

    def signed_headers(self, method: str, path: str, body: bytes = b"") -> dict:
        req = AWSRequest(method=method, url=self.base + path, data=body, headers={"Content-Type": "application/json"})
        self.auth.add_auth(req)
        return dict(req.headers.items())

    def sign(self, method: str, path: str, body: bytes = b"") -> tuple[str, dict, bytes]:
        """(url, headers, body) for an HTTP client."""
        return self.base + path, self.signed_headers(method, path, body), body

    def raw(self, method: str, path: str, body: bytes = b"") -> bytes:
        """The whole HTTP/1.1 request as bytes, ready to write to a socket."""
        headers = {"Host": self.host, **self.signed_headers(method, path, body), "Content-Length": str(len(body))}
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        return head.encode("latin-1") + body


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (Linux /proc), in seconds."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
            break
    if length:
        await reader.readexactly(length)
    return status


async def _drive(host: str, port: int, prepared: list[bytes], rate: float, sockets: int) -> dict:
    loop = asyncio.get_running_loop()
    idle = [await asyncio.open_connection(host, port) for _ in range(sockets)]
    opened = [len(idle)]
    latencies: list[float] = []
    errors = [0]
    lag = [0.0]
    tasks = []

    async def one(due: float, request: bytes) -> None:
        conn = idle.pop() if idle else None
        if conn is None:
            conn = await asyncio.open_connection(host, port)
            opened[0] += 1
        try:
            status = await _exchange(*conn, request)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors[0] += 1
            latencies.append(loop.time() - due)
            conn[1].close()
            return
        latencies.append(loop.time() - due)
        if status != 200:
            errors[0] += 1
        idle.append(conn)

    start = loop.time() + 0.2
    for i, request in enumerate(prepared):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        lag[0] = max(lag[0], loop.time() - due)
        tasks.append(asyncio.ensure_future(one(due, request)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    for _r, w in idle:
        w.close()
    return {"latencies": latencies, "errors": errors[0], "elapsed": elapsed, "send_lag": lag[0], "sockets": opened[0]}


def drive(
    make_request, rate: float, seconds: float, *, base: str, server_pid: int | None = None, sockets: int = 4
) -> dict:
    """``make_request(i)`` returns the raw request bytes; send them at
    ``rate`` per second for ``seconds`` to ``base`` (http://host:port)."""
    total = int(rate * seconds)
    prepared = [make_request(i) for i in range(total)]  # sign before the clock starts
    u = urlsplit(base)
    cpu0, srv0 = time.process_time(), (cpu_seconds(server_pid) if server_pid else 0.0)
    r = asyncio.run(_drive(u.hostname, u.port, prepared, rate, sockets))
    cpu1, srv1 = time.process_time(), (cpu_seconds(server_pid) if server_pid else 0.0)
    latencies = sorted(r["latencies"])
    n = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(n - 1, int(p * n))] * 1000

    return {
        "requests": n,
        "errors": r["errors"],
        "rps": round(n / r["elapsed"], 1),
        "p50_ms": round(pct(0.50), 2),
        "p99_ms": round(pct(0.99), 2),
        "max_ms": round(latencies[-1] * 1000, 2),
        "client_cpu_ms": round((cpu1 - cpu0) * 1000 / n, 3),
        "client_cpu_pct": round((cpu1 - cpu0) * 100 / r["elapsed"], 1),
        "server_cpu_ms": round((srv1 - srv0) * 1000 / n, 2) if server_pid else None,
        "send_lag_ms": round(r["send_lag"] * 1000, 2),
        "sockets": r["sockets"],
    }


def drive_threads(
    make_request, rate: float, seconds: float, *, base: str, server_pid: int | None = None, threads: int = 16
) -> dict:
    """The previous generator, kept for comparison (``--generator threads``):
    16 paced threads with an httpx client each, latency from the actual send
    (so a stall that delays later sends is not counted)."""
    import threading

    total = int(rate * seconds)
    prepared = [make_request(i) for i in range(total)]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    cpu0, srv0 = time.process_time(), (cpu_seconds(server_pid) if server_pid else 0.0)
    start = time.perf_counter() + 0.2

    def worker(k: int) -> None:
        with httpx.Client(timeout=10) as client:
            for i in range(k, total, threads):
                method, path, headers, body = prepared[i]
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                t0 = time.perf_counter()
                r = client.request(method, base + path, headers=headers, content=body)
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
                    errors[0] += r.status_code != 200

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.perf_counter() - start
    cpu1, srv1 = time.process_time(), (cpu_seconds(server_pid) if server_pid else 0.0)
    latencies.sort()
    n = len(latencies)
    return {
        "requests": n,
        "errors": errors[0],
        "rps": round(n / elapsed, 1),
        "p50_ms": round(latencies[n // 2] * 1000, 2),
        "p99_ms": round(latencies[min(n - 1, int(0.99 * n))] * 1000, 2),
        "max_ms": round(latencies[-1] * 1000, 2),
        "client_cpu_ms": round((cpu1 - cpu0) * 1000 / n, 3),
        "client_cpu_pct": round((cpu1 - cpu0) * 100 / elapsed, 1),
        "server_cpu_ms": round((srv1 - srv0) * 1000 / n, 2) if server_pid else None,
        "send_lag_ms": float("nan"),
        "sockets": threads,
    }


def bench_database(label: str, url: str, rate: float, seconds: float, generator: str = "asyncio") -> list[dict]:
    (key,) = make_keys(url, ("manager", "default"))
    with tempfile.TemporaryDirectory(prefix="bench-api-") as d:
        srv = ServerProcess(data_dir=Path(d), database_url=url).start()
        try:
            signer = Signer(srv.url, key)
            u, h, b = signer.sign("PUT", "/v2/campaigns", json.dumps(CAMPAIGN).encode())
            cid = httpx.put(u, headers=h, content=b).json()["id"]

            def request(method: str, path: str, body: bytes = b""):
                if generator == "threads":
                    return method, path, signer.signed_headers(method, path, body), body
                return signer.raw(method, path, body)

            def describe(i):
                return request("GET", f"/v2/campaigns/{cid}")

            def put_batch(i, prefix="b"):
                body = {
                    "outboundRequests": [
                        {
                            "clientToken": f"{prefix}{i}-{j}",
                            "expirationTime": "2026-12-01T20:00:00Z",
                            "channelSubtypeParameters": {
                                "telephony": {
                                    "destinationPhoneNumber": f"+1212555{(i * 10 + j) % 10000:04d}",
                                    "attributes": {},
                                }
                            },
                        }
                        for j in range(10)
                    ]
                }
                return request("PUT", f"/v2/campaigns/{cid}/outbound-requests", json.dumps(body).encode())

            run = drive_threads if generator == "threads" else drive
            run(describe, rate, 1.0, base=srv.url)  # warm-up: both operations, tokens the run does not use
            run(lambda i: put_batch(i, prefix="w"), rate, 1.0, base=srv.url)
            out = []
            for name, fn in (("DescribeCampaign", describe), ("PutOutboundRequestBatch(10)", put_batch)):
                res = run(fn, rate, seconds, base=srv.url, server_pid=srv.proc.pid)
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
    ap.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    ap.add_argument(
        "--generator",
        choices=("asyncio", "threads"),
        default="asyncio",
        help="asyncio: open-loop raw HTTP/1.1 (default); threads: the old 16-thread httpx generator",
    )
    args = ap.parse_args()
    dbs = set(args.databases.split(","))
    results = []
    if "sqlite" in dbs:
        with tempfile.TemporaryDirectory(prefix="bench-db-") as d:
            results += bench_database("sqlite", f"sqlite:///{d}/bench.sqlite", args.rate, args.seconds, args.generator)
    if args.postgres:
        os.environ["DIALER_TEST_POSTGRES_URL"] = args.postgres
    base, reason = postgres_base_url() if "postgresql" in dbs else (None, "not asked for")
    if base is None:
        print(f"(PostgreSQL skipped: {reason})")
    else:
        schema = PgSchema(base)
        try:
            results += bench_database("postgresql", schema.url, args.rate, args.seconds, args.generator)
        finally:
            schema.close()
    print(
        f"{'database':<11} {'operation':<28} {'target/s':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6}"
        f" {'cli CPU%':>8} {'cli ms/req':>10} {'srv ms/req':>10} {'send lag':>8}"
    )
    ok = True
    for r in results:
        print(
            f"{r['database']:<11} {r['operation']:<28} {r['target_rps']:>8.0f} {r['rps']:>7.1f} {r['p50_ms']:>7.2f} "
            f"{r['p99_ms']:>7.2f} {r['max_ms']:>7.2f} {r['errors']:>6} {r['client_cpu_pct']:>8.1f} "
            f"{r['client_cpu_ms']:>10.3f} {r['server_cpu_ms']:>10.2f} {r['send_lag_ms']:>8.2f}"
        )
        ok &= r["errors"] == 0
    print(
        f"generator: {args.generator}; cli = this process (the load generator), srv = the server process; "
        "send lag = worst lateness of a write vs its schedule (ms)"
    )
    print("target: p99 < 25 ms at 200 req/s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
