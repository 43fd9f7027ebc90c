"""``geo.locate_points`` agrees with ``ZoneSet.locate`` (the raster is only a shortcut)."""

from __future__ import annotations

import numpy as np
import shapely
from screening_kit import kp_zones, zone_set

from desktop.core.detect.geo import locate_points


def reference(zones, kinds, lon, lat):  # noqa: ANN001, ANN201
    zone = zones.locate(lon, lat, kinds)
    rows = np.flatnonzero(zone >= 0)
    return rows, zone[rows]


def test_locate_points_matches_zoneset_locate_on_random_points() -> None:
    zones = zone_set(
        [
            # a ring-shaped zone, a zone overlapping it, one inside its hole, a thin sliver
            {"name": "ring", "kind": "waters", "country": "KP", "locode": None,
             "geometry": shapely.box(124.0, 38.0, 125.0, 39.0).difference(
                 shapely.box(124.3, 38.3, 124.7, 38.7))},
            {"name": "overlap", "kind": "waters", "country": "KP", "locode": None,
             "geometry": shapely.box(124.9, 38.9, 125.3, 39.3)},
            {"name": "hole", "kind": "port", "country": "KP", "locode": "KPXXX",
             "geometry": shapely.box(124.4, 38.4, 124.6, 38.6)},
            {"name": "sliver", "kind": "port", "country": "KP", "locode": "KPYYY",
             "geometry": shapely.box(125.5, 38.0, 125.5003, 39.0)},
        ]
    )
    rng = np.random.default_rng(3)
    lon = 123.8 + rng.random(200_000) * 1.9
    lat = 37.8 + rng.random(200_000) * 1.7
    lon[:4] = [124.0, 124.3, 125.5, 125.5003]  # exactly on edges
    lat[:4] = [38.5, 38.5, 38.5, 38.5]
    for kinds in (("waters",), ("port", "anchorage"), ("port", "anchorage", "waters")):
        rows, zone = locate_points(zones, kinds, lon, lat)
        ref_rows, ref_zone = reference(zones, kinds, lon, lat)
        assert np.array_equal(rows, ref_rows)
        assert np.array_equal(zone, ref_zone)
        assert len(rows) > 1000


def test_locate_points_on_bundled_like_zones_and_nan_positions() -> None:
    zones = kp_zones()
    lon = np.array([125.38, np.nan, 121.65, 125.0, 0.0])
    lat = np.array([38.72, 38.72, 38.93, 38.5, 0.0])
    rows, zone = locate_points(zones, ("port", "anchorage"), lon, lat)
    assert rows.tolist() == [0, 2] and zone.tolist() == [0, 1]
