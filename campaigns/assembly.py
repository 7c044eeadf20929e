"""The contacts a run dials, assembled from what is stored: a contact
list's rows and the outbound requests a segment claimed (with their
``expirationTime`` as seconds since the schedule start and their
``clientToken``), and the document's own contacts before them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

import numpy as np

from campaigns.contacts import ContactList, from_rows, zone_settings
from campaigns.document import CampaignDocument
from campaigns.models import Contact, OutboundRequest


def merge_contact_lists(a: ContactList | None, b: ContactList | None) -> ContactList | None:
    """Concatenate two ContactLists (group indices of ``b`` shifted)."""
    if a is None:
        return b
    if b is None:
        return a

    def col(x: ContactList, name: str, fill: object) -> np.ndarray:
        v = getattr(x, name)
        return (
            v
            if v is not None
            else np.array([fill] * len(x), dtype=object if fill is None or isinstance(fill, str) else float)
        )

    postcode = None
    if a.postcode is not None or b.postcode is not None:
        postcode = np.concatenate([col(a, "postcode", None), col(b, "postcode", None)])
    attributes = None
    if a.attributes is not None or b.attributes is not None:
        attributes = (a.attributes or [{}] * len(a)) + (b.attributes or [{}] * len(b))
    expires = None
    if a.expires_at is not None or b.expires_at is not None:
        expires = np.concatenate(
            [col(a, "expires_at", np.inf).astype(float), col(b, "expires_at", np.inf).astype(float)]
        )
    tokens = None
    if a.client_token is not None or b.client_token is not None:
        tokens = np.concatenate([col(a, "client_token", None), col(b, "client_token", None)])
    return ContactList(
        phone=np.concatenate([a.phone, b.phone]).astype(np.int64),
        group=np.concatenate([a.group, b.group + len(a.groups)]).astype(np.int32),
        groups=list(a.groups) + list(b.groups),
        postcode=postcode,
        attributes=attributes,
        rejected=list(a.rejected) + list(b.rejected),
        expires_at=expires,
        client_token=tokens,
    )


def contacts_from_rows(
    doc: CampaignDocument, list_rows: Sequence[Contact], requests: Sequence[OutboundRequest]
) -> ContactList | None:
    """A ContactList of stored contacts and outbound requests, with
    ``expires_at`` (seconds since the schedule start) and ``client_token``."""
    settings = zone_settings(doc)
    rows: list[dict[str, Any]] = []
    for c in list_rows:
        row = {"phone": c.phone, "_req": -1}
        if c.explicit_zone:
            row["time_zone"] = c.explicit_zone
        if c.postcode:
            row["postcode"] = c.postcode
        if c.attributes:
            row.update({k: v for k, v in c.attributes.items() if k not in ("phone", "_req")})
        rows.append(row)
    for i, r in enumerate(requests):
        row = {"phone": r.phone, "_req": i}
        if r.attributes:
            row.update({k: v for k, v in r.attributes.items() if k not in ("phone", "_req")})
        rows.append(row)
    if not rows:
        return None
    cl = from_rows(rows, settings, phone_column="phone")
    if len(cl) == 0:
        return None
    schedule = doc.campaign.schedule
    assert schedule is not None, "a validated document has a schedule"
    start = schedule.start_time
    expires = np.full(len(cl), np.inf)
    tokens = np.empty(len(cl), dtype=object)
    attrs = cl.attributes or [{} for _ in range(len(cl))]
    for i, a in enumerate(attrs):
        k = int(a.pop("_req", -1))
        if k >= 0:
            req = requests[k]
            exp = req.expiration_time
            if exp.tzinfo is None:
                exp = exp.replace(tzinfo=UTC)
            expires[i] = (exp - start).total_seconds()
            tokens[i] = req.client_token
    cl.attributes = attrs if any(attrs) else None
    cl.expires_at = expires
    cl.client_token = tokens
    return cl
