"""Postcode -> time zone. US ZIP codes by their 3-digit prefix (the sectional
center facility), which never crosses a state line; states that span two zones
use the zone of most of their population, with the well-known prefixes of the
minority zone mapped to it (the Florida panhandle, East Tennessee, western
Kentucky, El Paso, north Idaho, ...). Also Canada (first letter), Australia
(first digit, the state), the United Kingdom and New Zealand (one zone each).

Unknown or malformed postcodes give None: the caller falls back to the number.
"""

from __future__ import annotations

import re

NY, CHI, DEN, PHX, LA = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
)
DET, IND, BOI = "America/Detroit", "America/Indiana/Indianapolis", "America/Boise"
ANC, HNL = "America/Anchorage", "Pacific/Honolulu"

# (first prefix, last prefix, state, zone) — USPS ZIP prefix ranges per state.
_US_RANGES: tuple[tuple[int, int, str, str | None], ...] = (
    (5, 5, "NY", NY),
    (6, 7, "PR", "America/Puerto_Rico"),
    (8, 8, "VI", "America/St_Thomas"),
    (9, 9, "PR", "America/Puerto_Rico"),
    (10, 27, "MA", NY),
    (28, 29, "RI", NY),
    (30, 38, "NH", NY),
    (39, 49, "ME", NY),
    (50, 54, "VT", NY),
    (55, 55, "MA", NY),
    (56, 59, "VT", NY),
    (60, 69, "CT", NY),
    (70, 89, "NJ", NY),
    (90, 99, "AE", None),  # armed forces overseas
    (100, 149, "NY", NY),
    (150, 196, "PA", NY),
    (197, 199, "DE", NY),
    (200, 200, "DC", NY),
    (201, 201, "VA", NY),
    (202, 205, "DC", NY),
    (206, 219, "MD", NY),
    (220, 246, "VA", NY),
    (247, 268, "WV", NY),
    (270, 289, "NC", NY),
    (290, 299, "SC", NY),
    (300, 319, "GA", NY),
    (320, 323, "FL", NY),
    (324, 325, "FL", CHI),  # Panama City, Pensacola: Central
    (326, 339, "FL", NY),
    (340, 340, "AA", None),
    (341, 349, "FL", NY),
    (350, 369, "AL", CHI),
    (370, 372, "TN", CHI),
    (373, 374, "TN", NY),  # Chattanooga
    (375, 375, "TN", CHI),
    (376, 379, "TN", NY),  # Johnson City, Knoxville
    (380, 385, "TN", CHI),
    (386, 397, "MS", CHI),
    (398, 399, "GA", NY),
    (400, 419, "KY", NY),
    (420, 424, "KY", CHI),  # Paducah, Bowling Green, Owensboro, Henderson
    (425, 427, "KY", NY),
    (430, 459, "OH", NY),
    (460, 462, "IN", IND),
    (463, 464, "IN", CHI),  # Gary (Chicago area)
    (465, 475, "IN", IND),
    (476, 477, "IN", CHI),  # Evansville
    (478, 479, "IN", IND),
    (480, 499, "MI", DET),
    (500, 528, "IA", CHI),
    (530, 549, "WI", CHI),
    (550, 567, "MN", CHI),
    (570, 576, "SD", CHI),
    (577, 577, "SD", DEN),  # Rapid City
    (580, 588, "ND", CHI),
    (590, 599, "MT", DEN),
    (600, 629, "IL", CHI),
    (630, 658, "MO", CHI),
    (660, 679, "KS", CHI),
    (680, 692, "NE", CHI),
    (693, 693, "NE", DEN),  # Scottsbluff, Alliance
    (700, 714, "LA", CHI),
    (716, 729, "AR", CHI),
    (730, 732, "OK", CHI),
    (733, 733, "TX", CHI),
    (734, 749, "OK", CHI),
    (750, 797, "TX", CHI),
    (798, 799, "TX", DEN),  # El Paso
    (800, 816, "CO", DEN),
    (820, 831, "WY", DEN),
    (832, 837, "ID", BOI),
    (838, 838, "ID", LA),  # north Idaho: Pacific
    (840, 847, "UT", DEN),
    (850, 865, "AZ", PHX),
    (870, 884, "NM", DEN),
    (885, 885, "TX", DEN),  # El Paso
    (889, 898, "NV", LA),
    (900, 961, "CA", LA),
    (962, 966, "AP", None),
    (967, 968, "HI", HNL),
    (969, 969, "GU", "Pacific/Guam"),
    (970, 978, "OR", LA),
    (979, 979, "OR", BOI),  # Ontario, Oregon: Mountain
    (980, 994, "WA", LA),
    (995, 999, "AK", ANC),
)

US_ZIP3: dict[int, str] = {}
US_ZIP3_STATE: dict[int, str] = {}
for _a, _b, _state, _zone in _US_RANGES:
    for _p in range(_a, _b + 1):
        US_ZIP3_STATE[_p] = _state
        if _zone:
            US_ZIP3[_p] = _zone

_CA_FIRST = {
    "A": "America/St_Johns",
    "B": "America/Halifax",
    "C": "America/Halifax",
    "E": "America/Moncton",
    "G": "America/Toronto",
    "H": "America/Toronto",
    "J": "America/Toronto",
    "K": "America/Toronto",
    "L": "America/Toronto",
    "M": "America/Toronto",
    "N": "America/Toronto",
    "P": "America/Toronto",
    "R": "America/Winnipeg",
    "S": "America/Regina",
    "T": "America/Edmonton",
    "V": "America/Vancouver",
    "X": "America/Yellowknife",
    "Y": "America/Whitehorse",
}
_AU_FIRST = {
    "0": "Australia/Darwin",
    "2": "Australia/Sydney",
    "3": "Australia/Melbourne",
    "4": "Australia/Brisbane",
    "5": "Australia/Adelaide",
    "6": "Australia/Perth",
    "7": "Australia/Hobart",
    "8": "Australia/Melbourne",
    "9": "Australia/Brisbane",
}


def us_state_for_zip(postcode: str) -> str | None:
    m = re.fullmatch(r"(\d{5})(?:-?\d{4})?", str(postcode).strip())
    return US_ZIP3_STATE.get(int(m.group(1)[:3])) if m else None


def zone_for_postcode(region: str, postcode: str) -> str | None:
    """The zone of a postcode, or None when we do not know it (the caller falls
    back to the number's zones)."""
    region = (region or "").upper()
    code = str(postcode).strip().upper()
    if region in ("US", "PR", "VI", "GU"):
        m = re.fullmatch(r"(\d{5})(?:-?\d{4})?", code)
        return US_ZIP3.get(int(m.group(1)[:3])) if m else None
    if region == "CA":
        return _CA_FIRST.get(code[:1]) if re.fullmatch(r"[A-Z]\d[A-Z] ?\d[A-Z]\d", code) else None
    if region == "AU":
        if not re.fullmatch(r"\d{4}", code):
            return None
        if code == "2880":
            return "Australia/Broken_Hill"
        if code.startswith(("08", "09")):
            return "Australia/Darwin"
        if code.startswith("02"):
            return "Australia/Sydney"  # ACT PO boxes
        return _AU_FIRST.get(code[0])
    if region in ("GB", "UK"):
        return "Europe/London" if re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", code) else None
    if region == "NZ":
        if not re.fullmatch(r"\d{4}", code):
            return None
        return "Pacific/Chatham" if code == "8942" else "Pacific/Auckland"
    return None
