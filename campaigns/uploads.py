"""Contact lists uploaded as CSV text: decoded, checked and normalised into a
``ContactList``. Bad rows are kept aside (``rejected``) with their reason;
the good ones are kept. A file that cannot be read at all raises
``UploadError`` naming the problem (the service answers 400 with it)."""

from __future__ import annotations

import csv
import io
from typing import Any

from campaigns.contacts import ContactList, ZoneSettings, from_rows

# Columns stored in fixed-width database fields (campaigns.models): longer
# values are refused alike on SQLite (which would keep them) and PostgreSQL.
CSV_WIDTHS = {"time_zone": 64, "timeZone": 64, "postcode": 16, "zip": 16, "postal_code": 16}


class UploadError(ValueError):
    """A CSV upload that cannot be read; ``details`` name the field."""

    def __init__(self, message: str, details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def parse_csv_upload(data: bytes, region: str) -> tuple[ContactList, list[str | None]]:
    """Rows of a CSV upload normalised into a ContactList (bad rows in
    ``rejected``) and the time zone each kept row named explicitly."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadError("the file is not UTF-8 text") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise UploadError(
            f"file: line {line} contains a NUL character (U+0000); a CSV file is text",
            [{"field": "file", "message": f"NUL character on line {line}"}],
        )
    reader = csv.DictReader(io.StringIO(text))
    try:
        if not reader.fieldnames:
            raise UploadError("the CSV file is empty (a header row with a phone column is needed)")
        raws = list(reader)
    except csv.Error as exc:  # a field over the csv module's limit, a stray line break
        raise UploadError(f"file: not readable as CSV: {exc}", [{"field": "file", "message": str(exc)}]) from None
    rows: list[dict[str, Any]] = []
    for n, raw in enumerate(raws):
        row: dict[str, Any] = {k: v for k, v in raw.items() if k is not None}
        for column, most in CSV_WIDTHS.items():
            value = row.get(column)
            if isinstance(value, str) and len(value.strip()) > most:
                raise UploadError(
                    f"row {n + 1}: {column} is longer than {most} characters",
                    [{"field": f"row {n + 1}.{column}", "message": f"at most {most} characters"}],
                )
        row["_row"] = n
        rows.append(row)
    contacts = from_rows(rows, ZoneSettings(default_region=region))
    explicit: list[str | None] = []
    attrs = contacts.attributes or [{} for _ in range(len(contacts))]
    for a in attrs:
        n = int(a.pop("_row", -1))
        src = rows[n] if n >= 0 else {}
        z = (src.get("time_zone") or src.get("timeZone") or "").strip()
        explicit.append(z or None)
    contacts.attributes = attrs if any(attrs) else None
    return contacts, explicit
