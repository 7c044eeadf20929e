"""A real ``dialer serve`` process per database, keys for it, and clients."""

from __future__ import annotations

import pytest

from api.testing import PgSchema, ServerProcess, make_keys, postgres_base_url
from api_helpers import Server


def _server(tmp_path_factory, kind: str):
    data = tmp_path_factory.mktemp(f"srv-{kind}")
    schema = None
    if kind == "sqlite":
        url = f"sqlite:///{data / 'dialer.sqlite'}"
    else:
        base, reason = postgres_base_url()
        if base is None:
            pytest.skip(reason)
        schema = PgSchema(base)
        url = schema.url
    keys = dict(zip(("manager", "analyst", "other"), make_keys(url, ("manager", "default"), ("analyst", "default"), ("manager", "other"))))
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
