"""A request accepted in the instant a list-fed run decides it is done is
dialled by that run, or refused: never left PENDING until the campaign's
next run (issue 9). The worker runs in this process, with its test seams
holding it at the two moments that matter:

- after it has decided it has nothing left, before its final transaction:
  a request stored then must be dialled by this run (the final transaction
  finds it PENDING and plays one more segment);
- inside the final transaction, before it commits: a request put then waits
  for the campaign's lock and is refused (the campaign is Completed).

Both fail without the campaign lock and the re-check in ``Worker._final``
(on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from run_helpers import EXPIRES_LATE, Db, make_campaign

from api.worker import Worker
from campaigns import repository as repo
from campaigns.db import session_factory, session_scope
from campaigns.settings import Settings


@pytest.fixture
def service(in_process_service):
    return in_process_service


def _request(token: str) -> dict:
    return {
        "clientToken": token,
        "expirationTime": EXPIRES_LATE,
        "channelSubtypeParameters": {"telephony": {"destinationPhoneNumber": "+13055550199"}},
    }


def _put(client: TestClient, cid: str, token: str):
    return client.put(f"/v2/campaigns/{cid}/outbound-requests", json={"outboundRequests": [_request(token)]})


def _claimed_worker(client: TestClient, settings: Settings, state, name: str) -> tuple[str, str, Worker]:
    """A campaign fed by a 3-number list, started, its run claimed as a
    supervisor would: (campaign id, run id, the worker for that attempt)."""
    cid = make_campaign(client, name, list_size=3, agents=5)
    client.post(f"/v2/campaigns/{cid}/start").raise_for_status()
    with session_scope(session_factory(state.engine)) as s:
        ((run_id, epoch),) = repo.claim_queued_runs(s, owner="test", executor="local", limit=1, lease_seconds=60)
    return cid, run_id, Worker(run_id, settings, epoch)


def _request_row(settings: Settings, cid: str, token: str) -> dict:
    db = Db(settings.url)
    try:
        row = db.one(
            "SELECT status, run_id FROM outbound_requests WHERE campaign_id = :c AND client_token = :t", c=cid, t=token
        )
        pending = db.one("SELECT count(*) AS n FROM outbound_requests WHERE status = 'PENDING'")
        campaign = db.one("SELECT state FROM campaigns WHERE id = :c", c=cid)
    finally:
        db.close()
    return {"request": row, "pending": pending["n"], "campaign": campaign["state"]}


def test_request_put_after_the_decision_is_dialled_by_the_run(service):
    client, settings, state = service
    cid, run_id, worker = _claimed_worker(client, settings, state, "race-decided")
    answers = []

    def put_now() -> None:
        if not answers:  # the first decision only: the run ends after the extra segment
            answers.append(_put(client, cid, "late-1"))

    worker.on_decided_done = put_now
    assert worker.run() == "completed"
    assert answers[0].status_code == 200 and answers[0].json()["successfulRequests"], answers[0].text
    seen = _request_row(settings, cid, "late-1")
    assert seen["request"] == {"status": "DISPATCHED", "run_id": run_id}, seen
    assert seen["pending"] == 0 and seen["campaign"] == "Completed", seen
    events = pq.read_table(f"{settings.run_root}/{run_id}/attempt-1/events.parquet")
    mine = events.filter(pc.equal(events.column("sim_client_token"), "late-1"))
    assert "INITIATED" in mine.column("event_type").to_pylist()
    summary = client.get(f"/sim/runs/{run_id}").json()["summary"]
    assert summary["requests_accepted"] == 1 and summary["requests_dialled"] == 1, summary


def test_request_put_during_the_final_commit_waits_and_is_refused(service):
    client, settings, state = service
    cid, _run_id, worker = _claimed_worker(client, settings, state, "race-commit")
    answers = []
    blocked = []

    def put_in_thread() -> None:
        t = threading.Thread(target=lambda: answers.append(_put(client, cid, "late-2")))
        t.start()
        t.join(1.0)  # the campaign's lock is held: the put must still be waiting
        blocked.append(t.is_alive())
        threads.append(t)

    threads: list[threading.Thread] = []
    worker.before_final_commit = put_in_thread
    assert worker.run() == "completed"
    threads[0].join(30)
    assert blocked == [True], "the put did not wait for the run's final transaction"
    assert answers[0].status_code == 409, answers[0].text
    assert answers[0].headers["x-amzn-ErrorType"] == "InvalidCampaignStateException"
    seen = _request_row(settings, cid, "late-2")
    assert seen["request"] is None and seen["pending"] == 0 and seen["campaign"] == "Completed", seen
