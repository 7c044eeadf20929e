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
    with pytest.raises(ValueError), session_scope(db) as s:
        keys.create_api_key(s, role="root", server_secret="srv")


def test_keys_command_creates_lists_and_revokes(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, DIALER_DATABASE_URL=f"sqlite:///{tmp_path}/keys.sqlite", DIALER_DATA_DIR=str(tmp_path))

    def dialer(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cli", "keys", *args], capture_output=True, text=True, env=env, timeout=60
        )

    created = dialer("create", "--role", "analyst", "--tenant", "acme")
    assert created.returncode == 0, created.stderr
    akid = next(w for w in created.stdout.split() if w.startswith("AKIA"))
    listed = dialer("list", "--tenant", "acme")
    assert listed.returncode == 0 and akid in listed.stdout and "active" in listed.stdout
    assert dialer("revoke", akid).returncode == 0
    assert "revoked" in dialer("list", "--tenant", "acme").stdout
