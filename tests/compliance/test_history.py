"""Gate caps carried across runs: the attempts of earlier runs of a campaign
(``DialHistory``) count towards the per-contact frequency caps of the next."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest
from event_rows import call, table

from compliance import audit
from compliance.gate import Verdict
from compliance.history import DialHistory

START = datetime(2026, 6, 3, 13, 0, tzinfo=UTC)  # 09:00 EDT, a Wednesday
MIAMI, NYC = "+13055550100", "+12125550100"


def _gate(make_gate, rows, jur="US", **kw):
    gate, _doc, _ = make_gate(rows, jur, start="2026-06-03T13:00:00Z", end="2026-06-05T00:00:00Z", **kw)
    return gate


def test_three_calls_in_an_earlier_run_hold_a_florida_contact_until_the_first_is_24_hours_old(make_gate):
    gate = _gate(make_gate, [{"phone": MIAMI}, {"phone": NYC}])
    s = START.timestamp()
    # Yesterday 10:00, 11:00 and 12:00 EDT (the earlier run), for both numbers.
    prior = [(n, s - h * 3600) for n in (MIAMI, NYC) for h in (23, 22, 21)]
    assert gate.seed_history(DialHistory.of(prior)) == 6
    verdict, when = gate.check(0, 0.0)
    assert verdict == Verdict.FREQUENCY_LIMIT and when == pytest.approx(3600.0)  # 10:00 EDT today
    assert gate.check(0, 3600.0)[0] == Verdict.ALLOWED
    assert gate.check(1, 0.0)[0] == Verdict.ALLOWED  # New York: no cap
    why = gate.explain(0, 0.0)
    assert "3 per 24 h" in why.rule and "501.616" in why.source
    # After one more dial at 10:00 the window counts yesterday's 11:00 and 12:00 and today's 10:00.
    gate.record_dial(0, 3600.0)
    assert gate.check(0, 3601.0) == (Verdict.FREQUENCY_LIMIT, pytest.approx(2 * 3600.0))


def test_without_history_the_same_contact_is_allowed(make_gate):
    gate = _gate(make_gate, [{"phone": MIAMI}])
    assert gate.check(0, 0.0)[0] == Verdict.ALLOWED


def test_the_campaign_communication_limits_count_earlier_runs_too(make_gate):
    # A campaign cap of 1 per day (communicationLimitsOverride) on a New York number.
    gate = _gate(make_gate, [{"phone": NYC}], limits=[{"maxCountPerRecipient": 1, "frequency": 1, "unit": "DAY"}])
    gate.seed_history(DialHistory.of([(NYC, START.timestamp() - 3600)]))
    verdict, when = gate.check(0, 0.0)
    assert verdict == Verdict.FREQUENCY_LIMIT and when == pytest.approx(23 * 3600.0)


def test_a_refusal_in_an_earlier_run_blocks_the_contact(make_gate):
    gate = _gate(make_gate, [{"phone": NYC}, {"phone": MIAMI}])
    gate.seed_history(DialHistory.of([(NYC, START.timestamp() - 40 * 86400, True)]))
    assert gate.check(0, 0.0) == (Verdict.DNC, float("inf"))
    assert gate.check(1, 0.0)[0] == Verdict.ALLOWED


def test_a_number_listed_twice_gets_the_history_on_both_contacts(make_gate):
    gate = _gate(make_gate, [{"phone": MIAMI}, {"phone": MIAMI}])
    gate.seed_history(DialHistory.of([(MIAMI, START.timestamp() - h * 3600) for h in (1, 2, 3)]))
    assert gate.check(0, 0.0)[0] == gate.check(1, 0.0)[0] == Verdict.FREQUENCY_LIMIT


def test_seeding_after_the_first_dial_is_refused(make_gate):
    gate = _gate(make_gate, [{"phone": MIAMI}])
    gate.record_dial(0, 0.0)
    with pytest.raises(RuntimeError, match="before the first dial"):
        gate.seed_history(DialHistory.of([(MIAMI, START.timestamp() - 60)]))


def test_history_from_events_keeps_the_campaign_and_refusals():
    rows = [
        call(1, at=0, number=MIAMI, base=START, campaign="a"),
        call(2, at=60, number=MIAMI, base=START, campaign="b"),
        call(3, at=120, number=NYC, base=START, campaign="a", opt_out=True),
    ]
    h = DialHistory.from_events(table(rows), "a")
    assert len(h) == 2
    assert sorted(h.numbers.tolist()) == [12125550100, 13055550100]
    assert sorted(h.times.tolist()) == [START.timestamp(), START.timestamp() + 120]
    assert h.opted_out[h.numbers == 12125550100].tolist() == [True]
    assert len(DialHistory.from_events(table(rows))) == 3
    assert len(DialHistory.from_events(table(rows), ["a", "b"])) == 3


@pytest.mark.parametrize(
    ("attempts", "message"),
    [
        ([("not-a-number", 0.0)], "history\\[0\\].number"),
        ([(MIAMI, "noon")], "history\\[0\\].time"),
        ([(MIAMI,)], "expected"),
    ],
)
def test_bad_history_names_the_field(attempts, message):
    with pytest.raises(ValueError, match=message):
        DialHistory.of(attempts)


def _fl_body(start: str, end: str) -> dict:
    """A progressive campaign of 30 Miami numbers, up to 3 attempts each,
    10 minutes apart: enough to reach Florida's 3 calls per 24 hours."""
    return {
        "campaign": {
            "name": "fl-reminders",
            "connectInstanceId": "inst",
            "channelSubtypeConfig": {
                "telephony": {
                    "outboundMode": {"progressive": {"bandwidthAllocation": 1.0}},
                    "defaultOutboundConfig": {"connectContactFlowId": "flow", "ringTimeout": 20},
                }
            },
            "schedule": {"startTime": start, "endTime": end},
            "entryLimitsConfig": {"maxEntryCount": 3, "minEntryInterval": "PT10M"},
        },
        "simulation": {
            "seed": 3,
            "jurisdiction": "US",
            "contacts": {"synthetic": {"count": 30, "areaCodes": {"305": 1.0}}},
            "agents": {"count": 3},
            "behaviour": {"outcomes": {"human": 0.05, "no_answer": 0.95}},
            "lines": 10,
        },
    }


