"""Schemathesis, from the service's own OpenAPI description: no input gives
a 5xx (a few examples per operation, against the real server)."""

from __future__ import annotations

import tempfile

import schemathesis
from hypothesis import HealthCheck, Phase, settings

from api.app import create_app
from campaigns.settings import Settings

_spec = create_app(
    Settings(data_dir=tempfile.mkdtemp(prefix="dialer-spec-"), secret_key="spec-only"), supervise=False, configure_logging=False
).openapi()
schema = schemathesis.openapi.from_dict(_spec).exclude(path_regex=r".*/stream$")


@schema.parametrize()
@settings(max_examples=5, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, sqlite_server):
    who = "manager"
    r = case.call(base_url=sqlite_server.url, headers={"Authorization": f"Bearer {sqlite_server.keys[who].bearer}"}, timeout=30)
    assert r.status_code < 500, f"{case.method} {case.path} -> {r.status_code}: {r.text[:500]}"
