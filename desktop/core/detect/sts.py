"""Ship-to-ship encounters (DESIGN.md §3): STS transfers and encounters in port.

Method, all vectorised:

1. **Resample** every vessel to a common grid of ``sts_grid_min`` minutes (instants that are
   multiples of the step since the epoch). A grid instant between two fixes at most
   ``sts_max_interp_gap_h`` apart gets the linearly interpolated position and speed; a fix that
   falls exactly on the grid is used as it is; pairs straddling the antimeridian are not
   interpolated. Only slow grid points are kept
   (``sog_kn <= sts_max_sog_kn``; a missing ``sog_kn`` is the speed implied by the neighbouring
   fixes), and only fix pairs with at least one slow end are expanded, so moving traffic costs
   almost nothing.
2. **Bucket** the points by (grid instant, spatial cell). Cells are ``sts_max_distance_m`` tall
   and at least as wide at the highest latitude present, so two points within the distance are
   always in the same or neighbouring cells. Each cell is compared with itself and four of its
   eight neighbours (the other four see it from their side): the cost grows with the number of
   points and the local density, never with the square of the number of vessels.
   Limitation: cells do not wrap at the antimeridian (no KP-relevant traffic crosses it).
3. **Runs**: for each pair of vessels, consecutive grid instants within the distance form a run;
   runs of at least ``sts_min_duration_h`` (first to last grid instant) are encounters, and
   encounters of one pair less than ``sts_merge_gap_h`` apart merge into one.
4. **Place**: an encounter whose mean position is at least ``sts_min_port_distance_km`` from
   every known port or anchorage point and from every port or anchorage zone is an
   ``sts_transfer``; otherwise it is an ``encounter_in_port`` ("near" is
   ``ports.is_near_port``, the one definition: exactly the distance is far). Both vessels get
   one event each, with ``with_mmsi`` naming the other.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from desktop.core.detect.geo import (
    EARTH_RADIUS_M,
    NS_PER_H,
    effective_sog_kn,
    haversine_m,
    nearest_on_geometry_m,
    round_or_none,
    time_ns,
    to_datetime,
)
from desktop.core.detect.port_calls import PORT_KINDS, _text
from desktop.core.model import Event, EventKind
from desktop.core.params import DEFAULT_PARAMS, ScreeningParams
from desktop.core.ports import is_near_port
from desktop.core.zones import ZoneSet

METRES_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0


BLOCK_FIXES = 500_000  # fixes per resampling block: temporaries of a few MB, reused by malloc


def resample_slow(
    fixes: pd.DataFrame, params: ScreeningParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Slow grid points of every vessel: (mmsi, grid index, lat, lon).

    The table is cut at vessel boundaries into blocks of about ``BLOCK_FIXES`` fixes, resampled
    on two threads (numpy releases the GIL): small temporaries are recycled by the allocator
    instead of being faulted in afresh, which on large inputs halves the time.
    """
    mmsi = fixes["mmsi"].to_numpy()
    t = time_ns(fixes)
    lon = fixes["lon"].to_numpy()
    lat = fixes["lat"].to_numpy()
    sog = fixes["sog_kn"].to_numpy()
    n = len(mmsi)
    cuts = [0]
    while cuts[-1] < n:
        target = min(cuts[-1] + BLOCK_FIXES, n)
        if target < n:  # move the cut to the next vessel boundary
            target = int(np.searchsorted(mmsi, mmsi[target], side="left"))
            if target <= cuts[-1]:
                target = int(np.searchsorted(mmsi, mmsi[cuts[-1]], side="right"))
        cuts.append(target)
    blocks = [(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]

    def run(block: tuple[int, int]) -> tuple[np.ndarray, ...]:
        a, b = block
        return _resample_block(mmsi[a:b], t[a:b], lon[a:b], lat[a:b], sog[a:b], params)

    if len(blocks) > 1:
        with ThreadPoolExecutor(max_workers=2) as pool:
            parts = list(pool.map(run, blocks))
    else:
        parts = [run(block) for block in blocks]
    if not parts:
        empty = np.zeros(0)
        return empty.astype("uint32"), empty.astype("int64"), empty, empty
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(4))  # type: ignore[return-value]


