"""Audit rules the packs add (state hours and caps, CRTC monthly rate, French
frequency and cool-off) and input that must not fool the audit (duplicates,
wrong types, no contact events). Known answers, built by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from event_rows import call, table
from typer.testing import CliRunner

from cli.main import app
from compliance import audit
from compliance.audit import AuditInputError

# 2026-06-03 (a Wednesday): 23:30 UTC is 19:30 in Miami (EDT), 20:30 at 00:30 UTC.
JUNE = datetime(2026, 6, 3, 0, 0, tzinfo=UTC)
MIAMI, NYC, TULSA = "+13055550100", "+12125550100", "+19185550100"


def test_florida_evening_call_breaks_the_state_hours_not_the_federal_ones():
    rows = [
        call(1, at=23.5 * 3600, number=MIAMI, base=JUNE),  # 19:30 EDT: allowed
        call(2, at=24.5 * 3600, number=MIAMI, base=JUNE),  # 20:30 EDT: Florida forbids
        call(3, at=24.5 * 3600, number=NYC, base=JUNE),  # 20:30 EDT in New York: allowed
    ]
    report = audit(table(rows), "US")
    assert report.rule("calling_hours").measured == 0
    r = report.rule("state_calling_hours")
    assert r.measured == 1 and r.offenders == ["c-00002"] and r.details["by_state"] == {"FL": 1}
    assert "501.616" in r.details["sources"]["FL"]
    assert report.passed is False


def test_oklahoma_hours_apply_from_1_november_2022():
    before = datetime(2022, 10, 19, 0, 0, tzinfo=UTC)  # 20:30 CDT = 01:30 UTC next day
    after = datetime(2022, 11, 16, 0, 0, tzinfo=UTC)  # 20:30 CST = 02:30 UTC next day
    rows = [call(1, at=25.5 * 3600, number=TULSA, base=before), call(2, at=26.5 * 3600, number=TULSA, base=after)]
    r = audit(table(rows), "US").rule("state_calling_hours")
    assert r.measured == 1 and r.offenders == ["c-00002"]


def test_three_calls_per_24_hours_on_the_same_subject_in_florida():
    # Four calls within 24 h to one Miami number in one campaign: the fourth breaks the cap;
    # the same pattern in New York (no cap) and across two campaigns (two subjects) does not.
    rows = [call(k, at=14 * 3600 + k * 600, number=MIAMI, base=JUNE) for k in range(1, 5)]
    rows += [call(10 + k, at=14 * 3600 + k * 600, number=NYC, base=JUNE) for k in range(1, 5)]
    rows += [
        call(20 + k, at=14 * 3600 + k * 600, number="+13055550199", base=JUNE, campaign=f"c{k % 2}")
        for k in range(1, 5)
    ]
    report = audit(table(rows), "US")
    r = report.rule("frequency_cap_3_per_24h")
    assert r.measured == 1 and r.offenders == ["c-00004"]
    # Rolling: a call 24 h after the second (only calls 3 and 4 within 24 h before it) is
    # allowed; one just before that has calls 2, 3 and 4 within 24 h and breaks the cap.
    ok = call(5, at=14 * 3600 + 2 * 600 + 24 * 3600, number=MIAMI, base=JUNE)
    late = call(6, at=14 * 3600 + 2 * 600 + 24 * 3600 - 1, number=MIAMI, base=JUNE)
    assert audit(table([*rows, ok]), "US").rule("frequency_cap_3_per_24h").offenders == ["c-00004"]
    assert audit(table([*rows, late]), "US").rule("frequency_cap_3_per_24h").offenders == ["c-00004", "c-00006"]


def test_crtc_abandonment_is_per_calendar_month():
    from tests_helpers_audit import live_calls

    # May: 5 abandoned of 100 live (5%: passes); June: 6 of 100 (fails). Overall 5.5%.
    may = datetime(2026, 5, 20, 15, 0, tzinfo=UTC)
    rows = live_calls(100, 5, base=may, number="+14165550100", first=0) + live_calls(
        100, 6, base=JUNE.replace(hour=15), number="+14165550100", first=1000
    )
    r = audit(table(rows), "CA").rule("abandonment_rate")
    assert r.details["windows_evaluated"] == 2 and r.details["windows_failed"] == 1
    assert r.measured == pytest.approx(0.06) and r.passed is False
    assert "calendar month" in r.description


def test_france_hours_frequency_and_cool_off():
    paris = "+33142000000"
    wed = datetime(2026, 6, 3, 8, 0, tzinfo=UTC)  # 10:00 in Paris
    rows = [call(k, at=k * 3 * 86400.0, number=paris, base=wed) for k in range(5)]  # 5 calls in 12 days
    rows[0]["sim_opt_out"] = False
    report = audit(table(rows), "FR")
    cap = report.rule("frequency_cap_4_per_30days")
    assert cap.measured == 1 and cap.offenders == ["c-00004"]
    # Calls 0, 3 (Wed 3 June, Sat 6 June...): the Saturday one breaks the hours.
    assert report.rule("calling_hours").offenders == ["c-00001"]  # 6 June is a Saturday
    refused = [
        call(1, at=0, number="+33142000001", base=wed, opt_out=True),
        call(2, at=59 * 86400.0, number="+33142000001", base=wed),
        call(3, at=61 * 86400.0, number="+33142000001", base=wed),
    ]
    r = audit(table(refused), "FR").rule("cooloff_after_refusal")
    assert r.measured == 1 and r.offenders == ["c-00002"]


def test_a_duplicated_disconnected_event_is_counted_once_and_reported():
    from tests_helpers_audit import live_calls

    rows = live_calls(100, 3, base=JUNE.replace(hour=15), number=NYC, first=0)
    dup = dict(rows[5])  # a redelivery: same event id
    report = audit(table([*rows, dup]), "US")
    assert report.rule("abandonment_rate").measured == pytest.approx(0.03) and report.passed
    assert report.summary["duplicates_dropped"] == 1 and any("duplicate" in f for f in report.findings)
    # Without an event id: an exact copy is dropped too.
    for r in rows:
        r["event_id"] = None
    report = audit(table([*rows, dict(rows[7])]), "US")
    assert report.summary["duplicates_dropped"] == 1 and report.rule("abandonment_rate").measured == pytest.approx(0.03)


def test_a_duplicated_disconnected_row_in_parquet_is_counted_once(tmp_path):
    from tests_helpers_audit import live_calls

    rows = live_calls(100, 3, base=JUNE.replace(hour=15), number=NYC, first=0)
    path = tmp_path / "events.parquet"
    pq.write_table(table([*rows, dict(rows[1])]), path)
    report = audit(path, "US")
    assert report.summary["duplicates_dropped"] == 1 and report.rule("abandonment_rate").measured == pytest.approx(0.03)


@pytest.mark.parametrize(
    ("column", "values", "expected"),
    [
        ("sim_party", pa.array([1], pa.int64()), "text"),
        ("initiation_ts", pa.array([1.5], pa.float64()), "timestamp"),
        ("sim_opt_out", pa.array(["yes"], pa.string()), "boolean"),
    ],
)
def test_a_column_of_the_wrong_type_is_exit_2_naming_it(tmp_path, column, values, expected):
    t = table([call(1)])
    t = t.set_column(t.schema.get_field_index(column), column, values)
    path = tmp_path / "events.parquet"
    pq.write_table(t, path)
    with pytest.raises(AuditInputError, match=f"'{column}'.*{expected}"):
        audit(path, "US")
    with pytest.raises(AuditInputError, match=f"'{column}'"):
        audit(t, "US")
    result = CliRunner().invoke(app, ["audit", str(path), "-j", "US"])
    assert result.exit_code == 2 and column in result.output and "Traceback" not in result.output


def test_unparseable_timestamp_text_is_exit_2_naming_the_column(tmp_path):
    t = table([call(1)])
    i = t.schema.get_field_index("greeting_end_ts")
    t = t.set_column(i, "greeting_end_ts", pa.array(["not a time"], pa.string()))
    path = tmp_path / "events.parquet"
    pq.write_table(t, path)
    with pytest.raises(AuditInputError, match="'greeting_end_ts'"):
        audit(path, "US")


@pytest.mark.parametrize("kind", ["summary", "csv", "empty", "no_contacts"])
def test_input_with_no_contact_events_never_passes(tmp_path, kind):
    if kind == "summary":
        path = tmp_path / "summary.json"
        path.write_text(json.dumps({"calls": 100, "abandonment_rate": 0.01}))
    elif kind == "csv":
        path = tmp_path / "events.csv"
        path.write_text("contact_id,event_type\nc-1,DISCONNECTED\n")
    elif kind == "empty":
        path = tmp_path / "events.jsonl"
        path.write_text("")
    else:
        path = tmp_path / "events.parquet"
        pq.write_table(table([]), path)
    result = CliRunner().invoke(app, ["audit", str(path), "-j", "US"])
    assert result.exit_code == 2, result.output
    assert "PASS" not in result.output and "Traceback" not in result.output
    with pytest.raises(AuditInputError):
        audit(path, "US")


def test_audit_zones_use_the_longest_prefix():
    # Lord Howe (+61 2 5505 3xxx, UTC+10:30/+11) at 19:45 local on a Monday: allowed
    # (09:00-20:00); with the zone of its truncated prefix (Sydney, 30 min earlier in
    # winter) it would read 19:15 - the audit must use Lord Howe's wall clock.
    from zoneinfo import ZoneInfo

    lh = ZoneInfo("Australia/Lord_Howe")
    at = datetime(2026, 6, 8, 20, 15, tzinfo=lh)  # Monday 20:15 Lord Howe = 19:45 Sydney
    row = call(1, number="+61255053123", base=at.astimezone(UTC))
    r = audit(table([row]), "AU").rule("calling_hours")
    assert r.measured == 1  # outside 09:00-20:00 on Lord Howe's clock


def test_two_campaigns_on_one_subject_share_the_cap():
    rows = [call(k, at=14 * 3600 + k * 600, number=MIAMI, base=JUNE, campaign=f"c{k % 2}") for k in range(1, 5)]
    assert audit(table(rows), "US").rule("frequency_cap_3_per_24h").measured == 0
    shared = audit(table(rows), "US", subjects={"c0": "mortgage", "c1": "mortgage"})
    assert shared.rule("frequency_cap_3_per_24h").offenders == ["c-00004"]
