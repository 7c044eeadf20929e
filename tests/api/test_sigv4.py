"""SigV4 verification against what botocore's signer produces."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from api import sigv4

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")


def _signed(
    method="PUT",
    url="https://connect-campaigns.us-east-1.amazonaws.com/v2/campaigns",
    body=b"",
    service="connect-campaigns",
):
    req = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(CREDS, service, "us-east-1").add_auth(req)
    prepared = req.prepare()
    headers = {}
    for k, v in prepared.headers.items():
        headers.setdefault(k.lower(), []).append(v)
    headers["host"] = [prepared.url.split("/")[2]]
    path, _, query = prepared.url.split("/", 3)[3].partition("?")
    return prepared, headers, "/" + path, query


def _verify(prepared, headers, path, query, body, secret=CREDS.secret_key, **kw):
    parsed = sigv4.parse_authorization(headers["authorization"][0])
    sigv4.verify(
        parsed=parsed,
        secret=secret,
        method=prepared.method,
        raw_path=path,
        raw_query=query,
        headers=headers,
        body=body,
        **kw,
    )


def test_valid_signature_with_body():
    body = json.dumps({"name": "x"}).encode()
    p, h, path, q = _signed(body=body)
    _verify(p, h, path, q, body)


def test_encoded_path_and_query():
    arn = "arn%3Aaws%3Aconnect-campaigns%3Aus-east-1%3A111122223333%3Acampaign%2Fabc"
    p, h, path, q = _signed("DELETE", f"https://h.example/v2/tags/{arn}?tagKeys=a&tagKeys=b%20c")
    _verify(p, h, path, q, b"")


@pytest.mark.parametrize("tamper", ["body", "secret", "path", "service"])
def test_tampering_is_rejected(tamper):
    body = b'{"name":"x"}'
    service = "execute-api" if tamper == "service" else "connect-campaigns"
    p, h, path, q = _signed(body=body, service=service)
    with pytest.raises(sigv4.SigV4Error):
        _verify(
            p,
            h,
            path + ("x" if tamper == "path" else ""),
            q,
            b'{"name":"y"}' if tamper == "body" else body,
            secret="wrong" if tamper == "secret" else CREDS.secret_key,
        )


def test_old_requests_are_rejected():
    p, h, path, q = _signed()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    with pytest.raises(sigv4.SigV4Error, match="expired"):
        _verify(p, h, path, q, b"", now=later)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "AWS4-HMAC-SHA256 Credential=x",
        "Basic abc",
        "AWS4-HMAC-SHA256 Credential=A/20240101/us-east-1/connect-campaigns/aws4_request, SignedHeaders=x-amz-date, Signature="
        + "0" * 64,
    ],
)
def test_malformed_headers(header):
    with pytest.raises(sigv4.SigV4Error):
        sigv4.parse_authorization(header)
