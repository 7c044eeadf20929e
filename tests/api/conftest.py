"""A real ``dialer serve`` process per database, keys for it, and clients."""

from __future__ import annotations

import pytest
from api_helpers import Server

from api.testing import ServerProcess, make_keys
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
