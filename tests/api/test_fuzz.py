"""Schemathesis, from the service's own OpenAPI description, against the
real server, with every check it has (status codes, content types, headers
and bodies as documented, negative data rejected, positive data accepted,
authentication not ignored, ...), not only "no 5xx". A few examples per
operation keep it bounded (about half a minute)."""

from __future__ import annotations

import tempfile

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import CHECKS, load_all_checks

from api.app import create_app
from campaigns.settings import Settings

_spec = create_app(
    Settings(data_dir=tempfile.mkdtemp(prefix="dialer-spec-"), secret_key="spec-only"), supervise=False, configure_logging=False
).openapi()
schema = schemathesis.openapi.from_dict(_spec).exclude(path_regex=r".*/stream$")

load_all_checks()
ALL_CHECKS = list(CHECKS.get_all())


def test_every_check_is_run():
    names = {c.__name__ for c in ALL_CHECKS}
    assert {"status_code_conformance", "response_schema_conformance", "negative_data_rejection",
            "positive_data_acceptance", "ignored_auth", "content_type_conformance"} <= names


@schema.parametrize()
@settings(max_examples=5, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_contract(case, sqlite_server):
    """Every answer is one the OpenAPI document declares, for valid and invalid input."""
    case.call_and_validate(
        base_url=sqlite_server.url,
        headers={"Authorization": f"Bearer {sqlite_server.keys['manager'].bearer}"},
        checks=ALL_CHECKS,
        timeout=30,
    )
