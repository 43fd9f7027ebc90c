"""Known ports and anchorages of the world, for the STS rule's distance test (DESIGN.md §3).

An encounter counts as a ship-to-ship transfer only at least 10 km from every known port or
anchorage: the World Port Index ports and searoute's ports (``resources/ports/ports.csv``), Global
Fishing Watch's named anchorage cells (``resources/ports/gfw_anchorages.parquet``), and every port
or anchorage zone in use. Global Fishing Watch applies the same exclusion to its encounters, since
ships wait side by side at anchorages.

Distances are great-circle (spherical Earth, mean radius 6,371,008.8 m). Candidates come from an
STRtree over the points in degrees, queried with a radius widened for the point's latitude, then
refined exactly, so the tests are exact and fast for many points at once.

"Near" has one definition, ``is_near_port``, used here and by the STS detector
(``desktop.core.detect.sts``): DESIGN.md §3 asks an STS to be "at least 10 km from every known
port or anchorage", so a point exactly 10 km away is far, and only a shorter distance is near.
"""

from __future__ import annotations

import csv
import math
from functools import cache
from typing import TYPE_CHECKING, Final

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from desktop.core.geodesy import EARTH_RADIUS_M, haversine_m
from desktop.core.resources import resource_path

if TYPE_CHECKING:
    from desktop.core.zones import ZoneSet

PORTS_FILE: Final = "ports/ports.csv"
ANCHORAGES_FILE: Final = "ports/gfw_anchorages.parquet"
# Metres per degree of latitude, lower bound (WGS 84 at the equator): degrees radii built from it
# are never too small.
_M_PER_DEG_MIN: Final = 110_574.0
_M_PER_DEG_SPHERE: Final = math.pi * EARTH_RADIUS_M / 180.0


