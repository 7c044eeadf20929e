"""State rules that bind only calls delivering a recorded message (an
automatic dialing-announcing device: an agentless campaign): Nevada
09:00-21:00 every day (NRS 597.814(2)(a)), Maine Monday-Friday 09:00-17:00
(10 M.R.S. 1498(3)), Nebraska 08:00-21:00 (Neb. Rev. Stat. 86-248(1), the
federal window). The expected verdicts are typed in from those texts (as the
secondary sources quote them), not computed from the packs; the same
instants are allowed for a live-agent campaign."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from event_rows import call, doc_mapping, table
from typer.testing import CliRunner

from campaigns.document import parse_document
from compliance import Verdict, audit, may_dial
from compliance.rules import US

LAS_VEGAS, PORTLAND_ME, OMAHA = "+17025550100", "+12075550100", "+14025550100"
PT, ET, CT = ZoneInfo("America/Los_Angeles"), ZoneInfo("America/New_York"), ZoneInfo("America/Chicago")
AGENTLESS = {"agentless": {}}
START = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # schedule: Monday 1 June .. Tuesday 9 June 2026


def _gate(make_gate, mode):
    rows = [{"phone": LAS_VEGAS}, {"phone": PORTLAND_ME}, {"phone": OMAHA}]
    gate, _doc, _ = make_gate(rows, "US", start="2026-06-01T00:00:00Z", end="2026-06-09T00:00:00Z", mode=mode)
    return gate


def _t(zone, *args):
    """Seconds after the schedule start of a local wall-clock instant."""
    return (datetime(*args, tzinfo=zone) - START).total_seconds()


def _check_edges(make_gate, i, zone, edges):
    """Each (local instant, verdict for a recorded message, next allowed
    local instant when refused): the agentless campaign's gate answers so;
    a live-agent (progressive) campaign's gate allows every instant listed
    (all are within the federal 08:00-21:00)."""
    agentless, live = _gate(make_gate, AGENTLESS), _gate(make_gate, None)
    for at, verdict, nxt in edges:
        t = _t(zone, *at)
        assert agentless.check(i, t) == (verdict, t if nxt is None else _t(zone, *nxt)), at
        assert live.check(i, t) == (Verdict.ALLOWED, t), at


OUT, OK = Verdict.OUTSIDE_HOURS, Verdict.ALLOWED


def test_nevada_recorded_messages_09_to_21_every_day(make_gate):
    _check_edges(
        make_gate,
        0,
        PT,
        [
            ((2026, 6, 3, 8, 59), OUT, (2026, 6, 3, 9, 0)),  # Wednesday, just before 9 a.m.
            ((2026, 6, 3, 9, 0), OK, None),
            ((2026, 6, 3, 20, 59), OK, None),
            ((2026, 6, 6, 8, 30), OUT, (2026, 6, 6, 9, 0)),  # Saturday too: every day
            ((2026, 6, 7, 9, 0), OK, None),  # Sunday
        ],
    )


def test_maine_recorded_messages_weekdays_09_to_17(make_gate):
    _check_edges(
        make_gate,
        1,
        ET,
        [
            ((2026, 6, 3, 8, 59), OUT, (2026, 6, 3, 9, 0)),
            ((2026, 6, 3, 9, 0), OK, None),
            ((2026, 6, 3, 16, 59), OK, None),
            ((2026, 6, 3, 17, 0), OUT, (2026, 6, 4, 9, 0)),
            ((2026, 6, 5, 17, 0), OUT, (2026, 6, 8, 9, 0)),  # Friday 5 p.m.: next is Monday
            ((2026, 6, 6, 10, 0), OUT, (2026, 6, 8, 9, 0)),  # Saturday
            ((2026, 6, 7, 12, 0), OUT, (2026, 6, 8, 9, 0)),  # Sunday
            ((2026, 6, 8, 9, 0), OK, None),  # Monday
        ],
    )


def test_nebraska_recorded_messages_08_to_21_named_in_the_refusal(make_gate):
    _check_edges(
        make_gate,
        2,
        CT,
        [((2026, 6, 3, 8, 0), OK, None), ((2026, 6, 3, 20, 59), OK, None), ((2026, 6, 7, 8, 0), OK, None)],
    )
    # Outside: refused for both kinds of call (the federal window); a
    # recorded message's refusal also names Nebraska's rule and source.
    gate = _gate(make_gate, AGENTLESS)
    for at, nxt in (((2026, 6, 3, 7, 59), (2026, 6, 3, 8, 0)), ((2026, 6, 3, 21, 0), (2026, 6, 4, 8, 0))):
        d = gate.explain(2, _t(CT, *at))
        assert d.reason == OUT and d.next_allowed == datetime(*nxt, tzinfo=CT)
        assert "US+NE calling hours" in d.rule and "Neb. Rev. Stat. 86-248(1)" in d.source
        assert "47 CFR 64.1200" in d.source
        live = _gate(make_gate, None).explain(2, _t(CT, *at))
        assert live.reason == OUT and "NE" not in live.rule and "86-248" not in live.source


def test_refusals_name_the_rule_its_source_and_the_next_instant(make_gate):
    gate = _gate(make_gate, AGENTLESS)
    d = gate.explain(0, _t(PT, 2026, 6, 3, 8, 59))
    assert not d.allowed and d.rule.startswith("US+NV calling hours") and "NRS 597.814(2)(a)" in d.source
    assert d.next_allowed == datetime(2026, 6, 3, 9, 0, tzinfo=PT)
    d = gate.explain(1, _t(ET, 2026, 6, 6, 10, 0))
    assert d.rule.startswith("US+ME calling hours") and "10 M.R.S. 1498(3)" in d.source
    assert d.next_allowed == datetime(2026, 6, 8, 9, 0, tzinfo=ET)
    # NV at 21:00: the next allowed instant is 9 a.m. for a message, 8 a.m. for a live call.
    t21 = _t(PT, 2026, 6, 3, 21, 0)
    assert gate.check(0, t21) == (Verdict.OUTSIDE_HOURS, _t(PT, 2026, 6, 4, 9, 0))
    assert _gate(make_gate, None).check(0, t21) == (Verdict.OUTSIDE_HOURS, _t(PT, 2026, 6, 4, 8, 0))


def test_may_dial_reads_the_campaign_mode_and_the_flag():
    at = datetime(2026, 6, 6, 10, 0, tzinfo=ET)  # Saturday in Maine
    agentless = parse_document(doc_mapping(start="2026-06-01T00:00:00Z", end="2026-06-09T00:00:00Z", mode=AGENTLESS))
    live = parse_document(doc_mapping(start="2026-06-01T00:00:00Z", end="2026-06-09T00:00:00Z"))
    d = may_dial(PORTLAND_ME, at, agentless)
    assert not d.allowed and "1498(3)" in d.source and d.next_allowed == datetime(2026, 6, 8, 9, 0, tzinfo=ET)
    assert may_dial(PORTLAND_ME, at, live).allowed
    assert may_dial(PORTLAND_ME, at, None, "US").allowed
    assert not may_dial(PORTLAND_ME, at, None, "US", recorded_message=True).allowed


def test_dialer_explain_recorded_message():
    import typer

    from cli.explain import register

    app = typer.Typer()
    register(app)
    at = ["--at", "2026-06-03T15:30:00Z"]  # 08:30 in Las Vegas
    r = CliRunner().invoke(app, ["explain", LAS_VEGAS, *at, "--recorded-message"])
    assert r.exit_code == 1 and "US+NV calling hours" in r.output and "NRS 597.814(2)(a)" in r.output
    assert "2026-06-03T16:00:00+00:00" in r.output  # 09:00 PDT
    assert CliRunner().invoke(app, ["explain", LAS_VEGAS, *at]).exit_code == 0


def test_the_layers_are_kept_apart_from_live_calls():
    assert not {r.region for r in US.local_rules} & {"NV", "ME", "NE"}
    assert {r.region for r in US.recorded_message_rules} == {"NV", "ME", "NE"}
    assert all(not r.confirmed and r.recorded_message_only for r in US.recorded_message_rules)
    rec = US.for_recorded_message()
    assert {"NV", "ME", "NE"} <= rec.regions and rec.for_recorded_message() is rec


def test_audit_flags_recorded_message_calls_outside_the_state_hours():
    wed = datetime(2026, 6, 3, tzinfo=UTC)

    def at(zone, day, h, mi=0):
        return (datetime(2026, 6, day, h, mi, tzinfo=zone) - wed).total_seconds()

    def message(n, number, t):  # an agentless call: the message played, no agent
        return call(n, at=t, number=number, base=wed, agent_after_start=None, message=True, campaign="notice")

    def live(n, number, t):
        return call(n, at=t, number=number, base=wed, campaign="sales")

    rows = [
        message(1, LAS_VEGAS, at(PT, 3, 8, 30)),  # NV before 9 a.m.: breach
        message(2, LAS_VEGAS, at(PT, 3, 9, 30)),
        message(3, PORTLAND_ME, at(ET, 6, 10, 0)),  # ME Saturday: breach
        message(4, PORTLAND_ME, at(ET, 3, 17, 30)),  # ME after 5 p.m.: breach
        message(5, PORTLAND_ME, at(ET, 3, 10, 0)),
        message(6, OMAHA, at(CT, 3, 8, 30)),
        {**message(7, LAS_VEGAS, at(PT, 4, 8, 45)), "sim_message_played": None},  # unanswered: a device call too
        live(8, LAS_VEGAS, at(PT, 3, 8, 30)),
        live(9, PORTLAND_ME, at(ET, 6, 10, 0)),
    ]
    report = audit(table(rows), "US")
    r = report.rule("state_calling_hours")
    assert not r.passed and sorted(r.offenders) == ["c-00001", "c-00003", "c-00004", "c-00007"]
    assert r.details["by_state"] == {"NV": 2, "ME": 2} and r.details["recorded_message_calls"] == 7
    assert "NRS 597.814(2)(a)" in r.details["sources"]["NV"] and "1498(3)" in r.details["sources"]["ME"]
    assert report.rule("calling_hours").passed
    # The same calls made by live agents break nothing (no state layer for them).
    live_only = audit(table(rows[7:]), "US")
    assert live_only.passed and "state_calling_hours" not in [x.rule for x in live_only.rules]


def test_an_agentless_engine_run_keeps_the_hours_and_its_audit_agrees():
    from campaigns.contacts import from_rows, zone_settings
    from dialer.run import simulate

    # Saturday 6 June 12:00 UTC (05:00 in Las Vegas, 08:00 in Maine) to Monday 8 June 18:00 UTC.
    m = doc_mapping(start="2026-06-06T12:00:00Z", end="2026-06-08T18:00:00Z", mode=AGENTLESS)
    m["simulation"] |= {"lines": 4, "seed": 3}
    doc = parse_document(m)
    rows = [{"phone": f"+1702555{k:04d}"} for k in range(20)] + [{"phone": f"+1207555{k:04d}"} for k in range(20)]
    result = simulate(doc, contacts=from_rows(rows, zone_settings(doc)))
    events = result.events
    calls = [r for r in events.to_pylist() if r["event_type"] == "DISCONNECTED" and r["initiation_ts"] is not None]
    assert len(calls) >= 40
    for r in calls:
        number, t = r["customer_address"], r["initiation_ts"].replace(tzinfo=UTC)
        if number.startswith("+1702"):
            assert 9 <= t.astimezone(PT).hour < 21, (number, t)
        else:  # Maine: no weekend call by the device, weekdays 09:00-17:00
            here = t.astimezone(ET)
            assert here.weekday() < 5 and 9 <= here.hour < 17, (number, t)
    r = audit(events, "US").rule("state_calling_hours")
    assert r.passed and r.details["recorded_message_calls"] > 0
