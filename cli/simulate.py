"""``dialer simulate CAMPAIGN.yaml --seed N --out DIR``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def report_table(summary: dict[str, Any], title: str) -> Table:
    rows = [
        ("dial attempts", "dial_attempts"),
        ("live answers (people)", "live_answers"),
        ("machine answers", "machine_answers"),
        ("connected to agent", "connected_to_agent"),
        ("abandoned", "abandoned"),
        ("abandonment rate", "abandonment_rate"),
        ("dropped to the message", "dropped_with_message"),
        ("AMD false positives", "amd_false_positives"),
        ("AMD false negatives", "amd_false_negatives"),
        ("agent occupancy", "agent_occupancy"),
        ("contacts per agent hour", "contacts_per_agent_hour"),
        ("mean time to agent (s)", "mean_time_to_agent_s"),
        ("p95 time to agent (s)", "p95_time_to_agent_s"),
        ("mean wait (s)", "mean_wait_s"),
        ("share that waited", "waited_share"),
        ("mean contact duration (s)", "mean_contact_duration_s"),
        ("simulated seconds", "simulated_seconds"),
    ]
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for label, key in rows:
        table.add_row(label, _fmt(summary.get(key)))
    definition = summary.get("abandonment_definition") or {}
    if definition.get("clockStart"):
        table.caption = (
            f"abandoned = live answer not connected to an agent within {definition['thresholdSeconds']:g} s "
            f"of {definition['clockStart']}"
        )
    return table


def _load_history(paths: list[Path], campaign_id: str) -> Any:
    """Earlier runs' dial attempts, one ``DialHistory`` for all files (None without any)."""
    if not paths:
        return None
    from compliance.history import DialHistory

    combined = DialHistory.empty()
    for path in paths:
        if not path.is_file():
            raise ValueError(f"no such events file: {path}")
        combined = combined.concat(DialHistory.from_events(str(path), campaign_id))
    return combined


def simulate_command(
    campaign: Path = typer.Argument(..., help="Campaign document (YAML or JSON)."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Random seed (overrides simulation.seed)."),
    out: Path | None = typer.Option(
        None, "--out", help="Directory for events.parquet, timeline.parquet, summary.json."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON instead of a table."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    history: list[Path] = typer.Option(
        [],
        "--history",
        help="Events of an earlier run of this campaign (Parquet or JSON lines; repeatable): "
        "per-contact caps and refusals carry over (docs/compliance.md).",
    ),
) -> None:
    """Run a campaign and print its report."""
    from campaigns.document import CampaignDocumentError, load_document
    from dialer import simulate

    try:
        doc = load_document(campaign)
    except CampaignDocumentError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    try:
        earlier = _load_history(history, doc.campaign.name)
    except (OSError, ValueError) as exc:
        err.print(f"[red]error:[/red] --history: {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    progress = None
    bar = None
    if not quiet and sys.stderr.isatty():
        bar = Progress(
            TextColumn("simulating"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%  {task.fields[dials]:,} dials"),
            TimeElapsedColumn(),
            console=err,
        )
        task = bar.add_task("run", total=1.0, dials=0)

        def progress(done: float, total: float, dials: int) -> None:
            bar.update(task, completed=done / total if total else 1.0, dials=dials)

    try:
        if bar is not None:
            bar.start()
        result = simulate(doc, seed=seed, out_dir=out, keep_events=False, progress=progress, history=earlier)
    except (CampaignDocumentError, OSError, ValueError) as exc:
        if bar is not None:
            bar.stop()
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    finally:
        if bar is not None:
            bar.stop()
    rejected = result.rejected_contacts
    if rejected:
        err.print(
            f"[yellow]warning:[/yellow] {len(rejected)} contact row(s) rejected, the others were dialled:", markup=True
        )
        for row in rejected[:10]:
            err.print(f"  {row}", markup=False, highlight=False)
        if len(rejected) > 10:
            err.print(f"  ... and {len(rejected) - 10} more", markup=False)
    if json_out:
        typer.echo(json.dumps(result.summary, indent=2, sort_keys=True, default=float))
    else:
        Console().print(report_table(result.summary, f"{doc.campaign.name} (seed {result.summary['seed']})"))
        if out is not None:
            Console().print(
                f"events: {out / 'events.parquet'}  summary: {out / 'summary.json'}  timeline: {out / 'timeline.parquet'}"
            )
