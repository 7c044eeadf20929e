"""Authentication first, then a bounded body, then the routes.

A pure ASGI middleware in front of every route. For each HTTP request it

1. authenticates the caller from the headers alone (bearer API key, or the
   parts of a SigV4 signature that need no body: format, service, clock
   skew, a known access key id; the whole signature too when the client
   sent ``X-Amz-Content-SHA256``), so an unauthenticated request is refused
   with 401/403 before a byte of its body is read, whatever that body is;
2. refuses with 413 a ``Content-Length`` above the route's limit, and counts
   the bytes of a chunked body as they arrive, refusing at the limit;
3. reads the body into a spooled file (memory up to ``SPOOL_BYTES``, then a
   private temporary file), hashing it for SigV4 on the way;
4. checks the SigV4 signature against that hash, and only then lets the
   route parse anything. The principal is left in ``scope["state"]`` for
   the ``api.auth`` dependencies, which check roles.

An authenticated caller's refused body is read and dropped up to
``DRAIN_BYTES`` (a quarter of a second at most) so the answer reaches it on
a healthy connection; an unauthenticated caller's body, or a larger one, is
not read further, and the connection is closed after the answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import tempfile
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import MISS, Principal, SigV4Check, bearer_principal, cached_bearer_principal
from api.errors import ConnectError, NativeError, access_denied, connect_response, native_response
from api.state import ServiceState
from campaigns.document import control_character, find_control_character

MiB = 1024 * 1024
DEFAULT_LIMIT = 1 * MiB  # every JSON body (the largest Connect one, 25 requests, is far below)
UPLOAD_LIMIT = 50 * MiB + 64 * 1024  # a contact-list CSV (50 MB) and its multipart framing
SPOOL_BYTES = 1 * MiB
CHUNK = 64 * 1024

# (method, path pattern, limit): the routes whose bodies may exceed the default.
ROUTE_LIMITS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    ("POST", re.compile(r"^/sim/contact-lists/?$"), UPLOAD_LIMIT),
)

PUBLIC = re.compile(r"^/(healthz|docs|docs/oauth2-redirect|redoc|openapi\.json)$")


def limit_for(method: str, path: str) -> int:
    for m, pattern, limit in ROUTE_LIMITS:
        if m == method and pattern.match(path):
            return limit
    return DEFAULT_LIMIT


def is_native(path: str) -> bool:
    return path.startswith("/sim") or path == "/metrics"


# A refused request's body is read and dropped up to this much before the
# answer, so the connection stays usable and the client surely reads the
# answer; beyond it the connection is closed after the answer instead
# (reading a 300 MB body to its end took the event loop seconds).
DRAIN_BYTES = 4 * MiB
DRAIN_SECONDS = 0.25


class Refusal(Exception):
    """A request refused before it reached a route; ``body_read`` when its
    body was already read to the end."""

    def __init__(self, response: JSONResponse, *, body_read: bool = False, drain: bool = True):
        super().__init__(response.status_code)
        self.response = response
        self.body_read = body_read
        self.drain = drain  # False for a caller who is not authenticated: nothing more is read


async def _drain(receive: Receive) -> bool:
    """Read and drop the rest of a body (bounded); True when it all came."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DRAIN_SECONDS
    dropped = 0
    try:
        while dropped <= DRAIN_BYTES:
            message = await asyncio.wait_for(receive(), timeout=max(deadline - loop.time(), 0.001))
            if message["type"] == "http.disconnect":
                return False
            dropped += len(message.get("body", b""))
            if not message.get("more_body", False):
                return True
    except TimeoutError:
        pass
    return False


def _too_large(native: bool, limit: int) -> Refusal:
    text = f"the request body is larger than this operation accepts ({limit} bytes)"
    if native:
        return Refusal(native_response(NativeError(413, "TooLarge", text)))
    resp = connect_response(ConnectError("ValidationException", text))
    resp.status_code = 413
    return Refusal(resp)


def _denied(native: bool, message: str) -> Refusal:
    if native:
        return Refusal(
            native_response(NativeError(401, "Unauthorized", message, headers={"WWW-Authenticate": "Bearer"})),
            drain=False,
        )
    return Refusal(connect_response(access_denied(message)), drain=False)


def _bad_text(native: bool, field: str, char: str) -> Refusal:
    text = f"{field}: must not contain control characters (found {char})"
    if native:
        return Refusal(native_response(NativeError(400, "BadRequest", text, [{"field": field, "message": text}])))
    return Refusal(connect_response(ConnectError("ValidationException", text)))


