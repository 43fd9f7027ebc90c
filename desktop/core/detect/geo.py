"""Shared geometry and kinematics of the detectors: great-circle distances, implied speeds.

Distances use the haversine formula on a sphere of radius 6,371,008.8 m (the IUGG mean radius);
against the WGS 84 ellipsoid that is within 0.5 %, far below the thresholds of DESIGN.md §3.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

import numpy as np
import pandas as pd
import shapely

from desktop.core.zones import ZoneSet

EARTH_RADIUS_M: Final = 6_371_008.8
METRES_PER_NM: Final = 1852.0
NS_PER_S: Final = 1_000_000_000
NS_PER_H: Final = 3600 * NS_PER_S
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


def time_ns(fixes: pd.DataFrame) -> np.ndarray:
    """The ``time`` column as int64 nanoseconds since the epoch (no copy when already ns)."""
    times = fixes["time"]
    if times.dt.unit != "ns":
        times = times.dt.as_unit("ns")
    return np.asarray(times.array.asi8)


def effective_sog_kn(
    mmsi: np.ndarray,
    t_ns: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    sog_kn: np.ndarray,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """Speed over ground per fix, knots, with missing values replaced by the implied speed.

    DESIGN.md §3: where ``sog_kn`` is missing the detectors use the speed implied by the
    vessel's neighbouring fixes. We take the central difference (distance from the previous to
    the next fix of the same vessel over the time between them), one-sided at the ends of a
    track; a lone fix, or neighbours at the same instant, stays NaN (unknown speed is never
    taken as stopped). Only rows with a missing ``sog_kn`` are computed. With ``rows`` (indices
    into the full arrays), the result is for those rows only.
    """
    out = np.array(sog_kn if rows is None else sog_kn[rows], dtype="float32")
    missing = np.flatnonzero(np.isnan(out))
    if len(missing) == 0:
        return out
    todo = missing if rows is None else rows[missing]
    n = len(sog_kn)
    prev = np.maximum(todo - 1, 0)
    nxt = np.minimum(todo + 1, n - 1)
    prev = np.where(mmsi[prev] == mmsi[todo], prev, todo)
    nxt = np.where(mmsi[nxt] == mmsi[todo], nxt, todo)
    dist_m = haversine_m(lon[prev], lat[prev], lon[nxt], lat[nxt])
    dt_s = (t_ns[nxt] - t_ns[prev]) / NS_PER_S
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(dt_s > 0, dist_m / dt_s / KN_TO_MPS, np.nan)
    out[missing] = speed.astype("float32")
    return out


def nearest_on_geometry_m(geom: shapely.Geometry, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Great-circle distance, metres, from each point to the nearest point of ``geom``.

    Approximation: the nearest point is found in plane longitude/latitude degrees (shapely),
    then measured with haversine. The point found lies on the polygon, so the result is never
    below the true distance; it exceeds it by at most the polygon's extent times
    (1 - cos(latitude)) in the worst case of a long east-west edge, and by much less for the
    compact port polygons used here (under 1 % for a 10 km port at 40° N). Points inside
    the polygon are at distance 0.
    """
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    if len(lon) == 0:
        return np.zeros(0)
    points = shapely.points(lon, lat)
    lines = shapely.shortest_line(geom, points)
    coords = shapely.get_coordinates(lines).reshape(-1, 2, 2)
    near = coords[:, 0, :]  # the end on the geometry
    dist = haversine_m(lon, lat, near[:, 0], near[:, 1])
    inside = shapely.intersects_xy(geom, lon, lat)
    dist[inside] = 0.0
    return dist


def runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop (exclusive) indices of the runs of equal consecutive values of ``keys``."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype="int64"), np.zeros(0, dtype="int64")
    change = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts = np.concatenate(([0], change))
    stops = np.concatenate((change, [n]))
    return starts, stops


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def to_datetime(ns: int | np.integer) -> datetime:
    """One int64 ns instant as a UTC-aware datetime (to the microsecond)."""
    return _EPOCH + timedelta(microseconds=int(ns) // 1000)


def to_ns(moment: datetime) -> int:
    """A UTC-aware datetime as int64 ns since the epoch."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * NS_PER_S + delta.microseconds * 1000


def candidates_in_bounds(
    zones: ZoneSet, zone_idx: np.ndarray, lon: np.ndarray, lat: np.ndarray, cell_deg: float = 0.05
) -> np.ndarray:
    """Indices of the points that may lie in one of the ``zone_idx`` zones.

    A cheap first cut so that the point-in-polygon tests see only the fixes near a zone: the
    union bounding box of the zones is rasterised into ``cell_deg`` cells, the cells touching
    some zone's bounding box are marked, and a point is a candidate when its cell is marked.
    Two arithmetic passes over the points, whatever the number of zones.
    """
    if len(zone_idx) == 0 or len(lon) == 0:
        return np.zeros(0, dtype="int64")
    bounds = shapely.bounds(zones.geometries[zone_idx])
    xmin, ymin = bounds[:, 0].min(), bounds[:, 1].min()
    xmax, ymax = bounds[:, 2].max(), bounds[:, 3].max()
    nx = int((xmax - xmin) / cell_deg) + 1
    ny = int((ymax - ymin) / cell_deg) + 1
    if nx * ny > 4_000_000:  # zones spread over the globe: fall back to the plain box
        return np.flatnonzero((lat >= ymin) & (lat <= ymax) & (lon >= xmin) & (lon <= xmax))
    marked = np.zeros((ny, nx), dtype=bool)
    for x0, y0, x1, y1 in bounds:
        i0, i1 = int((y0 - ymin) / cell_deg), int((y1 - ymin) / cell_deg)
        j0, j1 = int((x0 - xmin) / cell_deg), int((x1 - xmin) / cell_deg)
        marked[i0 : i1 + 1, j0 : j1 + 1] = True
    found = []
    # blocks of a million points: small temporaries that the allocator recycles
    for start in range(0, len(lon), 1_000_000):
        la = lat[start : start + 1_000_000]
        lo = lon[start : start + 1_000_000]
        rows = np.flatnonzero((la >= ymin) & (la <= ymax) & (lo >= xmin) & (lo <= xmax))
        i = ((la[rows] - ymin) * (1.0 / cell_deg)).astype("int32")
        j = ((lo[rows] - xmin) * (1.0 / cell_deg)).astype("int32")
        np.minimum(i, ny - 1, out=i)
        np.minimum(j, nx - 1, out=j)
        found.append(rows[marked[i, j]] + start)
    return np.concatenate(found)


def round_or_none(value: float, digits: int = 3) -> float | None:
    """A float rounded for stable JSON, or None for NaN."""
    return None if value != value else round(float(value), digits)
