"""The ``dialer`` command line. Each package adds its own commands through a
``register(app)`` function, so this file stays a table of contents."""

from __future__ import annotations

import importlib

import typer

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


# (module, what it adds): simulate; audit; serve and keys; sweep and plot.
_COMMAND_MODULES = ("dialer.cli_simulate", "compliance.cli", "api.cli", "analysis.cli")

for _name in _COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a package still being built
        if exc.name != _name:
            raise
        continue
    _module.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
