import pytest

from phonegeo import (
    US_ZIP3,
    LocalTimeError,
    check_zone,
    normalise_number,
    resolve_zones,
    us_state_for_zip,
    zone_for_postcode,
    zones_for_number,
)
from phonegeo.zones import locate


def test_zones_from_numbers():
    assert zones_for_number("+12125550100") == (("America/New_York",), "US")
    assert zones_for_number("+18085550100")[0] == ("Pacific/Honolulu",)
    assert set(zones_for_number("+19075550100")[0]) == {"America/Anchorage", "America/Adak"}
    assert len(zones_for_number("+61412345678")[0]) > 1  # an Australian mobile spans the country


def test_precedence_explicit_zone_postcode_number_default():
    assert resolve_zones("+12125550100", explicit_zone="America/Chicago")[0] == ("America/Chicago",)
    assert resolve_zones("+12125550100", postcode="99501", detection=("ZIP_CODE", "AREA_CODE"))[0] == (
        "America/Anchorage",
    )
    assert resolve_zones("+12125550100", postcode="99501", detection=("AREA_CODE",))[0] == ("America/New_York",)
    assert resolve_zones("+12125550100", detection=(), default_zone="Europe/London")[0] == ("Europe/London",)


def test_bad_numbers_and_zones_raise_clear_errors():
    for bad in ("12", "+1 555", "not a number", ""):
        with pytest.raises(LocalTimeError) as exc:
            normalise_number(bad)
        assert repr(bad) in str(exc.value)
    with pytest.raises(LocalTimeError, match="Mars/Olympus"):
        check_zone("Mars/Olympus")
    with pytest.raises(LocalTimeError, match="Mars/Olympus"):
        resolve_zones("+12125550100", explicit_zone="Mars/Olympus")
    assert normalise_number("(212) 555-0100") == "+12125550100"


def test_us_zip_prefixes_cover_every_state_and_split_states_by_majority():
    states = {us_state_for_zip(f"{p:03d}00") for p in range(1000)} - {None}
    assert {"AK", "HI", "TX", "FL", "ID", "DC", "PR"} <= states and len(
        states - {"AA", "AE", "AP", "GU", "VI", "PR", "DC"}
    ) == 50
    assert zone_for_postcode("US", "10001") == "America/New_York"
    assert zone_for_postcode("US", "60601") == "America/Chicago"
    assert zone_for_postcode("US", "80202") == "America/Denver"
    assert zone_for_postcode("US", "85001") == "America/Phoenix"
    assert zone_for_postcode("US", "94105-1234") == "America/Los_Angeles"
    assert zone_for_postcode("US", "99501") == "America/Anchorage"
    assert zone_for_postcode("US", "96813") == "Pacific/Honolulu"
    assert zone_for_postcode("US", "79901") == "America/Denver"  # El Paso
    assert zone_for_postcode("US", "32501") == "America/Chicago"  # Pensacola
    assert zone_for_postcode("US", "77001") == "America/Chicago"  # Texas: Central
    assert zone_for_postcode("US", "ABCDE") is None and zone_for_postcode("US", "1234") is None
    assert (
        zone_for_postcode("AU", "2000") == "Australia/Sydney" and zone_for_postcode("AU", "6000") == "Australia/Perth"
    )
    assert zone_for_postcode("GB", "SW1A 1AA") == "Europe/London"
    assert all(check_zone(z) for z in set(US_ZIP3.values()))


def test_a_queensland_number_the_library_puts_on_sydneys_clock_follows_its_postcode():
    """phonenumbers gives most Queensland numbers Australia/Sydney (docs/
    compliance.md, "Where the library's zone data are coarse"): the lookup
    stays the library's, and the contact's postcode, when detection reads
    it, puts the callee on Queensland's clock (no daylight saving time)."""
    beenleigh = "+61734412345"
    assert locate(beenleigh).zones == ("Australia/Sydney",)
    by_postcode = locate(beenleigh, postcode="4207", detection=("ZIP_CODE", "AREA_CODE"))
    assert (by_postcode.zones, by_postcode.how) == (("Australia/Brisbane",), "zip")
    tweed_heads = locate("+61755361234", postcode="2485", detection=("ZIP_CODE", "AREA_CODE"))
    assert tweed_heads.zones == ("Australia/Sydney",)  # 07 also serves New South Wales, which keeps DST
