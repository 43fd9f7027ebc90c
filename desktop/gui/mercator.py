"""Web Mercator (EPSG:3857) in metres, the plane the map is drawn in."""

from __future__ import annotations

import math
from typing import Final

import numpy as np

EARTH_RADIUS_M: Final = 6_378_137.0  # WGS 84 semi-major axis, as EPSG:3857 uses
MAX_LAT_DEG: Final = 85.05112878  # where Web Mercator becomes a square


def to_xy(lon_deg: np.ndarray, lat_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude in degrees to Web Mercator x/y in metres."""
    lon = np.asarray(lon_deg, dtype="float64")
    lat = np.clip(np.asarray(lat_deg, dtype="float64"), -MAX_LAT_DEG, MAX_LAT_DEG)
    x = np.radians(lon) * EARTH_RADIUS_M
    y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * EARTH_RADIUS_M
    return x, y


def to_lonlat(x_m: float, y_m: float) -> tuple[float, float]:
    """Web Mercator x/y in metres to longitude/latitude in degrees."""
    lon = math.degrees(x_m / EARTH_RADIUS_M)
    lat = math.degrees(2 * math.atan(math.exp(y_m / EARTH_RADIUS_M)) - math.pi / 2)
    return lon, lat


def ground_m_per_unit(y_m: float) -> float:
    """Ground metres per Web Mercator metre at map y (the scale factor is cos(latitude))."""
    _, lat = to_lonlat(0.0, y_m)
    return math.cos(math.radians(lat))
