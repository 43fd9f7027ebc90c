"""Loitering (DESIGN.md §3): one vessel slow at sea for hours, with no other vessel beside it.

A transfer with a vessel that does not transmit looks like this: one ship stopped in open water
for hours, away from every port and anchorage. Global Fishing Watch publishes the same event
("loitering": average speed under 2 knots for hours, away from shore); we keep the STS detector's
numbers so that a loitering is exactly an STS transfer whose partner nobody heard.

Method, one vessel at a time (so it runs on MMSI partitions, ``desktop.core.scaleout``):

1. **Slow runs.** A fix is slow when its speed over ground (``effective_sog_kn``: a missing
   ``sog_kn`` is the speed implied by the neighbouring fixes) is at most ``loiter_max_sog_kn``.
   A run is a maximal sequence of consecutive slow fixes of one vessel, each at most
   ``loiter_max_fix_gap_h`` after the previous one: like the STS resampling, which interpolates
   over at most ``sts_max_interp_gap_h``, we do not assume what a vessel did while unheard for
   longer (a silence of ``gap_min_h`` or more is an AIS gap, judged as such). Its duration runs
   from its first to its last fix; runs of at least ``loiter_min_duration_h`` are candidates.
2. **Place.** The candidate's position is the mean of its fixes. It must lie at least
   ``loiter_min_port_distance_km`` from every known port or anchorage point and from every port
   or anchorage zone ("near" is ``ports.is_near_port``, the one definition: exactly the distance
   is far); a vessel waiting at an anchorage is not loitering.
3. **Alone.** A candidate of a vessel that had an STS transfer or an encounter in port with a
   vessel overlapping it in time (both slow within the STS distance for ``sts_min_duration_h``,
   found by ``desktop.core.detect.sts``) is an STS candidate instead, and is dropped
   (``drop_sts_candidates``): the encounter is the reason, with the partner named. A second
   vessel within the STS distance for less time than an STS needs leaves the loitering standing:
   it is not a transfer, and the analyst should still see the vessel waiting.
4. **Effect.** ``kp_waters_distance_nm`` is the distance from the position to the nearest North
   Korean zone of any kind (territorial sea, port, anchorage: 0 inside one), exact (a local
   equirectangular frame around the position) wherever it may be within ``loiter_kp_waters_nm``
   and an upper bound beyond (``_kp_waters_m``); the candidate is ``near_kp_waters`` when it is
   at most ``loiter_kp_waters_nm``. The rule makes a
   loitering near KP waters call for review and lists every other one with effect ``none``.

Steps 1, 2 and 4 are ``detect_loitering`` (per vessel); step 3 needs the encounters of every
vessel and runs after them, in ``screen`` and in the Dask engine alike.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import shapely

from desktop.core.detect.geo import (
    EARTH_RADIUS_M,
    METRES_PER_NM,
    NS_PER_H,
    effective_sog_kn,
    haversine_m,
    nearest_on_geometry_m,
    round_or_none,
    time_ns,
    to_datetime,
)
from desktop.core.detect.port_calls import PORT_KINDS
from desktop.core.model import Event, EventKind
from desktop.core.params import DEFAULT_PARAMS, ScreeningParams
from desktop.core.ports import is_near_port
from desktop.core.zones import ZoneSet

KP = "KP"
#: The encounter kinds that make a loitering an STS candidate.
ENCOUNTER_KINDS = (EventKind.STS_TRANSFER, EventKind.ENCOUNTER_IN_PORT)
_M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0


def _columns(fixes: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """mmsi, time (ns), lat, lon and the effective speed (knots, float32) of every fix."""
    mmsi = fixes["mmsi"].to_numpy()
    t = time_ns(fixes)
    lat = fixes["lat"].to_numpy(dtype="float64")
    lon = fixes["lon"].to_numpy(dtype="float64")
    sog = effective_sog_kn(mmsi, t, lon, lat, fixes["sog_kn"].to_numpy(dtype="float32"))
    return mmsi, t, lat, lon, sog


def slow_runs(fixes: pd.DataFrame, params: ScreeningParams) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop (exclusive) row indices of the slow runs of at least
    ``loiter_min_duration_h`` (step 1 of the module docstring)."""
    if len(fixes) < 2:
        empty = np.zeros(0, dtype="int64")
        return empty, empty
    return _slow_runs(*_columns(fixes), params)


