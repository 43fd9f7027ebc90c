"""Zone refusals that name the actual mistake: a number where the name must be text, a polygon
round the whole world, coordinates written as text, JSON nested 100,000 deep."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desktop.core.errors import ZoneError
from desktop.core.zones import load_zones

SQUARE = [[[10.0, 50.0], [10.1, 50.0], [10.1, 50.1], [10.0, 50.1], [10.0, 50.0]]]
WORLD = [[[-180.0, -90.0], [180.0, -90.0], [180.0, 90.0], [-180.0, 90.0], [-180.0, -90.0]]]


def _refusal(tmp_path: Path, props: dict[str, Any], coordinates: Any = SQUARE) -> str:
    feature = {"type": "Feature", "properties": props,
               "geometry": {"type": "Polygon", "coordinates": coordinates}}
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    with pytest.raises(ZoneError) as info:
        load_zones([path], include_defaults=False)
    return str(info.value).removeprefix(f"{path}: ")


def test_a_numeric_name_is_said_to_be_a_number_not_missing(tmp_path: Path) -> None:
    assert _refusal(tmp_path, {"name": 123, "kind": "port", "country": "KP"}) == (
        "feature 0: property 'name' is a number (123), but it must be text (the zone's name)")
    assert _refusal(tmp_path, {"port_name": ["Nampo"], "kind": "port", "country": "KP"}) == (
        "feature 0: property 'port_name' is a JSON array ([\"Nampo\"]), but it must be text "
        "(the zone's name)")


def test_a_text_name_beside_a_numeric_alias_is_used(tmp_path: Path) -> None:
    path = tmp_path / "z.geojson"
    feature = {"type": "Feature", "properties": {"name": "Nampo", "port": 7, "kind": "port",
                                                 "country": "KP"},
               "geometry": {"type": "Polygon", "coordinates": SQUARE}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    assert load_zones([path], include_defaults=False).frame["name"].tolist() == ["Nampo"]


def test_a_whole_world_polygon_is_refused_as_such(tmp_path: Path) -> None:
    assert _refusal(tmp_path, {"name": "World", "kind": "waters", "country": "KP"}, WORLD) == (
        "feature 0 ('World'): the polygon spans every longitude from -180 to 180 (the whole "
        "world or a band round it), which cannot be a port, anchorage or waters zone")


def test_a_polygon_across_the_antimeridian_is_still_accepted(tmp_path: Path) -> None:
    ring = [[179.0, 60.0], [-179.0, 60.0], [-179.0, 61.0], [179.0, 61.0], [179.0, 60.0]]
    path = tmp_path / "z.geojson"
    feature = {"type": "Feature", "properties": {"name": "Anadyr", "kind": "port",
                                                 "country": "RU"},
               "geometry": {"type": "Polygon", "coordinates": [ring]}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    [geometry] = load_zones([path], include_defaults=False).geometries
    assert geometry.geom_type == "MultiPolygon" and round(geometry.area, 6) == 2.0


def test_string_coordinates_are_refused_naming_the_feature(tmp_path: Path) -> None:
    ring = [["10.0", "50.0"], ["10.1", "50.0"], ["10.1", "50.1"], ["10.0", "50.1"],
            ["10.0", "50.0"]]
    assert _refusal(tmp_path, {"name": "Text", "kind": "port", "country": "DE"}, [ring]) == (
        "feature 0 ('Text'): coordinates are not numbers (\"10.0\" in [\"10.0\", \"50.0\"])")
    ring = [[10.0, 50.0], [10.1, True], [10.1, 50.1], [10.0, 50.0]]
    assert _refusal(tmp_path, {"name": "Bool", "kind": "port", "country": "DE"}, [ring]) == (
        "feature 0 ('Bool'): coordinates are not numbers (true in [10.1, true])")


def test_json_nested_100000_deep_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "deep.geojson"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ZoneError) as info:
        load_zones([path], include_defaults=False)
    assert str(info.value) == f"{path}: JSON nested too deeply to be a GeoJSON zone file"


def test_coordinates_nested_deep_enough_to_parse_are_refused_cleanly(tmp_path: Path) -> None:
    deep: Any = [10.0, 50.0]
    for _ in range(900):
        deep = [deep]
    message = _refusal(tmp_path, {"name": "Deep", "kind": "port", "country": "DE"}, deep)
    assert message == ("feature 0 ('Deep'): coordinates are not [lon, lat] pairs "
                       "(arrays nested too deep)")
