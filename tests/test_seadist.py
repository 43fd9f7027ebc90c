"""Reachability by sea (DESIGN.md §3, AIS gap): the bundled sea-distance rasters and their use.

The paths are traced again here on the build's ~1 km sea grid with scikit-image's MCP traceback
(the same least-cost search ``resources/build_seadist.py`` runs), then sampled against the
basemap land: the rasters the app reads must be the lengths of paths that stay at sea.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from screening_kit import Track, fixes_of, utc

from desktop.core import seadist
from desktop.core.basemap import is_land
from desktop.core.detect.gaps import detect_gaps
from desktop.core.geodesy import METRES_PER_NM, haversine_m
from desktop.core.model import Verdict
from desktop.core.screening import screen_fixes
from desktop.core.zones import default_zones

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
sys.path.insert(0, str(RESOURCES))
import build_seadist  # noqa: E402

# Port positions (WPI / UN/LOCODE, rounded): where a voyage starts.
INCHEON = (126.60, 37.45)
BUSAN = (129.05, 35.08)
DALIAN = (121.65, 38.93)
VLADIVOSTOK = (131.88, 43.10)
EAST_COAST = {"Wonsan", "Hungnam", "Chaho", "Sinpo", "Riwon", "Tanchon", "Kimchaek (Songjin)",
              "Odaejin", "Chongjin", "Rajin (Najin)", "Sonbong"}


@pytest.fixture(scope="module")
def grid() -> dict:
    """The build's sea grid: land mask, cell centres, costs and the zones' seed cells."""
    import json  # noqa: PLC0415

    import shapely  # noqa: PLC0415
    from scipy import ndimage  # noqa: PLC0415
    from skimage import measure  # noqa: PLC0415

    land = build_seadist.land_mask(RESOURCES / "basemap" / "land.parquet")
    lons, lats = build_seadist.cell_centres()
    features = json.loads((RESOURCES / "zones" / "kp_ports.geojson").read_text())["features"]
    seeds = {}
    for f in features:
        seeds[f["properties"]["name"]] = build_seadist.zone_cells(
            shapely.geometry.shape(f["geometry"]), lons, lats)
    labels = measure.label(~land, connectivity=2)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    sea = labels == int(np.argmax(sizes))
    _, (snap_r, snap_c) = ndimage.distance_transform_edt(~sea, return_indices=True)
    for name, (rr, cc) in seeds.items():
        keep = sea[rr, cc]
        seeds[name] = (rr[keep], cc[keep]) if keep.any() else (snap_r[rr, cc], snap_c[rr, cc])
    cell_m = np.radians(build_seadist.CELL_DEG) * build_seadist.EARTH_RADIUS_M * np.cos(
        np.radians(lats))
    costs = np.where(sea, cell_m[:, None], np.inf)
    return {"sea": sea, "lons": lons, "lats": lats, "costs": costs, "seeds": seeds}


def trace(grid: dict, start: tuple[float, float], zone: str) -> np.ndarray:
    """(lon, lat) of the cell centres of the least-cost sea path from ``start`` to ``zone``."""
    from scipy import ndimage  # noqa: PLC0415
    from skimage import graph  # noqa: PLC0415

    r, c = build_seadist._to_grid(np.array([start[0]]), np.array([start[1]]))
    r0, c0 = int(r[0]), int(c[0])
    sea = grid["sea"]
    # Snap the port to the nearest sea cell, as the build does for land and harbours.
    window = sea[r0 - 40:r0 + 41, c0 - 40:c0 + 41]
    _, (ir, ic) = ndimage.distance_transform_edt(~window, return_indices=True)
    r0, c0 = r0 - 40 + int(ir[40, 40]), c0 - 40 + int(ic[40, 40])
    mcp = graph.MCP_Geometric(grid["costs"], fully_connected=True)
    rr, cc = grid["seeds"][zone]
    mcp.find_costs(list(zip(rr.tolist(), cc.tolist(), strict=True)), [(r0, c0)])
    path = np.array(mcp.traceback((r0, c0)))
    return np.column_stack([grid["lons"][path[:, 1]], grid["lats"][path[:, 0]]])


def path_nm(path: np.ndarray) -> float:
    return float(haversine_m(path[:-1, 0], path[:-1, 1], path[1:, 0], path[1:, 1]).sum()
                 / METRES_PER_NM)


def raster_nm(zone: str, point: tuple[float, float]) -> float:
    """The stored raster value at ``point`` (before the lower-bound correction)."""
    index, fields, _, (lon0, y_top, dlon, dy, unit_nm) = seadist._table()
    y = np.log(np.tan(np.pi / 4 + np.radians(point[1]) / 2))
    return float(fields[index[zone]][int((y_top - y) // dy), int((point[0] - lon0) // dlon)]
                 * unit_nm)


@pytest.mark.parametrize(("start", "zone"), [
    (INCHEON, "Wonsan"), (BUSAN, "Nampo"), (DALIAN, "Nampo"), (VLADIVOSTOK, "Rajin (Najin)"),
])
def test_sea_path_never_crosses_land_and_is_what_the_raster_stores(
    grid: dict, start: tuple[float, float], zone: str
) -> None:
    path = trace(grid, start, zone)
    # Every step sampled at 10 points, diagonals included (a diagonal may cut a corner).
    f = np.linspace(0.0, 1.0, 10)[None, :]
    lon = path[:-1, 0:1] + (path[1:, 0:1] - path[:-1, 0:1]) * f
    lat = path[:-1, 1:2] + (path[1:, 1:2] - path[:-1, 1:2]) * f
    on_land = is_land(lon.ravel(), lat.ravel())
    assert not on_land.any(), list(zip(lon.ravel()[on_land], lat.ravel()[on_land],
                                       strict=True))[:5]
    # The raster is stored every 4 cells: its value at the port is that of a cell ~4 km across.
    assert abs(path_nm(path) - raster_nm(zone, start)) <= 3.0


# Port-to-port distances by a public sea-route network: searoute 1.6.0 (PyPI ``searoute``, the
# Eurostat SeaRoute / ORNL maritime network it ships), ``searoute(port, zone_port,
# units="naut", append_orig_dest=True)`` from the port positions above to Wonsan (127.45 E,
# 39.17 N), Nampo (125.40 E, 38.72 N) and Rajin (130.30 E, 42.24 N), run on 30 Nov 2026. Its
# network is a set of shipping lanes, not the shortest path: a sailable route, so an upper bound
# of the least-cost sea path. Where its lane follows the shortest route (round the peninsula's
# south-west tip and up the east coast; across the north Yellow Sea into the Taedong) ours must be
# within 10 % of it. Busan to Nampo it keeps west of the south-west islands, out to 123.39 E
# 37.23 N (592.7 nm), and Vladivostok to Rajin it leaves by the Eastern Bosphorus to a lane node
# at 132.0 E 42.3 N (126.8 nm): there ours, threading the islands and leaving by Amur Bay, is
# more than 10 % shorter, and is only held between the great circle and the lane.
SEAROUTE_NM = {
    (INCHEON, "Wonsan"): 748.8,
    (BUSAN, "Nampo"): 592.7,
    (DALIAN, "Nampo"): 183.0,
    (VLADIVOSTOK, "Rajin (Najin)"): 126.8,
}
# Lower bounds round the peninsula by great circle, from the port to the zone (issue 11).
LOWER_BOUND_NM = {
    (INCHEON, "Wonsan"): 643.0,
    (BUSAN, "Nampo"): 462.0,
    (DALIAN, "Nampo"): 162.0,
    (VLADIVOSTOK, "Rajin (Najin)"): 94.0,
}


@pytest.mark.parametrize(("start", "zone"), list(SEAROUTE_NM))
def test_sea_distance_lies_between_the_lower_bound_and_the_shipping_lane(
    start: tuple[float, float], zone: str
) -> None:
    ours = raster_nm(zone, start)
    assert LOWER_BOUND_NM[(start, zone)] <= ours <= SEAROUTE_NM[(start, zone)]
    bound = seadist.sea_distance_m(zone, np.array([start[0]]), np.array([start[1]]),
                                   np.array([0.0]))[0] / METRES_PER_NM
    # what the gap detector uses: the raster made a lower bound (octile excess, half a cell)
    assert bound <= ours


@pytest.mark.parametrize(("start", "zone"), [(INCHEON, "Wonsan"), (DALIAN, "Nampo")])
def test_sea_distance_within_10_percent_of_the_shipping_lane_where_it_takes_the_short_way(
    start: tuple[float, float], zone: str
) -> None:
    assert raster_nm(zone, start) == pytest.approx(SEAROUTE_NM[(start, zone)], rel=0.10)


def test_incheon_to_wonsan_goes_round_the_peninsula_through_the_korea_strait(grid: dict) -> None:
    path = trace(grid, INCHEON, "Wonsan")
    assert path[:, 1].min() < 35.2  # south of the peninsula's tip, ~34.3 N
    great_circle_nm = float(haversine_m(INCHEON[0], INCHEON[1], 127.465, 39.177)) / 1852
    assert path_nm(path) > 3 * great_circle_nm


def test_nampo_is_reached_up_the_taedong_estuary(grid: dict) -> None:
    path = trace(grid, DALIAN, "Nampo")
    assert path[-1].tolist() == pytest.approx(list(DALIAN), abs=0.05)  # traced back to Dalian
    assert path[0, 0] > 125.05  # the Taedong estuary at Nampo, not the open sea off it


def yellow_sea_gap(gap_h: float) -> Track:
    t = Track(352000011)
    t.at("2026-10-01 00:00", 124.0, 35.9, sog=12.0)
    t.at("2026-10-01 01:00", 124.0, 36.0, sog=12.0)
    t.at(utc("2026-10-01 01:00") + timedelta(hours=gap_h), 124.5, 36.5, sog=12.0)
    return t


def test_yellow_sea_gap_that_straight_lines_reach_to_wonsan_lists_no_east_coast_port() -> None:
    # 40 h: budget 15 kn * 39 h = 585 nm. Straight lines to Wonsan and back: ~490 nm.
    zones = default_zones()
    [event] = detect_gaps(fixes_of(yellow_sea_gap(40.0)), zones)
    assert event.details["budget_nm"] == 585.0
    reach = {r["zone"]: r for r in event.details["reachable"]}
    assert not set(reach) & EAST_COAST
    assert {"Nampo", "Haeju", "Samcha-do"} <= set(reach)
    assert all(r["distance_basis"] == "sea" for r in reach.values())
    assert all(r["sea_distance_nm"] >= r["great_circle_nm"] for r in reach.values())
    line = haversine_m(124.0, 36.0, 127.465, 39.177) + haversine_m(124.5, 36.5, 127.465, 39.177)
    assert line / METRES_PER_NM < 585.0  # great circle alone would have listed Wonsan


def test_same_gap_lengthened_for_the_voyage_round_the_peninsula_lists_wonsan_by_sea() -> None:
    # 90 h: budget 15 kn * 89 h = 1,335 nm, enough to go round by the Korea Strait and back.
    fixes = fixes_of(yellow_sea_gap(90.0))
    [event] = detect_gaps(fixes, default_zones())
    reach = {r["zone"]: r for r in event.details["reachable"]}
    assert "Wonsan" in reach
    assert reach["Wonsan"]["sea_distance_nm"] > 2 * reach["Wonsan"]["great_circle_nm"]
    assert reach["Wonsan"]["sea_distance_nm"] > 1000.0
    result = screen_fixes(fixes, default_zones(), as_of=utc("2026-11-28 00:00"))
    v = result.verdict_of(352000011)
    assert v.verdict == Verdict.REVIEW
    text = v.reasons[0].explanation
    assert "Wonsan (" in text and "by sea" in text


def test_user_zone_with_a_bundled_name_but_another_shape_is_measured_by_great_circle() -> None:
    assert seadist.has_zone("Wonsan", (127.415, 39.15, 127.512, 39.206))
    assert not seadist.has_zone("Wonsan", (127.0, 39.0, 127.1, 39.1))
    assert not seadist.has_zone("Somewhere", (127.415, 39.15, 127.512, 39.206))


def test_point_on_land_snaps_to_the_sea_and_point_off_the_grid_adds_the_leg_to_it() -> None:
    inland = seadist.sea_distance_m("Nampo", np.array([126.98]), np.array([37.57]),
                                    np.array([0.0]))  # Seoul, 30 km inland
    coast = seadist.sea_distance_m("Nampo", np.array([126.60]), np.array([37.45]),
                                   np.array([0.0]))  # Incheon
    assert np.isfinite(inland).all() and abs(inland[0] - coast[0]) < 60_000
    edge = seadist.sea_distance_m("Rajin (Najin)", np.array([141.9]), np.array([40.0]),
                                  np.array([0.0]))
    beyond = seadist.sea_distance_m("Rajin (Najin)", np.array([145.0]), np.array([40.0]),
                                    np.array([0.0]))
    leg = haversine_m(145.0, 40.0, 141.975, 40.0)
    assert beyond[0] == pytest.approx(edge[0] + leg, abs=6000.0)
