"""The offline basemap: detailed land around Korea, coarse land elsewhere, read fast."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from desktop.core import basemap
from desktop.core.resources import resource_path

LAND_POINTS = {
    "Pyongyang": (125.75, 39.03), "Seoul": (126.98, 37.57), "Tokyo": (139.69, 35.69),
    "London (Natural Earth)": (-0.13, 51.50), "Sydney (Natural Earth)": (151.20, -33.87),
    # Small islands only a detailed coast has: Yeonpyeong-do is 7 km², Baengnyeong-do 51 km².
    "Yeonpyeong-do": (125.695, 37.665), "Baengnyeong-do": (124.67, 37.96),
}
SEA_POINTS = {
    "Sea of Japan": (134.0, 40.0), "Yellow Sea": (123.0, 36.0), "mid-Atlantic": (-40.0, 30.0),
    # The Taedong estuary at Nampo, a few hundred metres wide between its banks.
    "Taedong at Nampo": (125.33, 38.70), "Nampo harbour": (125.45, 38.745),
    # NOAA MarineCadastre 2022-01-03 (../shared/corpus/noaa_marinecadastre), MMSI 366982170
    # C-TRACTOR 7 at 00:00:18: a tug in San Diego Bay, on land in Natural Earth 1:50m.
    "San Diego Bay (NOAA fix)": (-117.13334, 32.68671),
    # The Norwegian Sea and the Beaufort Sea, where 1:50m pieces joined across 180 degrees
    # made bands of land round the world.
    "Norwegian Sea 67 N": (0.0, 67.0), "Beaufort Sea 71.3 N": (-140.0, 71.3),
}


@pytest.mark.parametrize("place", sorted(LAND_POINTS))
def test_point_is_land(place: str) -> None:
    lon, lat = LAND_POINTS[place]
    assert basemap.is_land(np.array([lon]), np.array([lat])).tolist() == [True]


@pytest.mark.parametrize("place", sorted(SEA_POINTS))
def test_point_is_sea(place: str) -> None:
    lon, lat = SEA_POINTS[place]
    assert basemap.is_land(np.array([lon]), np.array([lat])).tolist() == [False]


def test_detail_inside_the_korea_box_and_natural_earth_outside() -> None:
    geoms = basemap.load_land()
    sources = basemap.land_sources()
    assert set(sources) == {"gshhg-f", "naturalearth-10m"}
    bounds = shapely.bounds(geoms)
    w, s, e, n = basemap.DETAIL_BBOX
    detail = sources == "gshhg-f"
    assert np.all((bounds[detail, 0] >= w) & (bounds[detail, 2] <= e)
                  & (bounds[detail, 1] >= s) & (bounds[detail, 3] <= n))
    # Natural Earth pieces stop at the box: none reaches into it.
    inner = shapely.box(w + 1e-6, s + 1e-6, e - 1e-6, n - 1e-6)
    assert not shapely.intersects(geoms[~detail], inner).any()


def test_bbox_read_covers_the_same_land_as_the_whole_set() -> None:
    bbox = (124.0, 37.5, 126.0, 39.5)
    area = shapely.box(*bbox)
    part = shapely.union_all(basemap.load_land(bbox)).intersection(area).area
    everything = basemap.load_land()
    meeting = everything[shapely.intersects(everything, area)]
    whole = shapely.union_all(meeting).intersection(area).area
    assert part == pytest.approx(whole, rel=1e-9)
    assert len(basemap.load_land(bbox)) < len(basemap.load_land()) / 10


def test_chukotka_is_land_on_both_sides_of_180_degrees() -> None:
    lon = np.array([179.0, -179.0, 179.99, -179.99])
    assert basemap.is_land(lon, np.full(4, 67.5)).tolist() == [True] * 4


def test_only_antarctica_spans_the_world_and_eurasia_stops_at_180() -> None:
    # A ring read across the antimeridian the long way round spans -180..180: that made the
    # bands across Siberia and Canada. Only Antarctica, closed along the pole, may do so.
    bounds = shapely.bounds(basemap.load_land())
    width = bounds[:, 2] - bounds[:, 0]
    assert bounds[width > 200].tolist() == [[-180.0, -90.0, 180.0, bounds[width > 200][0, 3]]]
    assert bounds[width > 200][0, 3] < -60  # Antarctica
    assert sorted(width)[-2] == pytest.approx(180 + 17.54, abs=0.01)  # Eurasia-Africa, -17.54..180


def test_all_polygons_are_valid() -> None:
    assert shapely.is_valid(basemap.load_land()).all()


def test_basemap_file_is_compact() -> None:
    assert resource_path("basemap/land.parquet").stat().st_size < 5_000_000


def test_land_has_no_gap_along_the_seams_between_tiles() -> None:
    # Inland North Korea and Manchuria on both sides of the 42 N and 40 N tile edges. A wedge
    # opened here when tiles were simplified after cutting (the coast corner was dropped).
    lon = np.concatenate([np.arange(129.0, 129.95, 0.01), np.arange(126.0, 127.0, 0.01)])
    for lat0 in (42.0, 40.0):
        for dlat in (-1e-5, 0.0, 1e-5):
            sel = lon >= 129.0 if lat0 == 42.0 else lon < 129.0
            lat = np.full(sel.sum(), lat0 + dlat)
            assert basemap.is_land(lon[sel], lat).all(), (lat0, dlat)
