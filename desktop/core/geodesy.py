"""Distances on the Earth, in one place for ingest, the detectors and the port tables.

A sphere of the IUGG mean radius: the screening thresholds (500 m, 10 km, 50 kn) are far
coarser than the 0.5 % the sphere can differ from the WGS 84 ellipsoid.
"""

from __future__ import annotations

from typing import Final

import numpy as np

EARTH_RADIUS_M: Final = 6_371_008.8  # IUGG mean radius
METRES_PER_NM: Final = 1852.0
KN_TO_MPS: Final = METRES_PER_NM / 3600.0


def haversine_m(
    lon1: np.ndarray | float,
    lat1: np.ndarray | float,
    lon2: np.ndarray | float,
    lat2: np.ndarray | float,
) -> np.ndarray:
    """Great-circle distance in metres between points given in degrees (broadcasts)."""
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(a, dtype="float64")) for a in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2 - lat1) * 0.5) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) * 0.5) ** 2
    )
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
