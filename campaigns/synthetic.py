"""Synthetic contact populations: a million contacts need no file.

Numbers are drawn as int64 (E.164 digits without the '+') from a few valid
prefixes per country, vectorised; their zones are resolved once per prefix.
"""

from __future__ import annotations

import numpy as np

# Valid prefixes (country code + national prefix) and the number of random
# digits that follow, per supported country. US area codes span every US zone
# (Eastern through Hawaii); AU includes mobiles (04), whose zones span the
# whole country, which the gate must respect.
_PREFIXES: dict[str, list[tuple[str, int, float]]] = {
    "US": [
        ("1212", 7, 0.14),
        ("1312", 7, 0.12),
        ("1713", 7, 0.10),
        ("1303", 7, 0.08),
        ("1602", 7, 0.06),
        ("1415", 7, 0.12),
        ("1206", 7, 0.08),
        ("1907", 7, 0.04),
        ("1808", 7, 0.04),
        ("1305", 7, 0.12),
        ("1617", 7, 0.10),
    ],
    "GB": [("4420", 8, 0.4), ("44161", 7, 0.2), ("447", 9, 0.4)],
    "AU": [("612", 8, 0.3), ("613", 8, 0.25), ("617", 8, 0.15), ("618", 8, 0.1), ("614", 8, 0.2)],
    "NZ": [("649", 7, 0.4), ("644", 7, 0.3), ("6421", 7, 0.3)],
}
SUPPORTED_COUNTRIES = frozenset(_PREFIXES)


def _draw(rng: np.random.Generator, prefixes: list[tuple[str, int]], weights: np.ndarray, count: int) -> np.ndarray:
    choice = rng.choice(len(prefixes), size=count, p=weights / weights.sum())
    out = np.empty(count, dtype=np.int64)
    for i, (prefix, ndigits) in enumerate(prefixes):
        mask = choice == i
        n = int(mask.sum())
        if not n:
            continue
        # Subscriber digits start 2..9 so the number is valid in every plan used here.
        first = rng.integers(2, 10, size=n)
        rest = rng.integers(0, 10 ** (ndigits - 1), size=n)
        out[mask] = (int(prefix) * 10**ndigits) + first * 10 ** (ndigits - 1) + rest
    return out


def synthetic_numbers(
    rng: np.random.Generator,
    count: int,
    *,
    area_codes: dict[str, float] | None = None,
    countries: dict[str, float] | None = None,
) -> np.ndarray:
    """E.164 digits (int64) for ``count`` contacts."""
    if area_codes:
        prefixes = [("1" + str(code), 7) for code in area_codes]
        weights = np.asarray(list(area_codes.values()), dtype=float)
        return _draw(rng, prefixes, weights, count)
    countries = countries or {"US": 1.0}
    prefixes = []
    shares: list[float] = []
    total = sum(countries.values())
    for country, share in countries.items():
        table = _PREFIXES[country]
        inner = sum(w for _, _, w in table)
        for prefix, nd, w in table:
            prefixes.append((prefix, nd))
            shares.append(share / total * w / inner)
    return _draw(rng, prefixes, np.asarray(shares), count)
