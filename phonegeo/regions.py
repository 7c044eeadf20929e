"""The callee's state or province (a US state or Canadian province code,
e.g. ``FL``, ``ON``): from the ZIP code when known, else from the NANP area
code, per phonenumbers' geocoder (its English area-code entries, ``1NPA ->
'Florida'``, or for an area code without one, the majority of its ``1NPANXX
-> 'City, ST'`` entries). Used to choose a rule pack's state layer."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
from phonenumbers.geodata import GEOCODE_DATA

from phonegeo.postcodes import us_state_for_zip

_NAMES = {
    "Alabama": "AL",
    "Alaska": "AK",
    "Arizona": "AZ",
    "Arkansas": "AR",
    "California": "CA",
    "Colorado": "CO",
    "Connecticut": "CT",
    "Delaware": "DE",
    "Washington D.C.": "DC",
    "Florida": "FL",
    "Georgia": "GA",
    "Hawaii": "HI",
    "Idaho": "ID",
    "Illinois": "IL",
    "Indiana": "IN",
    "Iowa": "IA",
    "Kansas": "KS",
    "Kentucky": "KY",
    "Louisiana": "LA",
    "Maine": "ME",
    "Maryland": "MD",
    "Massachusetts": "MA",
    "Michigan": "MI",
    "Minnesota": "MN",
    "Mississippi": "MS",
    "Missouri": "MO",
    "Montana": "MT",
    "Nebraska": "NE",
    "Nevada": "NV",
    "New Hampshire": "NH",
    "New Jersey": "NJ",
    "New Mexico": "NM",
    "New York": "NY",
    "North Carolina": "NC",
    "North Dakota": "ND",
    "Ohio": "OH",
    "Oklahoma": "OK",
    "Oregon": "OR",
    "Pennsylvania": "PA",
    "Rhode Island": "RI",
    "South Carolina": "SC",
    "South Dakota": "SD",
    "Tennessee": "TN",
    "Texas": "TX",
    "Utah": "UT",
    "Vermont": "VT",
    "Virginia": "VA",
    "Washington State": "WA",
    "Washington": "WA",
    "West Virginia": "WV",
    "Wisconsin": "WI",
    "Wyoming": "WY",
    "Puerto Rico": "PR",
    "Guam": "GU",
    "US Virgin Islands": "VI",
    "Northern Mariana Islands": "MP",
    "American Samoa": "AS",
    "Alberta": "AB",
    "British Columbia": "BC",
    "Manitoba": "MB",
    "New Brunswick": "NB",
    "Newfoundland and Labrador": "NL",
    "Nova Scotia": "NS",
    "Ontario": "ON",
    "Prince Edward Island": "PE",
    "Quebec": "QC",
    "Saskatchewan": "SK",
    "Northwest Territories": "NT",
    "Nunavut": "NU",
    "Yukon": "YT",
}
_CODES = frozenset(_NAMES.values())
_CA_PROVINCES = frozenset({"AB", "BC", "MB", "NB", "NL", "NS", "ON", "PE", "QC", "SK", "NT", "NU", "YT"})
_CA_POSTAL_FIRST = {
    "A": "NL",
    "B": "NS",
    "C": "PE",
    "E": "NB",
    "G": "QC",
    "H": "QC",
    "J": "QC",
    "K": "ON",
    "L": "ON",
    "M": "ON",
    "N": "ON",
    "P": "ON",
    "R": "MB",
    "S": "SK",
    "T": "AB",
    "V": "BC",
    "Y": "YT",
}


def _code_of(name: str) -> str | None:
    if name in _NAMES:
        return _NAMES[name]
    m = re.search(r",\s*([A-Z]{2})$", name)
    return m.group(1) if m and m.group(1) in _CODES else None


def _build() -> dict[int, str]:
    table: dict[int, str] = {}
    votes: dict[int, Counter[str]] = {}
    for key, langs in GEOCODE_DATA.items():
        if not key.startswith("1") or len(key) < 4:
            continue
        name = langs.get("en")
        if not name:
            continue
        code = _code_of(name)
        if code is None:
            continue
        npa = int(key[1:4])
        if len(key) == 4:
            table[npa] = code
        else:
            votes.setdefault(npa, Counter())[code] += 1
    for npa, counter in votes.items():
        table.setdefault(npa, counter.most_common(1)[0][0])
    return table


NANP_AREA_CODES: dict[int, str] = _build()
_AREA_LUT = np.full(1000, "", dtype=object)
for _npa, _code in NANP_AREA_CODES.items():
    _AREA_LUT[_npa] = _code


def region_for_area_code(e164: str) -> str | None:
    """The state/province of a NANP number by its area code (None: not NANP or unknown)."""
    m = re.fullmatch(r"\+?1(\d{3})\d{7}", e164.strip())
    return NANP_AREA_CODES.get(int(m.group(1))) if m else None


def region_for_postcode(postcode: str | None, country: str | None = "US") -> str | None:
    """The state (US ZIP) or province (Canadian postal code) of a postcode."""
    if not postcode:
        return None
    code = str(postcode).strip().upper()
    if (country or "US").upper() == "CA" or re.fullmatch(r"[A-Z]\d[A-Z] ?\d[A-Z]\d", code):
        if re.fullmatch(r"[A-Z]\d[A-Z] ?\d[A-Z]\d", code):
            if code[0] == "X":  # NT and NU share X
                return "NU" if code.startswith(("X0A", "X0B", "X0C")) else "NT"
            return _CA_POSTAL_FIRST.get(code[0])
        return None
    state = us_state_for_zip(code)
    return state if state in _CODES else None


def regions_for(e164: str, postcode: str | None = None) -> tuple[tuple[str, ...], str]:
    """The callee's state(s) and how they were found: the ZIP's and the area
    code's (both when they disagree: the rules of both apply, the stricter
    wins); ``(), 'none'`` when neither is known."""
    by_area = region_for_area_code(e164)
    by_zip = region_for_postcode(postcode, "CA" if by_area in _CA_PROVINCES else "US")
    if by_zip and by_area and by_zip != by_area:
        return (by_zip, by_area), "zip+area_code"
    if by_zip:
        return (by_zip,), "zip"
    if by_area:
        return (by_area,), "area_code"
    return (), "none"


def area_code_regions(numbers: np.ndarray) -> np.ndarray:
    """Vectorised area-code state for int64 E.164 digits: an object array of
    codes ('' where not a NANP number or unknown)."""
    numbers = np.asarray(numbers, dtype=np.int64)
    nanp = (numbers >= 10_000_000_000) & (numbers < 20_000_000_000)
    npa = np.where(nanp, (numbers // 10_000_000) % 1000, 0)
    out: np.ndarray = _AREA_LUT[npa]
    out[~nanp] = ""
    return out
