"""Request logging is at the level docs/service.md states: one JSON access
line per request at INFO on ``api.access`` (route template, no query
string), none at WARNING."""

from __future__ import annotations

import json

import httpx
import pytest

from api.testing import ServerProcess, make_keys


@pytest.mark.parametrize(("level", "expected"), [("INFO", 1), ("WARNING", 0)])
def test_access_log_level(tmp_path, level, expected):
    url = f"sqlite:///{tmp_path / 'dialer.sqlite'}"
    (key,) = make_keys(url, ("analyst", "default"))
    proc = ServerProcess(data_dir=tmp_path, database_url=url, extra_env={"DIALER_LOG_LEVEL": level}).start()
    try:
        r = httpx.get(
            proc.url + "/sim/runs/some-run",
            params={"secret": "+12125550100"},
            headers={"Authorization": f"Bearer {key.bearer}"},
        )
        assert r.status_code == 422  # not a parameter of this operation (api/query_guard.py)
    finally:
        proc.stop()
    lines = [json.loads(x) for x in proc.log_path.read_text().splitlines() if x.startswith("{")]
    access = [x for x in lines if x.get("logger") == "api.access" and x.get("route") == "/sim/runs/{run_id}"]
    assert len(access) == expected, lines
    for x in access:
        assert x["level"] == "INFO" and x["status"] == 422 and x["method"] == "GET"
        assert "secret" not in json.dumps(x) and "2125550100" not in json.dumps(x)
