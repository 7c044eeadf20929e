"""``python -m cli ...`` is the ``dialer`` command."""

from cli.main import main

main()
