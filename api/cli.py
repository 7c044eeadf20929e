"""``dialer serve`` and ``dialer keys``."""

from __future__ import annotations

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from campaigns.files import private_umask
from campaigns.settings import Settings


def _state(database_url: str | None) -> tuple[Settings, Engine, sessionmaker[Session]]:
    from campaigns.db import make_engine, migrate, session_factory

    settings = Settings.from_env(database_url=database_url)
    engine = make_engine(settings.url)
    migrate(engine)
    return settings, engine, session_factory(engine)


def register(app: typer.Typer) -> None:
    keys = typer.Typer(help="Manage API keys (bearer keys and SigV4 access keys).", no_args_is_help=True)

    @app.command()
    def serve(
        host: str = typer.Option(None, help="Interface to bind (default 127.0.0.1, DIALER_HOST)."),
        port: int = typer.Option(None, help="Port (default 8000, DIALER_PORT)."),
        database_url: str = typer.Option(None, help="SQLAlchemy URL (default: SQLite file ./data/dialer.sqlite)."),
        log_level: str = typer.Option(None, help="Log level (INFO)."),
        scheduler: str = typer.Option(
            None,
            help="Dask scheduler that runs execute on, tcp://host:8786 (default: local worker processes; DIALER_RUN_SCHEDULER).",
        ),
    ) -> None:
        """Run the HTTP API (Connect v2/v1 and the native /sim API).

        Several servers may share one PostgreSQL database (replicas: runs are
        claimed with leases); a SQLite database serves one server only."""
        import uvicorn
        from pydantic import ValidationError

        from api.app import create_app

        private_umask()  # files of the server and its workers: owner-only (docs/service.md)
        try:
            settings = Settings.from_env(
                database_url=database_url, host=host, port=port, log_level=log_level, run_scheduler=scheduler
            )
        except ValidationError as exc:
            for err in exc.errors():
                typer.echo(f"error: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}", err=True)
            raise typer.Exit(2) from None
        application = create_app(settings, freeze_gc=True)
        uvicorn.run(
            application,
            host=settings.host,
            port=settings.port,
            access_log=False,
            log_config=None,
            timeout_graceful_shutdown=10,
        )

    @keys.command("create")
    def keys_create(
        role: str = typer.Option(..., help="manager (configure, start, stop) or analyst (read runs, events, reports)."),
        tenant: str = typer.Option("default", help="Tenant the key belongs to; tenants never see each other's data."),
        name: str = typer.Option(None, help="A label for the key."),
        database_url: str = typer.Option(
            None, help="SQLAlchemy URL (default: DIALER_DATABASE_URL or the SQLite file)."
        ),
    ) -> None:
        """Create a key and print it once (it is stored hashed)."""
        from api import keys as api_keys  # the command's implementation: loaded when it runs (cli/main.py)
        from campaigns.db import session_scope

        settings, _engine, factory = _state(database_url)
        try:
            with session_scope(factory) as s:
                key = api_keys.create_api_key(
                    s, role=role, tenant=tenant, server_secret=settings.signing_secret(), name=name
                )
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"api key (bearer):      {key.bearer}")
        typer.echo(f"aws_access_key_id:     {key.access_key_id}")
        typer.echo(f"aws_secret_access_key: {key.secret_access_key}")
        typer.echo(f"role: {key.role}  tenant: {key.tenant}")
        typer.echo("Store these now: they are not shown again.", err=True)

    @keys.command("list")
    def keys_list(database_url: str = typer.Option(None), tenant: str = typer.Option(None)) -> None:
        """List keys (ids, roles, tenants; never secrets)."""
        from api import keys as api_keys  # the command's implementation: loaded when it runs (cli/main.py)
        from campaigns.db import session_scope

        _settings, _engine, factory = _state(database_url)
        with session_scope(factory) as s:
            for k in api_keys.list_api_keys(s, tenant=tenant):
                status = "revoked" if k.revoked_at else "active"
                typer.echo(f"{k.access_key_id}  {k.role:8s} {k.tenant:16s} {status:8s} {k.name or ''}")

    @keys.command("revoke")
    def keys_revoke(access_key_id: str, database_url: str = typer.Option(None)) -> None:
        """Revoke a key by its access key id."""
        from api import keys as api_keys  # the command's implementation: loaded when it runs (cli/main.py)
        from campaigns.db import session_scope

        _settings, _engine, factory = _state(database_url)
        with session_scope(factory) as s:
            ok = api_keys.revoke_api_key(s, access_key_id=access_key_id)
        if not ok:
            typer.echo(f"no active key {access_key_id}", err=True)
            raise typer.Exit(1)
        typer.echo(f"revoked {access_key_id}")

    app.add_typer(keys, name="keys")
