"""API keys: one key is both a bearer token (``dk_<id>_<secret>``) and an
AWS access key pair for SigV4. The database holds only a hash of each
secret; the SigV4 secret is derived from the server's own secret, so the
database never holds anything that can sign."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from campaigns.models import ApiKey, utcnow
from campaigns.tenants import DEFAULT_TENANT

ROLES = ("manager", "analyst")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def derive_secret(server_secret: str, access_key_id: str) -> str:
    """The SigV4 secret access key of ``access_key_id``: derived from the
    server secret, so the database never holds anything that can sign."""
    mac = hmac.new(server_secret.encode(), access_key_id.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()[:40].replace("+", "A").replace("/", "B")


@dataclass(frozen=True)
class NewKey:
    access_key_id: str
    secret_access_key: str
    role: str
    tenant: str

    @property
    def bearer(self) -> str:
        return f"dk_{self.access_key_id}_{self.secret_access_key}"


def parse_bearer(token: str) -> tuple[str, str] | None:
    if not token.startswith("dk_"):
        return None
    rest = token[3:]
    akid, sep, secret = rest.partition("_")
    if not sep or not akid or not secret:
        return None
    return akid, secret


def create_api_key(
    session: Session, *, role: str, tenant: str = DEFAULT_TENANT, server_secret: str, name: str | None = None
) -> NewKey:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    if not tenant or len(tenant) > 64:
        raise ValueError("tenant must be 1..64 characters")
    akid = "AKIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    secret = derive_secret(server_secret, akid)
    session.add(ApiKey(access_key_id=akid, secret_hash=hash_secret(secret), role=role, tenant=tenant, name=name))
    session.flush()
    return NewKey(akid, secret, role, tenant)


def get_api_key(session: Session, *, access_key_id: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.access_key_id == access_key_id, ApiKey.revoked_at.is_(None)))


def list_api_keys(session: Session, *, tenant: str | None = None) -> list[ApiKey]:
    stmt = select(ApiKey).order_by(ApiKey.id)
    if tenant:
        stmt = stmt.where(ApiKey.tenant == tenant)
    return list(session.scalars(stmt))


def revoke_api_key(session: Session, *, access_key_id: str) -> bool:
    res = session.execute(
        update(ApiKey)
        .where(ApiKey.access_key_id == access_key_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(cast("CursorResult[Any]", res).rowcount) > 0
