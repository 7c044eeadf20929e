"""The ``dialer`` command: the top floor, which assembles each package's
commands (``register(app)``) and may import every layer below."""
