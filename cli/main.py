"""The ``dialer`` command line: a table of contents. Each command module has
a ``register(app)`` function.

Start-up: a command module imports what its command runs (the engine,
pyarrow, Dask, matplotlib) inside the command function, not at its top, so
``dialer --help`` and ``dialer audit`` do not load the rest: measured, 0.5 s
for ``dialer --help`` this way against 1.5-3 s with every implementation
imported at start. Those are the only imports inside functions in this
package."""

from __future__ import annotations

import typer

from api import cli as api_commands
from cli import analysis as analysis_commands
from cli import audit as compliance_commands
from cli import calibrate as calibrate_commands
from cli import compare as compare_commands
from cli import explain as explain_commands
from cli import simulate as simulate_commands
from cli import staff as staff_commands

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


# What each package adds: simulate; audit and explain; serve and keys; sweep and plot; staff; calibrate; compare.
for _register in (
    simulate_commands.register,
    compliance_commands.register,
    explain_commands.register,
    api_commands.register,
    analysis_commands.register,
    staff_commands.register,
    calibrate_commands.register,
    compare_commands.register,
):
    _register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
