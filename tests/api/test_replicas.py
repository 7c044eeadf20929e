"""Replicas: several ``dialer serve`` processes on one PostgreSQL, clients
talking to any of them; runs claimed with leases, taken over when their
server or worker dies, never executed twice at once; and runs executed on a
two-worker Dask cluster. Skipped without PostgreSQL (DIALER_TEST_POSTGRES_URL).

Leases are 5 s here (15 s by default) so that a takeover is quick while a
loaded machine still renews them in time."""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from api_helpers import Server, run_of, wait_for
from run_helpers import (
    Db,
    assert_each_request_dialled_or_expired_once,
    final_events,
    list_numbers_dialled,
    make_campaign,
    put_requests,
)

from api.testing import PgSchema, ServerProcess, free_port, make_keys, postgres_base_url

pytestmark = pytest.mark.postgres

LEASE_SECONDS = 5
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg():
    base, reason = postgres_base_url()
    if base is None:
        pytest.skip(reason)
    schema = PgSchema(base)
    db = Db(schema.url)
    yield schema.url, db
    db.close()
    schema.close()


def start_replicas(url: str, tmp_path: Path, count: int, **env) -> list[Server]:
    """``count`` servers on one database and one shared runs directory,
    started at the same time (their migrations take turns)."""
    (manager,) = make_keys(url, ("manager", "default"))
    extra = {"DIALER_RUNS_DIR": str(tmp_path / "runs"), "DIALER_RUN_LEASE_SECONDS": str(LEASE_SECONDS), **env}
    procs = [ServerProcess(data_dir=tmp_path / f"replica-{i}", database_url=url, extra_env=extra) for i in range(count)]
    with cf.ThreadPoolExecutor(count) as pool:
        list(pool.map(lambda p: p.start(timeout=60), procs))
    return [Server(p, {"manager": manager}) for p in procs]


@pytest.fixture
def stop_all():
    servers: list[Server] = []
    yield servers
    for s in servers:
        if s.proc.proc is not None:
            s.proc.stop()


def owner_of(servers: list[Server], owner: str) -> Server:
    pid = int(owner.rsplit(":", 1)[1])
    (match,) = [s for s in servers if s.proc.proc is not None and s.proc.proc.pid == pid]
    return match


def wait_final(servers: list[Server], rng: random.Random, run_id: str, timeout: float = 90) -> dict:
    """Poll the run through any live replica until it ends."""

    def poll():
        live = [s for s in servers if s.proc.proc is not None]
        with rng.choice(live).http() as h:
            r = h.get(f"/sim/runs/{run_id}").json()
        return r if r["status"] in ("completed", "failed", "stopped") else None

    return wait_for(poll, timeout, 0.3)


def assert_one_attempt_at_a_time(attempts: list[dict]) -> None:
    assert [a["outcome"] for a in attempts].count("completed") == 1, attempts
    for before, after in itertools.pairwise(attempts):
        assert before["ended_at"] is not None and before["ended_at"] <= after["claimed_at"], attempts


def test_a_killed_replica_run_completes_once_on_another(pg, tmp_path, stop_all):
    url, db = pg
    rng = random.Random(int(os.environ.get("DIALER_CRASH_SEED", time.time_ns() % 2**32)))
    servers = start_replicas(url, tmp_path, 3)
    stop_all.extend(servers)
    with rng.choice(servers).http() as h:
        cid = make_campaign(h, "replicated", list_size=10000)
    with rng.choice(servers).http() as h:
        tokens = put_requests(h, cid, "before", 50)
    with rng.choice(servers).http() as h:
        h.post(f"/v2/campaigns/{cid}/start").raise_for_status()
        run_id = run_of(h, cid)["id"]
    wait_for(lambda: (r := db.run(run_id))["worker_pid"] and r["sim_done_s"] > 0, 60, 0.05)
    victim = owner_of(servers, db.run(run_id)["lease_owner"])
    others = [s for s in servers if s is not victim]
    time.sleep(rng.uniform(0.0, 1.0))
    with rng.choice(others).http() as h:
        tokens += put_requests(h, cid, "during", 25, first_number=100)
    victim_pid_was = victim.proc.proc.pid
    victim.proc.kill_group()  # the replica and its worker die mid-run
    final = wait_final(servers, rng, run_id)
    assert final["status"] == "completed" and final["attempts"] == 2, final
    attempts = db.attempts(run_id)
    assert len(attempts) == 2 and attempts[0]["outcome"] in ("worker died", "lease expired"), attempts
    assert victim_pid(attempts[0]) == victim_pid_was and victim_pid(attempts[1]) in {s.proc.proc.pid for s in others}
    assert_one_attempt_at_a_time(attempts)
    for s in others:  # every replica tells the same campaign state
        with s.http() as h:
            assert h.get(f"/v2/campaigns/{cid}/state").json()["state"] == "Completed"
    with rng.choice(others).http() as h:
        events = final_events(h, run_id)
    outcome = assert_each_request_dialled_or_expired_once(events, tokens)
    assert outcome["dialled"] == set(tokens)
    assert list_numbers_dialled(events) == 10000
    assert final["summary"]["dial_attempts"] == int(
        (events.column("event_type").to_numpy(zero_copy_only=False) == "INITIATED").sum()
    )


def victim_pid(attempt: dict) -> int:
    return int(attempt["owner"].rsplit(":", 1)[1])


