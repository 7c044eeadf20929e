"""The ARNs the service shows for its resources (Connect outbound campaigns'
shape), for the tenant's account (``campaigns.tenants.account_for``)."""

from __future__ import annotations

from campaigns.tenants import account_for


def campaign_arn(*, region: str, tenant: str, campaign_id: str) -> str:
    return f"arn:aws:connect-campaigns:{region}:{account_for(tenant)}:campaign/{campaign_id}"
