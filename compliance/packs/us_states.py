"""The US state layer: rules stricter than the federal ones (47 CFR
64.1200(c)(1): 08:00-21:00 every day), chosen by the callee's state.

Each entry is one version of one state's rules: ``hours`` (local, every day
unless a day is given), ``no_sunday``, ``holidays`` (the state's legal
holidays from the ``holidays`` library, subdivision = the state), and
``frequency`` caps ("at most N calls per H hours on the same subject",
keyed by a campaign attribute, default the campaign). ``effective_from`` /
``effective_to`` (exclusive) are dates; a call is judged by the version in
force on its local date. ``confirmed: False`` marks a value taken from a
secondary summary (REFERENCE.md), not read in the statute itself.
"""

from __future__ import annotations

from typing import Any

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
        "source": "Md. Code, Com. Law 14-4501 et seq. (Stop the Spam Calls Act of 2023); in-force date 1 January 2024 unconfirmed",
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
            "Conn. Gen. Stat. 42-288a as amended by P.A. 23-98 (SB 1058), in force 1 October 2023 (secondary: "
            "tcpaworld.com 2023-06-28; dnc.com 'Connecticut passes new telemarketing law'; the subsection not read)"
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
        "source": "Alabama PSC telephone solicitation rules; holidays per Ala. Code 1-3-8 (secondary: REFERENCE.md, dropcowboy.com)",
        "confirmed": False,
    },
    {
        "region": "LA",
        "name": "Louisiana telephone solicitation",
        "hours": "08:00-20:00",
        "no_sunday": True,
        "holidays": True,
        "source": "La. R.S. 45:844.11-844.17 (Telephone Solicitation Relief Act of 2001) and LPSC rules; holidays per La. R.S. 1:55 (secondary: REFERENCE.md)",
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
        "source": "R.I. Gen. Laws 5-61-3.6 (calls only during 'hours of operation', 5-61-2); the hours' values from secondary summaries",
        "confirmed": False,
    },
    {
        "region": "UT",
        "name": "Utah Telephone and Facsimile Solicitation Act",
        "holidays": True,
        "source": "Utah Code 13-25a (holiday ban per REFERENCE.md, secondary)",
        "confirmed": False,
    },
)

# States with rules found in secondary summaries but not encoded (no statute
# read, or values in conflict): listed in docs/compliance.md.
US_STATES_NOT_COVERED: dict[str, str] = {
    "TX": (
        "Tex. Bus. & Com. Code 301.051 (hours, Sunday hours) not read; summaries disagree "
        "(09:00-21:00 every day vs Sunday from noon)"
    ),
    "KY": "KRS 367.46955 (10:00-21:00 in summaries) not read; KRS 367.461(2)(e) (recorded messages 08:00-21:00) is the federal window",
    "MI": "09:00-21:00 in a secondary summary; MCL 445.111 et seq. read in part, no hours found",
    "MN": "Minn. Stat. 325E.27 limits automatic dialing-announcing devices (recorded messages), not read in full; live calls: no hours found",
    "NV": "NRS 597.814(2)(a): automatic dialing and announcing devices (recorded messages) not between 21:00 and 09:00; recorded-message campaigns are not modelled by the state layer",
    "NM": "09:00-21:00 in a secondary summary; statute not read",
    "NE": "prerecorded messages only on Sundays and holidays (Neb. Admin. Code tit. 291 ch. 11): not modelled",
}
