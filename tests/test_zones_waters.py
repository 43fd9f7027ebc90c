"""The bundled KP territorial sea: 12 nm off the coast, sea only, cut at the borders."""

from __future__ import annotations

from functools import cache

import numpy as np
import pyproj
import pytest
import shapely

from desktop.core import basemap, zones

NM_M = 1852.0
WONSAN = (127.4500, 39.1667)  # lon, lat of the WPI reference position
GEOD = pyproj.Geod(ellps="WGS84")
# The mainland coast of North Korea, as the basemap draws it, in this box.
KP_COAST_BOX = (126.5, 38.62, 129.0, 40.5)


@pytest.fixture(scope="module")
def zs() -> zones.ZoneSet:
    return zones.default_zones()


def _in_waters(zs: zones.ZoneSet, lon: float, lat: float) -> bool:
    return bool(zs.locate([lon], [lat], ("waters",))[0] >= 0)


@cache
def _coast_land() -> shapely.Geometry:
    land = shapely.union_all(basemap.load_land(KP_COAST_BOX))
    return shapely.clip_by_rect(land, *KP_COAST_BOX)


def _coast_distance_nm(lon: float, lat: float) -> float:
    """Distance from the point to the nearest land of the basemap near Wonsan, exact: in an
    azimuthal equidistant projection centred on the point, distances from the centre are true."""
    aeqd = pyproj.Transformer.from_crs(
        "EPSG:4326", f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m",
        always_xy=True)
    local = shapely.transform(
        _coast_land(), lambda xy: np.column_stack(aeqd.transform(xy[:, 0], xy[:, 1])))
    return float(local.distance(shapely.Point(0.0, 0.0))) / NM_M


def _off_wonsan(along_nm: float) -> tuple[float, float]:
    # Out of Yonghung Bay to the open sea, bearing 060 from the Wonsan reference position.
    lon, lat, _ = GEOD.fwd(WONSAN[0], WONSAN[1], 60.0, along_nm * NM_M)
    return float(lon), float(lat)


def test_waters_contain_a_point_5_nm_off_wonsan(zs: zones.ZoneSet) -> None:
    lon, lat = _off_wonsan(15.8)
    assert 4.8 <= _coast_distance_nm(lon, lat) <= 5.6
    assert _in_waters(zs, lon, lat)


def test_waters_exclude_a_point_20_nm_off_wonsan(zs: zones.ZoneSet) -> None:
    lon, lat = _off_wonsan(30.6)
    assert 19.5 <= _coast_distance_nm(lon, lat) <= 20.5
    assert not _in_waters(zs, lon, lat)


def test_waters_edge_lies_between_11_5_and_12_5_nm_off_wonsan(zs: zones.ZoneSet) -> None:
    inside = _off_wonsan(22.0)
    outside = _off_wonsan(23.0)
    assert 11.2 <= _coast_distance_nm(*inside) <= 11.6
    assert 12.3 <= _coast_distance_nm(*outside) <= 12.7
    assert _in_waters(zs, *inside)
    assert not _in_waters(zs, *outside)


# Points on land of neighbouring countries, each checked to be land of the basemap first.
FOREIGN_LAND = {
    "Dandong (CN)": (124.383, 40.125),
    "Donggang (CN)": (124.150, 39.870),
    "Dalu Dao (CN)": (123.740, 39.760),
    "Hunchun (CN)": (130.366, 42.868),
    "Khasan (RU)": (130.645, 42.430),
    "Posyet (RU)": (130.800, 42.650),
    "Baengnyeong-do (KR)": (124.670, 37.960),
    "Daecheong-do (KR)": (124.705, 37.830),
    "Yeonpyeong-do (KR)": (125.695, 37.665),
    "Gyodong-do (KR)": (126.280, 37.780),
    "Ganghwa-do (KR)": (126.490, 37.710),
    "Incheon (KR)": (126.700, 37.460),
    "Sokcho (KR)": (128.590, 38.200),
    "Goseong (KR, south of the MDL)": (128.400, 38.560),
}


@pytest.mark.parametrize("place", sorted(FOREIGN_LAND))
def test_waters_contain_no_land_of_china_russia_or_south_korea(
    zs: zones.ZoneSet, place: str
) -> None:
    lon, lat = FOREIGN_LAND[place]
    assert basemap.is_land(np.array([lon]), np.array([lat]))[0], f"{place} is not land"
    assert not _in_waters(zs, lon, lat)


def test_waters_contain_no_land_at_all(zs: zones.ZoneSet) -> None:
    waters = zs.geometries[zs.indices(("waters",))[0]]
    land = shapely.union_all(basemap.load_land(waters.bounds))
    # Simplification (0.0005 degrees, ~50 m) may leave slivers along the shore, nothing more:
    # under 0.5 % of the waters' area.
    assert shapely.intersection(waters, land).area < 0.005 * waters.area


def test_sea_just_south_of_the_eastern_mdl_is_not_kp_waters(zs: zones.ZoneSet) -> None:
    # 3 km off the coast at 38.58 N (South Korea) and at 38.66 N (North Korea).
    assert not _in_waters(zs, 128.42, 38.58)
    assert _in_waters(zs, 128.38, 38.66)


def test_sea_south_of_the_northern_limit_line_is_not_kp_waters(zs: zones.ZoneSet) -> None:
    # Between Yeonpyeong-do and the KP coast: south of the line is South Korean.
    assert not _in_waters(zs, 125.70, 37.69)
    # The Haeju approach north of the line is North Korean.
    assert _in_waters(zs, 125.75, 37.85)


def test_chinese_anchorages_off_dandong_are_outside_kp_waters(zs: zones.ZoneSet) -> None:
    # GFW DANDONG anchorage cells in the approach west of the Yalu mouth.
    assert not _in_waters(zs, 124.1015, 39.6530)
    assert not _in_waters(zs, 124.1362, 39.8210)


def test_russian_sea_east_of_the_tumen_mouth_is_outside_kp_waters(zs: zones.ZoneSet) -> None:
    assert not _in_waters(zs, 130.80, 42.35)
    # South-west of the mouth, off Sonbong, is North Korean.
    assert _in_waters(zs, 130.60, 42.20)


def test_no_waters_inland_along_the_basemap_tile_seams(zs: zones.ZoneSet) -> None:
    # Inland points on the 42 N and 40 N tile edges, within 12 nm of the coast's reach.
    lon = np.array([129.2, 129.5, 129.8, 127.2, 127.5, 127.8])
    lat = np.array([42.0, 42.0, 42.0, 40.0, 40.0, 40.0])
    assert basemap.is_land(lon, lat).all()
    assert zs.locate(lon, lat, ("waters",)).tolist() == [-1] * 6