def _resample_block(
    mmsi: np.ndarray,
    t: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    sog_kn: np.ndarray,
    params: ScreeningParams,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``resample_slow`` on whole vessels (sorted by mmsi, time)."""
    step = int(round(params.sts_grid_min * 60e9))
    sog = effective_sog_kn(mmsi, t, lon, lat, sog_kn)
    limit = params.sts_max_sog_kn
    slow = (sog <= limit) & np.isfinite(lat) & np.isfinite(lon)

    on_grid = np.flatnonzero(slow & (t % step == 0))
    dt = np.diff(t)
    pair = np.flatnonzero(
        (mmsi[1:] == mmsi[:-1])
        & (dt > 0)
        & (dt <= params.sts_max_interp_gap_h * NS_PER_H)
        & (slow[1:] | slow[:-1])
        & np.isfinite(lat[1:]) & np.isfinite(lat[:-1])
        # no interpolation across the antimeridian (the mean of 179.9 and -179.9 is not 0)
        & (np.abs(lon[1:] - lon[:-1]) < 180.0)
    )
    t0 = t[pair]
    t1 = t[pair + 1]
    first = t0 // step + 1  # grid instants strictly inside (t0, t1)
    count = (t1 - 1) // step - t0 // step
    keep = count > 0
    pair, t0, t1, first, count = pair[keep], t0[keep], t1[keep], first[keep], count[keep]
    total = int(count.sum())
    src = np.repeat(np.arange(len(pair)), count)
    offset = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    g = first[src] + offset
    i = pair[src]
    frac = (g * step - t0[src]) / (t1[src] - t0[src])
    # Compared in float32 like the fixes' own speeds above: AIS speeds come in 0.1 kn steps,
    # and a float64 0.3 kn limit sits below float32's 0.3 kn, so that an interpolated 0.3 kn
    # between two 0.3 kn fixes would be fast while the fixes themselves are slow.
    s = (sog[i] + frac * (sog[i + 1] - sog[i])).astype("float32")
    ok = s <= limit
    i, g, frac = i[ok], g[ok], frac[ok]
    p_lat = lat[i] + frac * (lat[i + 1] - lat[i])
    p_lon = lon[i] + frac * (lon[i + 1] - lon[i])
    return (
        np.concatenate((mmsi[on_grid], mmsi[i])),
        np.concatenate((t[on_grid] // step, g)),
        np.concatenate((lat[on_grid], p_lat)),
        np.concatenate((lon[on_grid], p_lon)),
    )


BLOCK_POINTS = 500_000  # grid points per bucketing block


def close_pairs(
    mmsi: np.ndarray, g: np.ndarray, lat: np.ndarray, lon: np.ndarray, max_distance_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs (i, j) of points at the same grid instant within ``max_distance_m``, and
    their distances, by bucketing (see the module docstring).

    Pairs only ever join points of one grid instant, so large inputs are cut into blocks of
    consecutive instants (about ``BLOCK_POINTS`` points each) bucketed independently on two
    threads, with small, recycled temporaries.
    """
    n = len(g)
    if n <= BLOCK_POINTS:
        return _close_pairs_block(mmsi, g, lat, lon, max_distance_m)
    g_min = int(g.min())
    span = int(g.max()) - g_min + 1
    per_block = max(1, span * BLOCK_POINTS // n)
    block = (g - g_min) // per_block
    order = np.argsort(block, kind="stable")
    edges = np.searchsorted(block[order], np.arange(int(block.max()) + 2))

    def run(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        idx = order[edges[k] : edges[k + 1]]
        i, j, d = _close_pairs_block(mmsi[idx], g[idx], lat[idx], lon[idx], max_distance_m)
        return idx[i], idx[j], d

    with ThreadPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(run, [k for k in range(len(edges) - 1) if edges[k + 1] > edges[k]]))
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))  # type: ignore[return-value]


