"""Helpers for tests and benchmarks: a throwaway PostgreSQL schema, a real
``dialer serve`` process on a free port, and keys for it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from api.keys import NewKey

PG_ENV = "DIALER_TEST_POSTGRES_URL"
SECRET = "test-server-secret"


def postgres_base_url() -> tuple[str | None, str]:
    """(url, reason): url is None when PostgreSQL tests must be skipped."""
    url = os.environ.get(PG_ENV)
    if not url:
        return None, f"{PG_ENV} is not set"
    try:
        from sqlalchemy import create_engine, text

        eng = create_engine(url, connect_args={"connect_timeout": 3})
        with eng.connect() as c:
            c.execute(text("SELECT 1"))
        eng.dispose()
    except Exception as exc:  # unreachable server, missing driver
        return None, f"PostgreSQL at {PG_ENV} is unreachable: {type(exc).__name__}"
    return url, ""


def with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


class PgSchema:
    """A fresh schema, dropped on close; ``url`` points its search_path at it."""

    def __init__(self, base_url: str):
        from sqlalchemy import create_engine

        self.base_url = base_url
        self.schema = "t_" + uuid.uuid4().hex[:12]
        self._admin = create_engine(base_url)
        with self._admin.begin() as c:
            c.exec_driver_sql(f'CREATE SCHEMA "{self.schema}"')
        self.url = with_search_path(base_url, self.schema)

    def close(self) -> None:
        with self._admin.begin() as c:
            c.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        self._admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]  # typeshed: getsockname() -> Any (its shape depends on the family)
        return port


def make_keys(url: str, *specs: tuple[str, str], secret: str = SECRET) -> list[NewKey]:
    """Create keys (role, tenant) directly in the database."""
    from api import keys
    from campaigns.db import make_engine, migrate, session_factory, session_scope

    engine = make_engine(url)
    migrate(engine)
    out = []
    with session_scope(session_factory(engine)) as s:
        for role, tenant in specs:
            out.append(keys.create_api_key(s, role=role, tenant=tenant, server_secret=secret))
    engine.dispose()
    return out


@dataclass
class ServerProcess:
    """``dialer serve`` in its own process group (so a test can SIGKILL the
    server and its workers together)."""

    data_dir: Path
    database_url: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        env = dict(os.environ)
        env.update(
            DIALER_DATA_DIR=str(self.data_dir),
            DIALER_DATABASE_URL=self.database_url,
            DIALER_SECRET_KEY=SECRET,
            DIALER_LOG_LEVEL="WARNING",
        )
        env.update(self.extra_env)  # may override the defaults above
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.log_path = self.data_dir / f"server-{self.port}.log"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - held until stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(self.port)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()
        self.proc = None

    def kill_group(self) -> None:
        """SIGKILL the server and every worker it started."""
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self._log.close()
            self.proc = None
