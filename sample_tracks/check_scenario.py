"""Sanity checks of the sample scenario (``python sample_tracks/generate.py --check``).

Not part of the app: a tool for whoever edits ``generate.py``. It reports
- sail legs that cross land in the bundled basemap (the approach legs inside harbours excepted
  when the crossing is under 1 km, the basemap's resolution near quays),
- AIS gaps of 12 h or more, by vessel (only the scripted ones should appear),
- stops of two vessels within 1 km of each other at the same time (only the scripted ones),
- the distance of every STS to the nearest known port or anchorage,
- which vessels have fixes inside a KP port or waters zone (only the scripted ones should).
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import generate as g  # noqa: E402


def _land():
    import shapely

    from desktop.core.basemap import load_land

    land = shapely.union_all(load_land((117, 24, 142, 46)))
    shapely.prepare(land)
    return land


def check_land(vessels: list[g.Vessel]) -> int:
    import shapely

    land = _land()
    seen: dict[tuple, float] = {}
    for v in vessels:
        for i, seg in enumerate(v.segs):
            if not isinstance(seg, g.Sail):
                continue
            a, b = g._ends(v, i)
            pts = [a, *seg.via, b]
            for p, q in zip(pts, pts[1:], strict=False):
                key = (round(p[0], 3), round(p[1], 3), round(q[0], 3), round(q[1], 3))
                if key in seen:
                    continue
                line = shapely.LineString([(p[1], p[0]), (q[1], q[0])])
                cut = shapely.intersection(line, land)
                seen[key] = cut.length * 111.0  # rough km
    bad = {k: km for k, km in seen.items() if km > 1.0}
    for k, km in sorted(bad.items(), key=lambda kv: -kv[1]):
        print(f"LAND  leg {k[:2]} -> {k[2:]} crosses {km:.1f} km of land")
    print(f"land: {len(seen)} distinct legs, {len(bad)} cross more than 1 km of land")
    return len(bad)


def check_gaps(vessels: list[g.Vessel], fixes: dict[str, list[g.Fix]]) -> None:
    for v in vessels:
        t = np.array([f.t for f in fixes[v.key]])
        gaps = np.flatnonzero(np.diff(t) >= 12 * 3600)
        for k in gaps:
            print(
                f"GAP   {v.key} {v.name}: {g.iso(g.datetime.fromtimestamp(t[k], tz=g.UTC))} "
                f"+{(t[k + 1] - t[k]) / 3600:.1f} h"
            )


def check_stops(vessels: list[g.Vessel]) -> None:
    stops = []
    for v in vessels:
        for seg in v.segs:
            if isinstance(seg, g.Stay):
                stops.append((v.key, seg.t0, seg.t1 or v.end, seg.berth))
            elif isinstance(seg, g.Drift):
                stops.append((v.key, seg.t0, seg.t1, seg.p0))
    stops.sort(key=lambda s: s[1])
    for i, (k1, a0, a1, p1) in enumerate(stops):
        for k2, b0, b1, p2 in stops[i + 1 :]:
            if b0 >= a1:
                break
            if (
                k1 != k2
                and g.distance_m(p1, p2) < 1000
                and min(a1, b1) - max(a0, b0) > timedelta(0)
            ):
                print(
                    f"NEAR  {k1} & {k2} {g.distance_m(p1, p2):.0f} m "
                    f"{g.iso(max(a0, b0))}..{g.iso(min(a1, b1))}"
                )


def check_sts_distance(vessels: list[g.Vessel]) -> None:
    from desktop.core.ports import known_port_points

    lon, lat = known_port_points()
    for v in vessels:
        for other, d in v.sts:
            if v.key > other:
                continue
            la, lo = np.radians(d.p0[0]), np.radians(d.p0[1])
            h = (
                np.sin((np.radians(lat) - la) / 2) ** 2
                + np.cos(la) * np.cos(np.radians(lat)) * np.sin((np.radians(lon) - lo) / 2) ** 2
            )
            km = 2 * 6371.0 * np.arcsin(np.sqrt(h)).min()
            print(
                f"STS   {v.key} & {other} at {d.p0[0]:.3f} {d.p0[1]:.3f}: nearest port {km:.1f} km"
            )


def check_zones(vessels: list[g.Vessel], fixes: dict[str, list[g.Fix]]) -> None:
    from desktop.core.zones import default_zones

    zones = default_zones()
    names = zones.frame["name"].to_numpy()
    kinds = zones.frame["kind"].to_numpy()
    for v in vessels:
        lat = np.array([f.lat_i / 600000 for f in fixes[v.key]])
        lon = np.array([f.lon_i / 600000 for f in fixes[v.key]])
        idx = zones.locate(lon, lat, ("port", "anchorage", "waters"))
        hit = idx >= 0
        if hit.any():
            where = sorted({f"{kinds[i]}:{names[i]}" for i in idx[hit]})
            print(f"ZONE  {v.key} {v.name}: {hit.sum()} fixes in {', '.join(where)}")
        # the last fix inside each KP port visit, to compare with the call ends in README
        port_idx = zones.locate(lon, lat, ("port", "anchorage"))
        t = [f.t for f in fixes[v.key]]
        for k in np.flatnonzero((port_idx >= 0) & (np.r_[port_idx[1:], -1] != port_idx)):
            print(
                f"      {v.key} leaves {names[port_idx[k]]} at "
                f"{g.iso(g.datetime.fromtimestamp(t[k], tz=g.UTC))}"
            )


def run_checks(vessels: list[g.Vessel], fixes: dict[str, list[g.Fix]]) -> int:
    check_gaps(vessels, fixes)
    check_stops(vessels)
    for name, fn in (
        ("sts", lambda: check_sts_distance(vessels)),
        ("zones", lambda: check_zones(vessels, fixes)),
    ):
        try:
            fn()
        except Exception as exc:  # resources may not have landed yet
            print(f"skip {name}: {exc!r}")
    return 1 if check_land(vessels) else 0


if __name__ == "__main__":
    sys.exit(run_checks(*g.build()))