def _close_pairs_block(
    mmsi: np.ndarray, g: np.ndarray, lat: np.ndarray, lon: np.ndarray, max_distance_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    empty = np.zeros(0, dtype="int64")
    if len(g) < 2:
        return empty, empty, np.zeros(0)
    dlat = max_distance_m / METRES_PER_DEG * 1.01  # 1 % margin for the spherical excess
    cos_min = max(math.cos(math.radians(min(float(np.abs(lat).max()), 89.9))), 1e-3)
    dlon = dlat / cos_min
    cy = np.floor(lat / dlat).astype("int64")
    cx = np.floor(lon / dlon).astype("int64")
    cy -= cy.min() - 1
    cx -= cx.min() - 1
    g0 = g - g.min()
    ny = int(cy.max()) + 2
    nx = int(cx.max()) + 2
    key = (g0 * ny + cy) * nx + cx
    order = np.argsort(key, kind="stable")
    skey = key[order]
    change = np.flatnonzero(skey[1:] != skey[:-1]) + 1
    cstart = np.concatenate(([0], change))
    ccount = np.diff(np.append(cstart, len(skey)))
    ckey = skey[cstart]

    # Each cell is compared with itself and four of its eight neighbours (right, and the three
    # of the next row); the other four see it from their side. Neighbours are found as
    # positions in the sorted unique keys: the cell to the right is the next key when it
    # exists; the three cells of the next row are consecutive integers, so one binary search
    # for the first gives a start from which each lies at most two places further.
    n_cells = len(ckey)
    neighbours: list[tuple[np.ndarray, np.ndarray, bool]] = []
    same = np.flatnonzero(ccount > 1)
    neighbours.append((same, same, True))
    right = np.flatnonzero(ckey[1:] == ckey[:-1] + 1)
    neighbours.append((right, right + 1, False))
    below = np.searchsorted(ckey, ckey + nx - 1)
    for dx in (-1, 0, 1):
        target = ckey + nx + dx
        for step in range(dx + 2):  # key + nx + dx lies at most dx + 1 places after `below`
            pos = np.minimum(below + step, n_cells - 1)
            hit = np.flatnonzero(ckey[pos] == target)
            neighbours.append((hit, pos[hit], False))

    left: list[np.ndarray] = []
    right_idx: list[np.ndarray] = []
    for u, v, same_cell in neighbours:
        if len(u) == 0:
            continue
        a, b = ccount[u], ccount[v]
        n_pairs = a * b
        total = int(n_pairs.sum())
        src = np.repeat(np.arange(len(u)), n_pairs)
        r = np.arange(total) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)
        i = cstart[u][src] + r // b[src]
        j = cstart[v][src] + r % b[src]
        if same_cell:
            upper = i < j
            i, j = i[upper], j[upper]
        left.append(order[i])
        right_idx.append(order[j])
    if not left:
        return empty, empty, np.zeros(0)
    i = np.concatenate(left)
    j = np.concatenate(right_idx)
    differ = mmsi[i] != mmsi[j]
    i, j = i[differ], j[differ]
    dist = haversine_m(lon[i], lat[i], lon[j], lat[j])
    near = dist <= max_distance_m
    return i[near], j[near], dist[near]


