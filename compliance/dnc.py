"""Do-not-call lists: import, scrub, freshness.

A list is a sorted array of E.164 numbers (int64 digits) with its kind
(``registry`` for a national register: US National DNC Registry, UK TPS,
Australian Do Not Call Register, NZ MA list; ``company`` for the company's own
list), its name and the date it was downloaded (``as_of``), for the freshness
check against the rule set (31 days US, 28 days UK TPS, 30 days AU).

Import never loses good rows: bad ones are kept in ``rejected`` with their row
number (data rows, header excluded) and value. Opt-outs recorded during a run
go to the gate (``DialGate.record_opt_out``) and, after the run, to a company
list with ``DncList.add``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np

from campaigns.contacts import PHONE_COLUMNS, ContactList, RejectedRow
from compliance.rules import RuleSet, get_rules
from phonegeo import LocalTimeError, normalise_number

Rules: TypeAlias = str | RuleSet | Mapping[str, Any] | Path | None
"""What ``get_rules`` accepts."""

_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_NANP = re.compile(r"^1?[2-9]\d{2}[2-9]\d{6}$")


@dataclass
class DncList:
    numbers: np.ndarray  # sorted unique int64 E.164 digits
    name: str = "company"
    kind: str = "company"  # "registry" or "company"
    as_of: date | None = None
    rejected: list[RejectedRow] = field(default_factory=list)
    source: str | None = None

    def __len__(self) -> int:
        return int(self.numbers.size)

    def __contains__(self, number: object) -> bool:
        n = _to_int(number)
        k = np.searchsorted(self.numbers, n)
        return bool(k < self.numbers.size and self.numbers[k] == n)

    def add(self, *numbers: int | str) -> None:
        """Add numbers (an opt-out recorded during a run, for example)."""
        extra = np.asarray([_to_int(x) for x in numbers], dtype=np.int64)
        self.numbers = np.union1d(self.numbers, extra)

    def age_days(self, today: date | None = None) -> int | None:
        if self.as_of is None:
            return None
        today = today or datetime.now(UTC).date()
        return (today - self.as_of).days

    def freshness_warnings(self, rules: Rules, today: date | None = None) -> list[str]:
        f = check_freshness(self, rules, today)
        return [] if f.ok else [f.message]


def _to_int(number: object) -> int:
    if isinstance(number, (int, np.integer)):
        return int(number)
    text = str(number).strip()
    return int(normalise_number(text)[1:])


DncSource: TypeAlias = DncList | np.ndarray | Iterable[DncList] | Iterable[int | str]
"""What ``as_number_array`` (and so the gate's ``dnc``) accepts."""


def as_number_array(dnc: DncSource) -> np.ndarray:
    """Sorted int64 digits from a DncList, several lists, an array or an
    iterable of numbers (E.164 strings or ints)."""
    if isinstance(dnc, DncList):
        return dnc.numbers
    if isinstance(dnc, np.ndarray):
        return np.unique(dnc.astype(np.int64))
    items: list[DncList | int | str] = list(dnc)
    lists = [x for x in items if isinstance(x, DncList)]
    if items and len(lists) == len(items):
        return np.unique(np.concatenate([x.numbers for x in lists])) if items else np.zeros(0, np.int64)
    return np.unique(np.asarray([_to_int(x) for x in items], dtype=np.int64))


def _normalise(raw: str, region: str) -> int:
    text = raw.strip().replace(" ", "").replace("-", "").replace("(", "").replace(")", "").replace(".", "")
    if _E164.match(text):
        return int(text[1:])
    if region == "US" and _NANP.match(text):
        return int(text if len(text) == 11 else "1" + text)
    return int(normalise_number(raw, region)[1:])


def read_dnc(
    source: str | Path | io.TextIOBase | Iterable[str],
    *,
    kind: str = "registry",
    name: str | None = None,
    as_of: date | str | None = None,
    default_region: str = "US",
) -> DncList:
    """Import a DNC list from CSV: a column named phone/number/... or, without
    a header, the first column; E.164 or national format (``default_region``).
    ``as_of`` (the download date) defaults to the file's modification date."""
    if kind not in ("registry", "company"):
        raise ValueError(f"kind must be 'registry' or 'company', got {kind!r}")
    src_name = None
    if isinstance(source, (str, Path)):
        path = Path(source)
        src_name = str(path)
        if not path.exists():
            raise FileNotFoundError(f"no such DNC file: {src_name!r}")
        if as_of is None:
            as_of = datetime.fromtimestamp(path.stat().st_mtime, UTC).date()
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return _read(csv.reader(fh), kind, name or path.stem, as_of, default_region, src_name)
    if isinstance(source, io.TextIOBase):
        return _read(csv.reader(source), kind, name or kind, as_of, default_region, None)
    return _read(([x] if isinstance(x, str) else x for x in source), kind, name or kind, as_of, default_region, None)


def _read(
    rows: Iterable[Sequence[str]], kind: str, name: str, as_of: date | str | None, region: str, src: str | None
) -> DncList:
    if isinstance(as_of, str):
        as_of = date.fromisoformat(as_of)
    numbers: list[int] = []
    rejected: list[RejectedRow] = []
    col, colname = 0, "phone"
    first = True
    n = 0
    for row in rows:
        if not row or all(not str(c).strip() for c in row):
            continue
        if first:
            first = False
            lowered = [str(c).strip().lower() for c in row]
            known = [c.lower() for c in PHONE_COLUMNS]
            hit = next((j for j, c in enumerate(lowered) if c in known), None)
            if hit is not None:
                col, colname = hit, str(row[hit]).strip()
                continue
        n += 1
        raw = str(row[col]).strip() if col < len(row) else ""
        try:
            if not raw:
                raise LocalTimeError("empty number")
            numbers.append(_normalise(raw, region))
        except LocalTimeError as exc:
            rejected.append(RejectedRow(n, colname, raw, str(exc)))
    return DncList(np.unique(np.asarray(numbers, dtype=np.int64)), name, kind, as_of, rejected, src)


@dataclass(frozen=True)
class Freshness:
    ok: bool
    age_days: int | None
    max_days: int | None
    message: str


def check_freshness(dnc: DncList, rules: Rules, today: date | None = None) -> Freshness:
    """Is a registry copy recent enough for the rule set (US 31 days, UK TPS 28,
    AU 30)? Company lists and rule sets without a maximum age always pass."""

    rs = get_rules(rules)
    max_days = rs.dnc.registry_max_age_days if rs is not None else None
    age = dnc.age_days(today)
    if dnc.kind != "registry" or rs is None or max_days is None:  # no rule set: no maximum
        return Freshness(True, age, max_days, f"{dnc.name}: no maximum age applies")
    if age is None:
        return Freshness(
            False,
            None,
            max_days,
            f"{dnc.name}: download date unknown; {rs.name} needs a copy at most {max_days} days old",
        )
    if age > max_days:
        return Freshness(
            False,
            age,
            max_days,
            f"{dnc.name}: registry copy is {age} days old (as of {dnc.as_of}); {rs.name} allows at most {max_days} days",
        )
    return Freshness(True, age, max_days, f"{dnc.name}: {age} days old (at most {max_days})")


@dataclass
class ScrubReport:
    kept: int
    removed: int
    by_list: dict[str, int]
    rows: list[tuple[int, str, tuple[str, ...]]]  # (contact index, E.164, lists it is on)

    def __str__(self) -> str:
        lists = ", ".join(f"{k}: {v}" for k, v in self.by_list.items()) or "none"
        return f"kept {self.kept}, removed {self.removed} ({lists})"


def scrub(contacts: ContactList, lists: DncList | Iterable[DncList]) -> tuple[ContactList, ScrubReport]:
    """(the contacts on no list, a report of what was removed and why)."""
    if isinstance(lists, DncList):
        lists = [lists]
    lists = list(lists)
    phone = np.asarray(contacts.phone, dtype=np.int64)
    hits = [np.isin(phone, dl.numbers) for dl in lists]
    any_hit = np.logical_or.reduce(hits) if hits else np.zeros(phone.size, bool)
    rows = []
    for i in np.flatnonzero(any_hit).tolist():
        rows.append((i, "+" + str(int(phone[i])), tuple(dl.name for dl, h in zip(lists, hits, strict=True) if h[i])))
    report = ScrubReport(
        kept=int((~any_hit).sum()),
        removed=int(any_hit.sum()),
        by_list={dl.name: int(h.sum()) for dl, h in zip(lists, hits, strict=True)},
        rows=rows,
    )
    return contacts.subset(~any_hit), report


__all__ = ["DncList", "Freshness", "ScrubReport", "as_number_array", "check_freshness", "read_dnc", "scrub"]
