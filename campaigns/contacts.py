"""Contact lists: import (CSV, Parquet, synthetic), normalisation to E.164 and
the time zone(s) of each number, held as arrays so a million contacts cost
tens of megabytes, not gigabytes.

A bad row never loses the good ones: it is reported in ``rejected`` with its
row number, column and value, and the rest of the list is kept.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from campaigns.document import CampaignDocument, resolve_path
from campaigns.synthetic import synthetic_numbers
from phonegeo import LocalTimeError, normalise_number, resolve_zones, zones_for_number
from phonegeo.zones import MISSING_TIMEZONE, locate, zone_keys

PHONE_COLUMNS = ("phone", "phone_number", "phoneNumber", "number", "destinationPhoneNumber")


@dataclass(frozen=True)
class ZoneGroup:
    """Contacts that share their candidate zones and region share one
    precomputed calling window in the gate."""

    zones: tuple[str, ...]
    region: str | None


@dataclass(frozen=True)
class RejectedRow:
    row: int  # 1-based data row (header excluded)
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}, value {self.value!r}: {self.reason}"


@dataclass
class ContactList:
    """Contacts as parallel arrays. ``phone`` holds E.164 digits as int64."""

    phone: np.ndarray
    group: np.ndarray  # int32 index into ``groups``
    groups: list[ZoneGroup]
    postcode: np.ndarray | None = None  # object array or None
    attributes: list[dict[str, Any]] | None = None
    rejected: list[RejectedRow] = field(default_factory=list)
    # Outbound requests (PutOutboundRequestBatch): seconds since the schedule
    # start after which the request expires (inf: never), and its clientToken.
    expires_at: np.ndarray | None = None
    client_token: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.phone.size)

    @property
    def missing_timezone(self) -> int:
        """Valid numbers excluded because no zone could be found for them."""
        return sum(1 for r in self.rejected if r.reason.startswith(MISSING_TIMEZONE))

    def e164(self, i: int) -> str:
        return "+" + str(int(self.phone[i]))

    def zones(self, i: int) -> tuple[str, ...]:
        return self.groups[int(self.group[i])].zones

    def subset(self, keep: np.ndarray) -> ContactList:
        return ContactList(
            phone=self.phone[keep],
            group=self.group[keep],
            groups=self.groups,
            postcode=None if self.postcode is None else self.postcode[keep],
            attributes=None
            if self.attributes is None
            else [a for a, k in zip(self.attributes, keep, strict=True) if k],
            rejected=list(self.rejected),
            expires_at=None if self.expires_at is None else self.expires_at[keep],
            client_token=None if self.client_token is None else self.client_token[keep],
        )


class _Grouper:
    def __init__(self) -> None:
        self.index: dict[ZoneGroup, int] = {}
        self.groups: list[ZoneGroup] = []

    def __call__(self, zones: tuple[str, ...], region: str | None) -> int:
        g = ZoneGroup(zones, region)
        i = self.index.get(g)
        if i is None:
            i = self.index[g] = len(self.groups)
            self.groups.append(g)
        return i


@dataclass(frozen=True)
class ZoneSettings:
    default_zone: str | None = None
    detection: tuple[str, ...] = ("AREA_CODE",)
    scope: str | None = None
    default_region: str = "US"


def from_numbers(numbers: np.ndarray, settings: ZoneSettings) -> ContactList:
    """Build a list from int64 E.164 digits, resolving zones once per
    phonenumbers prefix key. A number with no zone (and no default zone) is
    excluded with reason ``MISSING_TIMEZONE`` (as Connect does), listed in
    ``rejected``; it never aborts the list."""
    grouper = _Grouper()
    numbers = np.asarray(numbers, dtype=np.int64)
    inverse, answers = zone_keys(numbers)
    key_group = np.full(len(answers), -1, dtype=np.int32)
    key_error: dict[int, str] = {}
    _, first = np.unique(inverse, return_index=True)
    for k, answer in enumerate(answers):
        e164 = "+" + str(int(numbers[int(first[k])]))
        try:
            found = locate(
                e164,
                default_zone=settings.default_zone,
                detection=settings.detection,
                scope=settings.scope,
                number_zones=answer,
            )
        except LocalTimeError as exc:
            key_error[k] = str(exc)
            continue
        key_group[k] = grouper(found.zones, found.region)
    group = key_group[inverse] if numbers.size else np.zeros(0, dtype=np.int32)
    rejected: list[RejectedRow] = []
    keep = group >= 0
    if not keep.all():
        for i in np.flatnonzero(~keep).tolist():
            reason = key_error.get(int(inverse[i]), MISSING_TIMEZONE)
            rejected.append(RejectedRow(i + 1, "phone", "+" + str(int(numbers[i])), reason))
    return ContactList(
        phone=numbers[keep], group=group[keep].astype(np.int32), groups=grouper.groups, rejected=rejected
    )


def from_rows(
    rows: Iterable[dict[str, Any]], settings: ZoneSettings, *, phone_column: str | None = None
) -> ContactList:
    """Normalise rows (from CSV, Parquet or an API upload) into a list; bad rows
    are collected in ``rejected`` with their row number and value."""
    grouper = _Grouper()
    phones: list[int] = []
    groups: list[int] = []
    postcodes: list[str | None] = []
    attributes: list[dict[str, Any]] = []
    rejected: list[RejectedRow] = []
    for n, row in enumerate(rows, start=1):
        col = phone_column or next((c for c in PHONE_COLUMNS if c in row), None)
        if col is None:
            rejected.append(RejectedRow(n, "phone", "", f"no phone column; expected one of {PHONE_COLUMNS}"))
            continue
        raw = row.get(col)
        raw = "" if raw is None else str(raw).strip()
        try:
            e164 = normalise_number(raw, settings.default_region)
        except LocalTimeError as exc:
            rejected.append(RejectedRow(n, col, raw, str(exc)))
            continue
        zone = (row.get("time_zone") or row.get("timeZone") or "") or None
        postcode = (row.get("postcode") or row.get("zip") or row.get("postal_code") or "") or None
        try:
            zones, region = resolve_zones(
                e164,
                explicit_zone=str(zone).strip() if zone else None,
                postcode=str(postcode).strip() if postcode else None,
                default_zone=settings.default_zone,
                detection=settings.detection,
                scope=settings.scope,
            )
        except LocalTimeError as exc:
            rejected.append(RejectedRow(n, "time_zone" if zone else col, str(zone or raw), str(exc)))
            continue
        phones.append(int(e164[1:]))
        groups.append(grouper(zones, region))
        postcodes.append(str(postcode) if postcode else None)
        attributes.append(
            {k: v for k, v in row.items() if k not in (col, "time_zone", "timeZone", "postcode", "zip", "postal_code")}
        )
    has_attrs = any(attributes)
    return ContactList(
        phone=np.asarray(phones, dtype=np.int64),
        group=np.asarray(groups, dtype=np.int32),
        groups=grouper.groups,
        postcode=np.asarray(postcodes, dtype=object) if any(postcodes) else None,
        attributes=attributes if has_attrs else None,
        rejected=rejected,
    )


def read_csv(source: str | Path | io.TextIOBase, settings: ZoneSettings) -> ContactList:
    if isinstance(source, (str, Path)):
        with open(source, newline="", encoding="utf-8-sig") as fh:
            return from_rows(csv.DictReader(fh), settings)
    return from_rows(csv.DictReader(source), settings)


def read_parquet(path: str | Path, settings: ZoneSettings) -> ContactList:

    table = pq.read_table(path)
    return from_rows(table.to_pylist(), settings)


def zone_settings(doc: CampaignDocument) -> ZoneSettings:
    """The zone-detection settings a campaign document asks for."""
    ctc = doc.campaign.communication_time_config
    ltz = ctc.local_time_zone_config if ctc else None
    return ZoneSettings(
        default_zone=ltz.default_time_zone if ltz else None,
        detection=tuple(ltz.local_time_zone_detection or ("AREA_CODE",)) if ltz else ("AREA_CODE",),
        scope=ltz.local_time_zone_detection_scope if ltz else None,
        default_region=doc.simulation.contacts.default_region if doc.simulation.contacts else "US",
    )


def load_contacts(doc: CampaignDocument, rng: np.random.Generator | None = None) -> ContactList:
    """The contacts a campaign document names (file or synthetic population)."""

    src = doc.simulation.contacts
    if src is None:
        raise ValueError("simulation.contacts: the document names no contacts (give file or synthetic)")
    settings = zone_settings(doc)
    if src.synthetic is not None:
        if rng is None:
            rng = np.random.default_rng([doc.simulation.seed, 0xC0])
        numbers = synthetic_numbers(
            rng, src.synthetic.count, area_codes=src.synthetic.area_codes, countries=src.synthetic.countries
        )
        return from_numbers(numbers, settings)
    assert src.file is not None  # ContactSource validated: exactly one of file, synthetic
    path = resolve_path(doc, src.file)
    fmt = src.format or ("parquet" if path.suffix.lower() in (".parquet", ".pq") else "csv")
    if not path.exists():
        raise FileNotFoundError(f"simulation.contacts.file: no such file {str(path)!r}")
    if not path.is_file():
        raise ValueError(f"simulation.contacts.file: {str(path)!r} is not a file")
    return read_parquet(path, settings) if fmt == "parquet" else read_csv(path, settings)


__all__ = [
    "ContactList",
    "RejectedRow",
    "ZoneGroup",
    "ZoneSettings",
    "from_numbers",
    "from_rows",
    "load_contacts",
    "read_csv",
    "read_parquet",
    "zone_settings",
    "zones_for_number",
]
