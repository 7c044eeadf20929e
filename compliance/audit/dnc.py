"""Do-not-call: no call to a number on a list the operator gives."""

from __future__ import annotations

import numpy as np

from compliance.audit.load import Calls
from compliance.audit.offenders import Offenders
from compliance.audit.report import RuleResult
from compliance.dnc import DncSource, as_number_array


def dnc_rule(calls: Calls, dnc: DncSource, offenders: Offenders) -> RuleResult:
    """``dnc``: a ``DncList``, several, or numbers (``as_number_array``)."""
    listed = np.isin(calls.numbers, as_number_array(dnc)) & (calls.numbers >= 0)
    ids, count = offenders(listed)
    return RuleResult.calls(
        rule="dnc",
        description="no call to a number on a do-not-call list",
        ids=ids,
        count=count,
        severity="error",
    )
