"""Starting and steering runs from the API side.

A start builds the full campaign document (the stored Connect campaign plus
the simulated contact center's ``simulation`` settings), checks it, records
a ``queued`` run and wakes the supervisor, which launches a worker process.
Pause, resume and stop are written to the run's ``control`` column; the
worker polls it at each progress report.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.errors import validation
from api.state import ServiceState
from campaigns import repository as repo
from campaigns.document import CampaignDocument, CampaignDocumentError, parse_document
from campaigns.models import Campaign, ContactListRow, OutboundRequest, Run
from compliance.rules import UnknownJurisdiction, builtin_name

# Used when a campaign's connectInstanceId has no simulated contact center:
# ten agents and the reference answer mix (people answer about 10% of calls).
DEFAULT_SIMULATION: dict[str, Any] = {
    "seed": 0,
    "jurisdiction": "US",
    "agents": {"count": 10},
    "behaviour": {
        "outcomes": {
            "human": 0.10,
            "machine_beep": 0.18,
            "machine_no_beep": 0.07,
            "no_answer": 0.52,
            "busy": 0.05,
            "invalid": 0.06,
            "fax": 0.02,
        }
    },
    "lines": 100,
}

DEFAULT_SCHEDULE_HOURS = 8


def simulation_for(session: Session, campaign: Campaign) -> dict[str, Any]:
    cc = repo.get_contact_center(session, tenant=campaign.tenant, instance_id=campaign.instance_id, missing_ok=True)
    return dict(cc.simulation) if cc is not None else dict(DEFAULT_SIMULATION)


def build_document(session: Session, campaign: Campaign, *, now: datetime | None = None) -> dict[str, Any]:
    """The campaign document a run of ``campaign`` simulates (JSON-ready)."""
    definition = dict(campaign.definition)
    tags = repo.tags_of(campaign)
    if tags:
        definition["tags"] = tags
    if "schedule" not in definition:
        start = (now or datetime.now(UTC)).replace(microsecond=0)
        definition["schedule"] = {
            "startTime": start.isoformat().replace("+00:00", "Z"),
            "endTime": (start + timedelta(hours=DEFAULT_SCHEDULE_HOURS)).isoformat().replace("+00:00", "Z"),
        }
    simulation = simulation_for(session, campaign)
    simulation.pop("contacts", None)
    if campaign.synthetic:
        simulation["contacts"] = {"synthetic": campaign.synthetic}
    return {"campaign": definition, "simulation": simulation}


def check_document(document: dict[str, Any]) -> CampaignDocument:
    """The parsed document, or a ValidationException. Its jurisdiction must
    be a built-in rule-set name: the worker must never open a rule file a
    request named (settings stored by an older release are checked here)."""
    try:
        doc = parse_document(document, source="campaign")
    except CampaignDocumentError as exc:
        msgs = [f"{'.'.join(p.split('.'))}: {m}" for p, m, _v in exc.errors[:5]]
        raise validation("campaign cannot be simulated: " + "; ".join(msgs)) from None
    if doc.simulation.jurisdiction is not None:
        try:
            builtin_name(doc.simulation.jurisdiction)
        except UnknownJurisdiction as exc:
            raise validation(f"campaign cannot be simulated: simulation.jurisdiction: {exc}") from None
    return doc


def start_run(session: Session, state: ServiceState, campaign: Campaign, *, seed: int | None = None) -> Run:
    document = build_document(session, campaign)
    doc = check_document(document)
    pending = session.scalar(
        select(func.count())
        .select_from(OutboundRequest)
        .where(OutboundRequest.campaign_id == campaign.id, OutboundRequest.status == "PENDING")
    )
    count = int(pending or 0)
    if campaign.contact_list_id:
        lst = session.get(ContactListRow, campaign.contact_list_id)
        count += lst.contact_count if lst else 0
    if campaign.synthetic:
        count += int(campaign.synthetic.get("count", 0))
    wrapper = {
        "document": document,
        "contactListId": campaign.contact_list_id,
        # No list and no population: like a real Connect campaign fed by
        # PutOutboundRequestBatch, the run dials requests as they arrive
        # and ends when the campaign is stopped.
        "apiDriven": not campaign.contact_list_id and not campaign.synthetic,
    }
    run = repo.create_run(
        session,
        campaign=campaign,
        document=wrapper,
        seed=doc.simulation.seed if seed is None else seed,
        contact_count=count,
    )
    campaign.state = "Running"
    session.flush()
    state.metrics.runs_started.inc()
    if state.supervisor is not None:
        session.info.setdefault("after_commit", []).append(state.supervisor.wake)
    return run


def control_run(session: Session, campaign: Campaign, action: str) -> None:
    run = repo.active_run(session, campaign_id=campaign.id)
    if action == "pause":
        campaign.state = "Paused"
        if run is not None:
            run.control = "pause"
            if run.status == "running":
                run.status = "paused"
    elif action == "resume":
        campaign.state = "Running"
        if run is not None:
            run.control = "run"
            if run.status == "paused":
                run.status = "running"
    elif action == "stop":
        campaign.state = "Stopped"
        if run is not None:
            run.control = "stop"
            if run.status in ("queued", "interrupted"):
                run.status = "stopped"
                run.finished_at = datetime.now(UTC)
    session.flush()


def notify_requests(state: ServiceState) -> None:
    """Outbound requests arrived; workers poll the table, nothing to do."""
