import pytest

from api.testing import PgSchema, postgres_base_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A migrated-ready, empty database: a SQLite file, or a fresh schema on
    the PostgreSQL of DIALER_TEST_POSTGRES_URL (skipped when unset/unreachable)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
        return
    base, reason = postgres_base_url()
    if base is None:
        pytest.skip(reason)
    schema = PgSchema(base)
    try:
        yield schema.url
    finally:
        schema.close()


@pytest.fixture
def db(db_url):
    from campaigns.db import make_engine, migrate, session_factory

    engine = make_engine(db_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()
