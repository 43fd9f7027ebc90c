"""Synthetic AIS traffic for the detection benchmarks: seeded, vectorised, any size.

Vessels sail the Yellow Sea / Korea Bay / East China Sea box (lon 119-131 E, lat 30-41 N) in
phases of ``PHASE_FIXES`` fixes: sailing (8-14 kn, one heading per phase, a fix every 1-6 min),
stopped at sea (0-0.8 kn, 10 m jitter, a fix every 3-20 min), or stopped in a port (a box
around one of ``N_PORTS`` real ports from ``resources/ports``, 3 % of port stops in a bundled
KP port zone). 1 % of phases start with a 12-48 h AIS gap. One vessel in twenty has a twin
that shares its clock and, during one stopped phase, lies 300 m from it (an STS encounter).
Tracks teleport between phases (jumps do not matter to the detectors, which never see ingest).

``synth_fixes(n_fixes, seed)`` returns the fixes table (the schema of ``desktop.core.fixes``)
and the zones (the bundled KP zones plus the port boxes), ready for ``screen``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import shapely

from desktop.core.ports import port_table
from desktop.core.zones import ZoneSet, default_zones

PHASE_FIXES = 200
FIXES_PER_VESSEL = 2000
N_PORTS = 60
START_NS = pd.Timestamp("2026-03-01", tz="UTC").value
SPAN_DAYS = 240
M_PER_DEG = 111_195.0


def port_boxes(n_ports: int = N_PORTS) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(lon, lat, name) of real non-KP ports inside the box, the first ``n_ports`` by name."""
    table = port_table()
    inside = (
        (table["lon"] > 119) & (table["lon"] < 131) & (table["lat"] > 30) & (table["lat"] < 41)
        & (table["country"] != "KP")
    )
    order = np.argsort(table["name"][inside].astype(str), kind="stable")[:n_ports]
    lon, lat, names = table["lon"][inside], table["lat"][inside], table["name"][inside]
    return lon[order], lat[order], list(names[order])


def synth_zones() -> ZoneSet:
    lon, lat, names = port_boxes()
    half = 1500.0 / M_PER_DEG
    geoms = [
        shapely.box(x - w, y - half, x + w, y + half)
        for x, y in zip(lon, lat, strict=True)
        for w in [half / math.cos(math.radians(y))]
    ]
    features = [
        {
            "type": "Feature",
            "properties": {"name": name, "kind": "port", "country": "CN", "locode": None},
            # through JSON: the zone loader takes GeoJSON lists, and mapping() gives tuples
            "geometry": json.loads(json.dumps(shapely.geometry.mapping(geom))),
        }
        for name, geom in zip(names, geoms, strict=True)
    ]
    extra = ZoneSet.from_geojson({"type": "FeatureCollection", "features": features}, "synthetic")
    return ZoneSet.concat([default_zones(), extra])


