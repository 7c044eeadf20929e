"""Schemathesis, from the service's own OpenAPI description, against the
real server, with every check it has (status codes, content types, headers
and bodies as documented, negative data rejected, positive data accepted,
authentication not ignored, ...), not only "no 5xx". A few examples per
operation keep it bounded (about half a minute)."""

from __future__ import annotations

import json
import re
import tempfile

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import CHECKS, load_all_checks

from api.app import create_app
from api.routes_common import TOKEN_PATTERN
from campaigns.repository import decode_token, encode_token
from campaigns.settings import Settings

_spec = create_app(
    Settings(data_dir=tempfile.mkdtemp(prefix="dialer-spec-"), secret_key="spec-only"),
    supervise=False,
    configure_logging=False,
).openapi()


@schemathesis.serializer("application/x-amz-json-1.1")
def _amz_json(_ctx: schemathesis.SerializationContext, value: object) -> bytes:
    """EventBridge's AWS JSON 1.1 bodies are JSON under their own media type."""
    return json.dumps(value).encode()


schema = schemathesis.openapi.from_dict(_spec).exclude(path_regex=r".*/stream$")

load_all_checks()
ALL_CHECKS = list(CHECKS.get_all())


def test_every_check_is_run():
    names = {c.__name__ for c in ALL_CHECKS}
    assert {
        "status_code_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "ignored_auth",
        "content_type_conformance",
    } <= names


# Operations whose valid bodies JSON Schema cannot state: the Connect
# campaign shapes (our OpenAPI gives them as free JSON objects; the server
# checks them against botocore's model and the simulator's rules), the
# contact center's simulation settings (outcome shares summing to 1, ...),
# a synthetic population and a CSV upload's content. For these a
# schema-valid request can be refused with 400/422: that one check
# ("positive data acceptance") is not run on them; every other check is.
FREE_BODIES = re.compile(
    r"^(PUT /v2/campaigns|POST /v2/campaigns-summary|POST /v2/campaigns-state|POST /v2/campaigns/\{id\}/[a-z-]+"
    r"|PUT /v2/campaigns/\{id\}/outbound-requests|POST /v2/tags/\{arn\}"
    r"|PUT /campaigns|POST /campaigns-summary|POST /campaigns-state|POST /campaigns/\{id\}/(name|dialer-config|outbound-call-config)"
    r"|PUT /campaigns/\{id\}/dial-requests|POST /tags/\{arn\}"
    r"|PUT /sim/contact-centers/\{instance_id\}|PUT /sim/campaigns/\{campaign_id\}/contacts|POST /sim/contact-lists"
    r"|POST /metrics/data"  # GetMetricDataV2: metric names, filters and thresholds are checked by the route
    r"|POST /)$"  # EventBridge: the body's shape depends on the X-Amz-Target operation
)
_STATE_CHANGES = re.compile(r"/(start|pause|resume|stop)$")


def _checks_for(label: str) -> list:
    if FREE_BODIES.match(label) and not _STATE_CHANGES.search(label):
        return [c for c in ALL_CHECKS if c.__name__ != "positive_data_acceptance"]
    return ALL_CHECKS


@settings(max_examples=200, deadline=None)
@given(st.from_regex(TOKEN_PATTERN, fullmatch=True))
def test_every_documented_page_token_is_accepted(token):
    """The nextToken pattern in the OpenAPI document matches only tokens the server decodes."""
    assert decode_token(token) >= 0


def test_issued_page_tokens_match_the_documented_pattern():
    assert all(re.fullmatch(TOKEN_PATTERN, encode_token(n)) for n in [*range(2000), 10**9, 10**18 + 7])


@schema.parametrize()
@settings(
    max_examples=5, deadline=None, phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck)
)
def test_contract(case, sqlite_server):
    """Every answer is one the OpenAPI document declares, for valid and invalid input."""
    case.call_and_validate(
        base_url=sqlite_server.url,
        headers={"Authorization": f"Bearer {sqlite_server.keys['manager'].bearer}"},
        checks=_checks_for(case.operation.label),
        timeout=30,
    )
