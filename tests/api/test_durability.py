"""No accepted request is lost when a worker and then the server are killed
(SIGKILL) at random points of a run, on SQLite and PostgreSQL.

Each run is fed by a contact list and outbound requests (put before the
start and while it runs), or by outbound requests only. The restarted
attempts replay the segments the dead ones had claimed; the final events
must hold, for every accepted request, an INITIATED event or an EXPIRED
disconnect, with no dial recorded twice, and the run and campaign must end
in the right state. The kill points are drawn from a seeded generator; the
seed is in every failure message (set DIALER_CRASH_SEED to replay one)."""

from __future__ import annotations

import itertools
import os
import random
import time

import httpx
import pytest
from api_helpers import Server, run_of, wait_for
from run_helpers import (
    EXPIRES_SOON,
    Db,
    assert_each_request_dialled_or_expired_once,
    final_events,
    kill_pid,
    list_numbers_dialled,
    make_campaign,
    put_requests,
)

from api.testing import ServerProcess, make_keys
from tests.databases import empty_database

LIST_SIZE = 12000  # a few seconds of simulation: room for two kills


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def crashable(request, tmp_path):
    url, schema = empty_database(request.param, tmp_path)
    (manager,) = make_keys(url, ("manager", "default"))
    proc = ServerProcess(data_dir=tmp_path, database_url=url)
    db = Db(url)
    yield Server(proc, {"manager": manager}), db
    proc.stop()
    db.close()
    if schema is not None:
        schema.close()


@pytest.fixture
def rng():
    seed = int(os.environ.get("DIALER_CRASH_SEED", time.time_ns() % 2**32))
    gen = random.Random(seed)
    gen.seed_value = seed
    return gen


def _attempt_started(db: Db, run_id: str, epoch: int) -> bool:
    rows = [a for a in db.attempts(run_id) if a["epoch"] == epoch]
    return bool(rows and rows[0]["worker_pid"])


def _assert_attempts_never_overlap(attempts: list[dict]) -> None:
    for before, after in itertools.pairwise(attempts):
        assert before["ended_at"] is not None and before["ended_at"] <= after["claimed_at"], attempts


def test_list_and_requests_survive_a_killed_worker_then_a_killed_server(crashable, rng):
    srv, db = crashable
    where = f"(DIALER_CRASH_SEED={rng.seed_value})"
    srv.proc.start()
    with srv.http() as h:
        cid = make_campaign(h, "crash-list", list_size=LIST_SIZE)
        # Queued behind the list contacts, these expire before their turn.
        early = put_requests(h, cid, "early", 25, expires=EXPIRES_SOON)
        tokens = early + put_requests(h, cid, "before", 50, first_number=100)
        h.post(f"/v2/campaigns/{cid}/start").raise_for_status()
        run_id = wait_for(lambda: run_of(h, cid).get("id"), 30)
        wait_for(
            lambda: _attempt_started(db, run_id, 1) and h.get(f"/sim/runs/{run_id}").json()["progress"] > 0, 60, 0.05
        )
        time.sleep(rng.uniform(0.0, 1.0))
        tokens += put_requests(h, cid, "during-1", 30, first_number=200)
        kill_pid(db.run(run_id)["worker_pid"])  # the worker dies; the server restarts the run
        wait_for(lambda: _attempt_started(db, run_id, 2), 60, 0.05)
        time.sleep(rng.uniform(0.0, 1.5))
        tokens += put_requests(h, cid, "during-2", 30, first_number=300)
    srv.proc.kill_group()  # the server and its worker die
    srv.proc.start()
    with srv.http() as h:
        final = wait_for(
            lambda: (r := h.get(f"/sim/runs/{run_id}").json())["status"] in ("completed", "failed", "stopped") and r,
            120,
        )
        assert final["status"] == "completed", (final, where)
        assert final["attempts"] == 3, (final, where)
        assert h.get(f"/v2/campaigns/{cid}/state").json()["state"] == "Completed"
        events = final_events(h, run_id)
        pending = h.get(f"/sim/campaigns/{cid}/outbound-requests", params={"status": "PENDING"}).json()["total"]
    outcome = assert_each_request_dialled_or_expired_once(events, tokens)
    assert len(outcome["dialled"]) + len(outcome["expired"]) == len(tokens) == 135, where
    assert outcome["expired"] == set(early), where
    assert pending == 0
    summary = final["summary"]
    assert summary["requests_accepted"] == 135 and summary["requests_not_dialled"] == 0, (summary, where)
    assert summary["requests_dialled"] == 110 and summary["requests_expired"] == 25, (summary, where)
    assert summary["contacts"] == LIST_SIZE + 135 and summary["contacts_not_attempted"] == 0, (summary, where)
    assert list_numbers_dialled(events) == LIST_SIZE, where
    attempts = db.attempts(run_id)
    assert [a["outcome"] for a in attempts][-1] == "completed" and len(attempts) == 3, (attempts, where)
    assert all(a["outcome"] in ("worker died", "worker exited") for a in attempts[:2]), attempts
    _assert_attempts_never_overlap(attempts)
    assert db.run(run_id)["events_dir"].endswith("attempt-3")


