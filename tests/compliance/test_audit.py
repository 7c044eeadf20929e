import json

import pyarrow.parquet as pq
import pytest
from event_rows import call, table

from compliance import assert_compliant, audit
from compliance.audit import AuditInputError
from eventlog import iter_envelopes


def log(live: int, abandoned: int, *, slow_after_start: int = 0, fps: int = 0, machines: int = 0, day_offset=0.0):
    """``live`` live answers, of which ``abandoned`` never reach an agent and
    ``slow_after_start`` reach one 2.5 s after the greeting started (1.5 s
    after it ended: connected in time in the US, abandoned in the UK); plus
    ``fps`` humans the AMD hung up on and ``machines`` true machines."""
    rows, n = [], 0

    def nxt():
        nonlocal n
        n += 1
        return n

    for k in range(live):
        i = nxt()
        kw = {"at": day_offset + i * 30, "number": f"+1212555{i:04d}"}
        if k < abandoned:
            rows.append(call(i, agent_after_start=None, message=True, **kw))
        elif k < abandoned + slow_after_start:
            rows.append(call(i, agent_after_start=2.5, **kw))
        else:
            rows.append(call(i, agent_after_start=0.8, **kw))
    for _ in range(fps):
        i = nxt()
        rows.append(
            call(i, at=day_offset + i * 30, number=f"+1212555{i:04d}", amd="VOICEMAIL_BEEP", agent_after_start=None)
        )
    for _ in range(machines):
        i = nxt()
        rows.append(
            call(
                i,
                at=day_offset + i * 30,
                number=f"+1212555{i:04d}",
                party="MACHINE_BEEP",
                amd="VOICEMAIL_BEEP",
                agent_after_start=None,
            )
        )
    return rows


def rate(report):
    r = report.rule("abandonment_rate")
    return r.measured, r.passed


def test_us_exactly_three_percent_passes_and_just_over_fails():
    assert rate(audit(table(log(100, 3)), "US")) == (0.03, True)
    measured, passed = rate(audit(table(log(99, 3)), "US"))
    assert measured == pytest.approx(3 / 99) and passed is False
    assert audit(table(log(99, 3)), "US").rule("abandonment_rate").offender_count == 3


def test_us_ignores_machines_and_amd_false_positives():
    assert rate(audit(table(log(100, 3, fps=5, machines=50)), "US")) == (0.03, True)


def test_uk_exactly_three_percent_with_false_positives_and_just_over():
    # 2 abandoned + 1 AMD false positive over 99 live + 1 false positive = 3/100.
    report = audit(table(log(99, 2, fps=1, machines=20)), "UK")
    assert rate(report) == (0.03, True)
    assert report.rule("abandonment_rate").details["numerator"] == 3
    # One more false positive: 4/101.
    m, p = rate(audit(table(log(99, 2, fps=2, machines=20)), "UK"))
    assert m == pytest.approx(4 / 101) and p is False


def test_same_log_passes_in_the_us_and_fails_in_the_uk():
    rows = table(log(100, 0, slow_after_start=4))
    us, uk = audit(rows, "US"), audit(rows, "UK")
    assert rate(us) == (0.0, True) and us.passed
    assert rate(uk) == (0.04, False) and not uk.passed
    assert uk.rule("abandonment_rate").offender_count == 4
    assert rate(audit(table(log(100, 0, slow_after_start=3)), "UK")) == (0.03, True)


def test_connected_exactly_at_the_threshold_is_not_abandoned():
    rows = [call(i, at=i * 30, number=f"+1212555{i:04d}", agent_after_start=2.0) for i in range(10)]  # 2 s after start
    assert rate(audit(table(rows), "UK")) == (0.0, True)
    rows = [call(i, at=i * 30, number=f"+1212555{i:04d}", agent_after_start=2.001) for i in range(10)]
    assert rate(audit(table(rows), "UK"))[0] == 1.0


