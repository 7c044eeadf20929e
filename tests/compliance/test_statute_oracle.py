"""An oracle written from the statutes' text, not from the packs.

Each row is a hand-made call: the callee's number, the local wall-clock time
of the call in the callee's zone, the earlier calls to the same number on the
same subject (hours before the call), and the verdict the text gives, typed in
by hand from the quoted rule. Nothing here reads ``compliance.packs`` or
``compliance.rules``: the expected column is a literal. The gate (with the
earlier calls loaded as a previous run's history) and the audit (with the
earlier calls in the same log) must both agree with every row.

The rules, as their texts say them (callee's local time):

* US federal, 47 CFR 64.1200(c)(1): not before 8 a.m. nor after 9 p.m.
* FL, Fla. Stat. 501.616(6): not before 8 a.m. nor after 8 p.m.; not more
  than 3 calls in a 24-hour period on the same subject matter.
* OK, Okla. Stat. tit. 15, 775C.4: the same as Florida, from 1 Nov 2022.
* MD, Stop the Spam Calls Act: the same as Florida (from 2024).
* AL: no Sunday; not on the state's legal holidays (Ala. Code 1-3-8).
* MA, 201 CMR 12.02(2): no call "between the hours of 8:00 P.M. to 8:00 A.M.".
* CT, Conn. Gen. Stat. 42-288a as amended by P.A. 23-98 (1 Oct 2023):
  9 a.m. to 8 p.m. (9 a.m. to 9 p.m. before).
* SD, SDCL 37-30-28: automated dialing only "weekdays between 9 a.m. and
  9 p.m.".
* TX, Tex. Bus. & Com. Code 301.051 (as summarised): Monday-Saturday 9 a.m.-
  9 p.m., Sunday noon-9 p.m. KY, KRS 367.46955(16): 10 a.m.-9 p.m. NM, MI,
  MN: 9 a.m.-9 p.m. WY, Wyo. Stat. 40-12-302(d): 8 a.m.-8 p.m.
* UT, Utah Code 13-25a-103(3): not "on a Sunday" nor "on a legal holiday".
* OR, HB 3865 (from 1 January 2026): 8 a.m.-8 p.m.; 3 per 24 hours.
* PA: no calls on legal holidays (Act 73 of 2019, from 3 December 2019); Act
  47 of 2026 (from 18 October 2026): not "on a Sunday or after 7 p.m. or
  before 9 a.m.".
* MS, Miss. Code Ann. 77-3-723: 8:00 a.m. to 8:00 p.m.; "No telephone
  solicitations may be made on a Sunday."
* WA, RCW 19.158.040(2): 8 a.m. to 8 p.m.
* CA (CRTC): weekdays 9:00 a.m.-9:30 p.m., Saturday and Sunday 10:00 a.m.-
  6:00 p.m.; no holiday ban. BC (its regulator's statement of the
  Telemarketer Licensing Regulation): not on statutory holidays (Canada Day,
  British Columbia Day...), at most once per 30 days about the same offer.
* CA_ADAD (REFERENCE.md): weekdays 9:30 a.m.-8:00 p.m., Saturday 10:30 a.m.-
  5:00 p.m., Sunday noon-5:00 p.m.
* FR, décret 2022-1313: Monday to Friday 10:00-13:00 and 14:00-20:00; at most
  4 calls per 30 days; not on public holidays (14 July).

Exact edges whose reading is open ("after 8 p.m." at 20:00:00) are not in the
table; "before 8 a.m." makes 08:00 allowed, and a minute past the end is
refused under every reading."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from event_rows import call, table

from compliance import audit
from compliance.gate import Verdict
from compliance.history import DialHistory

NY, CHI, LA_, TOR, VAN, PAR = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Vancouver",
    "Europe/Paris",
)
MIAMI, TULSA, BOSTON, HARTFORD = "+13055550100", "+19185550100", "+16175550100", "+18605550100"
SIOUX, JACKSON, SEATTLE, NYC = "+16055550100", "+16015550100", "+12065550100", "+12125550100"
TORONTO, VANCOUVER, PARIS = "+14165550100", "+16045550100", "+33142000000"
BALTIMORE, BIRMINGHAM = "+14105550100", "+12055550100"
AUSTIN, LOUISVILLE, PHILADELPHIA, PORTLAND = "+15125550100", "+15025550100", "+12155550100", "+15035550100"
ALBUQUERQUE, CHEYENNE, SALT_LAKE, DETROIT, MINNEAPOLIS = (
    "+15055550100",
    "+13075550100",
    "+18015550100",
    "+13135550100",
    "+16125550100",
)
DEN = "America/Denver"

OK, HOURS, HOLIDAY, CAP = "ok", "hours", "holiday", "cap"

# (id, jurisdiction, number, zone, local wall clock, earlier calls (hours before), expected)
CASES: list[tuple[str, str, str, str, str, tuple[float, ...], str]] = [
    # Federal (no state layer): 8 a.m. - 9 p.m.
    ("nyc-0800", "US", NYC, NY, "2026-06-03 08:00", (), OK),
    ("nyc-0759", "US", NYC, NY, "2026-06-03 07:59", (), HOURS),
    ("nyc-2030", "US", NYC, NY, "2026-06-03 20:30", (), OK),
    ("nyc-2101", "US", NYC, NY, "2026-06-03 21:01", (), HOURS),
    ("nyc-5-prior", "US", NYC, NY, "2026-06-03 12:00", (0.5, 1, 1.5, 2, 2.5), OK),
    # Florida: 8 a.m. - 8 p.m., 3 per 24 h.
    ("fl-1959", "US", MIAMI, NY, "2026-06-03 19:59", (), OK),
    ("fl-2001", "US", MIAMI, NY, "2026-06-03 20:01", (), HOURS),
    ("fl-0800", "US", MIAMI, NY, "2026-06-03 08:00", (), OK),
    ("fl-dst-2001", "US", MIAMI, NY, "2026-03-08 20:01", (), HOURS),
    ("fl-2-prior", "US", MIAMI, NY, "2026-06-03 12:00", (1, 2), OK),
    ("fl-3-prior", "US", MIAMI, NY, "2026-06-03 12:00", (0.5, 1, 2), CAP),
    ("fl-3-prior-one-old", "US", MIAMI, NY, "2026-06-03 12:00", (1, 2, 24.02), OK),
    # Oklahoma: 8 p.m. from 1 November 2022; 3 per 24 h.
    ("ok-2030-2022-10", "US", TULSA, CHI, "2022-10-19 20:30", (), OK),
    ("ok-2030-2022-11", "US", TULSA, CHI, "2022-11-16 20:30", (), HOURS),
    ("ok-3-prior", "US", TULSA, CHI, "2026-06-03 12:00", (1, 2, 3), CAP),
    # Maryland (from 2024): 8 a.m. - 8 p.m., 3 per 24 h.
    ("md-2030", "US", BALTIMORE, NY, "2026-06-03 20:30", (), HOURS),
    ("md-3-prior", "US", BALTIMORE, NY, "2026-06-03 12:00", (1, 2, 3), CAP),
    # Alabama: no Sunday, the state's legal holidays (Ala. Code 1-3-8: Christmas Day).
    ("al-christmas", "US", BIRMINGHAM, CHI, "2026-12-25 12:00", (), HOLIDAY),
    ("al-sunday", "US", BIRMINGHAM, CHI, "2026-06-07 12:00", (), HOURS),
    ("al-monday", "US", BIRMINGHAM, CHI, "2026-12-28 12:00", (), OK),
    # Massachusetts: not 8 p.m. - 8 a.m.
    ("ma-1959", "US", BOSTON, NY, "2026-06-02 19:59", (), OK),
    ("ma-2001", "US", BOSTON, NY, "2026-06-02 20:01", (), HOURS),
    ("ma-0759", "US", BOSTON, NY, "2026-06-02 07:59", (), HOURS),
    # Connecticut: 9 a.m. - 9 p.m., 8 p.m. from 1 October 2023.
    ("ct-0830", "US", HARTFORD, NY, "2026-06-03 08:30", (), HOURS),
    ("ct-0900", "US", HARTFORD, NY, "2026-06-03 09:00", (), OK),
    ("ct-2030-2023-09", "US", HARTFORD, NY, "2023-09-27 20:30", (), OK),
    ("ct-2030-2023-10", "US", HARTFORD, NY, "2023-10-04 20:30", (), HOURS),
    # South Dakota: weekdays 9 a.m. - 9 p.m. (automated dialing). 605 spans Central and
    # Mountain time: each row holds in both (noon Central is 11:00 Mountain).
    ("sd-sat-noon", "US", SIOUX, CHI, "2026-06-06 12:00", (), HOURS),
    ("sd-wed-noon", "US", SIOUX, CHI, "2026-06-03 12:00", (), OK),
    ("sd-wed-0830", "US", SIOUX, CHI, "2026-06-03 08:30", (), HOURS),
    # Mississippi: 8 a.m. - 8 p.m., no Sunday.
    ("ms-sun-noon", "US", JACKSON, CHI, "2026-06-07 12:00", (), HOURS),
    ("ms-mon-1930", "US", JACKSON, CHI, "2026-06-08 19:30", (), OK),
    ("ms-mon-2030", "US", JACKSON, CHI, "2026-06-08 20:30", (), HOURS),
    # Washington: 8 a.m. - 8 p.m.
    ("wa-1930", "US", SEATTLE, LA_, "2026-06-03 19:30", (), OK),
    ("wa-2030", "US", SEATTLE, LA_, "2026-06-03 20:30", (), HOURS),
    # Texas (301.051, as summarised): Monday-Saturday 9 a.m. - 9 p.m., Sunday noon - 9 p.m.
    ("tx-sun-1130", "US", AUSTIN, CHI, "2026-06-07 11:30", (), HOURS),
    ("tx-sun-1230", "US", AUSTIN, CHI, "2026-06-07 12:30", (), OK),
    ("tx-mon-0830", "US", AUSTIN, CHI, "2026-06-08 08:30", (), HOURS),
    ("tx-sat-2030", "US", AUSTIN, CHI, "2026-06-06 20:30", (), OK),
    # Kentucky (KRS 367.46955(16)): 10 a.m. - 9 p.m.
    ("ky-0930", "US", LOUISVILLE, NY, "2026-06-03 09:30", (), HOURS),
    ("ky-1000", "US", LOUISVILLE, NY, "2026-06-03 10:00", (), OK),
    # New Mexico, Michigan, Minnesota: 9 a.m. - 9 p.m.; Wyoming: 8 a.m. - 8 p.m.
    ("nm-0830", "US", ALBUQUERQUE, DEN, "2026-06-03 08:30", (), HOURS),
    ("mi-0830", "US", DETROIT, NY, "2026-06-03 08:30", (), HOURS),
    ("mn-0830", "US", MINNEAPOLIS, CHI, "2026-06-03 08:30", (), HOURS),
    ("mn-2030", "US", MINNEAPOLIS, CHI, "2026-06-03 20:30", (), OK),
    ("wy-2030", "US", CHEYENNE, DEN, "2026-06-03 20:30", (), HOURS),
    # Utah (13-25a-103(3)): not on a Sunday nor a legal holiday (Independence Day).
    ("ut-sunday", "US", SALT_LAKE, DEN, "2026-06-07 12:00", (), HOURS),
    ("ut-july-4", "US", SALT_LAKE, DEN, "2025-07-04 12:00", (), HOLIDAY),
    # Oregon (HB 3865, from 1 January 2026): 8 a.m. - 8 p.m., 3 per 24 h.
    ("or-2030-2025", "US", PORTLAND, LA_, "2025-06-04 20:30", (), OK),
    ("or-2030-2026", "US", PORTLAND, LA_, "2026-06-03 20:30", (), HOURS),
    ("or-3-prior", "US", PORTLAND, LA_, "2026-06-03 12:00", (1, 2, 3), CAP),
    ("or-3-prior-2025", "US", PORTLAND, LA_, "2025-06-04 12:00", (1, 2, 3), OK),
    # Pennsylvania: legal holidays from 3 December 2019; from 18 October 2026 no Sunday
    # and 9 a.m. - 7 p.m.
    ("pa-christmas-2025", "US", PHILADELPHIA, NY, "2025-12-25 12:00", (), HOLIDAY),
    ("pa-sun-2026-10-11", "US", PHILADELPHIA, NY, "2026-10-11 12:00", (), OK),
    ("pa-sun-2026-11-01", "US", PHILADELPHIA, NY, "2026-11-01 12:00", (), HOURS),
    ("pa-wed-1930-2026-11", "US", PHILADELPHIA, NY, "2026-11-04 19:30", (), HOURS),
    ("pa-wed-1930-2026-10", "US", PHILADELPHIA, NY, "2026-10-14 19:30", (), OK),
    # CRTC (Ontario: no provincial layer).
    ("tor-sat-1900", "CA", TORONTO, TOR, "2026-06-06 19:00", (), HOURS),
    ("tor-sat-1000", "CA", TORONTO, TOR, "2026-06-06 10:00", (), OK),
    ("tor-sat-0959", "CA", TORONTO, TOR, "2026-06-06 09:59", (), HOURS),
    ("tor-wed-2115", "CA", TORONTO, TOR, "2026-06-03 21:15", (), OK),
    ("tor-wed-2131", "CA", TORONTO, TOR, "2026-06-03 21:31", (), HOURS),
    ("tor-canada-day", "CA", TORONTO, TOR, "2026-07-01 12:00", (), OK),
    ("tor-2-prior", "CA", TORONTO, TOR, "2026-06-03 12:00", (1, 2), OK),
    # British Columbia: statutory holidays, once per 30 days.
    ("van-canada-day", "CA", VANCOUVER, VAN, "2026-07-01 12:00", (), HOLIDAY),
    ("van-bc-day", "CA", VANCOUVER, VAN, "2026-08-03 12:00", (), HOLIDAY),
    ("van-day-after", "CA", VANCOUVER, VAN, "2026-08-04 12:00", (), OK),
    ("van-sun-1000", "CA", VANCOUVER, VAN, "2026-06-07 10:00", (), OK),
    ("van-prior-10-days", "CA", VANCOUVER, VAN, "2026-06-03 12:00", (240,), CAP),
    ("van-prior-31-days", "CA", VANCOUVER, VAN, "2026-06-03 12:00", (744,), OK),
    # CRTC ADAD hours.
    ("adad-sun-1130", "CA_ADAD", TORONTO, TOR, "2026-06-07 11:30", (), HOURS),
    ("adad-sun-1230", "CA_ADAD", TORONTO, TOR, "2026-06-07 12:30", (), OK),
    ("adad-wed-2030", "CA_ADAD", TORONTO, TOR, "2026-06-03 20:30", (), HOURS),
    ("adad-wed-0930", "CA_ADAD", TORONTO, TOR, "2026-06-03 09:30", (), OK),
    ("adad-sat-1659", "CA_ADAD", TORONTO, TOR, "2026-06-06 16:59", (), OK),
    ("adad-sat-1701", "CA_ADAD", TORONTO, TOR, "2026-06-06 17:01", (), HOURS),
    # France.
    ("fr-tue-1100", "FR", PARIS, PAR, "2026-06-02 11:00", (), OK),
    ("fr-tue-1330", "FR", PARIS, PAR, "2026-06-02 13:30", (), HOURS),
    ("fr-sat-1100", "FR", PARIS, PAR, "2026-06-06 11:00", (), HOURS),
    ("fr-14-july", "FR", PARIS, PAR, "2026-07-14 11:00", (), HOLIDAY),
    # (Friday 5 June; the earlier calls on the weekdays before it, 11:00, and 6 May 10:00.)
    ("fr-3-prior", "FR", PARIS, PAR, "2026-06-05 11:00", (24, 48, 72), OK),
    ("fr-4-prior", "FR", PARIS, PAR, "2026-06-05 11:00", (24, 48, 72, 96), CAP),
    ("fr-4-prior-one-old", "FR", PARIS, PAR, "2026-06-05 11:00", (24, 48, 72, 721), OK),
]

_VERDICT = {OK: Verdict.ALLOWED, HOURS: Verdict.OUTSIDE_HOURS, HOLIDAY: Verdict.HOLIDAY, CAP: Verdict.FREQUENCY_LIMIT}


def _instant(zone: str, wall: str) -> datetime:
    return datetime.fromisoformat(wall).replace(tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_gate_agrees_with_the_statute_table(case, make_gate):
    _id, jur, number, zone, wall, prior, expected = case
    at = _instant(zone, wall)
    start = (at - timedelta(days=1)).astimezone(ZoneInfo("UTC"))
    gate, _doc, _ = make_gate(
        [{"phone": number}],
        jur,
        start=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        end=(start + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    # The earlier calls were made by a previous run of the campaign.
    applied = gate.seed_history(DialHistory.of([(number, (at - timedelta(hours=h)).timestamp()) for h in prior]))
    assert applied <= len(prior)
    t = at.timestamp() - gate.epoch
    verdict, when = gate.check(0, t)
    assert verdict == _VERDICT[expected], (case, verdict)
    assert when == t if expected == OK else when > t


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_audit_agrees_with_the_statute_table(case):
    _id, jur, number, zone, wall, prior, expected = case
    at = _instant(zone, wall)
    base = at - timedelta(days=40)
    rows = [
        call(k + 1, at=(at - timedelta(hours=h) - base).total_seconds(), number=number, base=base)
        for k, h in enumerate(prior)
    ]
    rows.append(call(99, at=(at - base).total_seconds(), number=number, base=base))
    report = audit(table(rows), jur)
    breached = {c for r in report.failures for c in r.offenders}
    # The earlier calls are lawful in themselves (within hours, under the caps).
    assert breached <= {"c-00099"}, (case, breached)
    assert ("c-00099" in breached) == (expected != OK), (case, [r.rule for r in report.failures])