@cache
def port_table() -> dict[str, np.ndarray]:
    """The bundled ports as columns: name, country (alpha-2), locode, lat, lon, source."""
    with open(resource_path(PORTS_FILE), newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {
        "name": np.array([r["name"] for r in rows], dtype=object),
        "country": np.array([r["country"] for r in rows], dtype=object),
        "locode": np.array([r["locode"] or None for r in rows], dtype=object),
        "lat": np.array([float(r["lat"]) for r in rows]),
        "lon": np.array([float(r["lon"]) for r in rows]),
        "source": np.array([r["source"] for r in rows], dtype=object),
    }


@cache
def anchorage_table() -> dict[str, np.ndarray]:
    """GFW's named anchorage cells as columns: s2id, lat, lon, label, iso3."""
    table = pq.ParquetFile(resource_path(ANCHORAGES_FILE)).read()
    lon, lat = _anchorage_positions()
    return {
        "s2id": np.array(table.column("s2id").to_pylist(), dtype=object),
        "lat": lat,
        "lon": lon,
        "label": np.array(table.column("label").to_pylist(), dtype=object),
        "iso3": np.array(table.column("iso3").to_pylist(), dtype=object),
    }


@cache
def _anchorage_positions() -> tuple[np.ndarray, np.ndarray]:
    table = pq.ParquetFile(resource_path(ANCHORAGES_FILE)).read(columns=["lon", "lat"])
    return _floats(table.column("lon")), _floats(table.column("lat"))


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    # Straight from the Arrow buffers: pyarrow's to_numpy/combine_chunks import pandas and
    # pyarrow.compute on first use (~0.5 s at start-up). The columns have no nulls.
    parts = [np.frombuffer(chunk.buffers()[1], dtype=chunk.type.to_pandas_dtype())
             [chunk.offset:chunk.offset + len(chunk)] for chunk in column.chunks]
    return np.concatenate(parts).astype("float64")


@cache
def known_port_points() -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) float64 arrays of every bundled port and anchorage point, in degrees."""
    ports = port_table()
    anch_lon, anch_lat = _anchorage_positions()
    lon = np.concatenate([ports["lon"], anch_lon])
    lat = np.concatenate([ports["lat"], anch_lat])
    lon.flags.writeable = False
    lat.flags.writeable = False
    return lon, lat


@cache
def _point_tree() -> shapely.STRtree:
    lon, lat = known_port_points()
    return shapely.STRtree(shapely.points(lon, lat))


def _radius_deg(lat: np.ndarray, distance_m: float) -> np.ndarray:
    # A circle of distance_m fits in a lon/lat box of these half-widths; widen lon by latitude,
    # capped so that near the poles the query simply covers every longitude.
    dlat = distance_m / _M_PER_DEG_MIN
    coslat = np.cos(np.radians(np.minimum(np.abs(lat) + dlat, 89.9)))
    return np.minimum(np.maximum(dlat, distance_m / (_M_PER_DEG_SPHERE * coslat)), 360.0) * 1.01


def distance_to_nearest_port_m(lon: np.ndarray, lat: np.ndarray, *,
                               search_radius_m: float = 50_000.0) -> np.ndarray:
    """Great-circle metres from each point to the nearest known port or anchorage point.

    Points with none within ``search_radius_m`` get ``inf``: the search is bounded so that it
    stays fast; raise the radius when you need larger distances.
    """
    lon = np.asarray(lon, dtype="float64").ravel()
    lat = np.asarray(lat, dtype="float64").ravel()
    out = np.full(lon.shape, np.inf)
    if lon.size == 0:
        return out
    plon, plat = known_port_points()
    radius = _radius_deg(lat, search_radius_m)
    src, dst = _point_tree().query(shapely.points(lon, lat), predicate="dwithin", distance=radius)
    # Near the antimeridian the neighbours may sit on the other side: ask again with the point
    # shifted by a full turn (haversine does not care which way the longitude is written).
    edge = np.flatnonzero(np.abs(lon) + radius > 180.0)
    if edge.size:
        shifted = lon[edge] - np.sign(lon[edge]) * 360.0
        s2, d2 = _point_tree().query(shapely.points(shifted, lat[edge]), predicate="dwithin",
                                     distance=radius[edge])
        src, dst = np.concatenate([src, edge[s2]]), np.concatenate([dst, d2])
    if src.size:
        d = haversine_m(lon[src], lat[src], plon[dst], plat[dst])
        np.minimum.at(out, src, d)
    out[out > search_radius_m] = np.inf
    return out


def is_near_port(distance_m: np.ndarray | float, within_m: float) -> np.ndarray:
    """True where a distance to a known port or anchorage, metres, is near: less than
    ``within_m``. The STS rule needs "at least" ``within_m`` (DESIGN.md §3), so exactly
    ``within_m`` is far. The one definition of the boundary, for ``near_known_port`` and the
    STS detector alike."""
    return np.asarray(distance_m, dtype="float64") < within_m


def near_known_port(lon: np.ndarray, lat: np.ndarray, within_m: float = 10_000.0, *,
                    zones: ZoneSet | None = None) -> np.ndarray:
    """For each point, True when it lies less than ``within_m`` metres from a known port or
    anchorage (``is_near_port``: exactly ``within_m`` is far).

    Known: the bundled port and anchorage points and, when ``zones`` is given, its ``port`` and
    ``anchorage`` polygons (distance to the polygon's edge, zero inside it).
    """
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    near = is_near_port(distance_to_nearest_port_m(lon, lat, search_radius_m=within_m), within_m)
    if zones is not None:
        near |= _near_zones(lon.ravel(), lat.ravel(), within_m, zones)
    return near.reshape(lon.shape)


def _near_zones(lon: np.ndarray, lat: np.ndarray, within_m: float, zones: ZoneSet) -> np.ndarray:
    out = np.zeros(lon.shape, dtype=bool)
    geoms = zones.geometries
    for idx in zones.indices(("port", "anchorage")):
        geom = geoms[idx]
        xmin, ymin, xmax, ymax = geom.bounds
        lat0 = (ymin + ymax) / 2
        pad = _radius_deg(np.array([max(abs(ymin), abs(ymax))]), within_m)[0]
        cand = np.flatnonzero(~out & (lon >= xmin - pad) & (lon <= xmax + pad)
                              & (lat >= ymin - within_m / _M_PER_DEG_MIN)
                              & (lat <= ymax + within_m / _M_PER_DEG_MIN))
        if cand.size == 0:
            continue
        # A zone is a few km across: a local equirectangular frame measures 10 km to well
        # under 1 % (the cosine of latitude changes little over the zone).
        kx = _M_PER_DEG_SPHERE * math.cos(math.radians(lat0))
        ky = _M_PER_DEG_SPHERE
        local = shapely.transform(geom, lambda xy: xy * np.array([kx, ky]))  # noqa: B023
        d = shapely.distance(local, shapely.points(lon[cand] * kx, lat[cand] * ky))
        out[cand[is_near_port(d, within_m)]] = True
    return out
