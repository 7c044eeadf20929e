import json

import pytest

from compliance import get_rules
from compliance.rules import AU, AU_RESEARCH, NZ, UK, US, RuleSet, derive, load_rules


def test_named_rule_sets_and_their_key_values():
    assert get_rules("US") is US and get_rules("uk") is UK and get_rules("GB") is UK
    assert get_rules(None) is None
    assert get_rules(US) is US
    assert US.abandonment.clock_start == "GREETING_END" and UK.abandonment.clock_start == "GREETING_START"
    assert US.abandonment.threshold_seconds == 2 and US.abandonment.limit == 0.03 == UK.abandonment.limit
    assert US.abandonment.window_days == 30 and UK.abandonment.window == "CALENDAR_DAY"
    assert UK.abandonment.include_amd_false_positives and not US.abandonment.include_amd_false_positives
    assert US.ring_minimum_seconds == 15 == UK.ring_minimum_seconds
    assert UK.recall.after_abandoned_seconds == 72 * 3600 and UK.recall.after_machine_same_day
    assert (US.dnc.registry_max_age_days, UK.dnc.registry_max_age_days, AU.dnc.registry_max_age_days) == (31, 28, 30)
    assert AU.hours.days[6] == () and AU_RESEARCH.hours.days[6] == ((9 * 3600, 17 * 3600),)
    assert AU_RESEARCH.hours.days[0] == ((9 * 3600, 20 * 3600 + 1800),)
    assert NZ.hours.days[6] == () and NZ.hours.days[5] == ((8 * 3600, 21 * 3600),)
    assert AU.holidays.forbid_calls and NZ.holidays.forbid_calls and not US.holidays.forbid_calls
    assert all(r.sources for r in (US, UK, AU, AU_RESEARCH, NZ))


def test_unknown_jurisdiction_lists_the_known_ones():
    with pytest.raises(ValueError) as exc:
        get_rules("DE")  # FR became a pack in issue 13
    assert (
        "'DE'" in str(exc.value)
        and "US" in str(exc.value)
        and "AU_RESEARCH" in str(exc.value)
        and "FR" in str(exc.value)
    )


def test_derive_a_stricter_set_without_code():
    acme = derive(
        "US",
        {"name": "ACME", "abandonment": {"limit": 0.02}, "hours": {"SATURDAY": [["10:00", "18:00"]], "SUNDAY": []}},
    )
    assert isinstance(acme, RuleSet) and acme.name == "ACME"
    assert acme.abandonment.limit == 0.02 and acme.abandonment.clock_start == "GREETING_END"
    assert acme.hours.days[5] == ((36000, 64800),) and acme.hours.days[6] == ()
    assert acme.hours.days[0] == US.hours.days[0]  # days not given keep the base
    assert US.abandonment.limit == 0.03  # the base is untouched


def test_derive_rejects_unknown_fields_and_bad_values():
    with pytest.raises(ValueError, match="unknown field"):
        derive("US", {"abandonmnet": {}})
    with pytest.raises(ValueError, match="limit"):
        derive("US", {"abandonment": {"limit": 3}})
    with pytest.raises(ValueError, match="FUNDAY"):
        derive("US", {"hours": {"FUNDAY": []}})


def test_rules_from_yaml_and_json_files(tmp_path):
    y = tmp_path / "acme.yaml"
    y.write_text("base: UK\nname: ACME-UK\nabandonment:\n  limit: 0.025\nhours:\n  MONDAY: ['09:00-20:00']\n")
    r = get_rules(str(y))
    assert r.name == "ACME-UK" and r.abandonment.limit == 0.025 and r.hours.days[0] == ((32400, 72000),)
    j = tmp_path / "acme.json"
    j.write_text(json.dumps({"base": "US", "ring_minimum_seconds": 20}))
    assert load_rules(j).ring_minimum_seconds == 20
    with pytest.raises(ValueError, match="base"):
        load_rules({"abandonment": {"limit": 0.01}})
