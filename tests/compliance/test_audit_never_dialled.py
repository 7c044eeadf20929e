"""An outbound request that expired before its turn was never dialled: the
audit does not count it as a call (issue 13, "an audit that cannot be
fooled"). Its row is the engine's (dialer/engine.py ``_expire``): one
DISCONNECTED event (then a COMPLETED one) with ``disconnectReason:
EXPIRED``, no initiation timestamp, the event's time the request's
expiry. Before the fix the audit took that time as the dial's, so every
per-call rule could see a call that never happened.

Each test pairs the expired request with the same row as a real call (a
control): the control breaks the rule, the expired request does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow.parquet as pq
import pytest
from event_rows import call, table

from compliance import audit
from compliance.history import DialHistory

# 2026-06-03, a Wednesday (EDT, UTC-4; BST, UTC+1).
JUNE = datetime(2026, 6, 3, 0, 0, tzinfo=UTC)
MIAMI, NYC, LONDON, PARIS = "+13055550100", "+12125550100", "+442079460000", "+33142000000"


def expired(n: int, *, at: float, number: str, base: datetime = JUNE, campaign: str = "camp-1") -> list[dict]:
    """The engine's rows for a request that expired ``at`` seconds after
    ``base`` without being dialled: DISCONNECTED (EXPIRED), then COMPLETED."""
    t = base + timedelta(seconds=at)
    row = {
        "event_id": f"ev-{n}",
        "time": t,
        "event_type": "DISCONNECTED",
        "contact_id": f"c-{n:05d}",
        "campaign_id": campaign,
        "instance_id": "inst",
        "channel": "VOICE",
        "initiation_method": "API",
        "customer_address": number,
        "initiation_ts": None,
        "disconnect_ts": t,
        "disconnect_reason": "EXPIRED",
    }
    return [row, {**row, "event_id": f"ev-{n}-done", "event_type": "COMPLETED"}]


def test_a_request_expiring_at_23_in_new_york_is_not_a_call_outside_the_hours():
    rows = [call(1, at=14 * 3600, number=NYC, base=JUNE)]  # 10:00 EDT
    late = 27 * 3600.0  # 03:00 UTC on the 4th: 23:00 EDT on the 3rd
    control = call(2, at=late, number=NYC, base=JUNE)
    assert audit(table([*rows, control]), "US").rule("calling_hours").offenders == ["c-00002"]
    report = audit(table([*rows, *expired(2, at=late, number=NYC)]), "US")
    assert report.rule("calling_hours").measured == 0 and report.passed
    assert report.calls == 1 and report.summary["never_dialled_excluded"] == 1
    assert any("never dialled" in f for f in report.findings)


def test_a_florida_request_expiring_at_2030_is_not_a_call_outside_the_state_hours():
    at = 24.5 * 3600  # 00:30 UTC: 20:30 EDT, after Florida's 20:00
    assert audit(table([call(1, at=at, number=MIAMI, base=JUNE)]), "US").rule("state_calling_hours").measured == 1
    report = audit(table([call(0, at=14 * 3600, number=MIAMI, base=JUNE), *expired(1, at=at, number=MIAMI)]), "US")
    assert report.rule("state_calling_hours").measured == 0 and report.passed


def test_three_florida_calls_and_an_expired_request_do_not_break_3_per_24h():
    calls = [call(k, at=14 * 3600 + k * 600, number=MIAMI, base=JUNE) for k in range(1, 4)]
    fourth = 14 * 3600 + 4 * 600
    control = audit(table([*calls, call(4, at=fourth, number=MIAMI, base=JUNE)]), "US")
    assert control.rule("frequency_cap_3_per_24h").offenders == ["c-00004"]
    report = audit(table([*calls, *expired(4, at=fourth, number=MIAMI)]), "US")
    r = report.rule("frequency_cap_3_per_24h")
    assert r.measured == 0 and r.passed and report.passed
    assert report.summary["never_dialled_excluded"] == 1 and report.summary["duplicates_dropped"] == 0


def test_an_expired_request_between_calls_does_not_shift_the_rolling_count():
    # Calls at 0, 1 h and 2 h, an expired request at 3 h, a call 24 h after the first:
    # only the calls at 1 h and 2 h are within 24 h before it (2 < 3), so no breach.
    t0 = 14 * 3600.0
    rows = [call(k, at=t0 + k * 3600, number=MIAMI, base=JUNE) for k in range(3)]
    rows += [*expired(3, at=t0 + 3 * 3600, number=MIAMI), call(4, at=t0 + 24 * 3600 + 60, number=MIAMI, base=JUNE)]
    assert audit(table(rows), "US").rule("frequency_cap_3_per_24h").measured == 0


def test_an_expired_request_to_a_listed_number_is_not_a_dnc_breach():
    rows = [call(1, at=14 * 3600, number=NYC, base=JUNE)]
    assert audit(table(rows), "US", dnc=[MIAMI, NYC]).rule("dnc").offenders == ["c-00001"]
    report = audit(table([*rows, *expired(2, at=15 * 3600, number=MIAMI)]), "US", dnc=[MIAMI])
    assert report.rule("dnc").measured == 0


def test_an_expired_request_after_an_opt_out_is_not_a_call_after_it():
    refused = call(1, at=14 * 3600, number=NYC, base=JUNE, opt_out=True)
    later = 15 * 3600.0
    assert (
        audit(table([refused, call(2, at=later, number=NYC, base=JUNE)]), "US").rule("opt_out_honoured").measured == 1
    )
    assert audit(table([refused, *expired(2, at=later, number=NYC)]), "US").rule("opt_out_honoured").measured == 0


def test_an_expired_request_inside_the_french_cool_off_is_not_a_call():
    wed = datetime(2026, 6, 3, 8, 0, tzinfo=UTC)  # 10:00 in Paris
    refused = call(1, at=0, number=PARIS, base=wed, opt_out=True)
    later = 7 * 86400.0  # the next Wednesday, 10:00
    control = audit(table([refused, call(2, at=later, number=PARIS, base=wed)]), "FR")
    assert control.rule("cooloff_after_refusal").measured == 1
    report = audit(table([refused, *expired(2, at=later, number=PARIS, base=wed)]), "FR")
    assert report.rule("cooloff_after_refusal").measured == 0
    assert report.rule("frequency_cap_4_per_30days").measured == 0


def test_an_expired_request_after_an_abandoned_or_machine_call_is_not_a_recall():
    base = datetime(2026, 6, 3, 10, 0, tzinfo=UTC)  # 11:00 in London
    abandoned = call(1, at=0, number=LONDON, base=base, agent_after_start=None, message=True)
    machine = call(2, at=0, number=LONDON[:-1] + "1", base=base, party="MACHINE_BEEP", amd="VOICEMAIL_BEEP")
    later = 3600.0
    control = audit(
        table(
            [
                abandoned,
                machine,
                # No agent within the threshold: nothing excuses the re-call.
                call(3, at=later, number=LONDON, base=base, agent_after_start=None, message=True),
                call(4, at=later, number=LONDON[:-1] + "1", base=base, agent_after_start=None, message=True),
            ]
        ),
        "UK",
    )
    assert control.rule("recall_after_abandoned").offenders == ["c-00003"]
    assert control.rule("recall_after_machine").offenders == ["c-00004"]
    report = audit(
        table(
            [
                abandoned,
                machine,
                *expired(3, at=later, number=LONDON, base=base),
                *expired(4, at=later, number=LONDON[:-1] + "1", base=base),
            ]
        ),
        "UK",
    )
    assert report.rule("recall_after_abandoned").measured == 0
    assert report.rule("recall_after_machine").measured == 0
    assert report.summary["never_dialled_excluded"] == 2 and report.calls == 2


def test_the_parquet_path_excludes_them_too(tmp_path):
    calls = [call(k, at=14 * 3600 + k * 600, number=MIAMI, base=JUNE) for k in range(1, 4)]
    path = tmp_path / "events.parquet"
    pq.write_table(table([*calls, *expired(4, at=14 * 3600 + 2400, number=MIAMI)]), path)
    report = audit(path, "US")
    assert report.rule("frequency_cap_3_per_24h").measured == 0
    assert report.summary["never_dialled_excluded"] == 1 and report.calls == 3


def test_a_log_of_expired_requests_only_has_no_calls_and_no_breach():
    late = 27 * 3600.0  # 23:00 EDT
    report = audit(table([*expired(1, at=late, number=NYC), *expired(2, at=late, number=MIAMI)]), "US", dnc=[NYC])
    assert report.calls == 0 and report.summary["never_dialled_excluded"] == 2
    assert report.failures == [] and report.rule("dnc").measured == 0


def test_the_engine_expired_requests_are_excluded_and_counted():
    """A real run (dialer.simulate) with requests expiring: the audit's calls
    are the run's dial attempts, its exclusions the run's expired requests."""
    from campaigns.contacts import load_contacts
    from campaigns.document import parse_document
    from dialer import simulate
    from tests.dialer.conftest import make_doc

    doc = parse_document(
        make_doc(
            **{
                "simulation.contacts": {"synthetic": {"count": 200, "areaCodes": {"305": 1.0}}},
                "simulation.agents": {"count": 2},
                "simulation.behaviour": {"outcomes": {"human": 0.3, "no_answer": 0.7}},
                "campaign.entryLimitsConfig": {"maxEntryCount": 3, "minEntryInterval": "PT5M"},
            }
        )
    )
    contacts = load_contacts(doc)
    rng = np.random.default_rng(7)
    contacts.expires_at = np.where(rng.random(len(contacts)) < 0.5, rng.uniform(0, 3600, len(contacts)), np.inf)
    r = simulate(doc, contacts=contacts)
    assert r.summary["expired_requests"] > 0
    report = audit(r.events, "US")
    assert report.summary["never_dialled_excluded"] == r.summary["expired_requests"]
    assert report.calls == r.summary["dial_attempts"]
    # The gate's history and the audit agree on what a call is.
    assert len(DialHistory.from_events(r.events)) == report.calls


@pytest.mark.parametrize("with_init", [False, True])
def test_an_expired_contact_is_not_a_call_even_with_an_initiation_timestamp(with_init):
    """Connect may create the contact (an initiation timestamp) of a request
    it then expires for want of capacity: EXPIRED alone says it was never
    dialled (REFERENCE.md: "the dialer found no capacity before the
    request's expirationTime")."""
    calls = [call(k, at=14 * 3600 + k * 600, number=MIAMI, base=JUNE) for k in range(1, 4)]
    rows = expired(4, at=14 * 3600 + 2400, number=MIAMI)
    if with_init:
        rows = [{**r, "initiation_ts": r["time"]} for r in rows]
    assert audit(table([*calls, *rows]), "US").rule("frequency_cap_3_per_24h").measured == 0