def test_request_fed_run_survives_kills_and_accounts_for_every_request(crashable, rng):
    srv, db = crashable
    where = f"(DIALER_CRASH_SEED={rng.seed_value})"
    srv.proc.start()
    with srv.http() as h:
        cid = make_campaign(h, "crash-api")  # no list: dials requests as they arrive
        h.post(f"/v2/campaigns/{cid}/start").raise_for_status()
        run_id = wait_for(lambda: run_of(h, cid).get("id"), 30)
        tokens = put_requests(h, cid, "a", 50)
        wait_for(lambda: _attempt_started(db, run_id, 1), 60, 0.05)
        time.sleep(rng.uniform(0.0, 1.0))
        tokens += put_requests(h, cid, "b", 50, first_number=100)
        kill_pid(db.run(run_id)["worker_pid"])
        tokens += put_requests(h, cid, "c", 25, first_number=200)
        wait_for(lambda: _attempt_started(db, run_id, 2), 60, 0.05)
        time.sleep(rng.uniform(0.0, 1.0))
        tokens += put_requests(h, cid, "d", 25, first_number=300)
    srv.proc.kill_group()
    srv.proc.start()
    with srv.http() as h:
        tokens += put_requests(h, cid, "e", 25, first_number=400)
        # Stop once every request is in a finished segment (the summary counts them).
        wait_for(
            lambda: (h.get(f"/sim/runs/{run_id}").json().get("summary") or {}).get("requests_accepted") == len(tokens),
            120,
        )
        h.post(f"/v2/campaigns/{cid}/stop").raise_for_status()
        final = wait_for(
            lambda: (r := h.get(f"/sim/runs/{run_id}").json())["status"] in ("stopped", "failed", "completed") and r, 60
        )
        assert final["status"] == "stopped" and final["attempts"] == 3, (final, where)
        assert h.get(f"/v2/campaigns/{cid}/state").json()["state"] == "Stopped"
        events = final_events(h, run_id)
    outcome = assert_each_request_dialled_or_expired_once(events, tokens)
    assert len(outcome["dialled"]) + len(outcome["expired"]) == len(tokens) == 175, where
    summary = final["summary"]
    assert summary["requests_accepted"] == 175 and summary["requests_dialled"] + summary["requests_expired"] == 175, (
        summary
    )
    attempts = db.attempts(run_id)
    assert [a["outcome"] for a in attempts][-1] == "stopped" and len(attempts) == 3, attempts
    _assert_attempts_never_overlap(attempts)


def test_a_second_server_on_the_same_sqlite_file_refuses_to_start(tmp_path):
    """SQLite is the single-server default: replicas need PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'dialer.sqlite'}"
    first = ServerProcess(data_dir=tmp_path / "a", database_url=url).start()
    try:
        second = ServerProcess(data_dir=tmp_path / "b", database_url=url)
        with pytest.raises(RuntimeError) as err:
            second.start()
        assert "another `dialer serve` already uses the SQLite database" in str(err.value)
        assert "PostgreSQL" in str(err.value)
        assert second.proc.returncode != 0
        with httpx.Client(base_url=first.url) as h:
            assert h.get("/healthz").json() == {"status": "ok"}  # the first one is unharmed
    finally:
        first.stop()
    # Once the first has stopped, the file is free again.
    again = ServerProcess(data_dir=tmp_path / "c", database_url=url).start()
    again.stop()
