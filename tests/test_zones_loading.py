"""One loader for default and user zone files; each refusal reason names the file and feature."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from desktop.core import zones
from desktop.core.errors import ZoneError

SQUARE = [[[10.0, 50.0], [10.1, 50.0], [10.1, 50.1], [10.0, 50.1], [10.0, 50.0]]]


def _feature(name: str | None = "Harbour A", kind: str | None = "port",
             country: str | None = "DE", geometry: Any = "square", **extra: Any) -> dict:
    props: dict[str, Any] = dict(extra)
    for key, value in (("name", name), ("kind", kind), ("country", country)):
        if value is not None:
            props[key] = value
    if geometry == "square":
        geometry = {"type": "Polygon", "coordinates": SQUARE}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _write(tmp_path: Path, obj: Any, name: str = "zones.geojson") -> Path:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


def _collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def _refusal(path: Path) -> str:
    with pytest.raises(ZoneError) as info:
        zones.load_zones([path], include_defaults=False)
    return str(info.value)


# --- refusals, one per reason -----------------------------------------------------------------


def test_refuses_text_that_is_not_json(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"type": "FeatureCollection", "features": [', "broken.geojson")
    assert _refusal(path) == f"{path}: not JSON (line 1, column 44: Expecting value)"


def test_refuses_json_that_is_not_a_feature_collection(tmp_path: Path) -> None:
    path = _write(tmp_path, _feature())
    assert _refusal(path) == f"{path}: not a GeoJSON FeatureCollection (type is 'Feature')"


def test_refuses_a_json_list(tmp_path: Path) -> None:
    path = _write(tmp_path, [1, 2])
    assert _refusal(path) == f"{path}: not a GeoJSON FeatureCollection (type is 'list')"


def test_refuses_point_geometry_naming_the_feature(tmp_path: Path) -> None:
    point = {"type": "Point", "coordinates": [10.0, 50.0]}
    path = _write(tmp_path, _collection(_feature(), _feature("Buoy 7", geometry=point)))
    assert _refusal(path) == (
        f"{path}: feature 1 ('Buoy 7'): geometry is a Point, not a Polygon or MultiPolygon")


def test_refuses_linestring_geometry(tmp_path: Path) -> None:
    line = {"type": "LineString", "coordinates": [[10.0, 50.0], [10.1, 50.1]]}
    path = _write(tmp_path, _collection(_feature(geometry=line)))
    assert "feature 0 ('Harbour A'): geometry is a LineString" in _refusal(path)


def test_refuses_self_intersecting_polygon(tmp_path: Path) -> None:
    bowtie = {"type": "Polygon", "coordinates": [
        [[10.0, 50.0], [10.1, 50.1], [10.1, 50.0], [10.0, 50.1], [10.0, 50.0]]]}
    path = _write(tmp_path, _collection(_feature("Bow tie", geometry=bowtie)))
    message = _refusal(path)
    assert message.startswith(f"{path}: feature 0 ('Bow tie'): invalid geometry (Self-intersection")
    assert "10.05 50.05" in message


def test_refuses_ring_with_too_few_points(tmp_path: Path) -> None:
    sliver = {"type": "Polygon", "coordinates": [[[10.0, 50.0], [10.1, 50.0], [10.0, 50.0]]]}
    path = _write(tmp_path, _collection(_feature(geometry=sliver)))
    assert _refusal(path) == (f"{path}: feature 0 ('Harbour A'): invalid geometry "
                              "(a ring has 3 points, at least 4 needed)")


def test_refuses_null_geometry_as_empty(tmp_path: Path) -> None:
    path = _write(tmp_path, _collection(_feature(geometry=None)))
    assert _refusal(path) == f"{path}: feature 0 ('Harbour A'): empty geometry (null)"


def test_refuses_polygon_without_coordinates_as_empty(tmp_path: Path) -> None:
    path = _write(tmp_path, _collection(_feature(geometry={"type": "Polygon", "coordinates": []})))
    assert _refusal(path) == f"{path}: feature 0 ('Harbour A'): empty geometry (no coordinates)"


def test_refuses_polygon_folded_flat_onto_a_line(tmp_path: Path) -> None:
    flat = {"type": "Polygon", "coordinates": [
        [[10.0, 50.0], [10.1, 50.0], [10.2, 50.0], [10.0, 50.0]]]}
    path = _write(tmp_path, _collection(_feature(geometry=flat)))
    assert _refusal(path) == (
        f"{path}: feature 0 ('Harbour A'): invalid geometry (Self-intersection[10.1 50])")


@pytest.mark.parametrize("missing", ["name", "kind", "country"])
def test_refuses_feature_missing_a_required_property(tmp_path: Path, missing: str) -> None:
    feature = _feature(**{missing: None})
    path = _write(tmp_path, _collection(_feature("Other"), feature))
    label = "feature 1" if missing == "name" else "feature 1 ('Harbour A')"
    takes = {"name": 'the zone\'s name as text, e.g. "Nampo"',
             "kind": "one of port, anchorage, waters",
             "country": 'the ISO 3166 alpha-2 code of the country, e.g. "KP"'}[missing]
    assert _refusal(path) == f"{path}: {label}: missing property '{missing}' ({missing}: {takes})"


def test_refusal_lists_every_missing_property(tmp_path: Path) -> None:
    path = _write(tmp_path, _collection(_feature(kind=None, country=None)))
    assert _refusal(path) == (
        f"{path}: feature 0 ('Harbour A'): missing properties 'kind', 'country' (kind: one of "
        'port, anchorage, waters; country: the ISO 3166 alpha-2 code of the country, e.g. "KP")')


def test_refuses_unknown_kind(tmp_path: Path) -> None:
    path = _write(tmp_path, _collection(_feature(kind="harbour")))
    assert _refusal(path) == (f"{path}: feature 0 ('Harbour A'): unknown kind 'harbour' "
                              "(expected one of port, anchorage, waters)")


def test_refuses_country_that_is_not_alpha_2(tmp_path: Path) -> None:
    path = _write(tmp_path, _collection(_feature(country="PRK")))
    assert _refusal(path) == (
        f"{path}: feature 0 ('Harbour A'): country 'PRK' is not an ISO 3166 alpha-2 code")


def test_refuses_longitude_outside_180(tmp_path: Path) -> None:
    far = {"type": "Polygon", "coordinates": [
        [[190.0, 50.0], [190.1, 50.0], [190.1, 50.1], [190.0, 50.0]]]}
    path = _write(tmp_path, _collection(_feature(geometry=far)))
    assert _refusal(path) == (f"{path}: feature 0 ('Harbour A'): coordinate (190, 50) outside "
                              "lon -180..180 / lat -90..90")


def test_refuses_latitude_outside_90(tmp_path: Path) -> None:
    far = {"type": "Polygon", "coordinates": [
        [[10.0, 89.0], [10.1, 95.0], [10.2, 89.0], [10.0, 89.0]]]}
    path = _write(tmp_path, _collection(_feature(geometry=far)))
    assert _refusal(path) == (f"{path}: feature 0 ('Harbour A'): coordinate (10.1, 95) outside "
                              "lon -180..180 / lat -90..90")


def test_refuses_projected_crs(tmp_path: Path) -> None:
    obj = _collection(_feature())
    obj["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    path = _write(tmp_path, obj)
    assert _refusal(path) == (f"{path}: coordinates must be lon/lat WGS 84 (EPSG:4326), "
                              "not urn:ogc:def:crs:EPSG::3857")


def test_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.geojson"
    assert _refusal(path).startswith(f"{path}: cannot read zone file")


# --- never half-loaded --------------------------------------------------------------------------


def test_one_bad_file_refuses_the_whole_call(tmp_path: Path) -> None:
    good = _write(tmp_path, _collection(_feature()), "good.geojson")
    bad = _write(tmp_path, _collection(_feature(), _feature("Bad", kind="harbour")), "bad.geojson")
    with pytest.raises(ZoneError, match=r"bad\.geojson: feature 1 \('Bad'\): unknown kind"):
        zones.load_zones([good, bad])
    # The good file alone still loads, whole.
    assert len(zones.load_zones([good], include_defaults=False)) == 1


# --- accepted files -----------------------------------------------------------------------------


def test_user_zones_add_to_the_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, _collection(_feature(locode="deham"), _feature("Outer", "anchorage",
                                                                            locode="DEHAM")))
    defaults = zones.default_zones()
    both = zones.load_zones([path])
    assert len(both) == len(defaults) + 2
    assert list(both.frame["name"].iloc[-2:]) == ["Harbour A", "Outer"]
    assert list(both.frame["source"].iloc[-2:]) == [str(path), str(path)]
    assert list(both.frame["locode"].iloc[-2:]) == ["DEHAM", "DEHAM"]
    # The user's anchorage belongs to the user's port, by locode.
    assert both.port_index()[-1] == len(defaults)
    only = zones.load_zones([path], include_defaults=False)
    assert len(only) == 2
    assert list(only.frame.index) == [0, 1]


def test_no_default_zones_and_no_files_is_an_empty_set() -> None:
    empty = zones.load_zones([], include_defaults=False)
    assert len(empty) == 0
    assert empty.locate(np.array([125.4]), np.array([38.72]), ("port",)).tolist() == [-1]


def test_default_zones_are_read_once() -> None:
    assert zones.default_zones() is zones.default_zones()
    assert zones.load_zones() is zones.default_zones()


def test_from_geojson_takes_a_parsed_object_and_names_its_source() -> None:
    zs = zones.ZoneSet.from_geojson(_collection(_feature()), "pasted")
    assert zs.frame["source"].tolist() == ["pasted"]
    with pytest.raises(ZoneError, match=r"^pasted: feature 0 \('Harbour A'\): missing property"):
        zones.ZoneSet.from_geojson(_collection(_feature(kind=None)), "pasted")


def test_multipolygon_with_a_hole_is_accepted_and_the_hole_is_outside(tmp_path: Path) -> None:
    ring = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]
    hole = [[0.4, 0.4], [0.6, 0.4], [0.6, 0.6], [0.4, 0.6], [0.4, 0.4]]
    other = [[[2.0, 0.0], [3.0, 0.0], [3.0, 1.0], [2.0, 0.0]]]
    geom = {"type": "MultiPolygon", "coordinates": [[ring, hole], other]}
    zs = zones.load_zones([_write(tmp_path, _collection(_feature(geometry=geom)))],
                          include_defaults=False)
    assert zs.locate([0.2, 0.5, 2.8, 1.5], [0.2, 0.5, 0.1, 0.5], ("port",)).tolist() == [
        0, -1, 0, -1]


def test_name_may_come_from_a_port_property(tmp_path: Path) -> None:
    path = _write(tmp_path, _collection(_feature(name=None, port="Abbot Point")))
    assert zones.load_zones([path], include_defaults=False).frame["name"].tolist() == [
        "Abbot Point"]


def test_polygon_across_the_antimeridian_is_split_into_two_halves(tmp_path: Path) -> None:
    # A box around Taveuni (Fiji) from 179.5 E to 179.5 W, written with wrapped longitudes.
    ring = [[179.5, -17.0], [-179.5, -17.0], [-179.5, -16.0], [179.5, -16.0], [179.5, -17.0]]
    path = _write(tmp_path, _collection(_feature("Fiji box", geometry={
        "type": "Polygon", "coordinates": [ring]})))
    zs = zones.load_zones([path], include_defaults=False)
    geom = zs.geometries[0]
    assert geom.geom_type == "MultiPolygon"
    assert sorted(round(p.area, 9) for p in geom.geoms) == [0.5, 0.5]
    # Both sides of the antimeridian are inside; the far side of the globe is not.
    assert zs.locate([179.8, -179.8, 0.0], [-16.5, -16.5, -16.5], ("port",)).tolist() == [
        0, 0, -1]


# --- the AMSA port polygons (real third-party file) ---------------------------------------------


def _amsa(corpus: Path) -> dict:
    return json.loads((corpus / "amsa" / "au_port_visit_polygons.geojson").read_text())


@pytest.mark.corpus
def test_amsa_port_polygons_load_once_given_kind_and_country(corpus: Path,
                                                             tmp_path: Path) -> None:
    obj = _amsa(corpus)
    for feature in obj["features"]:
        feature["properties"].update(kind="port", country="AU")
    zs = zones.load_zones([_write(tmp_path, obj, "amsa.geojson")], include_defaults=False)
    assert len(zs) == 41
    assert zs.frame["name"].iloc[0] == "Abbot Point"
    assert set(zs.frame["kind"]) == {"port"} and set(zs.frame["country"]) == {"AU"}
    # A point inside each polygon locates to that polygon or one that also contains it.
    reps = [g.representative_point() for g in zs.geometries]
    found = zs.locate([p.x for p in reps], [p.y for p in reps], ("port",))
    assert all(zs.geometries[f].intersects(p) for f, p in zip(found, reps, strict=True))


@pytest.mark.corpus
def test_amsa_port_polygons_as_published_are_refused_naming_the_missing_properties(
    corpus: Path,
) -> None:
    path = corpus / "amsa" / "au_port_visit_polygons.geojson"
    assert _refusal(path) == (
        f"{path}: feature 0 ('Abbot Point'): missing properties 'kind', 'country' (kind: one of "
        'port, anchorage, waters; country: the ISO 3166 alpha-2 code of the country, e.g. "KP")')


def test_concat_accepts_a_set_built_with_only_the_documented_columns() -> None:
    import geopandas as gpd
    import pandas as pd
    import shapely

    bare = gpd.GeoDataFrame(
        {"name": ["X"], "kind": ["port"], "country": ["NO"],
         "locode": pd.Series([None], dtype=object), "source": ["elsewhere"]},
        geometry=[shapely.box(5.0, 60.0, 5.1, 60.1)], crs="EPSG:4326")
    joined = zones.ZoneSet.concat([zones.default_zones(), zones.ZoneSet(bare)])
    assert len(joined) == len(zones.default_zones()) + 1
    assert joined.frame["note"].iloc[-1] is None
    assert joined.locate([5.05], [60.05], ("port",)).tolist() == [len(joined) - 1]


def test_refuses_a_collection_without_features(tmp_path: Path) -> None:
    path = _write(tmp_path, _collection())
    assert _refusal(path) == f"{path}: FeatureCollection has no features"


def test_loaded_zones_are_prepared_for_fast_point_tests(tmp_path: Path) -> None:
    import shapely

    zs = zones.load_zones([_write(tmp_path, _collection(_feature()))])
    assert shapely.is_prepared(zs.geometries).all()
