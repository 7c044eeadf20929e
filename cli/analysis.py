"""``dialer sweep SWEEP.yaml --out DIR`` and ``dialer plot RUN_DIR``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

err = Console(stderr=True)
out = Console()


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep_command)
    app.command("plot")(plot_command)


def _fmt(v: float) -> str:
    if v != v:  # NaN
        return "-"
    return f"{v:.4f}" if abs(v) < 10 else f"{v:,.1f}"


def sweep_command(
    sweep_file: Path = typer.Argument(
        ..., help="Sweep file (YAML): campaign, parameters, replications, seed, metrics."
    ),
    out_dir: Path = typer.Option(
        ..., "--out", help="Directory for runs/, runs.parquet, summary.parquet (reused to resume)."
    ),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786."),
    workers: int | None = typer.Option(
        None, "--workers", help="Local worker processes (default: one per CPU; 0 = in this process)."
    ),
    replications: int | None = typer.Option(None, "--replications", help="Override the file's replications."),
    seed: int | None = typer.Option(None, "--seed", help="Override the file's base seed."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Run a parameter sweep with replications; print each point's mean and 95% CI.

    Each finished run is saved under DIR/runs/ at once; running the same
    command again skips the runs already there."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from analysis.sweep import SweepError, load_sweep, run_sweep

    try:
        spec = load_sweep(sweep_file)
        if replications is not None:
            spec.replications = replications
        if seed is not None:
            spec.seed = seed
        spec.__post_init__()
    except (SweepError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if workers is not None and scheduler is not None:
        err.print("[red]error:[/red] give --workers or --scheduler, not both", markup=True)
        raise typer.Exit(2)

    progress = Progress(
        TextColumn("[bold]sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs"),
        TextColumn("{task.fields[skipped]} resumed"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet,
    )
    task = None
    state = {"skipped": 0}

    def on_progress(done: int, total: int, rec: dict[str, Any]) -> None:
        nonlocal task
        if task is None:
            task = progress.add_task("runs", total=total, skipped=0)
        if rec.get("skipped"):
            state["skipped"] += 1
        progress.update(task, completed=done, skipped=state["skipped"])

    try:
        with progress:
            result = run_sweep(
                spec, out_dir=out_dir, scheduler=scheduler, workers=workers, progress=None if quiet else on_progress
            )
    except SweepError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except ConnectionError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(3) from None
    except KeyboardInterrupt:
        err.print(f"interrupted; finished runs are saved in {out_dir}/runs/ - run the same command to resume")
        raise typer.Exit(130) from None

    from rich.table import Table

    wanted = (
        spec.metrics
        or [
            m
            for m in ("abandonment_rate", "agent_occupancy", "contacts_per_agent_hour", "mean_time_to_agent_s")
            if m in result.metrics
        ]
        or result.metrics[:4]
    )
    table = Table(
        title=f"{result.ran} runs made, {result.skipped} resumed; mean ± 95% CI half-width over {spec.replications} replications"
    )
    for p in result.parameters:
        table.add_column(".".join(p.replace("[0]", "").split(".")[-2:]), justify="right")
    for m in wanted:
        table.add_column(m, justify="right")
    wide = result.wide()
    for i in range(len(wide)):
        cells = [str(wide[p].iloc[i]) for p in result.parameters]
        for m in wanted:
            mean, lo, hi = wide[m].iloc[i], wide[m + "_ci_low"].iloc[i], wide[m + "_ci_high"].iloc[i]
            cells.append(_fmt(mean) if hi != hi else f"{_fmt(mean)} ± {_fmt((hi - lo) / 2)}")
        table.add_row(*cells)
    out.print(table)
    out.print(f"results: {out_dir / 'summary.parquet'} (per point and metric), {out_dir / 'runs.parquet'} (per run)")


def plot_command(
    run_dir: Path = typer.Argument(
        ..., help="A run directory (events.parquet, timeline.parquet) or a sweep directory."
    ),
    interval: str = typer.Option("15min", "--interval", help="Interval of the over-time plots, e.g. 15min, 1h, PT30M."),
    limit: float | None = typer.Option(None, "--limit", help="Abandonment limit line (default 0.03)."),
    target: float | None = typer.Option(None, "--target", help="Pacing target line, e.g. 0.025."),
) -> None:
    """Write the run's plots as PNGs into RUN_DIR/plots/ and print their paths."""
    from analysis.plots import render_run_plots

    try:
        paths = render_run_plots(run_dir, interval=interval, limit=limit, target=target)
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    for p in paths:
        print(p)
    sys.stdout.flush()
