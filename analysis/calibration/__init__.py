"""Calibration from a contact log as Amazon Connect writes it (issue 15).

``calibrate(events, campaign, labels=...)`` fits contact behaviour (answer
shares by local hour corrected for AMD errors, time to answer, talk,
wrap-up, patience, AMD timing) from a Connect-shaped log and returns the
``simulation.behaviour`` / ``amd`` blocks; ``validate`` simulates the fit
and compares the KPIs of a held-out log with the replications' intervals.
docs/analysis.md, "Calibration", has the method and its assumptions.
"""

from analysis.calibration.fit import Calibration, calibrate
from analysis.calibration.labels import labelled_sample, read_labels
from analysis.calibration.log import GROUND_TRUTH_COLUMNS, CalibrationError, connect_shaped
from analysis.calibration.validate import kpis, validate

__all__ = [
    "GROUND_TRUTH_COLUMNS",
    "Calibration",
    "CalibrationError",
    "calibrate",
    "connect_shaped",
    "kpis",
    "labelled_sample",
    "read_labels",
    "validate",
]
