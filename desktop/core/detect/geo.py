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

from desktop.core.geodesy import EARTH_RADIUS_M, KN_TO_MPS, METRES_PER_NM, haversine_m
from desktop.core.zones import ZoneSet

__all__ = ["EARTH_RADIUS_M", "KN_TO_MPS", "METRES_PER_NM", "haversine_m"]

NS_PER_S: Final = 1_000_000_000
NS_PER_H: Final = 3600 * NS_PER_S


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


NO_ZONE: Final = -1
TEST: Final = -2  # a raster cell some zone's edge crosses: its points need the polygon test


def _zone_raster(
    zones: ZoneSet, zone_idx: np.ndarray, cell_deg: float
) -> tuple[np.ndarray, float, float] | None:
    """Cells of ``cell_deg`` over the zones' union box: NO_ZONE, TEST, or the index of the one
    zone that surely contains the cell (a cell touched by two zones is TEST, so the answer is
    always that of ``ZoneSet.locate``: the first zone containing the point). None when the
    zones are spread too wide for a raster."""
    geoms = zones.geometries
    bounds = shapely.bounds(geoms[zone_idx])
    xmin, ymin = bounds[:, 0].min(), bounds[:, 1].min()
    nx = int((bounds[:, 2].max() - xmin) / cell_deg) + 1
    ny = int((bounds[:, 3].max() - ymin) / cell_deg) + 1
    if nx * ny > 4_000_000:
        return None
    state = np.full((ny, nx), NO_ZONE, dtype="int32")
    for z, (x0, y0, x1, y1) in zip(zone_idx, bounds, strict=True):
        i0, i1 = int((y0 - ymin) / cell_deg), min(int((y1 - ymin) / cell_deg), ny - 1)
        j0, j1 = int((x0 - xmin) / cell_deg), min(int((x1 - xmin) / cell_deg), nx - 1)
        ii, jj = np.mgrid[i0 : i1 + 1, j0 : j1 + 1]
        boxes = shapely.box(
            xmin + jj * cell_deg, ymin + ii * cell_deg,
            xmin + (jj + 1) * cell_deg, ymin + (ii + 1) * cell_deg,
        )
        touched = shapely.intersects(geoms[z], boxes)
        # contains_properly: a point a rounding error outside its cell is still inside the zone
        inside = shapely.contains_properly(geoms[z], boxes)
        window = state[i0 : i1 + 1, j0 : j1 + 1]
        free = window == NO_ZONE
        window[touched & ~free] = TEST
        window[touched & free & inside] = z
        window[touched & free & ~inside] = TEST
    return state, float(xmin), float(ymin)


def locate_points(
    zones: ZoneSet,
    kinds: tuple[str, ...],
    lon: np.ndarray,
    lat: np.ndarray,
    cell_deg: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, zone): the points inside a zone of ``kinds`` (sorted row indices) and, for each,
    the zone index ``ZoneSet.locate`` gives.

    The zones are rasterised into ``cell_deg`` cells first: points in cells no zone touches
    are dropped and points in cells well inside one zone are assigned without a polygon test,
    so shapely only sees the points near a zone edge. Points are read in blocks of a million
    (small temporaries that the allocator recycles).
    """
    zone_idx = zones.indices(kinds) if len(zones) else np.zeros(0, dtype="int64")
    empty = np.zeros(0, dtype="int64"), np.zeros(0, dtype="int32")
    if len(zone_idx) == 0 or len(lon) == 0:
        return empty
    raster = _zone_raster(zones, zone_idx, cell_deg)
    if raster is None:  # zones spread over the globe: every point gets the polygon test
        zone = zones.locate(lon, lat, kinds)
        rows = np.flatnonzero(zone >= 0)
        return rows, zone[rows]
    state, xmin, ymin = raster
    ny, nx = state.shape
    all_rows, all_zones = [], []
    for start in range(0, len(lon), 1_000_000):
        la = lat[start : start + 1_000_000]
        lo = lon[start : start + 1_000_000]
        i = np.floor((la - ymin) * (1.0 / cell_deg))
        j = np.floor((lo - xmin) * (1.0 / cell_deg))
        rows = np.flatnonzero((i >= 0) & (i < ny) & (j >= 0) & (j < nx))
        cell = state[i[rows].astype("int32"), j[rows].astype("int32")]
        near = cell != NO_ZONE
        rows, cell = rows[near], cell[near]
        test = np.flatnonzero(cell == TEST)
        if len(test):
            cell[test] = zones.locate(lo[rows[test]], la[rows[test]], kinds)
        hit = cell >= 0
        all_rows.append(rows[hit] + start)
        all_zones.append(cell[hit])
    return np.concatenate(all_rows), np.concatenate(all_zones).astype("int32")


def round_or_none(value: float, digits: int = 3) -> float | None:
    """A float rounded for stable JSON, or None for NaN."""
    return None if value != value else round(float(value), digits)
