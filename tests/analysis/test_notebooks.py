"""Every notebook in notebooks/ runs top to bottom (its cells assert on
their own results) with the venv's python3 kernel."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_there_are_four_notebooks():
    assert [p.name for p in NOTEBOOKS] == [
        "01-quickstart.ipynb",
        "02-staffing-and-pacing.ipynb",
        "03-compliance-audit.ipynb",
        "04-calibration.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path):
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    asserts = sum("assert " in c.source for c in nb.cells if c.cell_type == "code")
    assert asserts >= 1, f"{path.name} asserts nothing about its results"
    start = time.perf_counter()
    NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(path.parent)}}).execute()
    assert time.perf_counter() - start < 60, f"{path.name} took more than a minute"
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert not errors
