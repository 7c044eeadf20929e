"""Query parameters an operation does not take, or repeats of one it takes
once, are refused with the parameter named (api/query_guard.py); FastAPI
alone ignored the first and kept the last of the second."""

from __future__ import annotations

import pytest

from api.query_guard import declared_query
from api.routes_runs import router as runs_router


@pytest.fixture
def client(in_process_service):
    return in_process_service[0]


def _fields(resp) -> dict[str, str]:
    return {d["field"]: d["message"] for d in resp.json()["details"]}


def test_a_misspelt_parameter_is_refused_not_ignored(client):
    assert client.get("/sim/runs", params={"status": "running"}).status_code == 200
    resp = client.get("/sim/runs", params={"statuss": "running"})
    assert resp.status_code == 422
    assert "not a parameter of this operation" in _fields(resp)["statuss"]
    assert "status" in _fields(resp)["statuss"]  # the ones it takes are listed


def test_a_parameter_with_no_name_is_refused(client):
    resp = client.get("/sim/runs?=0.10456")
    assert resp.status_code == 422
    assert "(a parameter with no name)" in _fields(resp)


def test_a_single_valued_parameter_given_twice_is_refused(client):
    resp = client.get("/sim/runs?limit=2&limit=3")
    assert resp.status_code == 422
    assert "given 2 times" in _fields(resp)["limit"]


def test_connect_paths_answer_a_validation_exception(client):
    resp = client.get("/v2/campaigns/does-not-exist?unknown=1")
    assert resp.status_code == 400
    assert resp.headers["x-amzn-ErrorType"].startswith("ValidationException")
    assert "unknown" in resp.json()["message"]


def test_a_list_parameter_may_repeat():
    (untag,) = [r for r in _v2_routes() if r.path_format == "/v2/tags/{arn}" and "DELETE" in r.methods]
    assert declared_query(untag) == {"tagKeys": True}
    (list_runs,) = [
        r for r in runs_router.routes if getattr(r, "path_format", "") == "/sim/runs" and "GET" in r.methods
    ]
    assert declared_query(list_runs)["limit"] is False


def test_repeated_tag_keys_reach_the_operation(client):
    resp = client.delete("/v2/tags/arn:aws:connect-campaigns:us-west-2:000000000000:campaign/nope?tagKeys=a&tagKeys=b")
    assert "given 2 times" not in resp.text  # refused for the unknown campaign, not for the repeat


def _v2_routes():
    from api.routes_v2 import router

    return router.routes
