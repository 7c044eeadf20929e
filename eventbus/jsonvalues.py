"""JSON parsing that keeps what EventBridge's matcher looks at: the text of
each number (``5`` and ``5.0`` compare equal as numbers but not as text) and
the difference between ``true`` and ``1`` (Python's ``bool`` is an ``int``)."""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any


class Num(float):
    """A JSON number with its source text."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> Num:
        obj = super().__new__(cls, float(text))
        obj.text = text
        return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}': enable JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS to allow")


def loads(text: str) -> Any:
    """``json.loads`` with ``Num`` numbers; duplicate keys keep the last value,
    as EventBridge does when it compiles a pattern."""
    return json.loads(text, parse_int=Num, parse_float=Num, parse_constant=_reject_constant)


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def number_text(v: Any) -> str:
    if isinstance(v, Num):
        return v.text
    return repr(v) if isinstance(v, float) else str(v)


def comparable(v: Any) -> float | None:
    """The value of a number as a double, or None when a double cannot hold
    it exactly (EventBridge refuses to compare such numbers)."""
    text = number_text(v)
    try:
        as_decimal = Decimal(text)
        value = float(as_decimal)
    except (InvalidOperation, ValueError, OverflowError):
        return None
    if math.isnan(value) or math.isinf(value) or Decimal(repr(value)) != as_decimal:
        return None
    return value


def jackson_reason(exc: json.JSONDecodeError, text: str) -> str:
    """A reason worded like the Java parser AWS uses (first line only)."""
    pos = exc.pos
    ch = text[pos] if pos < len(text) else ""
    if exc.msg.startswith("Expecting property name enclosed in double quotes") and ch:
        return f"Unexpected character ('{ch}' (code {ord(ch)})): was expecting double-quote to start field name"
    if exc.msg.startswith("Expecting value") and ch and (ch.isalpha() or ch == "_"):
        end = pos
        while end < len(text) and (text[end].isalnum() or text[end] == "_"):
            end += 1
        token = text[pos:end]
        return (
            f"Unrecognized token '{token}': was expecting (JSON String, Number, Array, Object "
            "or token 'null', 'true' or 'false')"
        )
    if not ch:
        return "Unexpected end-of-input"
    return f"Unexpected character ('{ch}' (code {ord(ch)})): {exc.msg}"
