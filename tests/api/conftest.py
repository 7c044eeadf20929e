"""A real ``dialer serve`` process per database, keys for it, and clients."""

from __future__ import annotations

import pytest
from api_helpers import Server
from fastapi.testclient import TestClient

from api.app import create_app
from api.testing import SECRET, ServerProcess, make_keys
from campaigns.settings import Settings
from tests.databases import empty_database


def _server(tmp_path_factory, kind: str):
    data = tmp_path_factory.mktemp(f"srv-{kind}")
    url, schema = empty_database(kind, data)
    keys = dict(
        zip(
            ("manager", "analyst", "other"),
            make_keys(url, ("manager", "default"), ("analyst", "default"), ("manager", "other")),
            strict=False,
        )
    )
    proc = ServerProcess(data_dir=data, database_url=url).start()
    return Server(proc, keys), schema


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request, tmp_path_factory):
    """A server on each database (PostgreSQL skipped when unavailable)."""
    srv, schema = _server(tmp_path_factory, request.param)
    yield srv
    srv.proc.stop()
    if schema is not None:
        schema.close()


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory):
    srv, _ = _server(tmp_path_factory, "sqlite")
    yield srv
    srv.proc.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def in_process_service(request, tmp_path):
    """The app in this test's process, no supervisor, so that a test can run
    a ``Worker`` itself at the moments it needs: (client, settings, state)."""
    url, schema = empty_database(request.param, tmp_path)
    (key,) = make_keys(url, ("manager", "default"))
    settings = Settings(data_dir=tmp_path, database_url=url, secret_key=SECRET, run_lease_seconds=60)
    app = create_app(settings, supervise=False, configure_logging=False)
    with TestClient(app, headers={"Authorization": f"Bearer {key.bearer}"}) as client:
        yield client, settings, app.state.svc
    if schema is not None:
        schema.close()
