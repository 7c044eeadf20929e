"""The database a test runs on: a SQLite file, or a throwaway schema on the
PostgreSQL of DIALER_TEST_POSTGRES_URL (the test is skipped, saying why,
when that is unset or unreachable)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from api.testing import PgSchema, postgres_base_url
from campaigns.db import make_engine, migrate


def empty_database(kind: str, directory: Path, filename: str = "dialer.sqlite") -> tuple[str, PgSchema | None]:
    """(url, schema): ``schema`` is the PostgreSQL schema to close after the
    test, None for SQLite."""
    if kind == "sqlite":
        return f"sqlite:///{directory / filename}", None
    base, reason = postgres_base_url()
    if base is None:
        pytest.skip(reason)
    schema = PgSchema(base)
    return schema.url, schema


@contextmanager
def migrated_postgres(directory: Path) -> Iterator[str]:
    """The URL of a fresh PostgreSQL schema with the project's migrations
    applied (skipped when PostgreSQL is not configured); dropped after."""
    url, schema = empty_database("postgres", directory)
    assert schema is not None
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    try:
        yield url
    finally:
        schema.close()
