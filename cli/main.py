"""The ``dialer`` command line. Each package adds its own commands through a
``register(app)`` function, so this file stays a table of contents."""

from __future__ import annotations

import typer

from analysis import cli as analysis_commands
from api import cli as api_commands
from compliance import cli as compliance_commands
from dialer import cli_simulate as simulate_commands

app = typer.Typer(
    name="dialer",
    help="Simulate outbound contact-center campaigns run by a predictive dialer.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Simulate outbound contact-center campaigns run by a predictive dialer."""


# What each package adds: simulate; audit and explain; serve and keys; sweep and plot.
for _register in (simulate_commands.register, compliance_commands.register, api_commands.register, analysis_commands.register):
    _register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
