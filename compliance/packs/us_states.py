"""The US state layer: rules stricter than the federal ones (47 CFR
64.1200(c)(1): 08:00-21:00 every day), chosen by the callee's state.

Each entry is one version of one state's rules: ``hours`` (local, every day
unless a day is given), ``no_sunday``, ``holidays`` (the state's legal
holidays from the ``holidays`` library, subdivision = the state), and
``frequency`` caps ("at most N calls per H hours on the same subject",
keyed by a campaign attribute, default the campaign). ``effective_from`` /
``effective_to`` (exclusive) are dates; a call is judged by the version in
force on its local date. ``confirmed: False`` marks a value taken from a
secondary source (REFERENCE.md, a law firm's or carrier's summary, or a third
party's reading that quotes the statute), not read in the statute itself.
Where two readings differ, the stricter is encoded (an error then refuses a
lawful call rather than allowing an unlawful one). docs/compliance.md has
the coverage table: every state, its status and where it was read.
"""

from __future__ import annotations

from typing import Any

# A third party's state-by-state reading with the statutes' words quoted (a
# secondary source: the quotes were not checked against the statutes here).
_FIELDQUO = "github.com/meydayapp/fieldquo/blob/d1c5045b2f19581adde532d088308d46f35780fe/lib/sales/callingRules.js"

