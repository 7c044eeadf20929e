"""``dialer audit EVENTS --jurisdiction US --format text|json``.

Exit codes: 0 every rule passed; 1 a rule failed; 2 the input could not be
read (fully or in part: a skipped line means the audit is incomplete). Input
problems are one-line messages naming the file and line, never tracebacks.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from cli.errors import usage_error

if TYPE_CHECKING:  # the command imports its implementation when it runs (start-up time)
    from compliance.audit.abandonment import FpSample
    from compliance.dnc import DncList


class Format(str, Enum):  # noqa: UP042 - Typer's documented choice pattern; a StrEnum would change str(Format.text)
    text = "text"
    json = "json"


def _fp_sample(text: str | None) -> FpSample:
    if text is None:
        return None
    if "/" in text:
        a, b = text.split("/", 1)
        return (int(b), int(a))  # "humans/tested"
    if "." in text:
        return float(text)
    return int(text)


def audit_command(
    events: Annotated[
        Path, typer.Argument(help="Events: Parquet file (events.parquet) or JSON lines of EventBridge envelopes.")
    ],
    jurisdiction: Annotated[
        str,
        typer.Option("--jurisdiction", "-j", help="US, CA, FR, UK, AU, AU_RESEARCH, NZ, or a rules YAML/JSON file."),
    ] = "US",
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    dnc: Annotated[
        list[Path] | None,
        typer.Option("--dnc", help="DNC list CSV (repeatable); calls to listed numbers are breaches."),
    ] = None,
    fp_sample: Annotated[
        str | None,
        typer.Option(
            "--fp-sample",
            help="AMD false-positive estimate: a sample size (400), a rate (0.05), or HUMANS/TESTED (12/400).",
        ),
    ] = None,
    max_offenders: Annotated[int, typer.Option("--max-offenders", help="Contact ids listed per rule.")] = 100,
    subject: Annotated[
        list[str] | None,
        typer.Option(
            "--subject", help="CAMPAIGN_ID=SUBJECT (repeatable): campaigns on one subject share the frequency caps."
        ),
    ] = None,
) -> None:
    """Audit the contact events of a run against a jurisdiction's rules."""
    from compliance.audit import AuditInputError, audit
    from compliance.dnc import read_dnc

    def fail(message: str) -> NoReturn:
        usage_error("audit", message)

    try:
        fps = _fp_sample(fp_sample)
    except ValueError:
        fail(f"--fp-sample: expected a sample size, a rate or HUMANS/TESTED, got {fp_sample!r}")
    subjects: dict[str, str] = {}
    for item in subject or []:
        if "=" not in item:
            fail(f"--subject: expected CAMPAIGN_ID=SUBJECT, got {item!r}")
        key, value = item.split("=", 1)
        subjects[key.strip()] = value.strip()
    lists: list[DncList] = []
    for p in dnc or []:
        try:
            dl = read_dnc(p, kind="company", name=p.stem)
        except (OSError, ValueError) as exc:
            fail(f"--dnc {p}: {exc}")
        for bad in dl.rejected[:20]:
            typer.echo(f"dialer audit: warning: {p}: {bad}", err=True)
        lists.append(dl)
    try:
        report = audit(
            events,
            jurisdiction,
            fp_sample=fps,
            dnc=lists or None,
            max_offenders=max_offenders,
            subjects=subjects or None,
        )
    except AuditInputError as exc:
        fail(str(exc))
    except ValueError as exc:  # unknown jurisdiction, bad rules file, bad fp_sample
        fail(str(exc))
    except OSError as exc:
        fail(f"{events}: {exc.strerror or exc}")
    for finding in report.findings:
        typer.echo(f"dialer audit: warning: {finding}", err=True)
    if fmt == Format.json:
        typer.echo(report.to_json(indent=2))
    else:
        from rich.console import Console

        report.render(Console(highlight=False))
    if report.findings and any("skipped" in f for f in report.findings):
        raise typer.Exit(2)
    raise typer.Exit(0 if report.passed else 1)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit_command)


if __name__ == "__main__":  # python -m cli.audit EVENTS ...
    _app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(_app)
    _app.command("_")(lambda: None)
    sys.exit(_app())
