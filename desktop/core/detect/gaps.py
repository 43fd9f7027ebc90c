"""AIS gaps and suspected calls (DESIGN.md §3).

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
    evidence = _gap_evidence(mmsi, t, lon, lat, before[sorted(found)], after[sorted(found)])
    for k, ev in zip(sorted(found), evidence, strict=True):
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
                    **ev,
                },
            )
        )
    return events


# Gap evidence: how much this vessel was heard before, and who else was heard around it.
EVIDENCE_BEFORE_H = 12.0
EVIDENCE_RADIUS_M = 50_000.0


def _gap_evidence(mmsi: np.ndarray, t: np.ndarray, lon: np.ndarray, lat: np.ndarray,
                  before: np.ndarray, after: np.ndarray) -> list[dict[str, Any]]:
    """For each gap (fix indices ``before``/``after``): reporting rate and neighbours heard.

    A silence means little where nothing is heard. Global Fishing Watch separates likely
    intentional AIS disabling from poor reception by looking at the vessel's own transmissions
    before the gap and at the reception of other vessels in the area during it (Welch et al.
    2022, "Hot spots of unseen fishing vessels", Science Advances 8, eabq2109). We give the
    analyst those two pieces of evidence and leave the verdict alone:

    - ``reports_before_12h`` / ``reports_per_h_before``: the vessel's own fixes in the
      ``EVIDENCE_BEFORE_H`` hours up to and including the gap's first fix (a vessel that reported
      every few minutes and then stopped is not a vessel out of range of a sparse receiver);
    - ``others_heard_near_start`` / ``_end`` / ``others_heard_near``: how many *other* vessels
      (distinct MMSIs) had a fix within ``EVIDENCE_RADIUS_M`` (50 km) of the gap's first / last
      position strictly inside the silence, and of either.

    Fixes are sorted by (mmsi, time); only fixes in the gaps' neighbourhood boxes are sorted by
    time, so the cost follows the traffic near the gaps, not the whole table.
    """
    if len(before) == 0:
        return []
    out: list[dict[str, Any]] = []
    # Candidate neighbours: inside any gap end's box (0.5 deg of latitude is 55 km).
    pad_lat = 0.5
    ends_lon = np.concatenate([lon[before], lon[after]])
    ends_lat = np.concatenate([lat[before], lat[after]])
    pad_lon = pad_lat / np.maximum(np.cos(np.radians(np.abs(ends_lat) + pad_lat)), 0.01)
    box = np.zeros(len(t), dtype=bool)
    w, e = ends_lon - pad_lon, ends_lon + pad_lon
    s, n = ends_lat - pad_lat, ends_lat + pad_lat
    if len(ends_lon) <= 64:
        for i in range(len(ends_lon)):
            box |= (lat >= s[i]) & (lat <= n[i]) & (lon >= w[i]) & (lon <= e[i])
    else:  # one bounding box of all ends, then the exact test below
        box = (lat >= s.min()) & (lat <= n.max()) & (lon >= w.min()) & (lon <= e.max())
    near_idx = np.flatnonzero(box)
    order = near_idx[np.argsort(t[near_idx], kind="stable")]
    t_sorted = t[order]
    for b, a in zip(before, after, strict=True):
        v = mmsi[b]
        # The vessel's own fixes are contiguous (sorted by mmsi, time): search back from b.
        first = np.searchsorted(mmsi, v, side="left")
        lo = first + np.searchsorted(t[first:b + 1], t[b] - int(EVIDENCE_BEFORE_H * NS_PER_H),
                                     side="left")
        reports = int(b + 1 - lo)
        # Strictly inside the silence: after the gap's first fix, before its last.
        i0 = np.searchsorted(t_sorted, t[b], side="right")
        i1 = np.searchsorted(t_sorted, t[a], side="left")
        during = order[i0:i1]
        during = during[mmsi[during] != v]
        near_start = haversine_m(lon[b], lat[b], lon[during], lat[during]) <= EVIDENCE_RADIUS_M
        near_end = haversine_m(lon[a], lat[a], lon[during], lat[during]) <= EVIDENCE_RADIUS_M
        out.append({
            "reports_before_12h": reports,
            "reports_per_h_before": round(reports / EVIDENCE_BEFORE_H, 2),
            "others_heard_near_start": int(len(np.unique(mmsi[during[near_start]]))),
            "others_heard_near_end": int(len(np.unique(mmsi[during[near_end]]))),
            "others_heard_near": int(len(np.unique(mmsi[during[near_start | near_end]]))),
        })
    return out
