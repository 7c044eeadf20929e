"""Credentials: SigV4 (AWS clients) or a bearer API key, both mapped to one
``Principal`` (tenant + role). Roles: ``manager`` configures, starts and
stops; ``analyst`` reads campaigns, runs, events and reports."""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Scope

from api import keys, sigv4
from api.errors import ConnectError, NativeError, access_denied

if TYPE_CHECKING:  # api.state builds a KeyCache: a runtime import would be a loop
    from api.state import ServiceState


@dataclass(frozen=True)
class Principal:
    access_key_id: str
    tenant: str
    role: str

    @property
    def can_manage(self) -> bool:
        return self.role == "manager"


class Miss(Enum):
    """KeyCache.peek's answer when a key is not cached (or stale): an enum
    member, so ``is MISS`` narrows types."""

    MISS = "miss"


MISS = Miss.MISS


class KeyCache:
    """Looks API keys up by access key id, caching for a few seconds so a
    signed request costs no extra query; revocation takes effect within ttl."""

    def __init__(self, state: ServiceState, ttl: float = 5.0) -> None:
        self.state = state
        self.ttl = ttl
        self._cache: dict[str, tuple[float, tuple[str, str, str] | None]] = {}
        self._lock = threading.Lock()

    def peek(self, akid: str) -> tuple[str, str, str] | Miss | None:
        """The cached entry if still fresh, else ``MISS`` (never queries)."""
        with self._lock:
            hit = self._cache.get(akid)
        if hit and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        return MISS

    def get(self, akid: str) -> tuple[str, str, str] | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(akid)
        if hit and now - hit[0] < self.ttl:
            return hit[1]
        with self.state.session() as s:
            row = keys.get_api_key(s, access_key_id=akid)
            value = None if row is None else (row.secret_hash, row.role, row.tenant)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[akid] = (now, value)
        return value


def _check_secret(state: ServiceState, akid: str, secret: str) -> Principal | None:
    found = state.keys.get(akid)
    if found is None:
        return None
    secret_hash, role, tenant = found
    if not hmac.compare_digest(keys.hash_secret(secret), secret_hash):
        return None
    return Principal(akid, tenant, role)


def cached_bearer_principal(state: ServiceState, token: str) -> Principal | Miss | None:
    """Like ``bearer_principal`` when the key is in the cache (no query, so
    the body guard can call it on the event loop); ``MISS`` otherwise."""
    parsed = keys.parse_bearer(token.strip())
    if parsed is None:
        return None
    found = state.keys.peek(parsed[0])
    if found is MISS:
        return MISS
    if found is None or not hmac.compare_digest(keys.hash_secret(parsed[1]), found[0]):
        return None
    return Principal(parsed[0], found[2], found[1])


def bearer_principal(state: ServiceState, token: str) -> Principal | None:
    parsed = keys.parse_bearer(token.strip())
    if parsed is None:
        return None
    return _check_secret(state, *parsed)


# Amazon Connect itself (GetMetricDataV2, api/routes_connect_metrics.py).
CONNECT_SERVICE = "connect"
CONNECT_PATHS = frozenset({"/metrics/data"})


def signing_service(path: str, headers: dict[str, list[str]]) -> str:
    """The SigV4 service a request must be signed for, known from its path
    and headers before the body is read: the EventBridge API (AWS JSON 1.1,
    ``POST /`` with ``X-Amz-Target: AWSEvents.*``), Amazon Connect's metrics
    or Connect campaigns."""
    target = (headers.get("x-amz-target") or [""])[0]
    if path == "/" and target.startswith("AWSEvents."):
        return sigv4.EVENTS_SERVICE
    if path in CONNECT_PATHS:
        return CONNECT_SERVICE
    return sigv4.SERVICE


