"""Compliance: rule sets per jurisdiction, the pre-dial gate, DNC lists and
the post-run audit. See docs/compliance.md.

Names are imported lazily, except ``audit`` and ``assert_compliant``: the
function ``audit`` must shadow the submodule of the same name, which only an
import here (after the submodule is loaded) guarantees.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from compliance.audit import assert_compliant, audit

if TYPE_CHECKING:  # what the lazy names are, for type checkers
    from compliance.audit import AuditReport
    from compliance.gate import Contact, Decision, DialGate, may_dial
    from compliance.rules import RuleSet, derive, get_rules
    from compliance.verdicts import Verdict

_EXPORTS = {
    "AuditReport": "compliance.audit",
    "get_rules": "compliance.rules",
    "derive": "compliance.rules",
    "RuleSet": "compliance.rules",
    "DialGate": "compliance.gate",
    "Verdict": "compliance.verdicts",
    "may_dial": "compliance.gate",
    "Contact": "compliance.gate",
    "Decision": "compliance.gate",
}

__all__ = [
    "AuditReport",
    "Contact",
    "Decision",
    "DialGate",
    "RuleSet",
    "Verdict",
    "assert_compliant",
    "audit",
    "derive",
    "get_rules",
    "may_dial",
]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'compliance' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
