"""Persistence on both databases: migrations, campaigns, tags, tenants,
outbound-request idempotency, contact lists, runs, API keys."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect

from campaigns import repository as repo
from campaigns.contacts import ZoneSettings, from_rows
from campaigns.db import migrate, session_scope
from tests.campaigns.definitions import progressive_campaign

DEF = progressive_campaign("c1")


def test_migrations_create_every_table_and_are_idempotent(db):
    engine = db.kw["bind"]
    migrate(engine)  # second time: no-op
    names = set(inspect(engine).get_table_names())
    assert {
        "api_keys",
        "campaigns",
        "campaign_tags",
        "contact_centers",
        "contact_lists",
        "contacts",
        "outbound_requests",
        "runs",
        "alembic_version",
    } <= names


def test_campaign_round_trip_with_tags(db):
    with session_scope(db) as s:
        c = repo.create_campaign(s, tenant="t1", definition=dict(DEF), tags={"b": "2", "a": "1"})
        cid = c.id
    with session_scope(db) as s:
        c = repo.get_campaign(s, tenant="t1", campaign_id=cid)
        assert c.definition == DEF
        assert c.state == "Initialized"
        assert repo.tags_of(c) == {"a": "1", "b": "2"}
        assert c.last_modified.tzinfo is not None
        repo.set_tags(s, campaign=c, tags={"a": "9", "c": "3"})
        repo.remove_tags(s, campaign=c, keys=["b"])
    with session_scope(db) as s:
        assert repo.tags_of(repo.get_campaign(s, tenant="t1", campaign_id=cid)) == {"a": "9", "c": "3"}


def test_tenants_are_isolated(db):
    with session_scope(db) as s:
        cid = repo.create_campaign(s, tenant="t1", definition=dict(DEF)).id
    with session_scope(db) as s:
        with pytest.raises(repo.NotFound):
            repo.get_campaign(s, tenant="t2", campaign_id=cid)
        assert repo.list_campaigns(s, tenant="t2").items == []
        assert repo.campaigns_by_ids(s, tenant="t2", ids=[cid]) == {}


def test_list_pagination_and_instance_filter(db):
    with session_scope(db) as s:
        for i in range(7):
            repo.create_campaign(
                s, tenant="t", definition={**DEF, "name": f"c{i}", "connectInstanceId": "a" if i % 2 else "b"}
            )
    with session_scope(db) as s:
        seen, token = [], None
        while True:
            page = repo.list_campaigns(s, tenant="t", limit=3, token=token)
            seen += [c.name for c in page.items]
            token = page.next_token
            if token is None:
                break
        assert sorted(seen) == [f"c{i}" for i in range(7)]
        assert len(set(seen)) == 7
        assert {c.instance_id for c in repo.list_campaigns(s, tenant="t", instance_id="a").items} == {"a"}
        with pytest.raises(repo.BadPageToken):
            repo.list_campaigns(s, tenant="t", token="garbage!")


def test_outbound_requests_are_idempotent_by_client_token(db):
    exp = datetime(2030, 1, 1, tzinfo=UTC)
    with session_scope(db) as s:
        c = repo.create_campaign(s, tenant="t", definition=dict(DEF))
        a = repo.put_outbound_request(
            s, campaign=c, client_token="tok", phone="+12125550100", expiration_time=exp, attributes={}
        )
        b = repo.put_outbound_request(
            s, campaign=c, client_token="tok", phone="+12125550199", expiration_time=exp, attributes={}
        )
        assert a.created and not b.created and a.id == b.id
        repo.put_outbound_request(
            s, campaign=c, client_token="tok2", phone="+12125550101", expiration_time=exp, attributes=None
        )
        cid = c.id
    with session_scope(db) as s:
        pending = repo.pending_requests(s, campaign_id=cid)
        assert [p.client_token for p in pending] == ["tok", "tok2"]
        assert pending[0].phone == "+12125550100"
        assert pending[0].expiration_time == exp
        repo.mark_dispatched(s, request_ids=[pending[0].id], run_id="r")
    with session_scope(db) as s:
        assert [p.client_token for p in repo.pending_requests(s, campaign_id=cid)] == ["tok2"]


def test_contact_list_keeps_good_rows_and_reports_bad(db):
    rows = [
        {"phone": "(212) 555-0100"},
        {"phone": "not a number"},
        {"phone": "+44 20 7946 0018", "time_zone": "Europe/London"},
    ]
    contacts = from_rows(rows, ZoneSettings(default_region="US"))
    with session_scope(db) as s:
        lst = repo.create_contact_list(s, tenant="t", name="l", default_region="US", contacts=contacts)
        lid = lst.id
    with session_scope(db) as s:
        lst = repo.get_contact_list(s, tenant="t", list_id=lid)
        assert lst.contact_count == 2 and lst.rejected_count == 1
        assert lst.rejected["rows"][0]["row"] == 2 and lst.rejected["rows"][0]["value"] == "not a number"
        got = repo.list_contacts(s, list_id=lid).items
        assert [c.phone for c in got] == ["+12125550100", "+442079460018"]
        assert got[0].time_zone == "America/New_York"
        assert got[1].time_zone == "Europe/London"
        with pytest.raises(repo.NotFound):
            repo.get_contact_list(s, tenant="other", list_id=lid)


def test_contact_center_upsert(db):
    with session_scope(db) as s:
        _, created = repo.put_contact_center(s, tenant="t", instance_id="cc", simulation={"agents": {"count": 3}})
        assert created
        _, created = repo.put_contact_center(s, tenant="t", instance_id="cc", simulation={"agents": {"count": 4}})
        assert not created
    with session_scope(db) as s:
        assert repo.get_contact_center(s, tenant="t", instance_id="cc").simulation == {"agents": {"count": 4}}
        assert repo.get_contact_center(s, tenant="u", instance_id="cc", missing_ok=True) is None


def test_runs_progress_and_lookup(db):
    with session_scope(db) as s:
        c = repo.create_campaign(s, tenant="t", definition=dict(DEF))
        r = repo.create_run(s, campaign=c, document={"document": {}}, seed=7, contact_count=3)
        rid, cid = r.id, c.id
    with session_scope(db) as s:
        r = repo.get_run(s, tenant="t", run_id=rid)
        assert r.status == "queued" and r.seed == 7 and r.progress == 0.0
        r.sim_done_s, r.sim_total_s, r.status = 50.0, 100.0, "running"
        assert repo.active_run(s, campaign_id=cid).id == rid
    with session_scope(db) as s:
        assert repo.get_run(s, tenant="t", run_id=rid).progress == 0.5
        assert repo.list_runs(s, tenant="t", status="running").total == 1
        with pytest.raises(repo.NotFound):
            repo.get_run(s, tenant="x", run_id=rid)