def _nearest_point_m(
    port_lon: np.ndarray, port_lat: np.ndarray, lon: np.ndarray, lat: np.ndarray, reach_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Distance from each position to the nearest known port point, metres, and that point's
    index (inf and -1 when none is within ``reach_m``, which is all the caller needs)."""
    out = np.full(len(lon), np.inf)
    which = np.full(len(lon), -1, dtype="int64")
    if len(port_lon) == 0:
        return out, which
    order = np.argsort(port_lat, kind="stable")
    plat, plon = port_lat[order], port_lon[order]
    band = reach_m / METRES_PER_DEG * 1.01
    lo = np.searchsorted(plat, lat - band)
    hi = np.searchsorted(plat, lat + band, side="right")
    for k in range(len(lon)):  # one iteration per encounter, not per fix
        if hi[k] > lo[k]:
            d = haversine_m(lon[k], lat[k], plon[lo[k] : hi[k]], plat[lo[k] : hi[k]])
            best = int(np.argmin(d))
            if d[best] <= reach_m:
                out[k], which[k] = float(d[best]), int(order[lo[k] + best])
    return out, which


def detect_encounters(
    fixes: pd.DataFrame,
    zones: ZoneSet,
    params: ScreeningParams = DEFAULT_PARAMS,
    known_ports: tuple[np.ndarray, np.ndarray] | None = None,
    port_names: Callable[[np.ndarray], Sequence[str | None]] | None = None,
) -> list[Event]:
    """STS transfers and encounters in port, two events per encounter, sorted by
    (mmsi, start, with_mmsi). ``known_ports`` is (lon, lat) of known ports and anchorages;
    ``port_names`` maps indices into it to names (for ``nearest_port`` in the details)."""
    if len(fixes) < 2:
        return []
    step_ns = int(round(params.sts_grid_min * 60e9))
    mmsi, g, lat, lon = resample_slow(fixes, params)
    i, j, dist = close_pairs(mmsi, g, lat, lon, params.sts_max_distance_m)
    if len(i) == 0:
        return []
    a = np.minimum(mmsi[i], mmsi[j]).astype("int64")
    b = np.maximum(mmsi[i], mmsi[j]).astype("int64")
    gg = g[i]
    mlat = (lat[i] + lat[j]) / 2
    mlon = (lon[i] + lon[j]) / 2
    order = np.lexsort((dist, gg, b, a))
    a, b, gg, dist, mlat, mlon = (x[order] for x in (a, b, gg, dist, mlat, mlon))
    # one point per (pair, instant): duplicates come from duplicate fixes
    uniq = np.ones(len(a), dtype=bool)
    uniq[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1]) | (gg[1:] != gg[:-1])
    a, b, gg, dist, mlat, mlon = (x[uniq] for x in (a, b, gg, dist, mlat, mlon))

    same_pair = np.zeros(len(a), dtype=bool)
    same_pair[1:] = (a[1:] == a[:-1]) & (b[1:] == b[:-1])
    new_run = ~(same_pair & (np.diff(gg, prepend=gg[0] - 2) == 1))
    r_start = np.flatnonzero(new_run)
    r_stop = np.append(r_start[1:], len(a))
    long_enough = (gg[r_stop - 1] - gg[r_start]) * step_ns >= params.sts_min_duration_h * NS_PER_H
    r_start, r_stop = r_start[long_enough], r_stop[long_enough]
    if len(r_start) == 0:
        return []
    # merge encounters of one pair less than sts_merge_gap_h apart
    ra, rb = a[r_start], b[r_start]
    gap_ns = (gg[r_start][1:] - gg[r_stop - 1][:-1]) * step_ns
    join = (ra[1:] == ra[:-1]) & (rb[1:] == rb[:-1]) & (gap_ns < params.sts_merge_gap_h * NS_PER_H)
    new_enc = np.concatenate(([True], ~join))
    e_id = np.cumsum(new_enc) - 1
    n_enc = int(e_id[-1]) + 1
    first_run = np.flatnonzero(new_enc)
    last_run = np.append(first_run[1:], len(r_start)) - 1
    e_a, e_b = ra[first_run], rb[first_run]
    e_g0 = gg[r_start[first_run]]
    e_g1 = gg[r_stop[last_run] - 1]
    # point statistics over the runs of each encounter
    lengths = r_stop - r_start
    pts = np.repeat(r_start, lengths) + (
        np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    p_enc = np.repeat(e_id, lengths)
    n_pts = np.bincount(p_enc, minlength=n_enc)
    e_lat = np.bincount(p_enc, weights=mlat[pts], minlength=n_enc) / n_pts
    e_lon = np.bincount(p_enc, weights=mlon[pts], minlength=n_enc) / n_pts
    e_mean_d = np.bincount(p_enc, weights=dist[pts], minlength=n_enc) / n_pts
    e_min_d = np.full(n_enc, np.inf)
    np.minimum.at(e_min_d, p_enc, dist[pts])

    reach_m = params.sts_min_port_distance_km * 1000.0
    if known_ports is None:
        known_ports = (np.zeros(0), np.zeros(0))
    port_d, port_i = _nearest_point_m(
        np.asarray(known_ports[0], dtype="float64"),
        np.asarray(known_ports[1], dtype="float64"),
        e_lon,
        e_lat,
        reach_m,
    )
    zone_d = np.full(n_enc, np.inf)
    zone_name = np.full(n_enc, None, dtype=object)
    zone_locode = np.full(n_enc, None, dtype=object)
    zone_country = np.full(n_enc, None, dtype=object)
    if len(zones):
        names = zones.frame["name"].to_numpy()
        locodes = zones.frame["locode"].to_numpy()
        countries = zones.frame["country"].to_numpy()
        geoms = zones.geometries
        band = reach_m / METRES_PER_DEG * 1.01
        for z in zones.indices(PORT_KINDS):
            xmin, ymin, xmax, ymax = geoms[z].bounds
            widen = band / max(math.cos(math.radians(min(max(abs(ymin), abs(ymax)), 89.9))), 1e-3)
            cand = np.flatnonzero(
                (e_lat >= ymin - band)
                & (e_lat <= ymax + band)
                & (e_lon >= xmin - widen)
                & (e_lon <= xmax + widen)
            )
            if len(cand) == 0:
                continue
            d = nearest_on_geometry_m(geoms[z], e_lon[cand], e_lat[cand])
            closer = d < zone_d[cand]
            idx = cand[closer]
            zone_d[idx] = d[closer]
            zone_name[idx] = str(names[z])
            zone_locode[idx] = _text(locodes[z])
            zone_country[idx] = _text(countries[z])
    nearest = np.minimum(port_d, zone_d)
    in_port = is_near_port(nearest, reach_m)
    # the name of the nearest port or anchorage of each encounter in port, for the reasons
    nearest_name = np.where(zone_d <= port_d, zone_name, None)
    by_point = np.flatnonzero(in_port & (port_d < zone_d))
    if len(by_point) and port_names is not None:
        nearest_name[by_point] = list(port_names(port_i[by_point]))

    events: list[Event] = []
    for k in range(n_enc):
        start = to_datetime(int(e_g0[k]) * step_ns)
        end = to_datetime(int(e_g1[k]) * step_ns)
        kind = EventKind.ENCOUNTER_IN_PORT if in_port[k] else EventKind.STS_TRANSFER
        near_zone = bool(is_near_port(zone_d[k], reach_m))
        details = {
            "duration_h": round_or_none((e_g1[k] - e_g0[k]) * step_ns / NS_PER_H),
            "min_distance_m": round_or_none(e_min_d[k], 1),
            "mean_distance_m": round_or_none(e_mean_d[k], 1),
            "grid_points": int(n_pts[k]),
            "nearest_port_km": None if not np.isfinite(nearest[k]) else round(nearest[k] / 1000, 2),
        }
        if in_port[k]:
            details["nearest_port"] = nearest_name[k]
        for me, other in ((int(e_a[k]), int(e_b[k])), (int(e_b[k]), int(e_a[k]))):
            events.append(
                Event(
                    kind=kind,
                    mmsi=me,
                    start=start,
                    end=end,
                    zone=zone_name[k] if near_zone else None,
                    locode=zone_locode[k] if near_zone else None,
                    country=zone_country[k] if near_zone else None,
                    lat=float(e_lat[k]),
                    lon=float(e_lon[k]),
                    with_mmsi=other,
                    details=dict(details),
                )
            )
    events.sort(key=lambda e: (e.mmsi, e.start, e.with_mmsi or 0))
    return events
