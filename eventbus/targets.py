"""Where matched events go. One sender per target; ``send`` delivers one
body or raises ``DeliveryError`` saying whether a retry may help.

Target ARNs:

- ``arn:aws:events:<region>:<account>:api-destination/<name>/<id>``: an HTTP
  call to the API destination's endpoint with its connection's auth header
  (API key or basic; OAuth client credentials are not supported).
- ``arn:aws:sqs:<region>:<account>:<queue>``: the service's own durable queue
  of that name (read it with ``GET /sim/eventbus/queues/<queue>``); this is
  also what dead-letter configs usually name.
- ``arn:dialer:nats:::<subject>``: publish on a NATS subject.
- ``arn:dialer:redis:::<stream key>``: ``XADD`` to a Redis stream (field ``event``).
- ``arn:dialer:file:::<name>``: append a JSON line to ``<name>.jsonl`` in the
  server's event-bus file directory (a name, never a path: ``[A-Za-z0-9_.-]``).
- ``arn:dialer:callable:::<name>``: an in-process Python callable registered
  on the bus (``Bus.register_callable``); not reachable from the HTTP API.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from urllib.parse import quote

import httpx
import nats
import redis
from nats.aio.client import Client as NatsClient
from redis.typing import EncodableT, FieldT

if TYPE_CHECKING:  # the store pulls in SQLAlchemy; in-process buses never need it
    from eventbus.store import Store

FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")
RETRY_HTTP = {401, 407, 409, 429}


class DeliveryError(Exception):
    def __init__(self, code: str, message: str, retryable: bool = True):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable


class TargetError(ValueError):
    """A target that cannot be built; names the field and value."""


class Sender(Protocol):
    """What a delivery worker calls; the senders that can carry attributes
    (HTTP headers, NATS headers, stream fields) take them as a third,
    optional argument."""

    def send(self, body: str, event: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


def kind_of(arn: object) -> str:
    if not isinstance(arn, str):
        raise TargetError(f"Arn: {arn!r} is not a string")
    if arn.startswith("arn:dialer:"):
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] not in ("nats", "redis", "file", "callable") or not parts[5]:
            raise TargetError(f"Arn: {arn!r} is not arn:dialer:(nats|redis|file|callable):::<name>")
        if parts[2] == "file" and not FILE_NAME.match(parts[5]):
            raise TargetError(f"Arn: file target name {parts[5]!r} must match {FILE_NAME.pattern}")
        return parts[2]
    if re.match(r"^arn:aws:events:[^:]*:\d{12}:api-destination/[^/]+/[^/]+$", arn):
        return "http"
    if re.match(r"^arn:aws:sqs:[^:]*:\d{12}:[A-Za-z0-9_\-]{1,80}(\.fifo)?$", arn):
        return "queue"
    raise TargetError(
        f"Arn: {arn!r} is not a supported target (API destination, SQS queue, arn:dialer:nats|redis|file|callable:::<name>)"
    )


def resource_name(arn: str) -> str:
    return arn.split(":", 5)[5] if arn.startswith("arn:dialer:") else arn.rsplit(":", 1)[-1]


class HttpSender:
    """An API destination call. 2xx is delivered; 401, 407, 409, 429 and 5xx
    and network errors are retried; other 4xx are not (EventBridge user
    guide, "API destinations": error handling)."""

    def __init__(
        self,
        endpoint: str,
        method: str,
        headers: dict[str, str],
        http_parameters: dict[str, Any] | None,
        timeout: float = 5.0,
        rate_per_s: float | None = None,
    ):
        self.interval = 1.0 / rate_per_s if rate_per_s else 0.0
        self._next_slot = 0.0
        self.endpoint = endpoint
        self.method = method
        self.headers = {"Content-Type": "application/json; charset=utf-8", **headers}
        self.params = http_parameters or {}
        self.client = httpx.Client(timeout=timeout)

    def _url(self) -> str:
        url = self.endpoint
        for value in self.params.get("PathParameterValues") or []:
            url = url.replace("*", quote(str(value), safe=""), 1)
        return url

    def _throttle(self) -> None:
        """At most ``InvocationRateLimitPerSecond`` calls per second."""
        if self.interval:
            now = time.monotonic()
            if self._next_slot > now:
                time.sleep(self._next_slot - now)
            self._next_slot = max(now, self._next_slot) + self.interval

    def send(self, body: str, event: dict[str, Any], attributes: dict[str, str] | None = None) -> None:
        self._throttle()
        headers = dict(self.headers)
        for k, v in (attributes or {}).items():
            headers["X-Dead-Letter-" + k.replace("_", "-").title()] = " ".join(str(v).split())
        headers.update({str(k): str(v) for k, v in (self.params.get("HeaderParameters") or {}).items()})
        try:
            r = self.client.request(
                self.method,
                self._url(),
                content=body.encode(),
                headers=headers,
                params=self.params.get("QueryStringParameters") or None,
            )
        except httpx.HTTPError as exc:
            raise DeliveryError("SDK_CLIENT_ERROR", f"{type(exc).__name__}: {exc}") from None
        if 200 <= r.status_code < 300:
            return
        retry = r.status_code >= 500 or r.status_code in RETRY_HTTP
        detail = " ".join(r.text[:200].split())
        raise DeliveryError(
            str(r.status_code), f"Endpoint answered HTTP {r.status_code}" + (f": {detail}" if detail else ""), retry
        )

    def close(self) -> None:
        self.client.close()


def connection_headers(connection: dict[str, Any]) -> dict[str, str]:
    kind = connection.get("AuthorizationType")
    auth = connection.get("AuthParameters") or {}
    if kind == "API_KEY":
        p = auth.get("ApiKeyAuthParameters") or {}
        return {p["ApiKeyName"]: p["ApiKeyValue"]}
    if kind == "BASIC":
        p = auth.get("BasicAuthParameters") or {}
        token = base64.b64encode(f"{p['Username']}:{p['Password']}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    extra = {}
    for h in (auth.get("InvocationHttpParameters") or {}).get("HeaderParameters") or []:
        extra[h["Key"]] = h["Value"]
    return extra


class NatsSender:
    """Publishes on one subject through a private asyncio loop thread."""

    def __init__(self, url: str, subject: str, timeout: float = 5.0):
        self.url = url
        self.subject = subject
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name=f"nats-{subject}")
        self._thread.start()
        self._nc: NatsClient | None = None

    async def _publish(self, data: bytes, headers: dict[str, str] | None) -> None:
        if self._nc is None or self._nc.is_closed:
            self._nc = await nats.connect(
                self.url, connect_timeout=self.timeout, max_reconnect_attempts=1, allow_reconnect=False
            )
        await self._nc.publish(self.subject, data, headers=headers or None)
        # nats-py annotates ``timeout: int`` but passes it to asyncio.wait_for, which takes seconds as a float.
        await self._nc.flush(timeout=self.timeout)  # type: ignore[arg-type]

    def send(self, body: str, event: dict[str, Any], attributes: dict[str, str] | None = None) -> None:
        fut = asyncio.run_coroutine_threadsafe(self._publish(body.encode(), attributes), self._loop)
        try:
            fut.result(self.timeout + 1)
        except Exception as exc:
            self._nc = None
            raise DeliveryError("NATS_ERROR", f"{type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        async def _close() -> None:
            if self._nc is not None and not self._nc.is_closed:
                await self._nc.close()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(_close(), self._loop).result(2)
        self._loop.call_soon_threadsafe(self._loop.stop)


class RedisSender:
    def __init__(self, url: str, stream: str, timeout: float = 5.0):
        self.stream = stream
        self.client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)

    def send(self, body: str, event: dict[str, Any], attributes: dict[str, str] | None = None) -> None:
        try:
            fields: dict[FieldT, EncodableT] = {"event": body}
            for k, v in (attributes or {}).items():  # not ``**``: redis keys a stream entry by any encodable
                fields[k] = v
            self.client.xadd(self.stream, fields)
        except Exception as exc:
            raise DeliveryError("REDIS_ERROR", f"{type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        self.client.close()


class FileSender:
    """One JSON line per delivery; the file is named by the server, not by
    the request (a validated name inside the configured directory)."""

    _locks: ClassVar[dict[str, threading.Lock]] = {}

    def __init__(self, directory: Path, name: str):
        if not FILE_NAME.match(name):
            raise TargetError(f"file target name {name!r} must match {FILE_NAME.pattern}")
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{name}.jsonl"
        self.lock = self._locks.setdefault(str(self.path), threading.Lock())

    def send(self, body: str, event: dict[str, Any]) -> None:
        line = body.replace("\n", " ")
        try:
            with self.lock, open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError as exc:
            raise DeliveryError("FILE_ERROR", f"{type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        pass


class CallableSender:
    """Calls ``fn(payload)``: the parsed JSON body (or the text when the
    transformer produced text). An exception is a failed delivery."""

    def __init__(self, fn: Callable[[Any], Any]):
        self.fn = fn

    def send(self, body: str, event: dict[str, Any]) -> None:
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = body
        try:
            self.fn(payload)
        except Exception as exc:
            raise DeliveryError(type(exc).__name__, str(exc) or type(exc).__name__) from None

    def close(self) -> None:
        pass


class QueueSender:
    """The service's own queue for an SQS ARN (durable, in the database)."""

    def __init__(self, store: Store, tenant: str, arn: str):
        self.store = store
        self.tenant = tenant
        self.arn = arn

    def send(self, body: str, event: dict[str, Any], attributes: dict[str, str] | None = None) -> None:
        try:
            self.store.dead_letter(
                tenant=self.tenant, queue=resource_name(self.arn), body=body, attributes=attributes or {}
            )
        except Exception as exc:
            raise DeliveryError("QUEUE_ERROR", f"{type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        pass


@dataclass
class Environment:
    """What senders need from the host: server config, never a request."""

    nats_url: str = "nats://127.0.0.1:4222"
    redis_url: str = "redis://127.0.0.1:6379/0"
    file_dir: Path = Path("./data/eventbus")
    store: Store | None = None
    tenant: str = "default"
    callables: dict[str, Any] | None = None
    lookup_destination: Callable[[str], tuple[dict[str, Any], dict[str, Any]] | None] | None = None


def make_sender(arn: str, target: dict[str, Any], env: Environment) -> Sender:
    kind = kind_of(arn)
    if kind == "http":
        found = env.lookup_destination(arn) if env.lookup_destination else None
        if found is None:
            raise TargetError(f"Arn: API destination {arn!r} does not exist")
        destination, connection = found
        return HttpSender(
            destination["InvocationEndpoint"],
            destination.get("HttpMethod", "POST"),
            connection_headers(connection),
            target.get("HttpParameters"),
            rate_per_s=destination.get("InvocationRateLimitPerSecond"),
        )
    if kind == "queue":
        if env.store is None:
            raise TargetError(f"Arn: {arn!r}: queues need the service's database")
        return QueueSender(env.store, env.tenant, arn)
    name = resource_name(arn)
    if kind == "nats":
        return NatsSender(env.nats_url, name)
    if kind == "redis":
        return RedisSender(env.redis_url, name)
    if kind == "file":
        return FileSender(env.file_dir, name)
    fn = (env.callables or {}).get(name)
    if fn is None:
        raise TargetError(f"Arn: no callable registered as {name!r}")
    return CallableSender(fn)
