"""pytest plugin (entry point ``dialer_compliance``): the ``compliance_audit``
fixture and ``assert_compliant``. Imports stay lazy so that loading the plugin
costs nothing in test sessions that never audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from compliance.audit import AuditReport, audit
from compliance.audit import assert_compliant as _assert
from compliance.rules import RuleSet


def assert_compliant(events: Any, jurisdiction: str | RuleSet, **kwargs: Any) -> AuditReport:
    """Fail (AssertionError) listing each broken rule with its figure and limit."""

    return _assert(events, jurisdiction, **kwargs)


@pytest.fixture
def compliance_audit() -> Callable[..., AuditReport]:
    """The ``audit`` function: ``report = compliance_audit(events, "UK")``."""

    return audit


@pytest.fixture
def assert_compliant_events() -> Callable[..., AuditReport]:
    """``assert_compliant`` as a fixture, for suites that prefer fixtures to imports."""
    return assert_compliant
