"""The one error of number geography."""


class LocalTimeError(ValueError):
    """A number, zone or postcode that cannot give a local time."""
