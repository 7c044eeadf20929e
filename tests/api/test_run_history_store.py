"""Which earlier runs a new run's caps count, and how their calls are read
(api/run_history.py), on SQLite and PostgreSQL without a server: the same
campaign and the campaigns tagged with the same subject on the same
instance, never another tenant's; events read from the run's own folder
only (finished: events.parquet; going: the live log); the result frozen by
the first attempt."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import update

from api import livelog, run_history
from campaigns import repository as repo
from campaigns.db import make_engine, migrate, session_factory, session_scope
from campaigns.models import Campaign, Run
from eventlog import EVENT_SCHEMA, iter_envelopes
from tests.databases import empty_database

START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
DEF = {
    "name": "hist",
    "connectInstanceId": "cc-1",
    "channelSubtypeConfig": {
        "telephony": {
            "outboundMode": {"progressive": {"bandwidthAllocation": 1.0}},
            "defaultOutboundConfig": {"connectContactFlowId": "flow"},
        }
    },
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def factory(request, tmp_path):
    url, schema = empty_database(request.param, tmp_path, "hist.sqlite")
    engine = make_engine(url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()
    if schema is not None:
        schema.close()


def _events(campaign_id: str, number: str, minutes: list[float], opt_out: bool = False) -> pa.Table:
    rows = []
    for k, m in enumerate(minutes):
        t0 = START + timedelta(minutes=m)
        rows.append(
            {
                "event_id": f"{campaign_id}-{number}-{k}",
                "time": t0 + timedelta(seconds=20),
                "event_type": "DISCONNECTED",
                "contact_id": f"{campaign_id}-{number}-{k}",
                "campaign_id": campaign_id,
                "customer_address": number,
                "initiation_ts": t0,
                "disconnect_ts": t0 + timedelta(seconds=20),
                "disconnect_reason": "TELECOM_TIMEOUT",
                "sim_opt_out": opt_out and k == len(minutes) - 1,
            }
        )
    return pa.Table.from_pylist([{c: r.get(c) for c in EVENT_SCHEMA.names} for r in rows], schema=EVENT_SCHEMA)


def _campaign(s, *, tenant: str = "t", instance: str = "cc-1", subject: str | None = None) -> str:
    tags = {run_history.SUBJECT_TAG: subject} if subject else None
    return repo.create_campaign(s, tenant=tenant, definition={**DEF, "connectInstanceId": instance}, tags=tags).id


def _run(s, root, campaign_id: str, subject: str | None, events: pa.Table | None, *, live: bool = False) -> str:
    campaign = repo.get_campaign(s, tenant=_tenant_of(s, campaign_id), campaign_id=campaign_id)
    tags = {run_history.SUBJECT_TAG: subject} if subject else {}
    doc = {"document": {"campaign": {**DEF, "tags": tags}, "simulation": {}}}
    run = repo.create_run(s, campaign=campaign, document=doc, seed=1, contact_count=0)
    if events is not None:
        folder = root / run.id / "attempt-1"
        folder.mkdir(parents=True)
        if live:
            w = livelog.LogWriter(folder / livelog.FILE_NAME)
            for env in iter_envelopes(events):
                w.write_line(json.dumps(env, default=str).encode())
            w.close()
        else:
            pq.write_table(events, folder / "events.parquet")
        run.events_dir = str(folder)
        run.status = "running" if live else "completed"
    s.flush()
    return run.id


def _tenant_of(s, campaign_id: str) -> str:
    return s.get(Campaign, campaign_id).tenant


MIAMI, TAMPA = "+13055550100", "+18135550100"


def test_the_same_campaign_and_the_same_subject_on_the_instance_count(factory, tmp_path):
    root = tmp_path / "runs"
    with session_scope(factory) as s:
        a = _campaign(s, subject="mortgage")
        b = _campaign(s, subject="mortgage")
        c = _campaign(s, subject="insurance")
        d = _campaign(s, instance="cc-2", subject="mortgage")
        e = _campaign(s, tenant="other", subject="mortgage")
        f = _campaign(s)  # no tag: its own subject
        a1 = _run(s, root, a, "mortgage", _events(a, MIAMI, [0, 10]))
        b1 = _run(s, root, b, "mortgage", _events(b, MIAMI, [20]), live=True)  # still going: its live log
        _run(s, root, c, "insurance", _events(c, MIAMI, [30]))
        _run(s, root, d, "mortgage", _events(d, MIAMI, [40]))
        _run(s, root, e, "mortgage", _events(e, MIAMI, [50]))
        _run(s, root, f, None, _events(f, MIAMI, [60]))
        _run(s, root, a, "mortgage", None)  # queued: no events yet
        new = _run(s, root, a, "mortgage", None)
        _run(s, root, b, "mortgage", _events(b, TAMPA, [5]))  # created after the new run
    with session_scope(factory) as s:
        calls = run_history.collect(s, s.get(Run, new), root)
    assert calls.runs == (a1, b1) and calls.unreadable == ()
    assert sorted(calls.history.times.tolist()) == [(START + timedelta(minutes=m)).timestamp() for m in (0, 10, 20)]
    assert set(calls.history.numbers.tolist()) == {13055550100}


def test_without_a_subject_tag_only_the_campaign_itself_counts(factory, tmp_path):
    root = tmp_path / "runs"
    with session_scope(factory) as s:
        a = _campaign(s)
        b = _campaign(s)
        a1 = _run(s, root, a, None, _events(a, MIAMI, [0], opt_out=True))
        _run(s, root, b, None, _events(b, MIAMI, [5]))
        new = _run(s, root, a, None, None)
    with session_scope(factory) as s:
        calls = run_history.collect(s, s.get(Run, new), root)
    assert calls.runs == (a1,) and calls.history.opted_out.tolist() == [True]


def test_an_events_dir_outside_the_run_folder_is_not_read(factory, tmp_path):
    root = tmp_path / "runs"
    with session_scope(factory) as s:
        a = _campaign(s)
        a1 = _run(s, root, a, None, _events(a, MIAMI, [0]))
        a2 = _run(s, root, a, None, _events(a, MIAMI, [1]))
        new = _run(s, root, a, None, None)
        # a1 points into a2's folder: a row cannot send the reader elsewhere.
        s.execute(update(Run).where(Run.id == a1).values(events_dir=str(root / a2 / "attempt-1")))
    with session_scope(factory) as s:
        calls = run_history.collect(s, s.get(Run, new), root)
    assert calls.unreadable == (a1,) and calls.runs == (a2,) and len(calls.history) == 1


def test_the_first_attempt_freezes_what_it_read(factory, tmp_path):
    root = tmp_path / "runs"
    with session_scope(factory) as s:
        a = _campaign(s)
        a1 = _run(s, root, a, None, _events(a, MIAMI, [0, 10, 20]), live=True)
        new = _run(s, root, a, None, None)
    with session_scope(factory) as s:
        first = run_history.earlier_calls(s, s.get(Run, new), root)
    assert (root / new / run_history.FILE_NAME).is_file()
    # The earlier run goes on (more calls in its log): a restarted attempt
    # of the new run still sees what the first attempt saw.
    w = livelog.LogWriter(root / a1 / "attempt-1" / livelog.FILE_NAME)
    for env in iter_envelopes(_events(a, TAMPA, [30])):
        w.write_line(json.dumps(env, default=str).encode())
    w.close()
    with session_scope(factory) as s:
        again = run_history.earlier_calls(s, s.get(Run, new), root)
        fresh = run_history.collect(s, s.get(Run, new), root)
    assert again.runs == first.runs == (a1,)
    assert again.history.times.tolist() == first.history.times.tolist() and len(again.history) == 3
    assert len(fresh.history) == 4