def test_a_frozen_worker_is_fenced_out_after_its_lease_expires(pg, tmp_path, stop_all):
    """SIGSTOP the worker: its server lives, its process exists, but its
    lease is not renewed. Another attempt takes the run over; when the frozen
    worker wakes up (SIGCONT) it finds its lease gone and writes nothing."""
    url, db = pg
    servers = start_replicas(url, tmp_path, 2)
    stop_all.extend(servers)
    with servers[0].http() as h:
        cid = make_campaign(h, "fenced", list_size=10000)
        tokens = put_requests(h, cid, "req", 25)
        h.post(f"/v2/campaigns/{cid}/start").raise_for_status()
        run_id = run_of(h, cid)["id"]
    wait_for(lambda: (r := db.run(run_id))["worker_pid"] and r["sim_done_s"] > 0, 60, 0.05)
    frozen = db.run(run_id)["worker_pid"]
    os.kill(frozen, signal.SIGSTOP)
    try:
        wait_for(
            lambda: (
                db.run(run_id)["lease_epoch"] == 2
                and len(db.attempts(run_id)) == 2
                and db.attempts(run_id)[1]["worker_pid"]
            ),
            30,
            0.1,
        )
        took_over = time.monotonic()
    finally:
        os.kill(frozen, signal.SIGCONT)
    # Woken up, the old attempt sees its lease is gone and exits, writing nothing.
    wait_for(lambda: not _alive(frozen), 20, 0.1)
    final = wait_final(servers, random.Random(0), run_id)
    assert final["status"] == "completed" and final["attempts"] == 2, final
    attempts = db.attempts(run_id)
    assert attempts[0]["outcome"] == "lease expired" and attempts[1]["outcome"] == "completed", attempts
    assert attempts[1]["worker_pid"] != frozen
    assert_one_attempt_at_a_time(attempts)
    run_dir = Path(db.run(run_id)["events_dir"])
    assert run_dir.name == "attempt-2"
    assert not (run_dir.parent / "attempt-1" / "events.parquet").exists()
    with servers[1].http() as h:
        events = final_events(h, run_id)
    assert_each_request_dialled_or_expired_once(events, tokens)
    assert time.monotonic() - took_over < 60


def _alive(pid: int) -> bool:
    from api.supervisor import pid_alive

    return pid_alive(pid)


@pytest.fixture
def dask_cluster(tmp_path):
    """A scheduler and two single-thread workers (no nanny: the worker
    process is the one we start), on 127.0.0.1."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    log = (tmp_path / "dask.log").open("ab")  # closed after the processes stop
    common = {"env": env, "stdout": log, "stderr": subprocess.STDOUT, "cwd": tmp_path}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            **common,
        )
    ]
    for i in range(2):
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_worker",
                    address,
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--name",
                    f"w{i}",
                    "--host",
                    "127.0.0.1",
                    "--local-directory",
                    str(tmp_path / f"dask-{i}"),
                ],
                **common,
            )
        )
    from distributed import Client

    with Client(address, timeout=30) as c:
        c.wait_for_workers(2, timeout=60)
    yield address, [p.pid for p in procs[1:]]
    for p in reversed(procs):  # workers first, then the scheduler
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=3)
        except subprocess.TimeoutExpired:  # a worker still trying to say goodbye
            p.kill()
            p.wait()
    log.close()


def test_a_sweep_started_over_the_api_runs_on_a_two_worker_dask_cluster(pg, tmp_path, stop_all, dask_cluster):
    from campaigns.contacts import load_contacts
    from campaigns.document import parse_document
    from dialer import simulate

    url, db = pg
    address, worker_pids = dask_cluster
    servers = start_replicas(url, tmp_path, 2, DIALER_RUN_SCHEDULER=address)
    stop_all.extend(servers)
    agents = [10, 20, 30, 40]
    runs = []
    for i, n in enumerate(agents):
        with servers[i % 2].http() as h:
            cid = make_campaign(h, f"sweep-{n}", agents=n)
            h.put(
                f"/sim/campaigns/{cid}/contacts", json={"synthetic": {"count": 4000, "areaCodes": {"212": 1.0}}}
            ).raise_for_status()
            h.post(f"/v2/campaigns/{cid}/start").raise_for_status()
            runs.append(run_of(h, cid)["id"])
    finals = [wait_final(servers, random.Random(0), r, 120) for r in runs]
    assert [f["status"] for f in finals] == ["completed"] * 4, finals
    attempts = [db.attempts(r) for r in runs]
    assert all(len(a) == 1 and a[0]["executor"] == address for a in attempts), attempts
    used = {a[0]["worker_pid"] for a in attempts}
    assert used <= set(worker_pids) and len(used) == 2, (used, worker_pids)  # both workers took runs
    server_pids = {s.proc.proc.pid for s in servers}
    assert not used & server_pids
    # Executed on Dask, a run gives what the engine gives in this process.
    row = db.run(runs[0])
    wrapper = row["document"] if isinstance(row["document"], dict) else json.loads(row["document"])
    doc = parse_document(wrapper["document"], source="stored run")
    doc.campaign.name = row["campaign_id"]
    local = simulate(doc, seed=int(row["seed"]), contacts=load_contacts(doc), keep_events=False)
    assert finals[0]["summary"]["dial_attempts"] == local.summary["dial_attempts"]
    assert finals[0]["summary"]["connected_to_agent"] == local.summary["connected_to_agent"]
    # Each run played its own contact center: logged-in hours per agent are
    # the same schedule for all four.
    per_agent = [f["summary"]["agent_logged_in_hours"] / n for f, n in zip(finals, agents, strict=True)]
    assert max(per_agent) - min(per_agent) < 1e-6 and per_agent[0] > 0, per_agent