US_STATES: tuple[dict[str, Any], ...] = (
    {
        "region": "FL",
        "name": "Florida Telephone Solicitation Act",
        "hours": "08:00-20:00",
        "frequency": [{"count": 3, "hours": 24, "key": "campaign"}],
        "effective_from": "2021-07-01",
        "source": "Fla. Stat. 501.616(6)(a)-(b), as amended by SB 1120 (2021), in force 1 July 2021",
        "confirmed": True,
    },
    {
        "region": "OK",
        "name": "Oklahoma Telephone Solicitation Act of 2022",
        "hours": "08:00-20:00",
        "frequency": [{"count": 3, "hours": 24, "key": "campaign"}],
        "effective_from": "2022-11-01",
        "source": "Okla. Stat. tit. 15, 775C.4 (HB 3168, 2022), in force 1 November 2022",
        "confirmed": True,
    },
    {
        "region": "MD",
        "name": "Maryland Stop the Spam Calls Act of 2023",
        "hours": "08:00-20:00",
        "frequency": [{"count": 3, "hours": 24, "key": "campaign"}],
        "effective_from": "2024-01-01",
        # Md. Com. Law 14-4502(c), as quoted: no call "to a called party during
        # the hours between 8 p.m. and 8 a.m. in the called party's time zone";
        # (c)(2): at most 3 calls per 24 hours on the same subject.
        "source": (
            "Md. Code, Com. Law 14-4502(c) (Stop the Spam Calls Act of 2023, 2023 ch. 414), quoted in "
            + _FIELDQUO
            + "; in-force date 1 January 2024 unconfirmed"
        ),
        "confirmed": False,
    },
    {
        "region": "WA",
        "name": "Washington commercial telephone solicitation",
        "hours": "08:00-20:00",
        # RCW 19.158.110(2)(a): after the called party says they do not want
        # to be called again, no further solicitation at that number "within
        # a period of at least one year": 366 days (a leap year's year), so
        # the layer never allows a call the statute forbids.
        "after_refusal_days": 366,
        "source": (
            "RCW 19.158.040(2) (hours, 2002 c 86); RCW 19.158.110(2)(a) (no call for at least one year after a "
            "do-not-call request), app.leg.wa.gov/RCW/default.aspx?cite=19.158.110"
        ),
        "confirmed": True,
    },
    {
        "region": "MA",
        "name": "Massachusetts Do Not Call regulation",
        # 201 CMR 12.02(2): no unsolicited telephonic sales call "between the
        # hours of 8:00 P.M. to 8:00 A.M., local time at the consumer's location".
        "hours": "08:00-20:00",
        "source": (
            "201 CMR 12.02(2) (M.G.L. c. 159C), regulations.justia.com/states/massachusetts/201-cmr/"
            "title-201-cmr-12-00/section-12-02"
        ),
        "confirmed": True,
    },
    {
        # Conn. Gen. Stat. 42-288a as amended by P.A. 23-98 (SB 1058), in force
        # 1 October 2023: calls end at 8 p.m. instead of 9 p.m. The statute's
        # subsection was not read (the copies found stop before it): values
        # from two summaries of the act that agree.
        "region": "CT",
        "name": "Connecticut telephonic sales calls",
        "hours": "09:00-21:00",
        "effective_to": "2023-10-01",
        "source": (
            "Conn. Gen. Stat. 42-288a before P.A. 23-98 (secondary: tcpaworld.com 2023-06-28 "
            "'Connecticut rolls out new telemarketing requirements'; dnc.com 'Connecticut passes new telemarketing law')"
        ),
        "confirmed": False,
    },
    {
        "region": "CT",
        "name": "Connecticut telephonic sales calls",
        "hours": "09:00-20:00",
        "effective_from": "2023-10-01",
        "source": (
            "Conn. Gen. Stat. 42-288a(c) as amended by P.A. 23-98 (SB 1058), in force 1 October 2023: 'between the "
            "hours of nine o'clock a.m. and eight o'clock p.m. local time' (secondary: quoted in "
            + _FIELDQUO
            + "; tcpaworld.com 2023-06-28; dnc.com 'Connecticut passes new telemarketing law')"
        ),
        "confirmed": False,
    },
    {
        # SDCL 37-30-28: no telephone solicitation with an automated telephone
        # dialing system "except weekdays between 9 a.m. and 9 p.m., according
        # to the time in this state". It binds calls placed by an automated
        # dialer (what this simulator models); a hand-dialled call is not
        # restricted by it. The definition (SDCL 37-30-21) was not read.
        "region": "SD",
        "name": "South Dakota automated telephone dialing system",
        "hours": {
            "MONDAY": "09:00-21:00",
            "TUESDAY": "09:00-21:00",
            "WEDNESDAY": "09:00-21:00",
            "THURSDAY": "09:00-21:00",
            "FRIDAY": "09:00-21:00",
            "SATURDAY": [],
            "SUNDAY": [],
        },
        "source": (
            "SDCL 37-30-28 (SL 1991, ch 322, s 7), legis.state.sd.us/statutes/DisplayStatute.aspx?Type=Statute"
            "&Statute=37-30-28 (calls by an automated telephone dialing system)"
        ),
        "confirmed": True,
    },
    {
        "region": "AL",
        "name": "Alabama telephone solicitation",
        "hours": "08:00-20:00",
        "no_sunday": True,
        "holidays": True,
        # Ala. Admin. Code r. 770-X-5-.17(2), as quoted: "No solicitation calls
        # are allowed on Sundays or holidays. On the days that calls are
        # allowed, none will be placed prior to 8 a.m. or after 8 p.m."
        "source": (
            "Ala. Admin. Code r. 770-X-5-.17(2) (PSC rule), quoted in " + _FIELDQUO + "; holidays per Ala. Code 1-3-8 "
            "(secondary: REFERENCE.md, dropcowboy.com)"
        ),
        "confirmed": False,
    },
    {
        "region": "LA",
        "name": "Louisiana telephone solicitation",
        "hours": "08:00-20:00",
        "no_sunday": True,
        "holidays": True,
        "source": (
            "La. R.S. 45:844.11-844.17 and LPSC Do Not Call General Order R-29617 s. V(A) (08:00-20:00, no Sundays "
            "or legal holidays, as read in " + _FIELDQUO + "); holidays per La. R.S. 1:55 (secondary)"
        ),
        "confirmed": False,
    },
    {
        # The PSC's holiday ban (39 Miss. Admin. Code Pt. I, R. 1:28) was
        # repealed after HB 1225 (2023) moved enforcement to the Attorney
        # General: the holiday ban applies up to the end of 2023 here.
        "region": "MS",
        "name": "Mississippi Telephone Solicitation Act",
        "hours": "08:00-20:00",
        "no_sunday": True,
        "holidays": True,
        "effective_to": "2024-01-01",
        "source": "Miss. Code Ann. 77-3-723 (8:00 a.m.-8:00 p.m., no Sunday); 39 Miss. Admin. Code Pt. I, R. 1:28 (holidays, repealed after HB 1225 of 2023; end date unconfirmed)",
        "confirmed": False,
    },
    {
        "region": "MS",
        "name": "Mississippi Telephone Solicitation Act",
        "hours": "08:00-20:00",
        "no_sunday": True,
        "effective_from": "2024-01-01",
        # 77-3-723: "between the hours of 8:00 a.m. and 8:00 p.m. Central
        # Standard Time. No telephone solicitations may be made on a Sunday."
        # Read as the callee's wall clock (Mississippi is on Central time); a
        # literal "Standard" reading would shift the window an hour in summer.
        "source": (
            "Miss. Code Ann. 77-3-723 (8:00 a.m.-8:00 p.m. Central Standard Time; no Sunday), "
            "getpocketlaw.com/law/state_mississippi/section-77-3-723-rules-for-authorized-calls"
        ),
        "confirmed": True,
    },
    {
        "region": "RI",
        "name": "Rhode Island Telephone Sales Solicitation Act",
        "hours": {
            "MONDAY": "09:00-18:00",
            "TUESDAY": "09:00-18:00",
            "WEDNESDAY": "09:00-18:00",
            "THURSDAY": "09:00-18:00",
            "FRIDAY": "09:00-18:00",
            "SATURDAY": "10:00-17:00",
            "SUNDAY": [],
        },
        "holidays": True,
        # R.I. Gen. Laws 5-61-2, as quoted: "Monday through Friday, except a
        # state or federal holiday, nine o'clock (9:00 a.m.) to six o'clock
        # (6:00 p.m.); Saturday ten o'clock (10:00 a.m.) to five o'clock (5:00 p.m.)."
        "source": (
            "R.I. Gen. Laws 5-61-3.6 (calls only during 'hours of operation'), webserver.rilin.state.ri.us/Statutes/"
            "TITLE5/5-61/5-61-3.6.HTM; the hours of 5-61-2 quoted in " + _FIELDQUO + " (secondary)"
        ),
        "confirmed": False,
    },
    {
        # Utah Code 13-25a-103(3), as quoted by a third party: no solicitation
        # "(a) between the hours of 9 p.m. and 8 a.m. local time; (b) on a
        # Sunday; or (c) on a legal holiday" (the hours are the federal ones).
        "region": "UT",
        "name": "Utah Telephone and Facsimile Solicitation Act",
        "no_sunday": True,
        "holidays": True,
        "source": (
            "Utah Code 13-25a-103(3) (no Sunday, no legal holiday), quoted in "
            + _FIELDQUO
            + " (secondary; the statute not read here)"
        ),
        "confirmed": False,
    },
    {
        # Tex. Bus. & Com. Code 301.051: Monday to Saturday 09:00-21:00,
        # Sunday 12:00-21:00 (SB 140 of 2025 extended the hours to texts).
        "region": "TX",
        "name": "Texas telephone solicitation practices",
        "hours": {
            "MONDAY": "09:00-21:00",
            "TUESDAY": "09:00-21:00",
            "WEDNESDAY": "09:00-21:00",
            "THURSDAY": "09:00-21:00",
            "FRIDAY": "09:00-21:00",
            "SATURDAY": "09:00-21:00",
            "SUNDAY": "12:00-21:00",
        },
        "source": (
            "Tex. Bus. & Com. Code 301.051(b) (statutes.capitol.texas.gov/Docs/BC/htm/BC.301.htm, not read here); "
            "values from Telnyx, 'Legal update: Texas's mini-TCPA now applies to texts' "
            "(support.telnyx.com/en/articles/12141904) (secondary)"
        ),
        "confirmed": False,
    },
    {
        # KRS 367.46955(16), as quoted by a third party: no solicitation "to a
        # person's residence at any time other than between 10 a.m. - 9 p.m.
        # local time, at the called person's location".
        "region": "KY",
        "name": "Kentucky telephone solicitation",
        "hours": "10:00-21:00",
        "source": "KRS 367.46955(16), quoted in " + _FIELDQUO + " (secondary; the statute not read here)",
        "confirmed": False,
    },
    {
        # NMSA 57-12-22(B)(5), as quoted: solicitations "received before 9:00
        # a.m. or after 9:00 p.m." are unlawful.
        "region": "NM",
        "name": "New Mexico Unfair Practices Act, telephone solicitation",
        "hours": "09:00-21:00",
        "source": "NMSA 57-12-22(B)(5), quoted in " + _FIELDQUO + " (secondary; the statute not read here)",
        "confirmed": False,
    },
    {
        # MCL 750.540e(1)(f), as quoted: "an unsolicited commercial telephone
        # call that is received between the hours of 9 p.m. and 9 a.m." (a
        # criminal harassment statute; whether it reaches an ordinary sales
        # call is contested: the stricter reading is encoded).
        "region": "MI",
        "name": "Michigan unsolicited commercial telephone calls",
        "hours": "09:00-21:00",
        "source": "MCL 750.540e(1)(f), quoted in " + _FIELDQUO + " (secondary; scope contested)",
        "confirmed": False,
    },
    {
        # Minn. Stat. 325E.30 ("time of day limit"), as a third party reads it:
        # no commercial telephone solicitation to a residential subscriber
        # before 09:00 or after 21:00. Whether it binds live calls or only
        # automatic dialing-announcing devices (325E.26-.31) was not settled
        # here: the stricter reading is encoded.
        "region": "MN",
        "name": "Minnesota commercial telephone solicitation time of day limit",
        "hours": "09:00-21:00",
        "source": "Minn. Stat. 325E.30, as read in " + _FIELDQUO + " (secondary; scope unconfirmed)",
        "confirmed": False,
    },
    {
        # Wyo. Stat. 40-12-302(d), as quoted: no unsolicited telephonic sales
        # call "before the hour of 8 a.m. or after 8 p.m. local time at the
        # consumer's location".
        "region": "WY",
        "name": "Wyoming unsolicited telephonic sales calls",
        "hours": "08:00-20:00",
        "source": "Wyo. Stat. 40-12-302(d), quoted in " + _FIELDQUO + " (secondary; the statute not read here)",
        "confirmed": False,
    },
    {
        # Oregon HB 3865 (2025), in force 1 January 2026: 08:00-20:00 (was
        # 21:00) and at most 3 solicitations per 24 hours (unless an
        # established business relationship).
        "region": "OR",
        "name": "Oregon telephone solicitation (HB 3865)",
        "hours": "08:00-20:00",
        "frequency": [{"count": 3, "hours": 24, "key": "campaign"}],
        "effective_from": "2026-01-01",
        "source": (
            "ORS 646.563 as amended by HB 3865 (2025), in force 1 January 2026 (secondary: Troutman Pepper Locke, "
            "jdsupra.com 'Oregon passes new telephone solicitation law'; postscript.io/blog/oregon-house-bill-3865; "
            "citizenportal.ai on the A3 amendment's effective date)"
        ),
        "confirmed": False,
    },
    {
        # Pennsylvania Act 73 of 2019 (HB 318), in force 3 December 2019: no
        # telephone solicitation calls on legal holidays (73 P.S. 2245(a)(10)).
        "region": "PA",
        "name": "Pennsylvania Telemarketer Registration Act",
        "holidays": True,
        "effective_from": "2019-12-03",
        "effective_to": "2026-10-18",
        "source": (
            "73 P.S. 2245(a)(10), Act 73 of 2019, in force 3 December 2019 (secondary: jenkinslaw.org 2019-12-03; "
            "mslawgroup.com 'Pennsylvania amends Telemarketing Registration Act')"
        ),
        "confirmed": False,
    },
    {
        # Act 47 of 2026 (SB 992), approved 20 July 2026, in force 90 days
        # later: no telemarketing "on a Sunday or after 7 p.m. or before 9 a.m.".
        "region": "PA",
        "name": "Pennsylvania Telemarketer Registration Act",
        "hours": {
            "MONDAY": "09:00-19:00",
            "TUESDAY": "09:00-19:00",
            "WEDNESDAY": "09:00-19:00",
            "THURSDAY": "09:00-19:00",
            "FRIDAY": "09:00-19:00",
            "SATURDAY": "09:00-19:00",
            "SUNDAY": [],
        },
        "holidays": True,
        "effective_from": "2026-10-18",
        "source": (
            "73 P.S. 2245(a) as amended by Act 47 of 2026 (SB 992), in force 18 October 2026 (secondary: "
            + _FIELDQUO
            + "; pasenategop.com on SB 992); holidays per Act 73 of 2019"
        ),
        "confirmed": False,
    },
)

