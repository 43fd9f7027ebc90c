"""World port and anchorage references for the STS rule's "10 km from every known port"."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from desktop.core import ports, zones

EARTH_RADIUS_M = 6_371_008.8
MIDWAY = (-177.366667, 28.183333)  # WPI MIDWAY ISLAND: no other known port within 1,000 km


def _north_of(lon: float, lat: float, distance_m: float) -> tuple[float, float]:
    # Along a meridian the great-circle distance is exactly the latitude difference.
    return lon, lat + np.degrees(distance_m / EARTH_RADIUS_M)


def _brute_force_m(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    plon, plat = ports.known_port_points()
    out = np.empty(len(lon))
    for i, (x, y) in enumerate(zip(lon, lat, strict=True)):
        p1, p2 = np.radians(y), np.radians(plat)
        a = (np.sin((p2 - p1) / 2) ** 2
             + np.cos(p1) * np.cos(p2) * np.sin(np.radians(plon - x) / 2) ** 2)
        out[i] = (2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))).min()
    return out


def test_ports_file_holds_every_wpi_port_and_every_searoute_port() -> None:
    table = ports.port_table()
    assert len(table["name"]) == 3669 + 3962
    assert (table["source"] == "wpi").sum() == 3669
    assert (table["source"] == "searoute").sum() == 3962


def test_known_points_are_ports_plus_all_gfw_anchorage_cells() -> None:
    lon, lat = ports.known_port_points()
    # 60,410 cells upstream, less one with longitude 1001 (POINTE NOIRE, s2id 8efe7543).
    assert len(lon) == len(lat) == 3669 + 3962 + 60409
    assert np.all(np.abs(lon) <= 180) and np.all(np.abs(lat) <= 90)


def test_wpi_north_korean_ports_are_the_ten_of_the_reference_file(reference: Path) -> None:
    with open(reference / "gfw_anchorages" / "WPI_ports.csv", newline="") as fh:
        upstream = sorted(r["label"] for r in csv.DictReader(fh) if r["iso3"] == "PRK")
    table = ports.port_table()
    bundled = sorted(table["name"][(table["source"] == "wpi") & (table["country"] == "KP")])
    assert bundled == upstream
    assert len(bundled) == 10


def test_wpi_port_takes_the_locode_of_the_searoute_port_beside_it() -> None:
    table = ports.port_table()
    by_name = {(n, s): c for n, s, c in zip(table["name"], table["source"], table["locode"],
                                            strict=True)}
    assert by_name[("ROTTERDAM", "wpi")] == "NLRTM"
    assert by_name[("NAMPO", "wpi")] == "KPNAM"
    assert by_name[("CH'AHO", "wpi")] is None


def test_distance_matches_brute_force_haversine_over_all_points() -> None:
    rng = np.random.default_rng(7)
    lon = np.concatenate([rng.uniform(120, 132, 150), rng.uniform(-180, 180, 50)])
    lat = np.concatenate([rng.uniform(33, 43, 150), rng.uniform(-70, 70, 50)])
    got = ports.distance_to_nearest_port_m(lon, lat, search_radius_m=50_000)
    want = _brute_force_m(lon, lat)
    within = want <= 50_000
    assert within.sum() > 20  # the test reaches real neighbours, not only inf
    np.testing.assert_allclose(got[within], want[within], rtol=1e-9, atol=1e-6)
    assert np.all(np.isinf(got[~within]))


def test_point_on_a_known_port_is_at_distance_zero() -> None:
    assert ports.distance_to_nearest_port_m([MIDWAY[0]], [MIDWAY[1]])[0] == 0.0


def test_open_ocean_is_beyond_the_search_radius() -> None:
    assert np.isinf(ports.distance_to_nearest_port_m([-140.0], [0.0])[0])


def test_ten_km_boundary_9_9_km_is_near_10_1_km_is_not() -> None:
    inside = _north_of(*MIDWAY, 9_900.0)
    outside = _north_of(*MIDWAY, 10_100.0)
    d = ports.distance_to_nearest_port_m([inside[0], outside[0]], [inside[1], outside[1]])
    np.testing.assert_allclose(d, [9_900.0, 10_100.0], rtol=1e-9)
    near = ports.near_known_port([inside[0], outside[0]], [inside[1], outside[1]], 10_000.0)
    assert near.tolist() == [True, False]


def test_port_zone_polygons_count_as_known_ports() -> None:
    # A user anchorage zone 0.1 x 0.1 degrees on the equator in the open Pacific.
    obj = {"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {"name": "Test anchorage", "kind": "anchorage", "country": "KI"},
        "geometry": {"type": "Polygon", "coordinates": [
            [[-140.0, 0.0], [-139.9, 0.0], [-139.9, 0.1], [-140.0, 0.1], [-140.0, 0.0]]]}}]}
    zs = zones.ZoneSet.from_geojson(obj, "test")
    # 9 km and 11 km east of the zone's east edge (1 degree of longitude ~ 111.2 km here).
    lon = np.array([-139.9 + 9_000 / 111_195.0, -139.9 + 11_000 / 111_195.0, -139.95])
    lat = np.array([0.05, 0.05, 0.05])
    assert ports.near_known_port(lon, lat, 10_000.0).tolist() == [False, False, False]
    assert ports.near_known_port(lon, lat, 10_000.0, zones=zs).tolist() == [True, False, True]


def test_waters_zones_do_not_count_as_ports() -> None:
    zs = zones.default_zones()
    # 20 nm off Wonsan, inside no port but the KP waters would contain points nearer the coast;
    # a point in the waters and 15 km from the nearest port polygon is not near a port.
    assert ports.near_known_port([127.80], [39.32], 10_000.0, zones=zs).tolist() == [False]


@pytest.mark.parametrize("shape", [(0,), (3,), (2, 2)])
def test_shapes_are_kept(shape: tuple[int, ...]) -> None:
    lon = np.full(shape, 125.40)
    lat = np.full(shape, 38.7167)
    assert ports.near_known_port(lon, lat).shape == shape
    assert ports.distance_to_nearest_port_m(lon, lat).shape == (int(np.prod(shape)),)


def test_neighbour_across_the_antimeridian_is_found() -> None:
    # The easternmost known point is at 179.42 E (Chukotka); a point at 179.9 W is ~34 km away.
    lon, lat = np.array([-179.9]), np.array([63.072824])
    want = _brute_force_m(lon, lat)
    assert 30_000 < want[0] < 40_000
    got = ports.distance_to_nearest_port_m(lon, lat, search_radius_m=50_000)
    np.testing.assert_allclose(got, want, rtol=1e-9)
