"""The post-run audit, a package: ``load`` reads and validates event files
(one row per call), ``facts`` derives each call's facts once (answered by
whom, when the clock started, when an agent came, abandoned or not), one
module per rule family (``abandonment``, ``hours``, ``recall``, ``dnc``,
``ring``) judges them, and ``report`` holds the named results. ``run`` ties
them together: ``audit(events, jurisdiction) -> AuditReport``."""

from compliance.audit.load import AuditInputError
from compliance.audit.report import AUDIT_VERSION, AuditReport, RuleResult
from compliance.audit.run import assert_compliant, audit

__all__ = ["AUDIT_VERSION", "AuditInputError", "AuditReport", "RuleResult", "assert_compliant", "audit"]