def _slow_runs(
    mmsi: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray, sog: np.ndarray,
    params: ScreeningParams,
) -> tuple[np.ndarray, np.ndarray]:
    # float32 like the STS detector: AIS speeds come in 0.1 kn steps, and a float64 limit of
    # 2.0 kn must treat a reported 2.0 kn the same way there and here.
    slow = (sog <= np.float32(params.loiter_max_sog_kn)) & np.isfinite(lat) & np.isfinite(lon)
    joined = (
        slow[1:] & slow[:-1]
        & (mmsi[1:] == mmsi[:-1])
        & (np.diff(t) <= params.loiter_max_fix_gap_h * NS_PER_H)
    )
    # a run starts at a slow fix not joined to the previous one, stops after one not joined on
    starts = np.flatnonzero(slow & ~np.concatenate(([False], joined)))
    stops = np.flatnonzero(slow & ~np.concatenate((joined, [False]))) + 1
    long_enough = t[stops - 1] - t[starts] >= params.loiter_min_duration_h * NS_PER_H
    return starts[long_enough], stops[long_enough]


def detect_loitering(
    fixes: pd.DataFrame,
    zones: ZoneSet,
    params: ScreeningParams = DEFAULT_PARAMS,
    known_ports: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[Event]:
    """Loitering candidates away from ports (steps 1, 2 and 4), sorted by (mmsi, start);
    ``drop_sts_candidates`` then removes those overlapping an encounter. ``known_ports`` is
    (lon, lat) of the known ports and anchorages, as for ``detect_encounters`` (None: none)."""
    if len(fixes) < 2:
        return []
    mmsi, t, lat, lon, sog = _columns(fixes)
    starts, stops = _slow_runs(mmsi, t, lat, lon, sog, params)
    if len(starts) == 0:
        return []
    lengths = stops - starts
    # runs are disjoint slices of rows: reduce over [start, stop) pairs, the last slice ending
    # at the end of the view
    end = int(stops[-1])
    cuts = np.empty(2 * len(starts) - 1, dtype="int64")
    cuts[0::2], cuts[1::2] = starts, stops[:-1]

    def over_runs(ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
        return ufunc.reduceat(values[:end], cuts)[0::2]

    sog64 = sog.astype("float64")
    r_lat = over_runs(np.add, lat) / lengths
    r_lon = over_runs(np.add, lon) / lengths
    r_sog = over_runs(np.add, sog64) / lengths
    r_max = over_runs(np.maximum, sog64)
    # how far the fixes spread: the diagonal of their box, a drift and not a voyage
    extent = np.hypot(
        (over_runs(np.maximum, lon) - over_runs(np.minimum, lon))
        * _M_PER_DEG * np.cos(np.radians(r_lat)),
        (over_runs(np.maximum, lat) - over_runs(np.minimum, lat)) * _M_PER_DEG,
    )

    reach_m = params.loiter_min_port_distance_km * 1000.0
    if known_ports is None:
        known_ports = (np.zeros(0), np.zeros(0))
    port_d = _nearest_point_m(known_ports[0], known_ports[1], r_lon, r_lat, reach_m)
    zone_d = _nearest_port_zone_m(zones, r_lon, r_lat, reach_m)
    nearest = np.minimum(port_d, zone_d)
    away = ~is_near_port(nearest, reach_m)
    kp_m = _kp_waters_m(zones, r_lon, r_lat, params.loiter_kp_waters_nm * METRES_PER_NM)

    events: list[Event] = []
    for k in np.flatnonzero(away).tolist():
        a, b = int(starts[k]), int(stops[k]) - 1
        kp_nm = float(kp_m[k]) / METRES_PER_NM if np.isfinite(kp_m[k]) else None
        near_kp = kp_nm is not None and kp_nm <= params.loiter_kp_waters_nm
        details = {
            "duration_h": round_or_none((t[b] - t[a]) / NS_PER_H),
            "fixes": int(lengths[k]),
            "mean_sog_kn": round_or_none(r_sog[k], 2),
            "max_sog_kn": round_or_none(r_max[k], 2),
            "extent_m": round_or_none(extent[k], 1),
            # the port test only searches that far: the distance itself is not known
            "min_port_distance_km": params.loiter_min_port_distance_km,
            "kp_waters_distance_nm": None if kp_nm is None else round(kp_nm, 2),
            "near_kp_waters": near_kp,
            "kp_waters_limit_nm": params.loiter_kp_waters_nm,
            "max_sog_limit_kn": params.loiter_max_sog_kn,
        }
        events.append(
            Event(
                kind=EventKind.LOITERING,
                mmsi=int(mmsi[a]),
                start=to_datetime(int(t[a])),
                end=to_datetime(int(t[b])),
                lat=float(r_lat[k]),
                lon=float(r_lon[k]),
                details=details,
            )
        )
    return events


def drop_sts_candidates(loitering: Iterable[Event], encounters: Iterable[Event]) -> list[Event]:
    """The loitering events of ``loitering`` that overlap (inclusive) no encounter of the same
    vessel in ``encounters`` (step 3 of the module docstring), in their order. Other kinds in
    ``encounters`` are ignored, so the whole event list may be passed."""
    spans: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for e in encounters:
        if e.kind in ENCOUNTER_KINDS:
            spans[e.mmsi].append((e.start, e.end))
    return [
        e for e in loitering
        if not any(s <= e.end and e.start <= t for s, t in spans.get(e.mmsi, ()))
    ]


def _nearest_point_m(
    port_lon: np.ndarray, port_lat: np.ndarray, lon: np.ndarray, lat: np.ndarray, reach_m: float
) -> np.ndarray:
    """Great-circle metres from each position to the nearest known port point, inf when none is
    within ``reach_m`` (all the port test needs): the STS detector's measure, with the
    candidates of all positions found at once by an STRtree (a loitering run has many more
    candidates than an encounter)."""
    out = np.full(len(lon), np.inf)
    if len(port_lon) == 0 or len(lon) == 0:
        return out
    port_lon = port_lon if port_lon.dtype == np.float64 else port_lon.astype("float64")
    port_lat = port_lat if port_lat.dtype == np.float64 else port_lat.astype("float64")
    dlat = reach_m / _M_PER_DEG * 1.01
    dlon = np.minimum(dlat / np.maximum(np.cos(np.radians(np.minimum(np.abs(lat) + dlat, 89.9))),
                                        1e-3), 360.0)
    tree = _port_tree(port_lon, port_lat)
    src, dst = tree.query(shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat),
                          predicate="intersects")
    if len(src):
        d = haversine_m(lon[src], lat[src], port_lon[dst], port_lat[dst])
        np.minimum.at(out, src, d)
    out[out > reach_m] = np.inf
    return out


_TREE_CACHE: list[tuple[np.ndarray, np.ndarray, shapely.STRtree]] = []


def _port_tree(port_lon: np.ndarray, port_lat: np.ndarray) -> shapely.STRtree:
    """An STRtree of the port points, kept for the last arrays seen (the bundled points are the
    same arrays every call: 0.1-0.2 s saved per screening)."""
    for lon_ref, lat_ref, tree in _TREE_CACHE:
        if lon_ref is port_lon and lat_ref is port_lat:
            return tree
    tree = shapely.STRtree(shapely.points(port_lon, port_lat))
    _TREE_CACHE[:] = [(port_lon, port_lat, tree)]
    return tree


def _kp_zones(zones: ZoneSet) -> np.ndarray:
    if len(zones) == 0:
        return np.zeros(0, dtype="int64")
    return np.flatnonzero(zones.frame["country"].to_numpy() == KP)


def _nearest_port_zone_m(
    zones: ZoneSet, lon: np.ndarray, lat: np.ndarray, reach_m: float
) -> np.ndarray:
    """Metres from each point to the nearest port or anchorage zone (0 inside one), inf when none
    lies within ``reach_m``: measured as the STS detector measures them
    (``nearest_on_geometry_m``), so that both detectors draw the port boundary in one place."""
    out = np.full(len(lon), np.inf)
    if len(zones) == 0 or len(lon) == 0:
        return out
    geoms = zones.geometries
    band = reach_m / _M_PER_DEG * 1.01
    for z in zones.indices(PORT_KINDS):
        xmin, ymin, xmax, ymax = geoms[z].bounds
        widen = band / max(math.cos(math.radians(min(max(abs(ymin), abs(ymax)) + band, 89.9))),
                           1e-3)
        cand = np.flatnonzero((lat >= ymin - band) & (lat <= ymax + band)
                              & (lon >= xmin - widen) & (lon <= xmax + widen))
        if len(cand) == 0:
            continue
        d = nearest_on_geometry_m(geoms[z], lon[cand], lat[cand])
        keep = (d <= reach_m) & (d < out[cand])
        out[cand[keep]] = d[keep]
    return out


def _kp_waters_m(zones: ZoneSet, lon: np.ndarray, lat: np.ndarray, limit_m: float) -> np.ndarray:
    """Metres from each point to the nearest North Korean zone (0 inside one; inf when the zones
    have none).

    The KP territorial sea is hundreds of km wide, where the nearest point found in plane degrees
    can be tens of km off at 40° N. Where it decides the effect, so where a lower bound of the
    distance (the plane-degree distance times metres per degree of longitude there) is at most
    ``limit_m``, the distance is measured exactly in an equirectangular frame centred on the
    point (good to well under 1 % at 100 nm), on the edges that can hold the nearest point.
    Elsewhere it is the haversine distance to the plane-degree nearest point (as
    ``nearest_on_geometry_m`` measures): never below the truth, and only ever said to be "more
    than" the limit. Zones are taken largest first, and a zone whose bounding box is farther
    than the best distance so far (with a 2 % margin) is skipped: the ports lie inside the
    territorial sea's band, so they rarely need measuring."""
    out = np.full(len(lon), np.inf)
    if len(lon) == 0 or len(zones) == 0:
        return out
    geoms = zones.geometries
    coslat = np.cos(np.radians(lat))
    order = sorted(_kp_zones(zones).tolist(), key=lambda z: -shapely.area(geoms[z]))
    for z in order:
        geom = geoms[z]
        xmin, ymin, xmax, ymax = geom.bounds
        box_deg = np.hypot(np.maximum(np.maximum(xmin - lon, lon - xmax), 0.0),
                           np.maximum(np.maximum(ymin - lat, lat - ymax), 0.0))
        todo = np.flatnonzero(box_deg * _M_PER_DEG * coslat * 0.98 < out)
        if len(todo) == 0:
            continue
        plon, plat, pcos = lon[todo], lat[todo], coslat[todo]
        index = _edge_index(geom)
        x0, y0, x1, y1 = index.edges
        # the nearest edge in plane degrees, by an STRtree of the edges (not every edge of a
        # 7,000-vertex coastline for every point)
        src, edge = index.lines.query_nearest(shapely.points(plon, plat), all_matches=False)
        nx, ny = _nearest_on_edges(plon[src], plat[src], x0[edge], y0[edge], x1[edge], y1[edge],
                                   np.ones(len(src)))
        d_deg = np.full(len(todo), np.inf)
        d_deg[src] = np.hypot(nx - plon[src], ny - plat[src])
        d = np.full(len(todo), np.inf)
        d[src] = haversine_m(plon[src], plat[src], nx, ny)
        d[shapely.intersects_xy(geom, plon, plat)] = 0.0
        exact = np.flatnonzero((d > 0) & np.isfinite(d) & (d_deg * _M_PER_DEG * pcos <= limit_m))
        if len(exact):
            d[exact] = _local_frame_m(geom, plon[exact], plat[exact], d_deg[exact] / pcos[exact])
        out[todo] = np.minimum(out[todo], d)
    return out


@dataclass(frozen=True)
class _EdgeIndex:
    geom: shapely.Geometry
    edges: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    lines: shapely.STRtree  # the edges as segments, for the nearest one
    boxes: shapely.STRtree  # their boxes, for those within a distance


_EDGE_CACHE: dict[int, _EdgeIndex] = {}


def _edge_index(geom: shapely.Geometry) -> _EdgeIndex:
    """The edges of a zone and their trees, built once per geometry object (a screening
    measures every loitering against the same zones; each partition of the Dask engine too)."""
    found = _EDGE_CACHE.get(id(geom))
    if found is not None and found.geom is geom:
        return found
    x0, y0, x1, y1 = _edges(geom)
    lines = shapely.STRtree(shapely.linestrings(
        np.stack((np.column_stack((x0, x1)), np.column_stack((y0, y1))), axis=2)))
    boxes = shapely.STRtree(shapely.box(np.minimum(x0, x1), np.minimum(y0, y1),
                                        np.maximum(x0, x1), np.maximum(y0, y1)))
    if len(_EDGE_CACHE) > 64:  # zones loaded afresh (another file): forget the old ones
        _EDGE_CACHE.clear()
    index = _EdgeIndex(geom, (x0, y0, x1, y1), lines, boxes)
    _EDGE_CACHE[id(geom)] = index
    return index


def _edges(geom: shapely.Geometry) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x0, y0, x1, y1 of every edge of the rings of ``geom``, degrees."""
    rings = shapely.get_rings(shapely.get_parts(geom))  # a MultiPolygon has rings only by part
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    return coords[:-1][same, 0], coords[:-1][same, 1], coords[1:][same, 0], coords[1:][same, 1]


def _nearest_on_edges(
    px: np.ndarray, py: np.ndarray, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray,
    y1: np.ndarray, kx: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The point of each edge nearest to each point, with x scaled by ``kx`` (1: plane degrees),
    in the edges' own coordinates."""
    ax, ay = (x0 - px) * kx, y0 - py
    ex, ey = (x1 - x0) * kx, y1 - y0
    length2 = ex * ex + ey * ey
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.clip(np.where(length2 > 0, -(ax * ex + ay * ey) / length2, 0.0), 0.0, 1.0)
    return x0 + f * (x1 - x0), y0 + f * (y1 - y0)


def _local_frame_m(
    geom: shapely.Geometry, lon: np.ndarray, lat: np.ndarray, radius_deg: np.ndarray
) -> np.ndarray:
    """Metres from each point to the boundary of ``geom`` in an equirectangular frame centred
    on the point (the points lie outside ``geom``), looking only at the edges within
    ``radius_deg`` (in both axes) of it, which must hold the nearest point (the caller's
    plane-degree distance over the cosine of latitude). Vectorised over (point, edge) pairs
    found with an STRtree of the edges' boxes."""
    index = _edge_index(geom)
    x0, y0, x1, y1 = index.edges
    r = radius_deg * (1 + 1e-9) + 1e-12
    point, edge = index.boxes.query(shapely.box(lon - r, lat - r, lon + r, lat + r),
                                    predicate="intersects")
    kx = np.cos(np.radians(lat[point]))
    nx, ny = _nearest_on_edges(lon[point], lat[point], x0[edge], y0[edge], x1[edge], y1[edge],
                               kx)
    d = _M_PER_DEG * np.hypot((nx - lon[point]) * kx, ny - lat[point])
    out = np.full(len(lon), np.inf)
    np.minimum.at(out, point, d)
    return out
