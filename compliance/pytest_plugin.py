"""pytest plugin (entry point ``dialer_compliance``): the ``compliance_audit``
fixture and ``assert_compliant``. Imports stay lazy so that loading the plugin
costs nothing in test sessions that never audit."""

from __future__ import annotations

import pytest

from compliance.audit import assert_compliant as _assert
from compliance.audit import audit


def assert_compliant(events, jurisdiction, **kwargs):
    """Fail (AssertionError) listing each broken rule with its figure and limit."""

    return _assert(events, jurisdiction, **kwargs)


@pytest.fixture
def compliance_audit():
    """The ``audit`` function: ``report = compliance_audit(events, "UK")``."""

    return audit


@pytest.fixture
def assert_compliant_events():
    """``assert_compliant`` as a fixture, for suites that prefer fixtures to imports."""
    return assert_compliant
