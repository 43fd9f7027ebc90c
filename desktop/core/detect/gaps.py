"""AIS gaps and suspected calls (DESIGN.md §3).

Each gap also carries the vessel's own reporting rate in the 12 h before it; the other ships
heard near its ends during the silence are counted by a pass over every vessel's fixes after
this per-vessel detector (``desktop.core.detect.gap_evidence``).

A gap is two consecutive fixes of one vessel at least ``gap_min_h`` apart. It is a suspected
call when some KP port or anchorage zone is reachable in it:
``d(before, zone) + d(zone, after) <= gap_speed_kn * (gap - gap_port_time_h)``, with ``d`` the
distance **by sea** to the zone (``desktop.core.seadist``: a path that never crosses basemap
land, so a ship in the Yellow Sea reaches Wonsan only round the peninsula). Only suspected gaps are
events; each lists every reachable zone with its sea distance (``sea_distance_nm``, before + after)
and its slack, in nautical miles and in hours at ``gap_speed_kn``. A zone the bundle has no sea
raster for (a user's own KP zone) is measured by great circle and says so (``distance_basis``).

Distance approximation (``geo.nearest_on_geometry_m``): the nearest point of the polygon is
found in plane degrees, then measured by haversine. It never underestimates; for port polygons
of a few kilometres the excess is a few metres, far below the tens of nautical miles of slack
that decide a case. The great-circle distance is a lower bound of the sea distance, so it
prunes: the sea rasters are read only for gaps it leaves in. A cheaper lower bound (distance to
the zone's centroid minus the zone's radius) rules most zones out before that.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from desktop.core import seadist
from desktop.core.detect.gap_evidence import reporting_details, reports_before
from desktop.core.detect.geo import (
    KN_TO_MPS,
    METRES_PER_NM,
    NS_PER_H,
    NS_PER_S,
    haversine_m,
    nearest_on_geometry_m,
    time_ns,
    to_datetime,
)
from desktop.core.detect.port_calls import PORT_KINDS, _text
from desktop.core.model import Event, EventKind
from desktop.core.params import DEFAULT_PARAMS, ScreeningParams
from desktop.core.zones import ZoneSet

KP = "KP"


def kp_port_zones(zones: ZoneSet) -> np.ndarray:
    """Indices of the port and anchorage zones of country KP."""
    if len(zones) == 0:
        return np.zeros(0, dtype="int64")
    idx = zones.indices(PORT_KINDS)
    return idx[zones.frame["country"].to_numpy()[idx] == KP]


def detect_gaps(
    fixes: pd.DataFrame, zones: ZoneSet, params: ScreeningParams = DEFAULT_PARAMS
) -> list[Event]:
    """Suspected-call AIS gaps, sorted by (mmsi, start)."""
    targets = kp_port_zones(zones)
    if len(fixes) < 2 or len(targets) == 0:
        return []
    mmsi = fixes["mmsi"].to_numpy()
    t = time_ns(fixes)
    dt = np.diff(t)
    before = np.flatnonzero((mmsi[1:] == mmsi[:-1]) & (dt >= params.gap_min_h * NS_PER_H))
    if len(before) == 0:
        return []
    after = before + 1
    gap_s = dt[before] / NS_PER_S
    budget_m = params.gap_speed_kn * KN_TO_MPS * (gap_s - params.gap_port_time_h * 3600.0)
    keep = budget_m > 0
    before, after, gap_s, budget_m = before[keep], after[keep], gap_s[keep], budget_m[keep]
    lon = fixes["lon"].to_numpy()
    lat = fixes["lat"].to_numpy()
    lon1, lat1, lon2, lat2 = lon[before], lat[before], lon[after], lat[after]

    geoms = zones.geometries
    names = zones.frame["name"].to_numpy()
    locodes = zones.frame["locode"].to_numpy()
    kinds = zones.frame["kind"].to_numpy()
    found: dict[int, list[dict[str, Any]]] = {}
    for z in targets:
        geom = geoms[z]
        centre = shapely.centroid(geom)
        cx, cy = centre.x, centre.y
        ring = shapely.get_coordinates(geom)
        radius = haversine_m(cx, cy, ring[:, 0], ring[:, 1]).max()
        low = np.maximum(haversine_m(lon1, lat1, cx, cy) - radius, 0) + np.maximum(
            haversine_m(lon2, lat2, cx, cy) - radius, 0
        )
        cand = np.flatnonzero(low <= budget_m)
        if len(cand) == 0:
            continue
        gc1 = nearest_on_geometry_m(geom, lon1[cand], lat1[cand])
        gc2 = nearest_on_geometry_m(geom, lon2[cand], lat2[cand])
        gc = gc1 + gc2
        by_sea = seadist.has_zone(str(names[z]), tuple(shapely.bounds(geom)))
        if by_sea:
            # Sea distance only where the great-circle lower bound leaves the zone in reach.
            near = gc <= budget_m[cand]
            cand, gc1, gc2, gc = cand[near], gc1[near], gc2[near], gc[near]
            d = seadist.sea_distance_m(str(names[z]), lon1[cand], lat1[cand], gc1) + (
                seadist.sea_distance_m(str(names[z]), lon2[cand], lat2[cand], gc2))
        else:
            d = gc
        ok = d <= budget_m[cand]
        for k, dist, line in zip(cand[ok], d[ok], gc[ok], strict=True):
            slack_nm = (budget_m[k] - dist) / METRES_PER_NM
            found.setdefault(int(k), []).append(
                {
                    "zone": str(names[z]),
                    "locode": _text(locodes[z]),
                    "kind": str(kinds[z]),
                    "distance_nm": round(float(dist) / METRES_PER_NM, 1),
                    "sea_distance_nm": round(float(dist) / METRES_PER_NM, 1) if by_sea else None,
                    "great_circle_nm": round(float(line) / METRES_PER_NM, 1),
                    "distance_basis": "sea" if by_sea else "great-circle",
                    "slack_nm": round(float(slack_nm), 1),
                    "slack_h": round(float(slack_nm) / params.gap_speed_kn, 2),
                }
            )
    events = []
    order = np.array(sorted(found), dtype="int64")
    reports = reports_before(mmsi, t, before[order]).tolist()
    for k, count in zip(order.tolist(), reports, strict=True):
        reach = sorted(found[k], key=lambda r: (-r["slack_nm"], r["zone"], r["kind"]))
        best = reach[0]
        events.append(
            Event(
                kind=EventKind.AIS_GAP,
                mmsi=int(mmsi[before[k]]),
                start=to_datetime(t[before[k]]),
                end=to_datetime(t[after[k]]),
                zone=best["zone"],
                locode=best["locode"],
                country=KP,
                lat=float(lat1[k]),
                lon=float(lon1[k]),
                details={
                    "gap_h": round(float(gap_s[k]) / 3600.0, 2),
                    "budget_nm": round(float(budget_m[k]) / METRES_PER_NM, 1),
                    "speed_kn": params.gap_speed_kn,
                    "before": {"lat": round(float(lat1[k]), 5), "lon": round(float(lon1[k]), 5)},
                    "after": {"lat": round(float(lat2[k]), 5), "lon": round(float(lon2[k]), 5)},
                    "reachable": reach,
                    **reporting_details(count),
                },
            )
        )
    return events
