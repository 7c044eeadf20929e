"""Number geography, below campaigns and compliance: E.164 parsing
(``e164``), the time zones of a number by prefix, ZIP or postcode
(``zones``, ``postcodes``). Built on phonenumbers and zoneinfo."""

from phonegeo.e164 import normalise_number
from phonegeo.errors import LocalTimeError
from phonegeo.postcodes import US_ZIP3, us_state_for_zip, zone_for_postcode
from phonegeo.zones import UNKNOWN, check_zone, resolve_zones, zones_for_number

__all__ = [
    "UNKNOWN",
    "US_ZIP3",
    "LocalTimeError",
    "check_zone",
    "normalise_number",
    "resolve_zones",
    "us_state_for_zip",
    "zone_for_postcode",
    "zones_for_number",
]
