"""``dialer staff CAMPAIGN.yaml``: the fewest agents per hour that meet the
targets given, with a stated confidence (analysis/staffing.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from cli.errors import usage_error

out = Console()
err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.command("staff")(staff_command)


def _share(option: str, value: float | None) -> None:
    if value is not None and not (0.0 <= value <= 1.0):
        usage_error("staff", f"{option} must be a share between 0 and 1 (0.03 = 3%), got {value!r}")


def _cell(v: Any, pct: bool) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.1%}" if pct else f"{v:.2f}"


def _count(v: Any) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else str(int(v))


def staff_command(
    campaign: Path = typer.Argument(..., help="Campaign document (YAML or JSON)."),
    abandonment: float | None = typer.Option(
        None, "--abandonment", help="Ceiling on each hour's abandonment rate (the jurisdiction's rule), e.g. 0.03."
    ),
    occupancy_min: float | None = typer.Option(None, "--occupancy-min", help="Floor on each hour's agent occupancy."),
    occupancy_max: float | None = typer.Option(None, "--occupancy-max", help="Ceiling on each hour's agent occupancy."),
    time_to_agent: float | None = typer.Option(
        None, "--time-to-agent", help="Ceiling on the mean seconds from a person's answer to an agent."
    ),
    service_level: str | None = typer.Option(
        None,
        "--service-level",
        help="SHARE@SECONDS: floor on the share of queued people connected within SECONDS, e.g. 0.9@2.",
    ),
    connects_per_hour: float | None = typer.Option(
        None,
        "--connects-per-hour",
        help="Floor on the people connected to an agent per hour (live answers, counted in the hour dialled), "
        "e.g. 400: the throughput target that binds in predictive, progressive and preview modes.",
    ),
    handled_per_hour: float | None = typer.Option(
        None,
        "--handled-per-hour",
        help="Floor on the contacts connected to an agent per hour, people and machines the AMD passed on.",
    ),
    confidence: float = typer.Option(0.95, "--confidence", help="One-sided confidence each target is met with."),
    replications: int = typer.Option(10, "--replications", help="Runs per staffing tried (common seeds), >= 2."),
    seed: int = typer.Option(0, "--seed", help="Base seed of the replications."),
    min_agents: int = typer.Option(1, "--min-agents", help="Fewest agents an hour with calls may get."),
    max_agents: int | None = typer.Option(
        None, "--max-agents", help="Most agents an hour may get (default: 4x the first guess, >= 20)."
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="Local worker processes (default: one per CPU; 0 = this process)."
    ),
    dask: str | None = typer.Option(None, "--dask", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786."),
    confirm: bool = typer.Option(
        True,
        "--confirm/--no-confirm",
        help="Re-test the answer on fresh seeds and add an agent to any hour that fails there (the search's seeds "
        "can be lucky: docs/analysis.md, Staffing).",
    ),
    verify: bool = typer.Option(
        False, "--verify", help="Then simulate the answer and one agent fewer in each hour on fresh seeds."
    ),
    out_dir: Path | None = typer.Option(None, "--out", help="Write staffing.json, staffing.csv and staffing.png here."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress lines."),
) -> None:
    """Find the fewest agents per hour that meet the targets with the stated confidence.

    Starts each hour from the Erlang-A staffing (and, for a throughput floor,
    the workload staffing: N x handle time / (3600 x occupancy x available
    share), as the pilot measured them) and searches (doubling, then
    bisection) in time order with paired replications; prints the staffing,
    the Erlang-A staffing, each target's estimate with its interval and
    whether it is met, warnings (the contact list running out, a throughput
    no staffing reaches), and the number of simulations used."""
    from rich.table import Table  # see cli/main.py: commands import their implementation lazily

    from analysis.staffing import StaffingError, Targets, optimise_staffing, parse_service_level, verify_staffing
    from campaigns.document import CampaignDocumentError

    _share("--abandonment", abandonment)
    _share("--occupancy-min", occupancy_min)
    _share("--occupancy-max", occupancy_max)
    if not 0.5 <= confidence < 1.0:
        usage_error("staff", f"--confidence must be in [0.5, 1), got {confidence!r}")
    if replications < 2:
        usage_error("staff", f"--replications must be at least 2 (a confidence needs two runs), got {replications!r}")
    if workers is not None and dask is not None:
        usage_error("staff", "give --workers or --dask, not both")
    if workers is not None and workers < 0:
        usage_error("staff", f"--workers must be >= 0, got {workers!r}")
    for option, rate in (("--connects-per-hour", connects_per_hour), ("--handled-per-hour", handled_per_hour)):
        if rate is not None and not (rate > 0 and math.isfinite(rate)):
            usage_error("staff", f"{option} must be a positive number of contacts per hour, got {rate!r}")
    if time_to_agent is not None and not time_to_agent > 0:
        usage_error("staff", f"--time-to-agent must be a positive number of seconds, got {time_to_agent!r}")
    if min_agents < 0:
        usage_error("staff", f"--min-agents must be >= 0, got {min_agents!r}")
    if max_agents is not None and max_agents < max(min_agents, 1):
        usage_error("staff", f"--max-agents must be at least --min-agents and 1, got {max_agents!r}")
    if not campaign.exists():
        usage_error("staff", f"no such campaign file: {campaign}")
    try:
        sl = parse_service_level(service_level) if service_level is not None else None
        targets = Targets(
            abandonment_max=abandonment,
            occupancy_min=occupancy_min,
            occupancy_max=occupancy_max,
            time_to_agent_max=time_to_agent,
            service_level=sl,
            connects_per_hour_min=connects_per_hour,
            handled_per_hour_min=handled_per_hour,
        )
    except StaffingError as exc:
        usage_error("staff", str(exc))

    def progress(message: str) -> None:
        if not quiet:
            err.print(f"[dim]{message}[/dim]", highlight=False)

    try:
        result = optimise_staffing(
            campaign,
            targets,
            replications=replications,
            confidence=confidence,
            seed=seed,
            min_agents=min_agents,
            max_agents=max_agents,
            workers=workers,
            scheduler=dask,
            progress=progress,
            confirm=confirm,
        )
        verification = verify_staffing(result, campaign, workers=workers, scheduler=dask) if verify else None
    except CampaignDocumentError as exc:
        text = str(exc)
        usage_error("staff", text if str(campaign) in text else f"{campaign}: {text}")
    except (StaffingError, ValueError, ConnectionError) as exc:
        usage_error("staff", str(exc))

    table = Table(
        title=f"Staffing per hour: {campaign.name} ({result.mode}), targets met with {confidence:.0%} confidence"
    )
    table.add_column("interval")
    table.add_column("agents", justify="right")
    table.add_column("Erlang A", justify="right")
    throughput = bool(targets.throughput())
    if throughput:
        table.add_column("workload", justify="right")
    df = result.table()
    items = targets.items()
    for name, metric, bound in items:
        pct = metric in ("abandonment", "occupancy", "service_level")
        side = ">=" if name.endswith("_min") else "<="
        table.add_column(f"{metric} ({side} {_cell(bound, pct)})", justify="right")
    for _, row in df.iterrows():
        cells = [row["interval"], str(row["agents"]), _count(row["erlang_a_agents"])]
        if throughput:
            cells.append(_count(row["workload_agents"]))
        for name, metric, _bound in items:
            pct = metric in ("abandonment", "occupancy", "service_level")
            met = row[f"{name}_met"]
            mark = "[green]met[/green]" if met is True else ("[red]NOT met[/red]" if met is False else "[dim]n/a[/dim]")
            cells.append(
                f"{_cell(row[metric], pct)} [{_cell(row[f'{metric}_ci_low'], pct)}, {_cell(row[f'{metric}_ci_high'], pct)}] {mark}"
            )
        table.add_row(*cells)
    out.print(table)
    out.print(
        f"{result.simulations} simulations ({result.evaluations} staffings x {replications} replications, "
        f"{result.confirmation_simulations} of them confirming the answer on fresh seeds"
        + (
            f": added {', '.join(f'{n} at {h:02d}:00' for h, n in sorted(result.confirmation_steps.items()))}"
            if result.confirmation_steps
            else ""
        )
        + "); "
        f"searched: {', '.join(result.searched_targets) or 'none'}; intervals are two-sided {confidence:.0%}, "
        f"'met' is the one-sided {confidence:.0%} bound."
    )
    for warning in result.warnings:
        out.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    if verification is not None:
        status = "[green]passed[/green]" if verification.passed else "[red]FAILED[/red]"
        out.print(
            f"verification ({verification.simulations} simulations on fresh seeds): {status} - "
            + "; ".join(
                f"{r['hour']:02d}:00 answer {'meets' if r['answer_meets_mean'] else 'MISSES'}, "
                f"one fewer {'fails' if r['fewer_fails'] else 'ALSO MEETS'}"
                for r in verification.rows
                if r["agents"] > 0
            )
        )
        for warning in verification.warnings:
            out.print(f"[yellow]warning (verification):[/yellow] {warning}", highlight=False)
    if out_dir is not None:
        from analysis.staffing_plots import plot_staffing

        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "staffing.json").write_text(json.dumps(result.to_dict(), indent=1, default=str) + "\n")
        df.to_csv(out_dir / "staffing.csv", index=False)
        plot_staffing(result).savefig(out_dir / "staffing.png", dpi=120)
        out.print(f"wrote {out_dir / 'staffing.json'}, {out_dir / 'staffing.csv'}, {out_dir / 'staffing.png'}")
    if verification is not None and not verification.passed:
        raise typer.Exit(1)