def test_uk_window_is_the_london_calendar_day():
    # Day 1: 4/100 abandoned; day 2: 0/100. Per-day: day 1 fails, even though 4/200 overall passes.
    rows = log(100, 4) + [dict(r, contact_id="d2-" + r["contact_id"]) for r in log(100, 0, day_offset=86400.0)]
    report = audit(table(rows), "UK")
    r = report.rule("abandonment_rate")
    assert r.passed is False and r.details["windows_evaluated"] == 2 and r.details["windows_failed"] == 1
    assert audit(table(rows), "US").rule("abandonment_rate").passed is True  # one 30-day window: 4/200


def test_us_thirty_day_windows_per_campaign():
    rows = log(100, 3) + [dict(r, contact_id="w2-" + r["contact_id"]) for r in log(100, 4, day_offset=31 * 86400.0)]
    r = audit(table(rows), "US").rule("abandonment_rate")
    assert r.details["windows_evaluated"] == 2 and r.passed is False and r.measured == 0.04
    other = [dict(x, campaign_id="camp-2", contact_id="c2-" + x["contact_id"]) for x in log(100, 2)]
    r2 = audit(table(log(100, 3) + other), "US").rule("abandonment_rate")
    assert r2.details["windows_evaluated"] == 2 and r2.passed


def test_operator_estimate_of_false_positives():
    rows = table(log(99, 2, fps=1, machines=19))  # true FP rate among machine verdicts: 1/20
    report = audit(rows, "UK")
    est = report.rule("abandonment_rate_operator_estimate")
    assert est.severity == "warning" and est.measured == pytest.approx(3 / 100)
    given = audit(rows, "UK", fp_sample=(100, 10)).rule("abandonment_rate_operator_estimate")  # 10% of 20 verdicts = 2
    assert given.measured == pytest.approx(4 / 101) and given.passed is False
    assert audit(rows, "UK", fp_sample=0.0).rule("abandonment_rate_operator_estimate").measured == pytest.approx(2 / 99)
    # Without ground truth the estimate decides.
    blind = table([dict(r, sim_party=None) for r in log(99, 2, machines=20)])
    r = audit(blind, "UK", fp_sample=(20, 2)).rule("abandonment_rate")
    assert r.measured == pytest.approx(4 / 101) and r.passed is False


def test_calling_hours_ring_time_dnc_and_message():
    rows = [
        call(1, at=-2 * 3600 - 60, number="+12125550001"),  # 07:59 New York
        call(2, at=0, number="+12125550002"),  # 10:00
        call(3, at=0, number="+18085550003"),  # 05:00 Honolulu
        call(4, at=0, number="+12125550004", zone="Pacific/Honolulu"),  # the gate's zone wins
        call(
            5,
            at=60,
            number="+12125550005",
            party="NO_ANSWER",
            amd=None,
            greet_start=None,
            end=10.0,
            reason="TELECOM_UNANSWERED",
        ),
        call(
            6,
            at=60,
            number="+12125550006",
            party="NO_ANSWER",
            amd=None,
            greet_start=None,
            end=15.0,
            reason="TELECOM_UNANSWERED",
        ),
        call(7, at=120, number="+12125550007", agent_after_start=None, message=False),
    ]
    report = audit(table(rows), "US", dnc=["+12125550002"])
    hours = report.rule("calling_hours")
    assert hours.passed is False and sorted(hours.offenders) == ["c-00001", "c-00003", "c-00004"]
    assert report.rule("ring_time").offenders == ["c-00005"]
    assert report.rule("dnc").offenders == ["c-00002"]
    msg = report.rule("abandon_message")
    assert msg.severity == "warning" and msg.offenders == ["c-00007"]


