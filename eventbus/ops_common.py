"""What every EventBridge operation shares: AWS's errors, name checks,
pattern checks and paging."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from eventbus.pattern import MAX_PATTERN_CHARS, InvalidPatternError, Pattern, compile_pattern
from eventbus.runtime import ServerRuntime
from eventbus.store import Store

NAME = re.compile(r"^[\.\-_A-Za-z0-9]{1,64}$")
BUS_NAME = re.compile(r"^[/\.\-_A-Za-z0-9]{1,256}$")


class EventsError(Exception):
    STATUS: ClassVar[dict[str, int]] = {"ResourceNotFoundException": 400, "InternalException": 500}

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return self.STATUS.get(self.code, 400)


def validation(msg: str) -> EventsError:
    return EventsError("ValidationException", msg)


def not_found(msg: str) -> EventsError:
    return EventsError("ResourceNotFoundException", msg)


def check_name(body: dict[str, Any], field: str, pattern: re.Pattern[str] = NAME) -> str:
    """A required name member, checked against AWS's pattern for it."""
    v = body.get(field)
    if v is None:
        raise validation(
            f"1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
        )
    if not isinstance(v, str) or not pattern.match(v):
        where = field[:1].lower() + field[1:]
        raise validation(
            f"1 validation error detected: Value {v!r} at '{where}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {pattern.pattern.strip('^$').replace('{1,64}', '+').replace('{1,256}', '+')}"
        )
    return v


def pattern_text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise validation("EventPattern must be a string")
    if len(raw) > MAX_PATTERN_CHARS:
        raise validation(
            f"1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to {MAX_PATTERN_CHARS}"
        )
    try:
        compile_pattern(raw)
    except InvalidPatternError as exc:
        raise EventsError("InvalidEventPatternException", str(exc)) from None
    return raw


def compile_or_raise(raw: Any) -> Pattern:
    if not isinstance(raw, str):
        raise validation("EventPattern must be a string")
    if len(raw) > MAX_PATTERN_CHARS:
        raise validation(
            f"1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to {MAX_PATTERN_CHARS}"
        )
    try:
        return compile_pattern(raw)
    except InvalidPatternError as exc:
        raise EventsError("InvalidEventPatternException", str(exc)) from None


def page(body: dict[str, Any], key: str, items: list[Any]) -> dict[str, Any]:
    limit = body.get("Limit") or 100
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise validation(f"Limit must be 1..100, got {limit!r}")
    token = body.get("NextToken")
    start = 0
    if token:
        try:
            start = int(token)
        except ValueError:
            raise validation(f"NextToken {token!r} is not valid") from None
    out: dict[str, Any] = {key: items[start : start + limit]}
    if start + limit < len(items):
        out["NextToken"] = str(start + limit)
    return out


class OpsBase:
    """What every group of operations uses: the tenant's runtime, store and
    account (set by ``Operations``), its ARNs and its bus names."""

    rt: ServerRuntime
    store: Store
    tenant: str
    region: str
    account: str

    def _arn(self, kind: str, name: str) -> str:
        return f"arn:aws:events:{self.region}:{self.account}:{kind}/{name}"

    def _bus_name(self, body: dict[str, Any], field: str = "EventBusName") -> str:
        raw = body.get(field) or "default"
        if not isinstance(raw, str):
            raise validation(f"{field} must be a string")
        if raw.startswith("arn:"):
            prefix = f"arn:aws:events:{self.region}:{self.account}:event-bus/"
            if not raw.startswith(prefix):
                raise not_found(f"Event bus {raw} does not exist.")
            raw = raw[len(prefix) :]
        if raw != "default" and self.store.get(tenant=self.tenant, kind="bus", name=raw) is None:
            raise not_found(f"Event bus {raw} does not exist.")
        return raw
