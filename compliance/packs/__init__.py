"""Rule packs as versioned data: plain mappings with their sources and
effective dates, read by ``compliance.rules`` (which builds the ``RuleSet``
values from them). Nothing here imports code: a pack is data a reviewer can
check line by line against its statute.

* ``us_states``: the state layer over the US federal rules (hours, Sunday and
  holiday bans, call-frequency caps), one entry per rule version; and the
  layers that bind only recorded-message calls (NV, ME, NE).
* ``canada``: the CRTC Unsolicited Telecommunications Rules (``CA``), the
  British Columbia layer, and the ADAD hours (``CA_ADAD``).
* ``france``: décret 2022-1313 (``FR``).

A user extends or overrides a pack in a YAML/JSON file (``base`` plus
changes, ``local_rules`` to add a state layer); see docs/compliance.md.
"""

from compliance.packs.canada import CANADA, CANADA_ADAD
from compliance.packs.france import FRANCE
from compliance.packs.us_states import US_STATES, US_STATES_NOT_COVERED, US_STATES_RECORDED_MESSAGE

PACK_VERSION = "2026.11.3"

__all__ = [
    "CANADA",
    "CANADA_ADAD",
    "FRANCE",
    "PACK_VERSION",
    "US_STATES",
    "US_STATES_NOT_COVERED",
    "US_STATES_RECORDED_MESSAGE",
]
