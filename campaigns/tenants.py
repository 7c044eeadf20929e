"""Tenants: every stored row belongs to one. A tenant's resources show a
12-digit AWS-style account in their ARNs and events, derived from its name
so that it is stable on every server and needs no table."""

from __future__ import annotations

import hashlib

DEFAULT_TENANT = "default"


def account_for(tenant: str) -> str:
    """The 12-digit AWS-style account shown in a tenant's ARNs."""
    if tenant == DEFAULT_TENANT:
        return "111122223333"
    return str(int(hashlib.sha256(tenant.encode()).hexdigest(), 16))[-12:].rjust(12, "1")
