"""Zones by phonenumbers' longest prefix (never a truncated number), a list
that never aborts on a valid number, and the state of a number."""

from __future__ import annotations

import numpy as np
import phonenumbers
from phonenumbers import timezone as pn_timezone
from phonenumbers.tzdata import TIMEZONE_DATA

from campaigns.contacts import ZoneSettings, from_numbers, from_rows
from phonegeo import zones_for_number
from phonegeo.regions import NANP_AREA_CODES, area_code_regions, region_for_postcode, regions_for
from phonegeo.zones import MISSING_TIMEZONE, zone_keys


def _truth(e164: str) -> tuple[str, ...]:
    return tuple(z for z in pn_timezone.time_zones_for_number(phonenumbers.parse(e164)) if z != "Etc/Unknown")


def test_eight_digit_australian_prefixes_match_phonenumbers():
    # Every 8-digit AU prefix of phonenumbers' data (Lord Howe, Cocos, Christmas
    # Island, WA and QLD blocks), with a few endings each.
    prefixes = [k for k in TIMEZONE_DATA if k.startswith("61") and len(k) == 8]
    assert len(prefixes) > 100
    checked, special = 0, set()
    for k in prefixes:
        for tail in ("000", "123", "987"):
            e164 = "+" + k + tail
            if not phonenumbers.is_valid_number(phonenumbers.parse(e164)):
                continue
            assert zones_for_number(e164)[0] == _truth(e164), e164
            checked += 1
            special |= set(_truth(e164))
    assert checked > 100 and {"Australia/Lord_Howe", "Indian/Cocos", "Indian/Christmas"} <= special
    assert zones_for_number("+61851211932")[0] == _truth("+61851211932")


def test_generated_au_and_nz_numbers_agree_with_phonenumbers_scalar_and_vectorised():
    rng = np.random.default_rng(5)
    nums = np.concatenate(
        [
            61_200_000_000 + rng.integers(0, 800_000_000, 1500),  # AU 02-09 geographic and mobile
            6_430_000_000 + rng.integers(0, 60_000_000, 300),  # NZ
        ]
    )
    valid = []
    for n in nums.tolist():
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(f"+{n}")):
                valid.append(n)
        except phonenumbers.NumberParseException:
            continue
    assert len(valid) > 300
    inverse, answers = zone_keys(np.asarray(valid))
    for k, n in enumerate(valid):
        truth = _truth(f"+{n}")
        assert zones_for_number(f"+{n}")[0] == truth, n
        assert answers[int(inverse[k])][0] == truth, n


def test_a_number_without_a_zone_is_excluded_and_counted_not_fatal():
    numbers = np.array([61851211932, 12125550100, 870773111632, 61891001234])
    cl = from_numbers(numbers, ZoneSettings())
    assert len(cl) == 3 and len(cl.rejected) == 1
    assert cl.rejected[0].value == "+870773111632" and cl.rejected[0].reason.startswith(MISSING_TIMEZONE)
    assert cl.missing_timezone == 1
    # The same from rows (CSV, Parquet, API uploads): the row is rejected, the rest kept.
    # +870 (Inmarsat) is a valid number with no zone.
    rows = from_rows([{"phone": "+61851211932"}, {"phone": "+870773111632"}, {"phone": "+12125550100"}], ZoneSettings())
    assert len(rows) == 2 and rows.missing_timezone == 1 and rows.rejected[0].row == 2
    # With a default zone it is kept.
    assert len(from_numbers(numbers, ZoneSettings(default_zone="UTC"))) == 4


def test_state_by_area_code_and_zip():
    assert NANP_AREA_CODES[305] == "FL" and NANP_AREA_CODES[405] == "OK" and NANP_AREA_CODES[416] == "ON"
    assert len(NANP_AREA_CODES) > 350
    assert list(area_code_regions(np.array([13055550100, 14165550100, 33142000000]))) == ["FL", "ON", ""]
    assert region_for_postcode("73101") == "OK" and region_for_postcode("M5V 2T6") == "ON"
    assert regions_for("+13055550100", "73101") == (("OK", "FL"), "zip+area_code")
    assert regions_for("+13055550100", "33101") == (("FL",), "zip")
    assert regions_for("+33142000000") == ((), "none")
