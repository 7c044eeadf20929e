"""What one running service holds: settings, the database engine and session
factory, the API-key cache, the run supervisor and the metrics registry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from campaigns.db import make_engine, session_factory
from campaigns.files import private_dir
from campaigns.settings import Settings

if TYPE_CHECKING:
    from api.supervisor import Supervisor


class ServiceState:
    def __init__(self, settings: Settings):
        from api.auth import KeyCache
        from api.observability import Metrics

        self.settings = settings
        private_dir(settings.run_root)
        self.engine = make_engine(settings.url)
        self.factory = session_factory(self.engine)
        self.server_secret = settings.signing_secret()
        self.keys = KeyCache(self)
        self.metrics = Metrics()
        self.supervisor: Supervisor | None = None  # set by the app lifespan

    @contextmanager
    def session(self) -> Iterator[Session]:
        s = self.factory()
        try:
            yield s
            s.commit()
            for fn in s.info.pop("after_commit", []):
                fn()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()
