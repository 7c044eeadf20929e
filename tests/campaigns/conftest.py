import pytest

from tests.databases import empty_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A migrated-ready, empty database: a SQLite file, or a fresh schema on
    the PostgreSQL of DIALER_TEST_POSTGRES_URL (skipped when unset/unreachable)."""
    url, schema = empty_database(request.param, tmp_path, "test.sqlite")
    try:
        yield url
    finally:
        if schema is not None:
            schema.close()


@pytest.fixture
def db(db_url):
    from campaigns.db import make_engine, migrate, session_factory

    engine = make_engine(db_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()
