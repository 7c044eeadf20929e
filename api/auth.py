"""Credentials: SigV4 (AWS clients) or a bearer API key, both mapped to one
``Principal`` (tenant + role). Roles: ``manager`` configures, starts and
stops; ``analyst`` reads campaigns, runs, events and reports."""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api import sigv4
from api.errors import ConnectError, NativeError, access_denied
from campaigns import repository as repo


@dataclass(frozen=True)
class Principal:
    access_key_id: str
    tenant: str
    role: str

    @property
    def can_manage(self) -> bool:
        return self.role == "manager"


class KeyCache:
    """Looks API keys up by access key id, caching for a few seconds so a
    signed request costs no extra query; revocation takes effect within ttl."""

    def __init__(self, state, ttl: float = 5.0):
        self.state = state
        self.ttl = ttl
        self._cache: dict[str, tuple[float, tuple[str, str, str] | None]] = {}
        self._lock = threading.Lock()

    def get(self, akid: str) -> tuple[str, str, str] | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(akid)
        if hit and now - hit[0] < self.ttl:
            return hit[1]
        with self.state.session() as s:
            row = repo.get_api_key(s, access_key_id=akid)
            value = None if row is None else (row.secret_hash, row.role, row.tenant)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[akid] = (now, value)
        return value


def _check_secret(state, akid: str, secret: str) -> Principal | None:
    found = state.keys.get(akid)
    if found is None:
        return None
    secret_hash, role, tenant = found
    if not hmac.compare_digest(repo.hash_secret(secret), secret_hash):
        return None
    return Principal(akid, tenant, role)


def bearer_principal(state, token: str) -> Principal | None:
    parsed = repo.parse_bearer(token.strip())
    if parsed is None:
        return None
    return _check_secret(state, *parsed)


async def connect_principal(request: Request) -> Principal:
    """SigV4 (what boto3 sends) or ``Authorization: Bearer <key>`` (for curl)."""
    return await signed_principal(request, sigv4.SERVICE)


async def signed_principal(request: Request, service: str) -> Principal:
    """As ``connect_principal``, for requests signed for ``service``."""
    state = request.app.state.svc
    header = request.headers.get("authorization")
    if not header:
        raise access_denied("Missing Authentication Token: sign the request with AWS Signature Version 4 or send a bearer API key")
    if header.lower().startswith("bearer "):
        p = bearer_principal(state, header[7:])
        if p is None:
            raise access_denied("The API key is not valid")
        return p
    try:
        parsed = sigv4.parse_authorization(header)
    except sigv4.SigV4Error as exc:
        raise access_denied(str(exc)) from None
    found = state.keys.get(parsed.access_key_id)
    if found is None:
        raise access_denied("The security token included in the request is invalid: unknown access key id")
    secret = repo.derive_secret(state.server_secret, parsed.access_key_id)
    if not hmac.compare_digest(repo.hash_secret(secret), found[0]):
        raise access_denied("The security token included in the request is invalid")
    headers: dict[str, list[str]] = {}
    for k, v in request.headers.raw:
        headers.setdefault(k.decode("latin-1").lower(), []).append(v.decode("latin-1"))
    body = await request.body()
    raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
    raw_path = raw_path.split("?", 1)[0]
    try:
        sigv4.verify(
            parsed=parsed,
            secret=secret,
            method=request.method,
            raw_path=raw_path,
            raw_query=request.scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
            max_skew_seconds=state.settings.sigv4_max_skew_seconds,
            service=service,
        )
    except sigv4.SigV4Error as exc:
        raise access_denied(str(exc)) from None
    return Principal(parsed.access_key_id, found[2], found[1])


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
        raise NativeError(401, "Unauthorized", "an API key is required: Authorization: Bearer <key>", headers={"WWW-Authenticate": "Bearer"})
    p = bearer_principal(request.app.state.svc, creds.credentials)
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