def test_simulate_with_the_previous_runs_events_keeps_the_florida_cap(tmp_path):
    """Two runs of one campaign, the second starting when the first ends:
    without the history the combined log breaks Florida's 3 per 24 h; with
    the first run's events given to the second, it does not."""
    from campaigns.document import parse_document
    from dialer.run import simulate

    def doc(start: str, end: str):
        return parse_document(_fl_body(start, end))

    first = simulate(doc("2026-06-03T13:00:00Z", "2026-06-03T16:00:00Z"), out_dir=tmp_path / "run1")
    second_blind = simulate(doc("2026-06-03T16:00:00Z", "2026-06-03T19:00:00Z"))
    second = simulate(doc("2026-06-03T16:00:00Z", "2026-06-03T19:00:00Z"), history=tmp_path / "run1" / "events.parquet")

    def cap_breaches(*runs) -> int:
        events = pa.concat_tables([r.events for r in runs])
        return int(audit(events, "US").rule("frequency_cap_3_per_24h").measured)

    ev = first.events
    dialled = [
        a
        for a, e in zip(ev.column("customer_address").to_pylist(), ev.column("event_type").to_pylist(), strict=True)
        if e == "DISCONNECTED"
    ]
    _numbers, per_number = np.unique(np.asarray(dialled, dtype=object), return_counts=True)
    assert (per_number >= 3).sum() >= 5  # the first run reached the cap for several numbers
    assert cap_breaches(first) == 0
    assert cap_breaches(first, second_blind) > 0
    assert cap_breaches(first, second) == 0


def _fl_yaml(tmp_path, start: str, end: str, name: str):
    import yaml

    path = tmp_path / name
    path.write_text(yaml.safe_dump(_fl_body(start, end)))
    return path


def test_dialer_simulate_history_option_carries_the_cap(tmp_path):
    """``dialer simulate --history`` feeds the earlier run's events to the
    gate: the second run dials less and the combined log keeps 3 per 24 h."""
    import pyarrow.parquet as pq
    import typer
    from typer.testing import CliRunner

    from cli.simulate import register

    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # two commands, so typer keeps the sub-command name
    runner = CliRunner()
    first = _fl_yaml(tmp_path, "2026-06-03T13:00:00Z", "2026-06-03T16:00:00Z", "first.yaml")
    second = _fl_yaml(tmp_path, "2026-06-03T16:00:00Z", "2026-06-03T19:00:00Z", "second.yaml")
    r = runner.invoke(app, ["simulate", str(first), "--out", str(tmp_path / "run1"), "--quiet"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["simulate", str(second), "--out", str(tmp_path / "blind"), "--quiet"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [
            "simulate",
            str(second),
            "--out",
            str(tmp_path / "run2"),
            "--quiet",
            "--history",
            str(tmp_path / "run1" / "events.parquet"),
        ],
    )
    assert r.exit_code == 0, r.output

    def breaches(*dirs: str) -> int:
        events = pa.concat_tables([pq.read_table(tmp_path / d / "events.parquet") for d in dirs])
        return int(audit(events, "US").rule("frequency_cap_3_per_24h").measured)

    assert breaches("run1", "blind") > 0
    assert breaches("run1", "run2") == 0

    r = runner.invoke(app, ["simulate", str(second), "--quiet", "--history", str(tmp_path / "nope.parquet")])
    assert r.exit_code == 2
    assert "--history" in r.output and "nope.parquet" in r.output


def test_placed_before_moves_an_overlapping_history_back_in_one_block():
    s = START.timestamp()
    before = DialHistory.of([(MIAMI, s - 7200), (NYC, s - 60)])
    assert before.placed_before(s) == (before, 0.0)  # already before the start: unchanged
    overlapping = DialHistory.of([(MIAMI, s + 600), (NYC, s + 3600), (MIAMI, s - 1800, True)])
    placed, shift = overlapping.placed_before(s)
    assert shift == 3601.0
    assert placed.times.tolist() == [s - 3001, s - 1, s - 5401]  # order and spacing kept, last one 1 s before
    assert placed.numbers.tolist() == overlapping.numbers.tolist()
    assert placed.opted_out.tolist() == [False, False, True]
    assert DialHistory.empty().placed_before(s)[1] == 0.0


def test_an_expired_request_is_not_a_dial_attempt():
    rows = [
        call(1, at=0, number=MIAMI, base=START),
        {**call(2, at=60, number=MIAMI, base=START, reason="EXPIRED"), "initiation_ts": None},
    ]
    h = DialHistory.from_events(table(rows))
    assert h.times.tolist() == [START.timestamp()]
