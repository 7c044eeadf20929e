"""``dialer compare A.yaml B.yaml --replications N``: two campaigns on the
same seeds, and the paired difference B - A of each metric with its
confidence interval (analysis/compare.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cli.errors import usage_error


def register(app: typer.Typer) -> None:
    app.command("compare")(compare_command)


def _fmt(v: float) -> str:
    if not math.isfinite(v):
        return "-"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:,.2f}"
    return f"{v:.4f}"


def compare_command(
    a: Path = typer.Argument(..., metavar="A.yaml", help="Campaign A (YAML or JSON)."),
    b: Path = typer.Argument(..., metavar="B.yaml", help="Campaign B; differences are B - A."),
    replications: int = typer.Option(..., "--replications", "-n", help="Paired replications (at least 2)."),
    seed: int = typer.Option(0, "--seed", help="Base seed of the replications (analysis.sweep.replication_seeds)."),
    metrics: str | None = typer.Option(
        None, "--metrics", help="Comma-separated summary keys, e.g. agent_occupancy,abandonment_rate."
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="Local worker processes (default: one per CPU; 0 = in this process)."
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", "--dask", help="Dask scheduler, e.g. tcp://10.0.0.5:8786."
    ),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level of the intervals."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON instead of a table."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Run A and B on the same replication seeds; print per metric the means,
    the paired difference B - A with its t-based confidence interval, the
    correlation of A and B across seeds, and the unpaired interval for contrast."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from analysis.compare import CompareError, compare

    err, out = Console(stderr=True), Console()  # made here: they read COLUMNS when made

    for name, path in (("A", a), ("B", b)):
        if not path.is_file():
            usage_error("compare", f"campaign {name}: no such file {str(path)!r}")
    if replications < 2:
        usage_error("compare", f"--replications must be at least 2 (a paired interval needs two), got {replications}")
    if workers is not None and scheduler is not None:
        usage_error("compare", "give --workers or --scheduler, not both")
    wanted = [m.strip() for m in metrics.split(",") if m.strip()] if metrics is not None else None

    progress = Progress(
        TextColumn("[bold]compare"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs"),
        TimeElapsedColumn(),
        console=err,
        disable=quiet or as_json,
    )
    task = progress.add_task("runs", total=2 * replications)
    try:
        with progress:
            result = compare(
                a,
                b,
                replications=replications,
                seed=seed,
                metrics=wanted,
                confidence=confidence,
                workers=workers,
                scheduler=scheduler,
                progress=lambda done, total: progress.update(task, completed=done),
            )
    except (CompareError, ValueError) as exc:
        usage_error("compare", str(exc))
    except ConnectionError as exc:
        typer.echo(f"dialer compare: error: {exc}", err=True)
        raise typer.Exit(3) from None

    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    pct = f"{confidence:.0%}"
    table = Table(
        title=f"B - A over {replications} paired replications (seed {seed})",
        header_style="bold",
    )
    for col in ("metric", "mean A", "mean B", "B - A", f"paired {pct} CI", "r", f"unpaired {pct} CI"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for m in result.metrics:
        p = m.paired
        table.add_row(
            m.metric,
            _fmt(m.mean_a),
            _fmt(m.mean_b),
            _fmt(p.mean),
            f"[{_fmt(p.ci_low)}, {_fmt(p.ci_high)}]" if math.isfinite(p.half_width) else "-",
            f"{p.correlation:.2f}" if math.isfinite(p.correlation) else "-",
            f"± {_fmt(m.unpaired_half_width)}",
        )
    table.caption = (
        "paired CI: mean of the per-seed differences ± t(n-1) sd/sqrt(n); r: correlation of A and B across seeds; "
        "unpaired: Welch, as if the runs were independent"
    )
    out.print(f"A: {a}\nB: {b}", highlight=False)
    out.print(table)
