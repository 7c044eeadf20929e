"""Structured (JSON) logs and Prometheus metrics.

Logs never carry phone numbers: the access log records the route template
(``/v2/campaigns/{id}``), never query strings or bodies, and the formatter
masks anything that looks like an E.164 number in a message as a last guard.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.state import ServiceState

_PHONE = re.compile(r"\+?\d[\d\- ]{7,}\d")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        msg = _PHONE.sub("[number]", record.getMessage())
        out = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": msg,
        }
        for key in ("method", "route", "status", "duration_ms", "run_id", "campaign_id", "tenant", "pid"):
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exc"] = _PHONE.sub("[number]", self.formatException(record.exc_info))
        return json.dumps(out, default=str)


def setup_logging(level: str = "INFO", json_logs: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if json_logs else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    for name in ("api", "campaigns", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers[:] = [handler]
        lg.setLevel(level)
        lg.propagate = False
    logging.getLogger("uvicorn.access").disabled = True


class Metrics:
    """One registry per app (tests build several apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "dialer_http_requests", "HTTP requests served", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "dialer_http_request_duration_seconds",
            "HTTP request latency",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.runs_started = Counter("dialer_runs_started", "Simulation runs started", registry=self.registry)
        self.runs = Gauge("dialer_runs", "Runs by status (from the database)", ["status"], registry=self.registry)
        self.dials = Gauge(
            "dialer_dials_simulated", "Dial attempts simulated by all runs (from the database)", registry=self.registry
        )
        self.outbound = Counter("dialer_outbound_requests", "Outbound requests accepted", registry=self.registry)

    def render(self, state: ServiceState) -> bytes:
        from sqlalchemy import func, select

        from campaigns.models import Run

        with state.session() as s:
            rows = s.execute(
                select(Run.status, func.count(), func.coalesce(func.sum(Run.dials), 0)).group_by(Run.status)
            ).all()
        total = 0
        for status in ("queued", "running", "paused", "completed", "stopped", "failed", "interrupted"):
            self.runs.labels(status).set(0)
        for status, count, dials in rows:
            self.runs.labels(status).set(count)
            total += int(dials or 0)
        self.dials.set(total)
        return generate_latest(self.registry)


class AccessLog:
    """Pure ASGI middleware: one structured log line and the request
    metrics per HTTP request (route template, never the raw path)."""

    def __init__(self, app: ASGIApp, state: ServiceState) -> None:
        self.app = app
        self.state = state
        self.log = logging.getLogger("api.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def _send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            dur = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            method = scope.get("method", "")
            m = self.state.metrics
            m.requests.labels(method, template, str(status[0])).inc()
            m.latency.labels(template).observe(dur)
            if self.log.isEnabledFor(logging.INFO):
                self.log.info(
                    "%s %s %s",
                    method,
                    template,
                    status[0],
                    extra={
                        "method": method,
                        "route": template,
                        "status": status[0],
                        "duration_ms": round(dur * 1000, 2),
                    },
                )
