import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from compliance import DialGate, Verdict, may_dial
from compliance.gate import Contact

US_ZONES = {
    "America/New_York": "+12125550100",
    "America/Chicago": "+13125550100",
    "America/Denver": "+13035550100",
    "America/Phoenix": "+16025550100",
    "America/Los_Angeles": "+14155550100",
    "America/Anchorage": None,  # 907 spans Anchorage and Adak: see the two-zone test
    "Pacific/Honolulu": "+18085550100",
}


def local(zone, y, mo, d, h, mi=0, s=0):
    return datetime(y, mo, d, h, mi, s, tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize("zone", list(US_ZONES))
@pytest.mark.parametrize("day", [(2026, 7, 15), (2026, 12, 2)])
def test_every_us_zone_at_the_edges_of_8_and_21(zone, day):
    number = US_ZONES[zone]
    contacts = [Contact("+12125550100", zone=zone)] + ([number] if number else [])
    for c in contacts:
        assert not may_dial(c, local(zone, *day, 7, 59), None, "US").allowed
        assert may_dial(c, local(zone, *day, 8, 0), None, "US").allowed
        assert may_dial(c, local(zone, *day, 20, 59), None, "US").allowed
        late = may_dial(c, local(zone, *day, 21, 0), None, "US")
        assert not late.allowed and late.reason == Verdict.OUTSIDE_HOURS
        nxt = datetime(*day, tzinfo=ZoneInfo(zone)) + timedelta(days=1, hours=8)
        assert late.next_allowed == nxt
        early = may_dial(c, local(zone, *day, 7, 59, 59), None, "US")
        assert early.next_allowed == local(zone, *day, 8, 0)


def test_every_us_zone_through_the_gate(make_gate):
    rows = [{"phone": "+12125550100", "time_zone": z} for z in US_ZONES]
    gate, doc, _contacts = make_gate(rows, "US", start="2026-12-02T00:00:00Z", end="2026-12-04T00:00:00Z")
    epoch = doc.campaign.schedule.start_time
    for i, zone in enumerate(US_ZONES):
        t8 = (local(zone, 2026, 12, 2, 8).astimezone(UTC) - epoch).total_seconds()
        t21 = (local(zone, 2026, 12, 2, 21).astimezone(UTC) - epoch).total_seconds()
        assert gate.check(i, t8 - 60) == (Verdict.OUTSIDE_HOURS, t8)
        assert gate.check(i, t8) == (Verdict.ALLOWED, t8)
        assert gate.check(i, t21 - 60) == (Verdict.ALLOWED, t21 - 60)
        assert gate.check(i, t21) == (Verdict.OUTSIDE_HOURS, t8 + 86400)


def test_dst_weekends_new_york():
    ny = "America/New_York"
    # 2026-03-08: clocks go forward at 02:00; 08:00 EDT is 12:00 UTC (13:00 UTC the day before).
    d = may_dial("+12125550100", datetime(2026, 3, 8, 6, 0, tzinfo=UTC), None, "US")
    assert not d.allowed and d.next_allowed == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert (
        may_dial("+12125550100", datetime(2026, 3, 7, 12, 59, tzinfo=UTC), None, "US").reason == Verdict.OUTSIDE_HOURS
    )
    assert may_dial("+12125550100", datetime(2026, 3, 8, 12, 0, tzinfo=UTC), None, "US").allowed
    assert not may_dial("+12125550100", datetime(2026, 3, 8, 11, 59, tzinfo=UTC), None, "US").allowed
    # 21:00 EDT on 2026-03-08 is 01:00 UTC on the 9th.
    assert may_dial("+12125550100", datetime(2026, 3, 9, 0, 59, tzinfo=UTC), None, "US").allowed
    assert not may_dial("+12125550100", datetime(2026, 3, 9, 1, 0, tzinfo=UTC), None, "US").allowed
    # 2026-11-01: clocks go back at 02:00; 08:00 EST is 13:00 UTC.
    assert not may_dial("+12125550100", datetime(2026, 11, 1, 12, 30, tzinfo=UTC), None, "US").allowed
    assert may_dial("+12125550100", datetime(2026, 11, 1, 13, 0, tzinfo=UTC), None, "US").allowed
    assert may_dial("+12125550100", local(ny, 2026, 11, 1, 20, 59), None, "US").allowed
    assert not may_dial("+12125550100", local(ny, 2026, 11, 1, 21, 0), None, "US").allowed


def test_dst_in_the_gate_when_is_exact(make_gate):
    gate, doc, _ = make_gate(
        [{"phone": "+12125550100"}], "US", start="2026-03-07T00:00:00Z", end="2026-03-10T00:00:00Z"
    )
    t = (datetime(2026, 3, 8, 3, 0, tzinfo=UTC) - doc.campaign.schedule.start_time).total_seconds()
    verdict, when = gate.check(0, t)
    assert verdict == Verdict.OUTSIDE_HOURS
    assert doc.campaign.schedule.start_time + timedelta(seconds=when) == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


def test_australian_sunday_and_australia_day():
    syd = "Australia/Sydney"
    sunday = may_dial("+61212345678", local(syd, 2026, 1, 25, 10), None, "AU")
    assert not sunday.allowed and sunday.reason == Verdict.OUTSIDE_HOURS
    # Monday 26 January is Australia Day (national): next is Tuesday 09:00.
    assert sunday.next_allowed == local(syd, 2026, 1, 27, 9)
    holiday = may_dial("+61212345678", local(syd, 2026, 1, 26, 10), None, "AU")
    assert not holiday.allowed and holiday.reason == Verdict.HOLIDAY
    assert may_dial("+61212345678", local(syd, 2026, 1, 27, 9), None, "AU").allowed
    assert not may_dial("+61212345678", local(syd, 2026, 1, 27, 20), None, "AU").allowed
    assert may_dial("+61212345678", local(syd, 2026, 1, 24, 16, 59), None, "AU").allowed  # Saturday
    assert not may_dial("+61212345678", local(syd, 2026, 1, 24, 17), None, "AU").allowed
    # Research calls: Sunday 09:00-17:00 is fine, the national holiday is not; weekdays until 20:30.
    assert may_dial("+61212345678", local(syd, 2026, 1, 25, 10), None, "AU_RESEARCH").allowed
    assert may_dial("+61212345678", local(syd, 2026, 1, 26, 10), None, "AU_RESEARCH").reason == Verdict.HOLIDAY
    assert may_dial("+61212345678", local(syd, 2026, 1, 27, 20, 29), None, "AU_RESEARCH").allowed


def test_new_zealand_sunday_and_saturday():
    akl = "Pacific/Auckland"
    sunday = may_dial("+6495550100", local(akl, 2026, 3, 15, 12), None, "NZ")
    assert not sunday.allowed and sunday.reason == Verdict.OUTSIDE_HOURS
    assert sunday.next_allowed == local(akl, 2026, 3, 16, 8)
    assert may_dial("+6495550100", local(akl, 2026, 3, 14, 20, 59), None, "NZ").allowed
    assert not may_dial("+6495550100", local(akl, 2026, 3, 14, 21), None, "NZ").allowed
    assert may_dial("+6495550100", local(akl, 2026, 2, 6, 12), None, "NZ").reason == Verdict.HOLIDAY  # Waitangi Day


def test_number_spanning_two_zones_needs_both():
    anc = "America/Anchorage"  # Adak is an hour behind
    d = may_dial("+19075550100", local(anc, 2026, 7, 15, 8, 30), None, "US")
    assert not d.allowed and set(d.zones) == {"America/Anchorage", "America/Adak"}
    assert d.next_allowed == local(anc, 2026, 7, 15, 9)  # 08:00 in Adak
    assert may_dial("+19075550100", local(anc, 2026, 7, 15, 9), None, "US").allowed
    assert may_dial("+19075550100", local(anc, 2026, 7, 15, 20, 59), None, "US").allowed
    assert not may_dial("+19075550100", local(anc, 2026, 7, 15, 21), None, "US").allowed


def test_campaign_hours_restricted_periods_and_schedule(make_gate):
    hours = {d: [{"startTime": "T10:00", "endTime": "T12:00"}] for d in ("TUESDAY", "WEDNESDAY", "THURSDAY")}
    gate, doc, _ = make_gate(
        [{"phone": "+12125550100"}],
        "US",
        start="2026-12-01T00:00:00Z",
        end="2026-12-04T00:00:00Z",  # Tue 1 .. Thu 3 December
        open_hours=hours,
        restricted=[{"name": "x", "startDate": "2026-12-02", "endDate": "2026-12-02"}],
    )
    at = lambda h: (
        datetime(2026, 12, 1, h, tzinfo=ZoneInfo("America/New_York")) - doc.campaign.schedule.start_time
    ).total_seconds()
    assert gate.check(0, at(9)) == (Verdict.OUTSIDE_SCHEDULE, at(10))  # legal at 09:00, the campaign opens at 10
    assert gate.check(0, at(11))[0] == Verdict.ALLOWED
    verdict, when = gate.check(0, at(12))
    assert verdict == Verdict.OUTSIDE_SCHEDULE and when == at(10) + 2 * 86400  # Wednesday is restricted
    assert gate.check(0, at(10) + 86400) == (Verdict.RESTRICTED_PERIOD, at(10) + 2 * 86400)
    assert gate.check(0, at(13) + 2 * 86400) == (Verdict.OUTSIDE_SCHEDULE, math.inf)  # after the last window
    assert gate.check(0, -5.0)[0] == Verdict.OUTSIDE_SCHEDULE
    assert gate.check(0, 10 * 86400.0) == (Verdict.OUTSIDE_SCHEDULE, math.inf)


def test_entry_and_frequency_limits(make_gate):
    gate, _doc, _ = make_gate(
        [{"phone": "+12125550100", "time_zone": "UTC"}, {"phone": "+12125550101", "time_zone": "UTC"}],
        None,
        entry={"maxEntryCount": 3, "minEntryInterval": "PT1H"},
        limits=[{"maxCountPerRecipient": 2, "frequency": 1, "unit": "DAY"}],
    )
    assert gate.check(0, 0.0) == (Verdict.ALLOWED, 0.0)
    gate.record_dial(0, 0.0)
    assert gate.check(0, 60.0) == (Verdict.ENTRY_LIMIT, 3600.0)
    assert gate.check(1, 60.0) == (Verdict.ALLOWED, 60.0)
    gate.record_dial(0, 3600.0)
    assert gate.check(0, 7200.0) == (Verdict.FREQUENCY_LIMIT, 86400.0)  # 2 per day
    gate.record_dial(0, 86400.0)
    assert gate.check(0, 90000.0) == (Verdict.ENTRY_LIMIT, math.inf)  # 3 attempts: done
    assert gate.attempts(0) == 3


def test_uk_recall_bans_and_agent_guarantee(make_gate):
    gate, _doc, _ = make_gate(
        [{"phone": "+442071234567"}, {"phone": "+442071234568"}],
        "UK",
        start="2026-12-01T00:00:00Z",
        end="2026-12-10T00:00:00Z",
    )
    t = 10 * 3600.0
    gate.record_dial(0, t)
    gate.record_abandoned(0, t + 20)
    assert gate.check(0, t + 3600) == (Verdict.RECALL_BAN, t + 20 + 72 * 3600)
    assert gate.check(0, t + 3600, agent_guaranteed=True) == (Verdict.ALLOWED, t + 3600)
    gate.record_dial(1, t)
    gate.record_machine_verdict(1, t + 15)
    assert gate.check(1, t + 3600) == (Verdict.RECALL_BAN, 86400.0)  # London midnight (GMT in December)
    assert gate.check(1, 86400.0) == (Verdict.ALLOWED, 86400.0)
    assert gate.check(1, t + 3600, agent_guaranteed=True)[0] == Verdict.ALLOWED


def test_dnc_list_and_in_run_opt_out():
    from event_rows import doc_mapping

    from campaigns.contacts import from_rows, zone_settings
    from campaigns.document import parse_document
    from compliance.dnc import read_dnc

    doc = parse_document(doc_mapping())
    contacts = from_rows(
        [{"phone": "+12125550100"}, {"phone": "+12125550101"}, {"phone": "+12125550102"}], zone_settings(doc)
    )
    dnc = read_dnc(["phone", "(212) 555-0101"], kind="company")
    gate = DialGate(doc, "US", contacts, dnc=dnc)
    t = 15 * 3600.0  # 10:00 in New York
    assert gate.check(0, t) == (Verdict.ALLOWED, t)
    assert gate.check(1, t) == (Verdict.DNC, math.inf)
    gate.record_opt_out(2, t)
    assert gate.check(2, t + 10) == (Verdict.DNC, math.inf)
    assert may_dial("+12125550101", datetime(2026, 12, 1, 15, tzinfo=UTC), None, "US", dnc=dnc).reason == Verdict.DNC


def test_when_is_exact_and_never_early(make_gate):
    rows = [{"phone": p} for p in ("+12125550100", "+18085550100", "+19075550100", "+16025550100")]
    gate, _doc, _ = make_gate(
        rows,
        "US",
        start="2026-03-06T00:00:00Z",
        end="2026-03-12T00:00:00Z",
        entry={"maxEntryCount": 0, "minEntryInterval": "PT30M"},
    )
    rng = np.random.default_rng(1)
    for _ in range(400):
        i, t = int(rng.integers(0, 4)), float(rng.uniform(-3600, 6.5 * 86400))
        if rng.random() < 0.2:
            gate.record_dial(i, t)
        v, when = gate.check(i, t)
        assert when >= t
        if v == Verdict.ALLOWED:
            assert when == t
        elif math.isfinite(when):
            assert gate.check(i, when)[0] == Verdict.ALLOWED
            assert gate.check(i, max(t, when - 0.001))[0] != Verdict.ALLOWED


def test_may_dial_errors_are_clear():
    with pytest.raises(ValueError, match="timezone-aware"):
        may_dial("+12125550100", datetime(2026, 1, 1, 12), None, "US")
    with pytest.raises(ValueError, match="not a"):
        may_dial("+1 555", datetime(2026, 1, 1, 12, tzinfo=UTC), None, "US")
    with pytest.raises(ValueError, match="unknown jurisdiction"):
        may_dial("+12125550100", datetime(2026, 1, 1, 12, tzinfo=UTC), None, "XX")
    with pytest.raises(ValueError, match="Nowhere/City"):
        may_dial(Contact("+12125550100", zone="Nowhere/City"), datetime(2026, 1, 1, 12, tzinfo=UTC), None, "US")


def test_record_dials_is_record_dial_for_each_contact(make_gate):
    """The engine records an instant's dials in one call: the same holds,
    reasons, attempts and entry-limit blocks as one record_dial per contact."""

    def fresh():
        return make_gate(
            [{"phone": f"+1212555010{i}", "time_zone": "UTC"} for i in range(3)],
            None,
            entry={"maxEntryCount": 2, "minEntryInterval": "PT1H"},
            limits=[{"maxCountPerRecipient": 2, "frequency": 1, "unit": "DAY"}],
        )[0]

    one, batch = fresh(), fresh()
    for t, recs in ((0.0, [0, 2]), (4000.0, [0, 1]), (9000.0, [1, 2, 0])):
        for i in recs:
            one.record_dial(i, t)
        batch.record_dials(recs, t)
    for t in (100.0, 5000.0, 9100.0, 90_000.0, 200_000.0):
        for i in range(3):
            assert batch.check(i, t) == one.check(i, t)
            assert batch.attempts(i) == one.attempts(i)
    assert batch.check(0, 200_000.0)[0] == Verdict.ENTRY_LIMIT  # dialled three times, limit two


def test_a_number_listed_twice_is_one_callee_for_caps_bans_and_opt_outs(make_gate):
    """Two contacts with one number (a list with a repeat, or a request for
    a listed number): each one's dials count in the other's caps, a re-call
    ban or an opt-out on one holds the other; entries stay per contact.
    Before, each contact counted only its own dials: 20 Miami numbers
    listed twice got 31 fourth-calls-in-24-h in one run (measured)."""
    miami, other = "+13055550100", "+13055550199"
    gate, _doc, _ = make_gate(
        [{"phone": miami}, {"phone": miami}, {"phone": other}],
        "US",
        start="2026-06-03T13:00:00Z",
        end="2026-06-05T00:00:00Z",
        entry={"maxEntryCount": 3, "minEntryInterval": "PT10M"},
    )
    for t in (0.0, 700.0):
        gate.record_dial(0, t)
    gate.record_dial(1, 1400.0)
    # Three calls to the number in 24 h: both contacts held until the first is 24 h old.
    assert gate.check(0, 2100.0) == (Verdict.FREQUENCY_LIMIT, 86400.0)
    assert gate.check(1, 2100.0) == (Verdict.FREQUENCY_LIMIT, 86400.0)
    assert gate.check(2, 2100.0) == (Verdict.ALLOWED, 2100.0)
    assert (gate.attempts(0), gate.attempts(1)) == (2, 1)  # entries are per contact
    gate.record_opt_out(1, 1500.0)
    assert gate.check(0, 90000.0) == (Verdict.DNC, math.inf)


def test_a_uk_number_listed_twice_shares_its_recall_bans(make_gate):
    london = "+442071234567"
    gate, _doc, _ = make_gate(
        [{"phone": london}, {"phone": london}, {"phone": london[:-1] + "8"}, {"phone": london[:-1] + "8"}],
        "UK",
        start="2026-12-01T00:00:00Z",
        end="2026-12-10T00:00:00Z",
    )
    t = 10 * 3600.0
    gate.record_dial(0, t)
    gate.record_abandoned(0, t + 20)
    assert gate.check(1, t + 3600) == (Verdict.RECALL_BAN, t + 20 + 72 * 3600)
    gate.record_dial(2, t)
    gate.record_machine_verdict(2, t + 15)
    assert gate.check(3, t + 3600) == (Verdict.RECALL_BAN, 86400.0)
