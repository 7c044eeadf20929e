"""Phone numbers in E.164 form, parsed and validated by phonenumbers."""

from __future__ import annotations

import phonenumbers

from phonegeo.errors import LocalTimeError


def normalise_number(raw: str, default_region: str = "US") -> str:
    """E.164 form of a number written in E.164 or national format."""
    text = str(raw).strip()
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException as exc:
        raise LocalTimeError(f"not a phone number: {raw!r} ({exc})") from None
    if not phonenumbers.is_valid_number(parsed):
        raise LocalTimeError(f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