# Layers that bind only calls delivering a recorded message (an automatic
# dialing-announcing device: in this simulator, an agentless campaign). They
# are kept apart from ``US_STATES`` so that live-agent calls never meet them;
# ``RuleSet.for_recorded_message()`` adds them to the state layer.
US_STATES_RECORDED_MESSAGE: tuple[dict[str, Any], ...] = (
    {
        # NRS 597.814(2)(a), as a compliance vendor reads it: an automatic
        # dialing and announcing device may be used only between 9 a.m. and
        # 9 p.m. No live-call hours were found for Nevada.
        "region": "NV",
        "name": "Nevada automatic dialing and announcing devices (recorded messages)",
        "hours": "09:00-21:00",
        "recorded_message_only": True,
        "source": (
            "NRS 597.814(2)(a) (recorded-message devices only, 09:00-21:00), as read in "
            "contactcentercompliance.com 'NRS 597.814' (secondary; the statute not read here)"
        ),
        "confirmed": False,
    },
    {
        # 10 M.R.S. 1498(3), as the third party above reads it: automated
        # calling devices playing a recorded message only on weekdays, 9 a.m.
        # to 5 p.m. (no Saturday, no Sunday). Live calls have no state hours.
        "region": "ME",
        "name": "Maine automated telephone calling devices (recorded messages)",
        "hours": {
            "MONDAY": "09:00-17:00",
            "TUESDAY": "09:00-17:00",
            "WEDNESDAY": "09:00-17:00",
            "THURSDAY": "09:00-17:00",
            "FRIDAY": "09:00-17:00",
            "SATURDAY": [],
            "SUNDAY": [],
        },
        "recorded_message_only": True,
        "source": "10 M.R.S. 1498(3), as read in " + _FIELDQUO + " (secondary; the statute not read here)",
        "confirmed": False,
    },
    {
        # Neb. Rev. Stat. 86-248(1), as the third party above reads it:
        # recorded-message devices to residential lines only 08:00-21:00 (the
        # federal window: the layer adds no hours, it cites the state rule).
        # The Sunday and holiday rules for prerecorded messages (Neb. Admin.
        # Code tit. 291 ch. 11) were not read: not modelled.
        "region": "NE",
        "name": "Nebraska automatic dialing-announcing devices (recorded messages)",
        "hours": "08:00-21:00",
        "recorded_message_only": True,
        "source": (
            "Neb. Rev. Stat. 86-248(1), as read in "
            + _FIELDQUO
            + "; REFERENCE.md (secondary; the statute not read here; Sunday/holiday rules not modelled)"
        ),
        "confirmed": False,
    },
)

# Rules found in secondary summaries but not encoded (no statute read, no
# content found, or values in conflict): listed in docs/compliance.md.
US_STATES_NOT_COVERED: dict[str, str] = {
    "NE": (
        "Sunday and holiday rules for prerecorded messages (Neb. Admin. Code tit. 291 ch. 11): their content was "
        "not found in the sources read; only the 08:00-21:00 hours of Neb. Rev. Stat. 86-248(1) are encoded"
    ),
}
