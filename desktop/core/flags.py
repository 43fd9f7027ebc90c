"""Flag state from the MMSI's Maritime Identification Digits (ITU-R M.585), via pyais's table.

We use pyais's ``COUNTRY_MAPPING`` rather than a copy of our own, so there is one table to keep
current. Only ship station MMSIs (first digit 2-7) carry a MID in their first three digits.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from pyais.constants import COUNTRY_MAPPING

KP_MID: Final = 445  # Democratic People's Republic of Korea

# MID -> ISO 3166 alpha-2, as a lookup array indexed by the three digits.
_ALPHA2 = np.full(1000, None, dtype=object)
for _mid, (_alpha2, _name) in COUNTRY_MAPPING.items():
    _ALPHA2[int(_mid)] = _alpha2


def mid_of(mmsi: np.ndarray) -> np.ndarray:
    """The MID (first three digits) of nine-digit ship MMSIs, else -1."""
    mmsi = np.asarray(mmsi, dtype="int64")
    mid = mmsi // 1_000_000
    return np.where((mid >= 200) & (mid <= 799), mid, -1)


def flags_of(mmsi: np.ndarray) -> np.ndarray:
    """ISO 3166 alpha-2 flag per MMSI (object array, None where unknown)."""
    mid = mid_of(mmsi)
    out = np.full(mid.shape, None, dtype=object)
    known = mid >= 0
    out[known] = _ALPHA2[mid[known]]
    return out


def flag_of(mmsi: int) -> str | None:
    """ISO 3166 alpha-2 flag of one MMSI, or None when its MID is unknown."""
    return flags_of(np.array([mmsi]))[0]


def country_name(alpha2: str) -> str:
    """The country name pyais gives for an alpha-2 code (the code itself if unknown)."""
    for code, name in COUNTRY_MAPPING.values():
        if code == alpha2:
            return name
    return alpha2
