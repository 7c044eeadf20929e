"""``dialer explain NUMBER --at TIME --jurisdiction J``: may this number be
called at that instant, and if not, which rule forbids it (with its source),
in which zone (and how the zone was found), and when is the next allowed
instant. ``dialer rules J --on DATE [--state FL]``: the effective rules of a
pack on a date. ``--recorded-message`` (both): the call delivers a recorded
message, so the state rules for such devices (NV, ME, NE) apply too.

Exit codes: 0 allowed (``explain``) or rules printed; 1 refused; 2 bad input
(a clear message naming the option, never a traceback).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, NoReturn

import typer

from cli.errors import usage_error


def _instant(text: str) -> datetime:
    """An ISO 8601 instant; a naive one is read as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def explain_command(
    number: Annotated[str, typer.Argument(help="The callee's number, E.164 (+13055550100) or national with --region.")],
    at: Annotated[str, typer.Option("--at", help="The instant, ISO 8601 (2026-06-03T00:30:00Z; no offset: UTC).")],
    jurisdiction: Annotated[
        str, typer.Option("--jurisdiction", "-j", help="US, CA, FR, UK, AU, AU_RESEARCH, NZ or a rules YAML/JSON file.")
    ] = "US",
    zip_code: Annotated[
        str | None, typer.Option("--zip", help="The callee's ZIP or postcode (chooses the state and zone).")
    ] = None,
    zone: Annotated[str | None, typer.Option("--zone", help="The callee's IANA time zone, when known.")] = None,
    region: Annotated[str, typer.Option("--region", help="Region for a national-format number.")] = "US",
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
    recorded_message: Annotated[
        bool,
        typer.Option(
            "--recorded-message",
            help="The call delivers a recorded message (an agentless campaign): the state rules for such devices apply.",
        ),
    ] = False,
) -> None:
    """Explain whether NUMBER may be called at --at under --jurisdiction."""
    from compliance.gate import Contact, may_dial
    from compliance.rules import get_rules
    from phonegeo import LocalTimeError, normalise_number

    def fail(message: str) -> NoReturn:
        usage_error("explain", message)

    try:
        instant = _instant(at)
    except ValueError:
        fail(f"--at: expected an ISO 8601 instant like 2026-06-03T00:30:00Z, got {at!r}")
    try:
        rules = get_rules(jurisdiction)
    except ValueError as exc:
        fail(f"--jurisdiction: {exc}")
    try:
        e164 = normalise_number(number, region)
    except LocalTimeError as exc:
        fail(f"NUMBER: {exc}")
    try:
        decision = may_dial(
            Contact(e164, zone=zone, postcode=zip_code), instant, rules=rules, recorded_message=recorded_message
        )
    except LocalTimeError as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "number": e164,
                    "at": instant.isoformat(),
                    "jurisdiction": jurisdiction,
                    "recorded_message": recorded_message,
                    **decision.to_dict(),
                },
                indent=2,
            )
        )
    else:
        local = decision.local_time.strftime("%Y-%m-%d %H:%M:%S %Z (%a)") if decision.local_time else "?"
        lines = [
            f"number:        {e164}",
            f"instant:       {instant.astimezone(UTC).isoformat()}",
            f"jurisdiction:  {rules.name if rules else 'none'}"
            + (" (a recorded-message call)" if recorded_message else ""),
            f"zone:          {decision.zone} (from {decision.zone_source}; candidates {', '.join(decision.zones)})",
            f"local time:    {local}",
            f"state:         {', '.join(decision.regions) or 'none'} (from {decision.regions_source})",
            f"decision:      {'ALLOWED' if decision.allowed else 'REFUSED: ' + decision.reason.name}",
        ]
        if not decision.allowed:
            nxt = decision.next_allowed
            lines += [
                f"rule:          {decision.rule}",
                f"source:        {decision.source}",
                f"next allowed:  {nxt.isoformat() if nxt else 'not within 400 days'}"
                + (
                    f" ({nxt.astimezone(decision.local_time.tzinfo).strftime('%Y-%m-%d %H:%M %Z')})"
                    if nxt and decision.local_time
                    else ""
                ),
            ]
        typer.echo("\n".join(lines))
    raise typer.Exit(0 if decision.allowed else 1)


def rules_command(
    jurisdiction: Annotated[str, typer.Argument(help="US, CA, FR, UK, AU, AU_RESEARCH, NZ or a rules YAML/JSON file.")],
    on: Annotated[str | None, typer.Option("--on", help="The date (YYYY-MM-DD; default today).")] = None,
    state: Annotated[
        list[str] | None, typer.Option("--state", help="The callee's state or province (repeatable).")
    ] = None,
    recorded_message: Annotated[
        bool,
        typer.Option("--recorded-message", help="The rules for calls delivering a recorded message (agentless)."),
    ] = False,
) -> None:
    """Print the effective rules of a pack on a date (JSON), with their sources."""
    from compliance.rules import get_rules

    def fail(message: str) -> NoReturn:
        usage_error("rules", message)

    try:
        day = date.fromisoformat(on) if on else date.today()
    except ValueError:
        fail(f"--on: expected a date like 2026-06-03, got {on!r}")
    try:
        rules = get_rules(jurisdiction)
    except ValueError as exc:
        fail(f"JURISDICTION: {exc}")
    if rules is None:
        fail("JURISDICTION: required")
    if recorded_message:
        rules = rules.for_recorded_message()
    regions = tuple(s.upper() for s in state or ())
    flat = rules.effective(day, regions)
    out = flat.to_dict()
    out["on"] = day.isoformat()
    out["regions"] = list(regions)
    out["layers"] = [
        {
            "region": r.region,
            "name": r.name,
            "source": r.source,
            "confirmed": r.confirmed,
            "effective_from": r.effective_from.isoformat() if r.effective_from else None,
            "effective_to": r.effective_to.isoformat() if r.effective_to else None,
        }
        for r in rules.layers(day, regions)
    ]
    typer.echo(json.dumps(out, indent=2, default=str))


def register(app: typer.Typer) -> None:
    app.command("explain")(explain_command)
    app.command("rules")(rules_command)