@dataclass
class SigV4Check:
    """A SigV4 request checked as far as its headers allow (format, key,
    service, clock skew; the whole signature when the client declared the
    body's hash). ``finish`` completes it with the SHA-256 of the body."""

    principal: Principal
    parsed: sigv4.ParsedAuth
    secret: str
    amz_date: str
    method: str
    raw_path: str
    raw_query: str
    headers: dict[str, list[str]]
    declared: str | None

    @classmethod
    def start(cls, state: ServiceState, scope: Scope, headers: dict[str, list[str]]) -> SigV4Check:
        """Raises ConnectError (AccessDenied) for what the headers already show."""
        try:
            parsed = sigv4.parse_authorization(headers["authorization"][0])
        except sigv4.SigV4Error as exc:
            raise access_denied(str(exc)) from None
        found = state.keys.get(parsed.access_key_id)
        if found is None:
            raise access_denied("The security token included in the request is invalid: unknown access key id")
        secret = keys.derive_secret(state.server_secret, parsed.access_key_id)
        if not hmac.compare_digest(keys.hash_secret(secret), found[0]):
            raise access_denied("The security token included in the request is invalid")
        raw_path = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
        check = cls(
            principal=Principal(parsed.access_key_id, found[2], found[1]),
            parsed=parsed,
            secret=secret,
            amz_date="",
            method=scope["method"],
            raw_path=raw_path.split("?", 1)[0],
            raw_query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            declared=sigv4.declared_payload_hash(headers),
        )
        try:
            check.amz_date = sigv4.check_envelope(
                parsed,
                headers,
                max_skew_seconds=state.settings.sigv4_max_skew_seconds,
                service=signing_service(scope["path"], headers),
            )
            if check.declared is not None:
                check._signature(check.declared)  # before a byte of the body is read
        except sigv4.SigV4Error as exc:
            raise access_denied(str(exc)) from None
        return check

    def _signature(self, payload_hash: str) -> None:
        sigv4.check_signature(
            parsed=self.parsed,
            secret=self.secret,
            amz_date=self.amz_date,
            method=self.method,
            raw_path=self.raw_path,
            raw_query=self.raw_query,
            headers=self.headers,
            payload_hash=payload_hash,
        )

    def finish(self, body_sha256: str) -> Principal:
        try:
            if self.declared is None:
                self._signature(body_sha256)
            else:
                sigv4.check_body_hash(self.declared, body_sha256)
        except sigv4.SigV4Error as exc:
            raise access_denied(str(exc)) from None
        return self.principal


def admitted(request: Request) -> Principal | None:
    """The principal ``api.bodyguard`` authenticated for this request."""
    principal: Principal | None = request.scope.get("state", {}).get("principal")
    return principal


async def connect_principal(request: Request) -> Principal:
    """SigV4 (what boto3 sends) or ``Authorization: Bearer <key>`` (for curl),
    checked by ``api.bodyguard`` before the body was read."""
    return await signed_principal(request, sigv4.SERVICE)


async def signed_principal(request: Request, service: str) -> Principal:
    """The caller ``api.bodyguard`` admitted; a SigV4 signature was checked
    against the service ``signing_service`` gives for the request (the
    routes of ``service`` are the only ones that map to it)."""
    p = admitted(request)
    if p is None:
        raise access_denied(
            "Missing Authentication Token: sign the request with AWS Signature Version 4 or send a bearer API key"
        )
    target = request.headers.get("x-amz-target")
    if signing_service(request.scope["path"], {"x-amz-target": [target or ""]}) != service:
        raise access_denied(f"this operation belongs to the '{service}' API")
    return p


def connect_manager(p: Annotated[Principal, Depends(connect_principal)]) -> Principal:
    if not p.can_manage:
        raise ConnectError(
            "AccessDeniedException", f"role {p.role!r} may not change campaigns; a manager key is needed"
        )
    return p


_bearer = HTTPBearer(auto_error=False, description="API key printed by `dialer keys create`")


def native_principal(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if creds is None or creds.scheme.lower() != "bearer":
        raise NativeError(
            401,
            "Unauthorized",
            "an API key is required: Authorization: Bearer <key>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    p = admitted(request)
    if p is None:
        raise NativeError(401, "Unauthorized", "the API key is not valid", headers={"WWW-Authenticate": "Bearer"})
    return p


def native_manager(p: Annotated[Principal, Depends(native_principal)]) -> Principal:
    if not p.can_manage:
        raise NativeError(403, "Forbidden", f"role {p.role!r} may not do this; a manager key is needed")
    return p


ConnectReader = Annotated[Principal, Depends(connect_principal)]
ConnectManager = Annotated[Principal, Depends(connect_manager)]
Reader = Annotated[Principal, Depends(native_principal)]
Manager = Annotated[Principal, Depends(native_manager)]
