"""The audit's result: one named record per rule checked (``RuleResult``)
and the report that holds them, with its JSON and text renderings."""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

# Raised whenever the same events can give another report (a rule changed,
# rows left out): stored reports (the service's per-run cache) of an older
# version are recomputed, not served. 2: requests never dialled (EXPIRED)
# are not calls. 3: agentless US runs judged by NV/ME/NE recorded-message hours.
AUDIT_VERSION = 3


@dataclass
class RuleResult:
    rule: str
    description: str
    severity: str  # "error", "warning", "info"
    measured: float | int | None
    limit: float | int | None
    passed: bool | None  # None: not assessable from these events
    unit: str = "calls"  # "rate" or "calls"
    offenders: list[str] = field(default_factory=list)  # contact ids, capped
    offender_count: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def calls(
        cls,
        *,
        rule: str,
        description: str,
        ids: list[str],
        count: int,
        severity: str = "error",
        details: dict[str, Any] | None = None,
    ) -> RuleResult:
        """A rule no call may break: the figure is how many did (limit 0)."""
        return cls(
            rule=rule,
            description=description,
            severity=severity,
            measured=count,
            limit=0,
            passed=count == 0,
            unit="calls",
            offenders=ids,
            offender_count=count,
            details=details if details is not None else {},
        )

    @property
    def failed(self) -> bool:
        return self.passed is False

    def figure(self) -> str:
        if self.measured is None:
            return "n/a"
        if self.unit == "rate":
            return f"{self.measured * 100:.2f}%"
        return f"{self.measured:g}"

    def limit_text(self) -> str:
        if self.limit is None:
            return "none"
        if self.unit == "rate":
            return f"{self.limit * 100:g}%"
        return f"{self.limit:g}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "description": self.description,
            "severity": self.severity,
            "measured": self.measured,
            "limit": self.limit,
            "unit": self.unit,
            "passed": self.passed,
            "offender_count": self.offender_count,
            "offenders": list(self.offenders),
            "details": _jsonable(self.details),
        }


@dataclass
class AuditReport:
    jurisdiction: str
    rules: list[RuleResult]
    events: int
    calls: int
    findings: list[str] = field(default_factory=list)  # input problems (lines skipped, ...)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Every error-level rule passed (warnings do not fail a report)."""
        return not any(r.failed and r.severity == "error" for r in self.rules)

    @property
    def failures(self) -> list[RuleResult]:
        return [r for r in self.rules if r.failed and r.severity == "error"]

    @property
    def warnings(self) -> list[RuleResult]:
        return [r for r in self.rules if r.failed and r.severity != "error"]

    def rule(self, name: str) -> RuleResult:
        for r in self.rules:
            if r.rule == name:
                return r
        raise KeyError(f"no rule {name!r} in this report; rules: {[r.rule for r in self.rules]}")

    def __getitem__(self, name: str) -> RuleResult:
        return self.rule(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "jurisdiction": self.jurisdiction,
            "passed": self.passed,
            "events": self.events,
            "calls": self.calls,
            "findings": list(self.findings),
            "summary": _jsonable(self.summary),
            "rules": [r.to_dict() for r in self.rules],
        }

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), **kw)

    def failure_message(self, include_warnings: bool = False) -> str:
        broken = self.failures + (self.warnings if include_warnings else [])
        lines = [f"events are not compliant with {self.jurisdiction} ({len(broken)} rule(s) broken):"]
        for r in broken:
            lines.append(f"  - {r.rule}: {r.figure()} (limit {r.limit_text()}) - {r.description}")
            if r.offender_count:
                more = r.offender_count - len(r.offenders)
                shown = ", ".join(r.offenders[:10])
                extra = (
                    f" (+{r.offender_count - min(10, len(r.offenders))} more)"
                    if r.offender_count > 10 or more > 0
                    else ""
                )
                lines.append(f"      {r.offender_count} offending contact(s): {shown}{extra}")
        for f in self.findings[:5]:
            lines.append(f"  ! input: {f}")
        return "\n".join(lines)

    def to_text(self, width: int = 110) -> str:
        console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
        self.render(console)
        return console.export_text()

    def render(self, console: Console) -> None:
        verdict = "PASS" if self.passed else "FAIL"
        console.print(f"Compliance audit - {self.jurisdiction}: {verdict}  ({self.events} events, {self.calls} calls)")
        table = Table(show_lines=False)
        for col in ("rule", "severity", "measured", "limit", "result", "offenders"):
            table.add_column(col)
        for r in self.rules:
            res = "n/a" if r.passed is None else ("pass" if r.passed else "FAIL")
            table.add_row(r.rule, r.severity, r.figure(), r.limit_text(), res, str(r.offender_count))
        console.print(table)
        for r in self.rules:
            if r.failed and r.offenders:
                console.print(f"{r.rule}: {', '.join(r.offenders[:10])}" + (" ..." if r.offender_count > 10 else ""))
        for f in self.findings:
            console.print(f"input: {f}")

    def __str__(self) -> str:
        return self.to_text()


def _jsonable(x: Any) -> Any:
    """JSON-ready copy of a figure or a nested dict/list of them (numpy scalars
    become Python numbers, non-finite floats null, datetimes ISO 8601)."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return v if math.isfinite(v) else None
    if isinstance(x, datetime):
        return x.isoformat()
    return x
