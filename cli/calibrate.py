"""``dialer calibrate EVENTS --campaign BASE.yaml --out FITTED.yaml``: fit
contact behaviour from a contact log as Amazon Connect writes it
(``analysis.calibration``), write the fitted campaign, optionally simulate
it and compare with the log."""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.console import Console

from cli.errors import usage_error

out = Console()


def register(app: typer.Typer) -> None:
    app.command("calibrate")(calibrate_command)


def _fmt(v: float) -> str:
    if v != v:
        return "-"
    return f"{v:.4f}" if abs(v) < 10 else f"{v:,.2f}"


def calibrate_command(
    events: Path = typer.Argument(
        ..., help="The contact log: events.parquet, a JSON-lines file of envelopes, or a run directory."
    ),
    campaign: Path = typer.Option(
        ..., "--campaign", help="The campaign that made the log (ring timeout, AMD settings, threshold, staffing)."
    ),
    out_path: Path = typer.Option(..., "--out", help="Where to write the fitted campaign document (YAML)."),
    labels: Path | None = typer.Option(
        None, "--labels", help="CSV contact_id,party: answered contacts whose true party was checked (AMD correction)."
    ),
    validate: int = typer.Option(
        0, "--validate", help="Simulate the fitted campaign N times (N >= 2) and compare the log's KPIs."
    ),
    held_out: Path | None = typer.Option(
        None, "--held-out", help="Validate against this log (another day) instead of EVENTS itself."
    ),
    seed: int = typer.Option(1000, "--seed", help="First seed of the validation replications."),
) -> None:
    """Fit answer shares (corrected for AMD errors), time to answer, talk,
    wrap-up, patience and AMD timing from a Connect-shaped log; write the
    campaign with the fitted simulation.behaviour / amd blocks.

    Ground-truth columns in the log (sim_*) are dropped unread."""
    # Lazy: pandas, scipy and the engine take seconds to import (cli/main.py).
    import yaml

    from analysis.calibration import CalibrationError, calibrate
    from analysis.calibration import validate as run_validation

    if validate == 1 or validate < 0:
        usage_error("calibrate", f"--validate: give 0 (no validation) or at least 2 replications, got {validate}")
    if not events.exists():
        usage_error("calibrate", f"EVENTS: no such file or directory {str(events)!r}")
    if held_out is not None and not held_out.exists():
        usage_error("calibrate", f"--held-out: no such file or directory {str(held_out)!r}")
    try:
        fit = calibrate(events, campaign, labels=labels)
        document = fit.document()
    except CalibrationError as exc:
        usage_error("calibrate", str(exc))
    try:
        out_path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    except OSError as exc:
        usage_error("calibrate", f"--out: cannot write {str(out_path)!r} ({exc.strerror})")

    from rich.table import Table

    table = Table(title=f"fitted from {events}")
    for col in ("parameter", "value", "se", "n", "family"):
        table.add_column(col, justify="left" if col in ("parameter", "family") else "right")
    for row in fit.report().to_dict("records"):
        se = "" if math.isnan(float(row["se"])) else _fmt(float(row["se"]))
        table.add_row(
            str(row["parameter"]), _fmt(float(row["value"])), se, f"{float(row['n']):,.0f}", str(row["family"])
        )
    out.print(table)
    for note in fit.notes:
        out.print(f"- {note}", highlight=False, soft_wrap=True)
    out.print(f"fitted campaign: {out_path}")
    if validate >= 2:
        target = held_out or events
        timeline = target / "timeline.parquet" if target.is_dir() else None
        try:
            result = run_validation(
                fit,
                target,
                timeline=timeline if timeline and timeline.exists() else None,
                replications=validate,
                seed=seed,
                in_sample=held_out is None,
            )
        except CalibrationError as exc:
            usage_error("calibrate", f"--held-out: {exc}")
        which = "the held-out log" if held_out else "the log (in sample)"
        vt = Table(title=f"validation: {which} against {validate} simulations of the fit (95% prediction interval)")
        for col in ("kpi", "log", "simulated", "interval", "within"):
            vt.add_column(col, justify="left" if col == "kpi" else "right")
        for r in result.to_dict("records"):
            within = r["within"]
            vt.add_row(
                str(r["kpi"]),
                _fmt(float(r["held_out"])),
                _fmt(float(r["simulated_mean"])),
                f"{_fmt(float(r['pi_low']))} .. {_fmt(float(r['pi_high']))}",
                "-" if within is None else ("yes" if within else "NO"),
            )
        out.print(vt)
        judged = result["within"].dropna()
        out.print(f"{int(judged.sum())} of {len(judged)} KPIs within their interval")