def unstorable_text(scope: Scope, body: Body, headers: dict[str, list[str]]) -> tuple[str, str] | None:
    """(field, character) of the first control character in the path or a
    query parameter, or of a NUL in a JSON body; None when all is text every
    database stores. (CSV uploads are checked by their parser.)"""
    if bad := control_character(scope["path"], names=True):
        return ("path", bad)
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        for key, value in parse_qsl(query, keep_blank_values=True):
            if bad := control_character(key, names=True):
                return ("(query parameter name)", bad)
            if bad := control_character(value, names=True):
                return (key, bad)
    ctype = (headers.get("content-type") or [""])[0].lower()
    # FastAPI reads a body without a content type as JSON too.
    if body.size and body.size <= SPOOL_BYTES and (not ctype or "json" in ctype):
        raw = body.peek()
        if b"\x00" in raw or b"\\u0000" in raw:
            try:
                data = json.loads(raw)
            except ValueError:
                return None  # not JSON: the route answers that
            return find_control_character(data)
    return None


class BodyGuard:
    def __init__(self, app: ASGIApp, state: ServiceState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body, principal = await self._admit(scope, receive)
        except Refusal as r:
            if not r.body_read and not (r.drain and await _drain(receive)):
                r.response.headers["connection"] = "close"
            await r.response(scope, receive, send)
            return
        except _Disconnected:
            return
        if principal is not None:
            scope.setdefault("state", {})["principal"] = principal
        try:
            await self.app(scope, body.receiver(receive), send)
        finally:
            body.close()

    async def _admit(self, scope: Scope, receive: Receive) -> tuple[Body, Principal | None]:
        path, method = scope["path"], scope["method"]
        native = is_native(path)
        headers: dict[str, list[str]] = {}
        for k, v in scope["headers"]:
            headers.setdefault(k.decode("latin-1").lower(), []).append(v.decode("latin-1"))
        limit = limit_for(method, path)
        principal: Principal | None = None
        sig: SigV4Check | None = None
        if not PUBLIC.match(path):
            principal, sig = await self._authenticate(scope, native, headers)
        length = (headers.get("content-length") or [""])[0].strip()
        if length.isdigit() and int(length) > limit:
            raise _too_large(native, limit)
        body = await Body.read(receive, limit, hashing=sig is not None, on_overflow=lambda: _too_large(native, limit))
        if sig is not None:
            assert body.sha256 is not None  # read() hashes whenever a signature waits for the hash
            try:
                principal = sig.finish(body.sha256)
            except ConnectError as exc:
                body.close()
                raise Refusal(connect_response(exc), body_read=True) from None
        found = unstorable_text(scope, body, headers)
        if found is not None:
            body.close()
            refusal = _bad_text(native, *found)
            refusal.body_read = True
            raise refusal
        return body, principal

    async def _authenticate(
        self, scope: Scope, native: bool, headers: dict[str, list[str]]
    ) -> tuple[Principal | None, SigV4Check | None]:
        """(principal, None) for a bearer key, (None, SigV4Check) for a
        signature whose body hash is still to come; Refusal otherwise."""
        header = (headers.get("authorization") or [""])[0]
        if header[:7].lower() == "bearer ":
            p = cached_bearer_principal(self.state, header[7:])
            if p is MISS:  # a database lookup: off the event loop
                p = await run_in_threadpool(bearer_principal, self.state, header[7:])
            if p is None:
                raise _denied(native, "the API key is not valid" if native else "The API key is not valid")
            return p, None
        if native:
            raise _denied(True, "an API key is required: Authorization: Bearer <key>")
        if not header:
            raise _denied(
                False,
                "Missing Authentication Token: sign the request with AWS Signature Version 4 or send a bearer API key",
            )
        try:
            return None, await run_in_threadpool(SigV4Check.start, self.state, scope, headers)
        except ConnectError as exc:
            raise Refusal(connect_response(exc), drain=False) from None


class _Disconnected(Exception):
    pass


class Body:
    """A request body read within a limit, replayed to the app in chunks."""

    def __init__(self) -> None:
        # Owned by the Body and closed by close(), not within one block.
        self.file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        self.size = 0
        self.sha256: str | None = None

    @classmethod
    async def read(
        cls, receive: Receive, limit: int, *, hashing: bool, on_overflow: Callable[[], BaseException]
    ) -> Body:
        body = cls()
        h = hashlib.sha256() if hashing else None
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                body.close()
                raise _Disconnected()
            chunk = message.get("body", b"")
            if chunk:
                body.size += len(chunk)
                if body.size > limit:
                    body.close()
                    raise on_overflow()
                body.file.write(chunk)
                if h is not None:
                    h.update(chunk)
            if not message.get("more_body", False):
                break
        if h is not None:
            body.sha256 = h.hexdigest()
        body.file.seek(0)
        return body

    def peek(self) -> bytes:
        """The whole body (small bodies only), leaving the replay at its start."""
        data = self.file.read()
        self.file.seek(0)
        return data

    def receiver(self, receive: Receive) -> Receive:
        """An ASGI ``receive`` that replays the body, then defers to the
        server's (so a disconnect is still seen by streaming routes)."""
        done = False

        async def replay() -> Message:
            nonlocal done
            if done:
                return await receive()
            chunk = self.file.read(CHUNK)
            more = self.file.tell() < self.size
            if not more:
                done = True
                self.close()
            return {"type": "http.request", "body": chunk, "more_body": more}

        return replay

    def close(self) -> None:
        self.file.close()
