"""AWS Signature Version 4 verification (header form), as botocore signs.

The canonical request is rebuilt from what arrived: method, the URI-encoded
path (normalised, then encoded once more, as botocore does for non-S3
services), the sorted query, the headers named in SignedHeaders, and the
SHA-256 of the body (or ``X-Amz-Content-SHA256`` when sent).
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "connect-campaigns"
EVENTS_SERVICE = "events"  # the EventBridge API (api/routes_events.py), on the same endpoint

_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<cred>[^,\s]+)\s*,\s*SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*Signature=(?P<sig>[0-9a-fA-F]{64})\s*$"
)


class SigV4Error(Exception):
    pass


@dataclass(frozen=True)
class ParsedAuth:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(header: str) -> ParsedAuth:
    m = _AUTH_RE.match(header.strip())
    if not m:
        raise SigV4Error("Authorization header is not a valid AWS4-HMAC-SHA256 signature")
    parts = m.group("cred").split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise SigV4Error("Credential should be scoped correctly: <key>/<date>/<region>/<service>/aws4_request")
    akid, date, region, service, _ = parts
    signed = tuple(m.group("signed").lower().split(";"))
    if "host" not in signed:
        raise SigV4Error("SignedHeaders must include host")
    return ParsedAuth(akid, date, region, service, signed, m.group("sig").lower())


def _normalize_path(raw_path: str) -> str:
    # botocore: quote(normalize_url_path(path), safe='/~')
    if not raw_path:
        return "/"
    normalized = posixpath.normpath(raw_path)
    if raw_path.endswith("/") and normalized != "/":
        normalized += "/"
    normalized = re.sub("/+", "/", normalized)
    if normalized.startswith("//"):
        normalized = normalized[1:]
    return quote(normalized, safe="/~")


def canonical_query(raw_query: str) -> str:
    if not raw_query:
        return ""
    pairs = []
    for pair in raw_query.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        pairs.append(
            (quote(unquote(key.replace("+", " ")), safe="-_.~"), quote(unquote(value.replace("+", " ")), safe="-_.~"))
        )
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def canonical_request(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: dict[str, list[str]],
    signed: tuple[str, ...],
    payload_hash: str,
) -> str:
    lines = []
    for name in signed:
        values = headers.get(name)
        if values is None:
            raise SigV4Error(f"signed header {name!r} is missing from the request")
        lines.append(f"{name}:{','.join(' '.join(v.split()) for v in values)}")
    return "\n".join(
        [
            method.upper(),
            _normalize_path(raw_path),
            canonical_query(raw_query),
            "\n".join(lines) + "\n",
            ";".join(signed),
            payload_hash,
        ]
    )


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    k = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    k = hmac.new(k, region.encode(), hashlib.sha256).digest()
    k = hmac.new(k, service.encode(), hashlib.sha256).digest()
    return hmac.new(k, b"aws4_request", hashlib.sha256).digest()


def check_envelope(
    parsed: ParsedAuth,
    headers: dict[str, list[str]],
    *,
    max_skew_seconds: int = 900,
    now: datetime | None = None,
    service: str = SERVICE,
) -> str:
    """What needs no secret and no body: service, date, clock skew. Returns
    the X-Amz-Date value; raises SigV4Error."""
    if parsed.service != service:
        raise SigV4Error(f"Credential should be scoped to correct service: '{service}'")
    amz_date = _first(headers, "x-amz-date")
    if not amz_date:
        raise SigV4Error("missing X-Amz-Date header")
    try:
        when = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise SigV4Error("X-Amz-Date must look like 20240101T000000Z") from None
    if amz_date[:8] != parsed.date:
        raise SigV4Error("Credential date does not match X-Amz-Date")
    now = now or datetime.now(UTC)
    if abs((now - when).total_seconds()) > max_skew_seconds:
        raise SigV4Error("Signature expired: request time is too far from the server time")
    for name in parsed.signed_headers:
        if name not in headers:
            raise SigV4Error(f"signed header {name!r} is missing from the request")
    return amz_date


def declared_payload_hash(headers: dict[str, list[str]]) -> str | None:
    """X-Amz-Content-SHA256 when sent (a hex digest or UNSIGNED-PAYLOAD)."""
    return _first(headers, "x-amz-content-sha256")


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    """The first value of header ``name``, or None when it was not sent."""
    values = headers.get(name)
    return values[0] if values else None


def check_signature(
    *,
    parsed: ParsedAuth,
    secret: str,
    amz_date: str,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: dict[str, list[str]],
    payload_hash: str,
) -> None:
    """Raise SigV4Error unless the signature matches the canonical request
    with ``payload_hash`` (the body's SHA-256, or the declared value)."""
    creq = canonical_request(method, raw_path, raw_query, headers, parsed.signed_headers, payload_hash)
    scope = f"{parsed.date}/{parsed.region}/{parsed.service}/aws4_request"
    sts = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    expected = hmac.new(
        signing_key(secret, parsed.date, parsed.region, parsed.service), sts.encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, parsed.signature):
        raise SigV4Error(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method."
        )


def check_body_hash(declared: str | None, body_hash: str) -> None:
    """A declared X-Amz-Content-SHA256 (other than UNSIGNED-PAYLOAD) must be the body's."""
    if declared is not None and declared != "UNSIGNED-PAYLOAD" and not hmac.compare_digest(declared, body_hash):
        raise SigV4Error("X-Amz-Content-SHA256 does not match the body")


def verify(
    *,
    parsed: ParsedAuth,
    secret: str,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: dict[str, list[str]],
    body: bytes,
    max_skew_seconds: int = 900,
    now: datetime | None = None,
    service: str = SERVICE,
) -> None:
    """Raise SigV4Error unless the request carries a valid signature."""
    amz_date = check_envelope(parsed, headers, max_skew_seconds=max_skew_seconds, now=now, service=service)
    declared = declared_payload_hash(headers)
    body_hash = hashlib.sha256(body).hexdigest()
    check_body_hash(declared, body_hash)
    check_signature(
        parsed=parsed,
        secret=secret,
        amz_date=amz_date,
        method=method,
        raw_path=raw_path,
        raw_query=raw_query,
        headers=headers,
        payload_hash=declared or body_hash,
    )
