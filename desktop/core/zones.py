"""Zone files (DESIGN.md §4): loading, validation, and prepared polygons for fast tests.

A ``ZoneSet`` is an immutable GeoDataFrame of zones in EPSG:4326 with the columns ``name``,
``kind`` (``port``, ``anchorage``, ``waters``), ``country`` (ISO 3166 alpha-2), ``locode``
(UN/LOCODE or None), ``source`` (file the zone came from) and ``geometry`` (Polygon or
MultiPolygon), indexed 0..n-1, plus ``note`` (the feature's own ``source`` property: where its
shape comes from, or None). An ``anchorage`` is part of the port whose ``locode`` it shares:
``port_index`` maps every port or anchorage zone to the index of that port zone.

Every zone file, the bundled defaults included, goes through one loader, ``ZoneSet.from_geojson``.
Its policy: a file is accepted whole or refused whole (``ZoneError`` naming the file, the feature
by index and name, and the reason); it is never half-loaded. Refused: text that is not JSON,
JSON that is not a GeoJSON FeatureCollection, a collection with no features, a CRS other than
lon/lat WGS 84, a feature whose geometry is missing, empty, not a Polygon or MultiPolygon,
invalid (self-intersecting rings, too few points) or has a coordinate outside lon -180..180 /
lat -90..90; a feature without ``name``, ``kind`` or ``country`` (all missing ones are named),
with an unknown ``kind`` or a country that is not two letters. ``name`` may also come from a
``port`` or ``port_name`` property, since port polygon files in the wild (AMSA's, for one) name
ports that way. A polygon that crosses the antimeridian (an edge spanning more than 180 degrees
of longitude, as GeoJSON writers that keep lon in -180..180 produce) is split there into a
MultiPolygon.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.affinity
from shapely.geometry import MultiPolygon, Polygon, box

from desktop.core.errors import InputError, ZoneError
from desktop.core.files import read_regular_file
from desktop.core.resources import resource_path
from desktop.core.textsafe import printable_path

ZONE_KINDS: Final = ("port", "anchorage", "waters")
# What each required property takes, for the refusal of a feature that lacks it.
PROPERTY_VALUES: Final = {
    "name": "the zone's name as text, e.g. \"Nampo\"",
    "kind": f"one of {', '.join(ZONE_KINDS)}",
    "country": "the ISO 3166 alpha-2 code of the country, e.g. \"KP\"",
}
ZONE_COLUMNS: Final = ("name", "kind", "country", "locode", "source", "geometry")
# Bundled default zone files, relative to resources/ (DESIGN.md §4).
DEFAULT_ZONE_FILES: Final = ("zones/kp_ports.geojson", "zones/kp_waters.geojson")
# Properties accepted in place of ``name``, in order of preference.
NAME_ALIASES: Final = ("name", "port", "port_name")
_POLYGONAL: Final = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class ZoneSet:
    """Zones ready for vectorised point-in-polygon tests."""

    frame: gpd.GeoDataFrame

    def __post_init__(self) -> None:
        # Prepared geometries make repeated contains_xy calls fast (shapely 2 caches the index).
        shapely.prepare(self.frame.geometry.values)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Unpickled (on a Dask worker): the prepared state is not pickled, and unprepared
        # polygons make every point-in-polygon test several times slower.
        self.__dict__.update(state)
        shapely.prepare(self.frame.geometry.values)

    def __len__(self) -> int:
        return len(self.frame)

    @classmethod
    def from_geojson(cls, obj: Any, source: str) -> ZoneSet:
        """Zones from a parsed GeoJSON object; ``source`` names the file in messages and rows.

        Raises ZoneError naming ``source``, the feature and the reason (see the module docstring).
        """
        return cls(_frame_from_geojson(obj, source))

    @classmethod
    def empty(cls) -> ZoneSet:
        """A set with no zones (``--no-default-zones`` and no user file)."""
        return cls(_frame([], "none"))

    @classmethod
    def concat(cls, parts: Iterable[ZoneSet]) -> ZoneSet:
        """One set holding the zones of ``parts`` in order, re-indexed 0..n-1."""
        frames = [p.frame for p in parts]
        if not frames:
            return cls.empty()
        return cls(_frame_of(_concat_frames(frames)))

    @property
    def geometries(self) -> np.ndarray:
        """The zone polygons as a numpy array of shapely geometries, in index order."""
        return np.asarray(self.frame.geometry.values)

    def indices(self, kinds: tuple[str, ...]) -> np.ndarray:
        """Indices of the zones of the given kinds."""
        return np.flatnonzero(self.frame["kind"].isin(kinds).to_numpy())

    def locate(self, lon: np.ndarray, lat: np.ndarray, kinds: tuple[str, ...]) -> np.ndarray:
        """For each point, the index of the first zone of ``kinds`` containing it, else -1.

        Boundaries count as inside. Port and anchorage zones of the bundled set do not overlap.
        """
        lon = np.asarray(lon, dtype="float64")
        lat = np.asarray(lat, dtype="float64")
        out = np.full(lon.shape, -1, dtype="int32")
        geoms = self.geometries
        for idx in self.indices(kinds):
            geom = geoms[idx]
            xmin, ymin, xmax, ymax = geom.bounds
            todo = (out < 0) & (lon >= xmin) & (lon <= xmax) & (lat >= ymin) & (lat <= ymax)
            if not todo.any():
                continue
            cand = np.flatnonzero(todo)
            hit = shapely.intersects_xy(geom, lon[cand], lat[cand])
            out[cand[hit]] = idx
        return out

    def port_index(self) -> np.ndarray:
        """For each zone, the index of the port it belongs to (itself for ports), else -1."""
        kinds = self.frame["kind"].to_numpy()
        locodes = self.frame["locode"].to_numpy()
        out = np.full(len(self.frame), -1, dtype="int32")
        port_by_locode: dict[Any, int] = {}
        for i, (kind, code) in enumerate(zip(kinds, locodes, strict=True)):
            if kind == "port":
                out[i] = i
                if code:
                    port_by_locode.setdefault(code, i)
        for i, (kind, code) in enumerate(zip(kinds, locodes, strict=True)):
            if kind == "anchorage":
                out[i] = port_by_locode.get(code, i)
        return out


def load_zone_file(path: str | Path, *, label: str | None = None) -> ZoneSet:
    """Zones of one GeoJSON file; ZoneError names the file when it cannot be read or is refused.

    ``label`` (default: the path as given) names the file in messages and in the ``source`` column.
    """
    path = Path(path)
    name = label or printable_path(path)
    try:
        # A FIFO or a device would block the read for ever: refused before reading.
        text = read_regular_file(path, "zone file", label=name).decode("utf-8-sig")
    except InputError as exc:
        raise ZoneError(str(exc)) from exc
    except UnicodeDecodeError as exc:
        raise ZoneError(f"{name}: cannot read zone file ({exc})") from exc
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ZoneError(
            f"{name}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except RecursionError:
        raise ZoneError(f"{name}: JSON nested too deeply to be a GeoJSON zone file") from None
    try:
        return ZoneSet.from_geojson(obj, name)
    except RecursionError:  # arrays nested deeply enough to parse, too deeply to walk
        raise ZoneError(f"{name}: JSON nested too deeply to be a GeoJSON zone file") from None


def load_zones(paths: Sequence[str | Path] = (), *, include_defaults: bool = True) -> ZoneSet:
    """The bundled default zones (unless ``include_defaults`` is False) followed by ``paths``.

    All files are checked before anything is returned: one refused file refuses the call.
    """
    parts: list[ZoneSet] = [default_zones()] if include_defaults else []
    parts.extend(load_zone_file(p) for p in paths)
    if len(parts) == 1:
        return parts[0]
    return ZoneSet.concat(parts)


@cache
def default_zones() -> ZoneSet:
    """The bundled KP ports, anchorages and territorial sea, read once per process."""
    return ZoneSet.concat(load_zone_file(resource_path(rel), label=f"resources/{rel}")
                          for rel in DEFAULT_ZONE_FILES)


# ---------------------------------------------------------------------------------------------
# validation


def _frame_from_geojson(obj: Any, source: str) -> gpd.GeoDataFrame:
    if not isinstance(obj, dict) or obj.get("type") != "FeatureCollection":
        what = obj.get("type") if isinstance(obj, dict) else type(obj).__name__
        raise ZoneError(f"{source}: not a GeoJSON FeatureCollection (type is {what!r})")
    features = obj.get("features")
    if not isinstance(features, list):
        raise ZoneError(f"{source}: FeatureCollection has no 'features' list")
    if not features:
        # Loading nothing silently would look like a screening against zones that are not there.
        raise ZoneError(f"{source}: FeatureCollection has no features")
    crs_name = ((obj.get("crs") or {}).get("properties") or {}).get("name", "")
    if crs_name and not any(tag in crs_name for tag in ("4326", "CRS84")):
        raise ZoneError(f"{source}: coordinates must be lon/lat WGS 84 (EPSG:4326), not {crs_name}")
    rows = [_row(feature, i, source) for i, feature in enumerate(features)]
    return _frame(rows, source)


def _frame(rows: list[dict[str, Any]], source: str) -> gpd.GeoDataFrame:
    return _frame_of({c: [r[c] for r in rows] for c in (*ZONE_COLUMNS, "note")})


def _frame_of(columns: dict[str, list[Any]]) -> gpd.GeoDataFrame:
    # Text columns stay object dtype so that a missing locode is None, not NaN (pandas 3 would
    # infer a string dtype whose missing value is NaN, which is truthy).
    data = {c: pd.Series(v, dtype=object) for c, v in columns.items() if c != "geometry"}
    return gpd.GeoDataFrame(data, geometry=list(columns["geometry"]), crs="EPSG:4326")


def _concat_frames(frames: list[gpd.GeoDataFrame]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {c: [] for c in (*ZONE_COLUMNS, "note")}
    for f in frames:
        for c in out:
            if c == "geometry":
                out[c].extend(f.geometry.values)
            elif c in f.columns:
                out[c].extend(f[c].tolist())
            else:  # a frame built elsewhere with only ZONE_COLUMNS (no "note")
                out[c].extend([None] * len(f))
    return out


def _feature_label(feature: Any, index: int) -> str:
    props = feature.get("properties") if isinstance(feature, dict) else None
    name = _name_of(props) if isinstance(props, dict) else None
    return f"feature {index}" + (f" ({name!r})" if name else "")


def _name_of(props: dict[str, Any]) -> str | None:
    for key in NAME_ALIASES:
        value = props.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _row(feature: Any, index: int, source: str) -> dict[str, Any]:
    label = _feature_label(feature, index)

    def refuse(reason: str) -> ZoneError:
        return ZoneError(f"{source}: {label}: {reason}")

    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise refuse("not a GeoJSON Feature")
    props = feature.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        raise refuse("'properties' is not an object")
    name = _name_of(props)
    if name is None:
        _refuse_non_text_name(props, refuse)
    missing = [key for key, value in (("name", name), ("kind", props.get("kind")),
                                      ("country", props.get("country")))
               if value is None or (isinstance(value, str) and not value.strip())]
    if missing:
        # Name the values each one takes: the user is often converting someone else's file
        # (AMSA's port polygons have neither kind nor country) and needs to know what to add.
        listed = ", ".join(repr(m) for m in missing)
        plural = "properties" if len(missing) > 1 else "property"
        takes = "; ".join(f"{m}: {PROPERTY_VALUES[m]}" for m in missing)
        raise refuse(f"missing {plural} {listed} ({takes})")
    kind = props["kind"]
    if kind not in ZONE_KINDS:
        raise refuse(f"unknown kind {kind!r} (expected one of {', '.join(ZONE_KINDS)})")
    country = props["country"]
    if not (isinstance(country, str) and len(country) == 2 and country.isalpha()):
        raise refuse(f"country {country!r} is not an ISO 3166 alpha-2 code")
    locode = props.get("locode")
    if locode is not None and not isinstance(locode, str):
        raise refuse(f"locode {locode!r} is not a string")
    note = props.get("source")
    geometry = _geometry(feature.get("geometry"), refuse)
    return {
        "name": name, "kind": kind, "country": country.upper(),
        "locode": locode.strip().upper() if isinstance(locode, str) and locode.strip() else None,
        "source": source, "note": note if isinstance(note, str) else None,
        "geometry": geometry,
    }


def _refuse_non_text_name(props: dict[str, Any], refuse: Any) -> None:
    # A number where the name should be is a different mistake from no name at all.
    for key in NAME_ALIASES:
        value = props.get(key)
        if value is not None and not isinstance(value, str):
            number = isinstance(value, int | float) and not isinstance(value, bool)
            what = "a number" if number else f"a JSON {_json_type(value)}"
            raise refuse(f"property {key!r} is {what} ({json.dumps(value)[:40]}), but it must be "
                         "text (the zone's name)")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "array"}.get(type(value), type(value).__name__)


def _geometry(geo: Any, refuse: Any) -> Polygon | MultiPolygon:
    if geo is None:
        raise refuse("empty geometry (null)")
    if not isinstance(geo, dict) or "type" not in geo:
        raise refuse("geometry is not a GeoJSON geometry object")
    gtype = geo["type"]
    if gtype not in _POLYGONAL:
        raise refuse(f"geometry is a {gtype}, not a Polygon or MultiPolygon")
    coords = geo.get("coordinates")
    polys = [coords] if gtype == "Polygon" else coords
    if not isinstance(polys, list) or not polys or any(not p for p in polys):
        raise refuse("empty geometry (no coordinates)")
    built: list[Polygon] = []
    for poly in polys:
        if not isinstance(poly, list):
            raise refuse("coordinates are not a list of rings")
        rings = [_ring(r, refuse) for r in poly]
        if rings and rings[0][:, 0].min() == -180.0 and rings[0][:, 0].max() == 180.0:
            # Not an antimeridian crossing (whose edges jump from near 180 to near -180) but a
            # ring round the whole globe: no port, anchorage or territorial sea is that.
            raise refuse("the polygon spans every longitude from -180 to 180 (the whole world "
                         "or a band round it), which cannot be a port, anchorage or waters zone")
        if _crosses_antimeridian(rings[0]):
            rings = [np.column_stack([np.where(r[:, 0] < 0, r[:, 0] + 360.0, r[:, 0]), r[:, 1]])
                     for r in rings]
        try:
            built.append(Polygon(rings[0], rings[1:]))
        except (ValueError, shapely.errors.GEOSException) as exc:
            raise refuse(f"invalid geometry ({exc})") from exc
    geom: Polygon | MultiPolygon = built[0] if len(built) == 1 else MultiPolygon(built)
    if geom.is_empty:
        raise refuse("empty geometry (no area)")
    if not geom.is_valid:
        raise refuse(f"invalid geometry ({shapely.is_valid_reason(geom)})")
    if geom.area == 0:
        raise refuse("empty geometry (no area)")
    if geom.bounds[2] > 180.0:
        geom = _split_at_antimeridian(geom)
    return geom


def _ring(ring: Any, refuse: Any) -> np.ndarray:
    if not isinstance(ring, list):
        raise refuse("coordinates are not [lon, lat] pairs")
    for point in ring:
        # numpy would turn the text "10.5" into a number: GeoJSON coordinates are numbers.
        for value in point if isinstance(point, list) else ():
            if isinstance(value, list):
                raise refuse("coordinates are not [lon, lat] pairs (arrays nested too deep)")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise refuse(f"coordinates are not numbers ({json.dumps(value)[:40]} in "
                             f"{json.dumps(point)[:60]})")
    try:
        xy = np.asarray(ring, dtype="float64")
    except (TypeError, ValueError) as exc:
        raise refuse("coordinates are not numbers") from exc
    if xy.ndim != 2 or xy.shape[1] < 2:
        raise refuse("coordinates are not [lon, lat] pairs")
    xy = xy[:, :2]
    if not np.isfinite(xy).all():
        raise refuse("coordinates are not finite numbers")
    bad = (np.abs(xy[:, 0]) > 180.0) | (np.abs(xy[:, 1]) > 90.0)
    if bad.any():
        lon, lat = xy[np.argmax(bad)]
        raise refuse(f"coordinate ({lon:g}, {lat:g}) outside lon -180..180 / lat -90..90")
    if len(xy) < 4:
        raise refuse(f"invalid geometry (a ring has {len(xy)} points, at least 4 needed)")
    return xy


def _crosses_antimeridian(ring: np.ndarray) -> bool:
    # No real zone spans half the globe, so an edge jumping over 180 degrees of longitude is a
    # polygon written across the antimeridian with longitudes wrapped to -180..180.
    return bool((np.abs(np.diff(ring[:, 0])) > 180.0).any())


def _split_at_antimeridian(geom: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    east = shapely.intersection(geom, box(-180.0, -90.0, 180.0, 90.0))
    west = shapely.affinity.translate(
        shapely.intersection(geom, box(180.0, -90.0, 540.0, 90.0)), xoff=-360.0
    )
    parts = [p for g in (east, west) for p in shapely.get_parts(g)
             if p.geom_type == "Polygon" and not p.is_empty]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)

