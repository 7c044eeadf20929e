"""Fixtures of the compliance tests. The event-row helpers live in
``event_rows`` (a module name no other test directory uses)."""

from __future__ import annotations

import pytest
from event_rows import BASE, call, doc_mapping, table  # noqa: F401  (re-exported for the tests)


@pytest.fixture
def make_call():
    return call


@pytest.fixture
def make_table():
    return table


def gate_for(rows: list[dict], jurisdiction="US", **doc_kw):
    """(gate, doc, contacts) for contacts given as rows {phone, time_zone?, postcode?}."""
    from campaigns.contacts import from_rows, zone_settings
    from campaigns.document import parse_document
    from compliance.gate import DialGate

    doc = parse_document(doc_mapping(jurisdiction=jurisdiction, **doc_kw))
    contacts = from_rows(rows, zone_settings(doc))
    assert not contacts.rejected, contacts.rejected
    return DialGate(doc, jurisdiction, contacts), doc, contacts


@pytest.fixture
def make_gate():
    return gate_for
