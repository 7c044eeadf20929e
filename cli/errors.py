"""How a command refuses its input: one line on stderr naming the command,
exit code 2 (never a traceback)."""

from __future__ import annotations

from typing import NoReturn

import typer


def usage_error(command: str, message: str) -> NoReturn:
    typer.echo(f"dialer {command}: error: {message}", err=True)
    raise typer.Exit(2)
