"""Service settings: one object, read from the environment (``DIALER_*``).

pydantic-settings is not a dependency, so this is a plain pydantic model
filled from ``os.environ``; ``Settings.from_env()`` is the only constructor
the service uses, and tests pass explicit values.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator

from campaigns.files import private_dir

_PREFIX = "DIALER_"


class Settings(BaseModel):
    """Everything the service reads from its environment."""

    database_url: str | None = None  # None: sqlite file under data_dir
    data_dir: Path = Path("./data")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # Where run outputs go (events.parquet, events.jsonl, summary.json).
    runs_dir: Path | None = None
    # Secret that derives the SigV4 secret access keys (never stored in the DB).
    secret_key: str | None = None
    # AWS-style region and account shown in ARNs.
    region: str = "us-east-1"
    # A run found interrupted at start-up is restarted up to this many times
    # (the engine is deterministic, so a restart gives the same events), then failed.
    max_run_attempts: int = Field(default=3, ge=1)
    resume_interrupted: bool = True
    # Maximum simultaneous worker processes; later starts queue.
    max_workers: int = Field(default=4, ge=1)
    # A run's lease: the worker renews it with its heartbeat (every fifth of
    # the lease); a run whose lease has expired is taken over by any server.
    run_lease_seconds: float = Field(default=15.0, ge=1.0, le=3600.0)
    # Where runs execute: unset = local worker processes; tcp://host:8786 =
    # a Dask distributed scheduler (the workers need this package and
    # access to the database and to runs_dir).
    run_scheduler: str | None = None
    # This server's name in run leases (default hostname:pid).
    replica_id: str | None = None
    log_level: str = "INFO"
    log_json: bool = True
    # Allowed clock skew for SigV4 requests.
    sigv4_max_skew_seconds: int = 900

    @field_validator("runs_dir", mode="before")
    @classmethod
    def _local_runs_dir(cls, value: Any) -> Any:
        if isinstance(value, str) and "://" in value:
            raise ValueError(
                f"DIALER_RUNS_DIR must be a directory path (shared by every server and worker), got {value!r}; "
                "object-store URLs are not read directly: mount the bucket and give its mount point"
            )
        return value

    @field_validator("run_scheduler")
    @classmethod
    def _scheduler_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("tcp://", "tls://", "inproc://", "ws://", "wss://")):
            raise ValueError(
                f"DIALER_RUN_SCHEDULER must be a Dask scheduler address such as tcp://host:8786, got {value!r}"
            )
        return value

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            key = _PREFIX + name.upper()
            if key in env and env[key] != "":
                values[name] = env[key]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)

    @property
    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'dialer.sqlite').resolve()}"

    @property
    def run_root(self) -> Path:
        return (self.runs_dir or (self.data_dir / "runs")).resolve()

    def signing_secret(self) -> str:
        """The server secret, from DIALER_SECRET_KEY or a 0600 file in data_dir
        (created on first use)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if path.exists():
            os.chmod(path, 0o600)  # narrow a key file made by an older release
            return path.read_text().strip()
        private_dir(path.parent)
        value = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(value)
        return value
