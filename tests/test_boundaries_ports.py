""""Near a known port" has one definition, ``ports.is_near_port``, and exactly 10 km is far.

DESIGN.md §3: an STS transfer lies "at least 10 km from every known port or anchorage", so an
encounter exactly 10 km away is a transfer, and ``near_known_port`` must say "not near" there
too (issue 15: it said near while the STS detector said far).
"""

from __future__ import annotations

import math

import numpy as np
from screening_kit import Track, east_of, fixes_of

from desktop.core import ports, zones
from desktop.core.detect.sts import detect_encounters
from desktop.core.model import EventKind
from desktop.core.screening import empty_zones

EARTH_RADIUS_M = 6_371_008.8
MIDWAY = (-177.366667, 28.183333)  # WPI MIDWAY ISLAND: no other known port within 1,000 km


def _north_of(lon: float, lat: float, distance_m: float) -> tuple[float, float]:
    # Along a meridian the great-circle distance is exactly the latitude difference.
    return lon, lat + math.degrees(distance_m / EARTH_RADIUS_M)


def test_is_near_port_exactly_10_km_is_far() -> None:
    below = float(np.nextafter(10_000.0, 0.0))
    assert ports.is_near_port([10_000.0, below, 0.0, np.inf], 10_000.0).tolist() == [
        False, True, True, False]


def test_near_known_port_at_exactly_the_distance_is_not_near() -> None:
    lon, lat = _north_of(*MIDWAY, 10_000.0)
    [d] = ports.distance_to_nearest_port_m([lon], [lat])
    assert abs(d - 10_000.0) < 1e-6
    # the limit set to the very distance measured: far; one float step beyond it: near
    assert ports.near_known_port([lon], [lat], d).tolist() == [False]
    assert ports.near_known_port([lon], [lat], float(np.nextafter(d, np.inf))).tolist() == [True]


def test_near_known_port_10_km_plus_1_m_is_not_near_and_less_1_m_is_near() -> None:
    far = _north_of(*MIDWAY, 10_001.0)
    near = _north_of(*MIDWAY, 9_999.0)
    got = ports.near_known_port([far[0], near[0]], [far[1], near[1]])
    assert got.tolist() == [False, True]


def test_port_zone_edge_exactly_at_the_distance_is_not_near() -> None:
    # A zone whose east edge is on the equator's meridian -139.9; a point east of it at the
    # distance the zone test measures, then one float step closer.
    obj = {"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {"name": "Test anchorage", "kind": "anchorage", "country": "KI"},
        "geometry": {"type": "Polygon", "coordinates": [
            [[-140.0, -0.1], [-139.9, -0.1], [-139.9, 0.1], [-140.0, 0.1], [-140.0, -0.1]]]}}]}
    zs = zones.ZoneSet.from_geojson(obj, "test")
    lon = np.array([-139.9 + 10_001 / 111_195.0, -139.9 + 9_999 / 111_195.0])
    lat = np.zeros(2)
    assert ports.near_known_port(lon, lat, 10_000.0, zones=zs).tolist() == [False, True]


def _encounter_at(lon: float, lat: float) -> list[EventKind]:
    a = Track(413000001).every("2026-09-10 10:00", "2026-09-10 13:00", 10, lon, lat, sog=0.3)
    b = Track(636000002).every("2026-09-10 10:00", "2026-09-10 13:00", 10,
                               *east_of(lon, lat, 200), sog=0.3)
    events = detect_encounters(fixes_of(a, b), empty_zones(),
                               known_ports=ports.known_port_points())
    return [e.kind for e in events]


def test_sts_detector_and_near_known_port_agree_on_either_side_of_10_km() -> None:
    # The pair's mean position is 100 m east of the first vessel: place it 10 km +- 1 m north
    # of Midway, measured from that mean position.
    for metres, near, kind in ((10_001.0, False, EventKind.STS_TRANSFER),
                               (9_999.0, True, EventKind.ENCOUNTER_IN_PORT)):
        mean = _north_of(*MIDWAY, metres)
        first = east_of(*mean, -100)
        assert ports.near_known_port([mean[0]], [mean[1]]).tolist() == [near]
        assert _encounter_at(*first) == [kind, kind]