def synth_fixes(n_fixes: int, seed: int = 0) -> tuple[pd.DataFrame, ZoneSet]:
    rng = np.random.default_rng(seed)
    zones = synth_zones()
    n_vessels = max(n_fixes // FIXES_PER_VESSEL, 2)
    per = n_fixes // n_vessels
    n_phases = -(-per // PHASE_FIXES)
    per = n_phases * PHASE_FIXES
    total = n_vessels * per
    n_ph = n_vessels * n_phases

    # phase kinds: 0 sailing, 1 stopped at sea, 2 stopped in port
    kind = rng.choice(3, size=n_ph, p=[0.6, 0.15, 0.25])
    heading = rng.random(n_ph) * 2 * np.pi
    ph = np.repeat(np.arange(n_ph), PHASE_FIXES)
    k_fix = kind[ph]
    dt_s = np.where(k_fix == 0, rng.uniform(60, 360, total), rng.uniform(180, 1200, total))
    gap_phase = rng.random(n_ph) < 0.01
    first_of_phase = np.arange(total) % PHASE_FIXES == 0
    dt_s[first_of_phase & gap_phase[ph]] = rng.uniform(12 * 3600, 48 * 3600, int(gap_phase.sum()))
    vessel = np.arange(total) // per
    dt_s[np.arange(total) % per == 0] = 0.0
    offset_s = rng.uniform(0, SPAN_DAYS * 86400 * 0.5, n_vessels)

    # twins: vessel 2k+1 of every 20th pair copies vessel 2k's clock
    twin = np.zeros(n_vessels, dtype=bool)
    twin[1::40] = True
    twin_rows = np.flatnonzero(twin[vessel])
    dt_s[twin_rows] = dt_s[twin_rows - per]
    offset_s[twin] = offset_s[np.flatnonzero(twin) - 1]
    t_s = np.cumsum(dt_s)
    t_s -= np.repeat(t_s[np.arange(n_vessels) * per], per)
    time_ns = START_NS + ((t_s + offset_s[vessel]) * 1e9).astype("int64")

    sog = np.where(k_fix == 0, rng.uniform(8, 14, total), rng.uniform(0, 0.8, total))
    step_m = sog * 0.514444 * dt_s * (k_fix == 0)
    lat0 = rng.uniform(31, 40, n_vessels)
    lon0 = rng.uniform(120, 130, n_vessels)
    north = np.cumsum(step_m * np.cos(heading[ph]))
    east = np.cumsum(step_m * np.sin(heading[ph]))
    north -= np.repeat(north[np.arange(n_vessels) * per], per)
    east -= np.repeat(east[np.arange(n_vessels) * per], per)
    lat = np.clip(lat0[vessel] + north / M_PER_DEG, 30.0, 41.0)
    lon = np.clip(lon0[vessel] + east / (M_PER_DEG * np.cos(np.radians(lat))), 119.0, 131.0)

    # port stops: jump to a port (3 % KP), jitter of 10 m
    port_lon, port_lat, _ = port_boxes()
    kp = default_zones().frame
    kp_pts = shapely.get_coordinates(kp[kp["kind"] == "port"].geometry.representative_point())
    in_port = np.flatnonzero(kind == 2)
    to_kp = rng.random(len(in_port)) < 0.03
    where_lon = np.where(to_kp, 0.0, port_lon[rng.integers(0, len(port_lon), len(in_port))])
    where_lat = np.where(to_kp, 0.0, port_lat[rng.integers(0, len(port_lat), len(in_port))])
    pick = rng.integers(0, len(kp_pts), len(in_port))
    where_lon[to_kp] = kp_pts[pick[to_kp], 0]
    where_lat[to_kp] = kp_pts[pick[to_kp], 1]
    stop_lon = np.full(n_ph, np.nan)
    stop_lat = np.full(n_ph, np.nan)
    stop_lon[in_port], stop_lat[in_port] = where_lon, where_lat
    sea = np.flatnonzero(kind == 1)
    stop_lon[sea] = lon[sea * PHASE_FIXES]
    stop_lat[sea] = lat[sea * PHASE_FIXES]
    stopped = np.flatnonzero(kind[ph] != 0)
    jitter = 10.0 / M_PER_DEG
    lon[stopped] = stop_lon[ph[stopped]] + rng.normal(0, jitter, len(stopped))
    lat[stopped] = stop_lat[ph[stopped]] + rng.normal(0, jitter, len(stopped))

    # STS: each twin, in its partner's first stopped-at-sea phase, lies 300 m east of it
    for v in np.flatnonzero(twin):
        phases = np.arange((v - 1) * n_phases, v * n_phases)
        at_sea = phases[kind[phases] == 1]
        if len(at_sea) == 0:
            continue
        rows = np.arange(at_sea[0] * PHASE_FIXES, (at_sea[0] + 1) * PHASE_FIXES)
        lat[rows + per] = lat[rows]
        lon[rows + per] = lon[rows] + 300.0 / (M_PER_DEG * math.cos(math.radians(lat[rows[0]])))
        sog[rows + per] = sog[rows]

    mmsi = (rng.choice(np.array([412, 413, 440, 441, 351, 352, 636, 538]), n_vessels) * 1_000_000
            + np.arange(n_vessels)).astype("uint32")
    every = max(n_vessels // 50, 1)  # 50 KP-flagged vessels (MID 445)
    mmsi[::every] = 445_000_000 + np.arange(len(mmsi[::every]))
    frame = pd.DataFrame(
        {
            "mmsi": mmsi[vessel],
            "time": pd.to_datetime(time_ns, unit="ns", utc=True).as_unit("ns"),
            "lat": lat,
            "lon": lon,
            "sog_kn": sog.astype("float32"),
            "cog_deg": np.full(total, np.nan, dtype="float32"),
            "heading_deg": pd.array(np.full(total, None), dtype="UInt16"),
            "nav_status": pd.array(np.full(total, None), dtype="UInt8"),
            "source": pd.Categorical(np.full(total, "synthetic")),
        }
    )
    frame = frame.sort_values(["mmsi", "time"], kind="stable", ignore_index=True)
    return frame, zones
