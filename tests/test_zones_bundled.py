"""The bundled North Korean port polygons: the issue's reference positions, no overlaps, water."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import shapely

from desktop.core import basemap, zones
from desktop.core.resources import resource_path

REFERENCE_CSV = resource_path("zones/kp_reference_positions.csv")

# The issue's table (issue 3), typed in independently of the CSV the build uses.
ISSUE_TABLE = [
    ("Nampo", "KPNAM", 38.7167, 125.4000), ("Nampo", "KPNAM", 38.7333, 125.4167),
    ("Songnim (Kyomipo)", "KPSGN", 38.7667, 125.5833),
    ("Songnim (Kyomipo)", "KPSGN", 38.7333, 125.6167),
    ("Haeju", "KPHAE", 38.0000, 125.7000),
    ("Wonsan", "KPWON", 39.1667, 127.4500), ("Wonsan", "KPWON", 39.1667, 127.4333),
    ("Hungnam", "KPHGM", 39.8333, 127.6167), ("Hungnam", "KPHGM", 39.8000, 127.6667),
    ("Chaho", None, 40.2000, 128.6500),
    ("Sinpo", "KPSIN", 40.0667, 128.2667),
    ("Riwon", "KPRIW", 40.3167, 128.6333),
    ("Tanchon", "KPTCH", 40.4167, 128.9333),
    ("Kimchaek (Songjin)", "KPSON", 40.6667, 129.2000),
    ("Odaejin", None, 41.3833, 129.7500),
    ("Chongjin", "KPCHO", 41.7667, 129.8167),
    ("Rajin (Najin)", "KPNJN", 42.2333, 130.3000), ("Rajin (Najin)", "KPNJN", 42.2167, 130.2833),
    ("Sonbong", None, 42.3333, 130.4000),
    ("Samcha-do", None, 39.4000, 124.7167),
]
PORT_NAMES = sorted({row[0] for row in ISSUE_TABLE})


@pytest.fixture(scope="module")
def zs() -> zones.ZoneSet:
    return zones.default_zones()


def _port(zs: zones.ZoneSet, name: str) -> int:
    (idx,) = [i for i in zs.indices(("port",)) if zs.frame["name"].iloc[i] == name]
    return int(idx)


def test_bundled_set_has_the_fifteen_issue_ports_two_nampo_anchorages_and_the_waters(
    zs: zones.ZoneSet,
) -> None:
    frame = zs.frame
    assert sorted(frame.loc[frame["kind"] == "port", "name"]) == PORT_NAMES
    assert len(PORT_NAMES) == 15
    anchorages = frame[frame["kind"] == "anchorage"]
    assert sorted(anchorages["name"]) == ["Nampo inner anchorage",
                                          "Nampo outer anchorage (off the West Sea Barrage)"]
    assert set(anchorages["locode"]) == {"KPNAM"}
    assert list(frame.loc[frame["kind"] == "waters", "name"]) == [
        "North Korea territorial sea (12 nm, approximate)"]
    assert set(frame["country"]) == {"KP"}
    assert set(frame["source"]) == {"resources/zones/kp_ports.geojson",
                                    "resources/zones/kp_waters.geojson"}


@pytest.mark.parametrize(("name", "locode", "lat", "lon"), ISSUE_TABLE)
def test_reference_position_lies_inside_its_port_polygon(
    zs: zones.ZoneSet, name: str, locode: str | None, lat: float, lon: float
) -> None:
    idx = _port(zs, name)
    assert zs.frame["locode"].iloc[idx] == locode
    assert zs.locate([lon], [lat], ("port", "anchorage"))[0] == idx


def test_reference_csv_matches_the_issue_table() -> None:
    with open(REFERENCE_CSV, newline="") as fh:
        rows = [(r["lat"], r["lon"], r["locode"] or None) for r in csv.DictReader(fh)]
    assert [(float(a), float(b), c) for a, b, c in rows] == [
        (lat, lon, code) for _n, code, lat, lon in ISSUE_TABLE]


def test_ports_without_official_locode_have_null_locode(zs: zones.ZoneSet) -> None:
    frame = zs.frame[zs.frame["kind"] == "port"]
    assert sorted(frame.loc[frame["locode"].isna(), "name"]) == [
        "Chaho", "Odaejin", "Samcha-do", "Sonbong"]


def test_no_two_port_or_anchorage_polygons_overlap(zs: zones.ZoneSet) -> None:
    idx = zs.indices(("port", "anchorage"))
    geoms = zs.geometries[idx]
    for i in range(len(idx)):
        for j in range(i + 1, len(idx)):
            assert not geoms[i].intersects(geoms[j]), (
                zs.frame["name"].iloc[idx[i]], zs.frame["name"].iloc[idx[j]])


def test_nampo_and_songnim_are_disjoint_with_a_gap_between(zs: zones.ZoneSet) -> None:
    nampo = zs.geometries[_port(zs, "Nampo")]
    songnim = zs.geometries[_port(zs, "Songnim (Kyomipo)")]
    # More than 0.05 degrees of longitude (~4 km) of river between them.
    assert nampo.distance(songnim) > 0.05


def test_every_port_and_anchorage_polygon_touches_water_of_the_basemap(
    zs: zones.ZoneSet,
) -> None:
    for i in zs.indices(("port", "anchorage")):
        geom = zs.geometries[i]
        land = shapely.union_all(basemap.load_land(geom.bounds))
        water = geom.difference(land)
        # At least 0.1 km² of water (1e-5 square degrees is ~0.09 km² at 40 N).
        assert water.area > 1e-5, zs.frame["name"].iloc[i]


def test_port_polygons_are_a_few_km_across_not_blobs(zs: zones.ZoneSet) -> None:
    for i in zs.indices(("port", "anchorage")):
        xmin, ymin, xmax, ymax = zs.geometries[i].bounds
        # 0.15 degrees is ~13 km of longitude and ~17 km of latitude at 40 N.
        assert xmax - xmin <= 0.15 and ymax - ymin <= 0.12, zs.frame["name"].iloc[i]


def test_nampo_anchorages_belong_to_nampo(zs: zones.ZoneSet) -> None:
    nampo = _port(zs, "Nampo")
    owner = zs.port_index()
    for i in zs.indices(("anchorage",)):
        assert owner[i] == nampo


def test_a_ship_passing_off_wonsan_outside_the_harbour_is_not_in_the_port(
    zs: zones.ZoneSet,
) -> None:
    # 10 km north-east of the Wonsan reference position, in Yonghung Bay.
    assert zs.locate([127.53], [39.23], ("port", "anchorage"))[0] == -1


def test_bundled_files_are_plain_geojson_feature_collections() -> None:
    for rel in zones.DEFAULT_ZONE_FILES:
        text = Path(resource_path(rel)).read_text()
        assert text.startswith('{"type": "FeatureCollection"') or text.startswith(
            '{\n "type": "FeatureCollection"')


def test_every_bundled_kp_port_point_of_wpi_and_searoute_lies_in_a_kp_port_zone(
    zs: zones.ZoneSet,
) -> None:
    from desktop.core import ports

    table = ports.port_table()
    kp = table["country"] == "KP"
    assert kp.sum() == 17  # 10 WPI + 7 searoute
    found = zs.locate(table["lon"][kp], table["lat"][kp], ("port",))
    assert (found >= 0).all(), list(table["name"][kp][found < 0])


def test_resources_readme_lists_every_bundled_file_outside_icons() -> None:
    import fnmatch
    import re

    root = resource_path("README.md").parent
    listed = set(re.findall(r"`([^`\s]+)`", (root / "README.md").read_text()))
    files = [p.relative_to(root).as_posix() for p in root.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts
             and p.parts[len(root.parts)] != "icons"]
    unlisted = [f for f in files
                if f != "README.md" and not any(fnmatch.fnmatch(f, pat) for pat in listed)]
    assert unlisted == []
