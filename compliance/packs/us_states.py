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
        "source": "RCW 19.158.040(2) (2002 c 86)",
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
        "source": "Miss. Code Ann. 77-3-723(1) (no Sunday calls); 39 Miss. Admin. Code Pt. I, R. 1:28 (holidays, repealed after HB 1225 of 2023; end date unconfirmed); hours per REFERENCE.md (secondary)",
        "confirmed": False,
    },
    {
        "region": "MS",
        "name": "Mississippi Telephone Solicitation Act",
        "hours": "08:00-20:00",
        "no_sunday": True,
        "effective_from": "2024-01-01",
        "source": "Miss. Code Ann. 77-3-723(1) (no Sunday calls); hours per REFERENCE.md (secondary)",
        "confirmed": False,
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
    "CT": "sources disagree on the hours (09:00-20:00 vs 09:00-21:00)",
    "KY": "10:00-21:00 in a secondary summary; statute not read",
    "MA": "08:00-20:00 in a secondary summary; statute not read",
    "MI": "09:00-21:00 in a secondary summary; statute not read",
    "MN": "09:00-21:00 in a secondary summary; statute not read",
    "NV": "09:00-20:00 in a secondary summary; statute not read",
    "NM": "09:00-21:00 in a secondary summary; statute not read",
    "TX": "Tex. Bus. & Com. Code 301.051 (Sunday hours) not read",
    "NE": "prerecorded messages only on Sundays and holidays (Neb. Admin. Code tit. 291 ch. 11): not modelled",
}