def test_uk_recall_bans():
    h = 3600.0
    n1, n2, n3 = "+442071230001", "+442071230002", "+442071230003"
    rows = [
        call(1, at=0, number=n1, agent_after_start=None),  # abandoned
        call(2, at=71 * h, number=n1, party="NO_ANSWER", amd=None, greet_start=None, end=20.0),  # within 72 h: breach
        call(3, at=0, number=n2, agent_after_start=None),
        call(4, at=73 * h, number=n2),  # after 72 h: fine
        call(5, at=0, number=n3, party="MACHINE_BEEP", amd="VOICEMAIL_BEEP", agent_after_start=None),
        call(6, at=2 * h, number=n3, party="NO_ANSWER", amd=None, greet_start=None, end=20.0),  # same day: breach
        call(
            7, at=10 * h, number=n3, party="NO_ANSWER", amd=None, greet_start=None, end=20.0
        ),  # next day (from 15:00): fine
    ]
    report = audit(table(rows), "UK")
    assert report.rule("recall_after_abandoned").offenders == ["c-00002"]
    assert report.rule("recall_after_machine").offenders == ["c-00006"]
    with pytest.raises(KeyError):
        audit(table(rows), "US").rule("recall_after_abandoned")


def test_same_results_from_table_envelopes_jsonl_and_parquet(tmp_path):
    t = table(log(99, 3, fps=1, machines=5))
    envs = list(iter_envelopes(t))
    p, j = tmp_path / "e.parquet", tmp_path / "e.jsonl"
    pq.write_table(t, p)
    j.write_text("".join(json.dumps(e, default=str) + "\n" for e in envs))
    figures = {rate(audit(src, "UK")) for src in (t, envs, str(p), j)}
    assert len(figures) == 1


def test_truncated_jsonl_and_missing_fields_are_reported_and_the_rest_audited(tmp_path):
    envs = list(iter_envelopes(table(log(100, 3))))
    broken = dict(envs[5])
    broken["detail"] = {k: v for k, v in broken["detail"].items() if k != "contactId"}
    lines = (
        [json.dumps(e, default=str) for e in envs[:5]]
        + [json.dumps(broken, default=str)]
        + [json.dumps(e, default=str) for e in envs[6:]]
    )
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n" + lines[0][:40])
    report = audit(path, "US")
    assert report.calls == 99
    assert any(f"{path}:6" in f and "contactId" in f for f in report.findings)
    assert any(f"{path}:101" in f for f in report.findings)
    assert rate(report) == (pytest.approx(3 / 99), False)


def test_unreadable_inputs_raise_one_clear_error(tmp_path):
    with pytest.raises(AuditInputError, match="no such events file"):
        audit(tmp_path / "missing.jsonl", "US")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(AuditInputError, match="bad.parquet"):
        audit(bad, "US")
    cols = tmp_path / "cols.parquet"
    pq.write_table(table(log(3, 0)).select(["event_id", "time"]), cols)
    with pytest.raises(AuditInputError, match="event_type"):
        audit(cols, "US")
    with pytest.raises(ValueError, match="unknown jurisdiction"):
        audit(table(log(3, 0)), "Atlantis")


def test_calls_without_a_disconnected_event_are_still_audited():
    rows = log(10, 1)
    initiated = dict(rows[0], event_type="INITIATED", contact_id="orphan", event_id="o1")
    report = audit(table([*rows, initiated]), "US")
    assert report.calls == 11 and any("no DISCONNECTED" in f for f in report.findings)


def test_offender_list_is_capped_with_the_full_count():
    r = audit(table(log(100, 40)), "US", max_offenders=5).rule("abandonment_rate")
    assert len(r.offenders) == 5 and r.offender_count == 40


def test_assert_compliant_message_lists_rule_figure_and_limit():
    assert_compliant(table(log(100, 3)), "UK")
    with pytest.raises(AssertionError) as exc:
        assert_compliant(table(log(100, 0, slow_after_start=4)), "UK")
    text = str(exc.value)
    assert "abandonment_rate" in text and "4.00%" in text and "limit 3%" in text
    report = audit(table(log(100, 3)), "US")
    assert json.loads(report.to_json())["passed"] is True and "abandonment_rate" in report.to_text()
