"""API keys: stored hashed, derived SigV4 secrets, bearer form, revocation."""

from __future__ import annotations

import pytest

from api import keys
from campaigns.db import make_engine, migrate, session_factory, session_scope
from tests.databases import empty_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path):
    url, schema = empty_database(request.param, tmp_path, "keys.sqlite")
    engine = make_engine(url)
    try:
        migrate(engine)
        yield session_factory(engine)
    finally:
        engine.dispose()
        if schema is not None:
            schema.close()


def test_api_keys_are_stored_hashed(db):
    with session_scope(db) as s:
        k = keys.create_api_key(s, role="manager", tenant="t", server_secret="srv")
    with session_scope(db) as s:
        row = keys.get_api_key(s, access_key_id=k.access_key_id)
        assert row.secret_hash == keys.hash_secret(k.secret_access_key)
        assert k.secret_access_key not in (row.secret_hash, row.access_key_id)
        assert keys.derive_secret("srv", k.access_key_id) == k.secret_access_key
        assert keys.parse_bearer(k.bearer) == (k.access_key_id, k.secret_access_key)
        assert keys.revoke_api_key(s, access_key_id=k.access_key_id)
    with session_scope(db) as s:
        assert keys.get_api_key(s, access_key_id=k.access_key_id) is None
    with pytest.raises(ValueError):
        with session_scope(db) as s:
            keys.create_api_key(s, role="root", server_secret="srv")
