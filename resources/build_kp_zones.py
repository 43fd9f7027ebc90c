"""The North Korean zones: port and anchorage polygons, and the 12 nm territorial sea.

Called by build_resources.py (``--only zones``); needs basemap/land.parquet built first. Writes
zones/kp_ports.geojson and zones/kp_waters.geojson.

Port polygons are drawn by hand here, vertex by vertex (lon, lat), on the GSHHG full-resolution
coast of basemap/land.parquet (see docs/map_check.png and the per-port renders made with
render_map_check.py --bbox): each covers the harbour basin, its quays and the water where ships
berth, and contains the port's World Port Index / UN/LOCODE reference positions
(zones/kp_reference_positions.csv). Sizes stay at a few km: a larger polygon turns a ship
passing by into a false port entry. No two port polygons overlap. Global Fishing Watch's
anchorage list has no North Korean cells, so anchorages are drawn only where the waiting area is
well known: Nampo's, inside and outside the West Sea Barrage on the Taedong estuary.

The territorial sea is 12 nm around KP land: basemap land clipped to KP_REGION, an approximate
outline of North Korea (the Yalu and Tumen rivers, the DMZ, and at sea the Northern Limit Line
and the eastern MDL extension), buffered in a local azimuthal equidistant projection, minus all
land, cut to KP_REGION. South Korean islands near the KP coast (Baengnyeong-do, Daecheong-do,
Socheong-do, Yeonpyeong-do, U-do, Gyodong-do, Ganghwa-do) lie outside KP_REGION. This is an
approximation for screening, not a legal boundary: it ignores North Korea's straight baselines
and claimed zones, and the maritime boundaries with China and Russia are drawn as straight lines
from the river mouths.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pyproj
import shapely
from shapely.geometry import Polygon, box, mapping

NM_M = 1852.0
TERRITORIAL_SEA_M = 12 * NM_M
# Local azimuthal equidistant projection centred on the peninsula: distances from the centre are
# exact and scale errors within 500 km stay below 0.1 %, ample for a 12 nm buffer.
KP_AEQD = "+proj=aeqd +lat_0=39.5 +lon_0=127.5 +datum=WGS84 +units=m +no_defs"
# About 55 m: the waters' inner edge follows the coast of the basemap closely.
WATERS_SIMPLIFY_DEG = 0.0005
COORD_DECIMALS = 5  # about 1 m

SOURCE_PORTS = ("drawn on GSHHG 2.3 full-resolution coast around World Port Index / UN/LOCODE "
                "reference positions; approximate")

# name, kind, locode, vertices (lon, lat). Ports without a UN/LOCODE have locode None.
KP_PORTS: list[tuple[str, str, str | None, list[tuple[float, float]]]] = [
    ("Nampo", "port", "KPNAM", [
        (125.335, 38.700), (125.335, 38.735), (125.380, 38.746), (125.430, 38.756),
        (125.465, 38.752), (125.465, 38.696), (125.400, 38.689)]),
    ("Nampo inner anchorage", "anchorage", "KPNAM", [
        (125.225, 38.672), (125.225, 38.742), (125.270, 38.745), (125.325, 38.737),
        (125.325, 38.697), (125.280, 38.680)]),
    ("Nampo outer anchorage (off the West Sea Barrage)", "anchorage", "KPNAM", [
        (125.060, 38.680), (125.060, 38.760), (125.120, 38.780), (125.190, 38.752),
        (125.190, 38.668), (125.120, 38.662)]),
    ("Songnim (Kyomipo)", "port", "KPSGN", [
        (125.535, 38.698), (125.535, 38.735), (125.560, 38.778), (125.600, 38.782),
        (125.636, 38.748), (125.636, 38.712), (125.605, 38.692), (125.565, 38.690)]),
    ("Haeju", "port", "KPHAE", [
        (125.665, 37.975), (125.665, 38.015), (125.720, 38.022), (125.737, 37.995),
        (125.732, 37.965), (125.700, 37.955)]),
    ("Wonsan", "port", "KPWON", [
        (127.415, 39.160), (127.420, 39.185), (127.450, 39.200), (127.490, 39.206),
        (127.512, 39.190), (127.500, 39.155), (127.460, 39.150)]),
    ("Hungnam", "port", "KPHGM", [
        (127.600, 39.825), (127.605, 39.845), (127.640, 39.847), (127.670, 39.835),
        (127.687, 39.810), (127.675, 39.788), (127.640, 39.793), (127.610, 39.808)]),
    ("Chaho", "port", None, [
        (128.625, 40.185), (128.625, 40.215), (128.645, 40.230), (128.675, 40.225),
        (128.680, 40.195), (128.660, 40.180)]),
    ("Sinpo", "port", "KPSIN", [
        (128.225, 40.040), (128.225, 40.080), (128.260, 40.086), (128.290, 40.076),
        (128.300, 40.046), (128.270, 40.034)]),
    ("Riwon", "port", "KPRIW", [
        (128.615, 40.270), (128.615, 40.325), (128.640, 40.332), (128.670, 40.320),
        (128.675, 40.285), (128.650, 40.265)]),
    ("Tanchon", "port", "KPTCH", [
        (128.910, 40.405), (128.915, 40.430), (128.940, 40.440), (128.965, 40.425),
        (128.955, 40.395), (128.930, 40.390)]),
    ("Kimchaek (Songjin)", "port", "KPSON", [
        (129.180, 40.650), (129.180, 40.685), (129.205, 40.700), (129.235, 40.695),
        (129.240, 40.665), (129.215, 40.645)]),
    ("Odaejin", "port", None, [
        (129.730, 41.375), (129.730, 41.405), (129.760, 41.410), (129.790, 41.405),
        (129.795, 41.380), (129.765, 41.370)]),
    ("Chongjin", "port", "KPCHO", [
        (129.760, 41.745), (129.760, 41.775), (129.790, 41.790), (129.835, 41.790),
        (129.860, 41.770), (129.850, 41.745), (129.800, 41.740)]),
    ("Rajin (Najin)", "port", "KPNJN", [
        (130.265, 42.200), (130.265, 42.225), (130.285, 42.240), (130.310, 42.246),
        (130.335, 42.230), (130.335, 42.200), (130.300, 42.190)]),
    ("Sonbong", "port", None, [
        (130.380, 42.315), (130.385, 42.340), (130.410, 42.346), (130.425, 42.330),
        (130.420, 42.310), (130.395, 42.305)]),
    ("Samcha-do", "port", None, [
        (124.700, 39.390), (124.700, 39.415), (124.720, 39.425), (124.740, 39.420),
        (124.745, 39.400), (124.725, 39.385)]),
]

# Approximate outline of North Korea (lon, lat), for screening only: up the Yalu from its mouth,
# across to the Tumen and down to its mouth, out to sea along a line from the Tumen mouth,
# back along the eastern MDL extension (38.615 N), the DMZ to the Han estuary, and west along
# the Northern Limit Line north of the South Korean islands; at sea west of the Yalu mouth the
# line keeps to the North Korean side of the Chinese (Dandong) anchorages, and in the Yalu estuary
# it follows the middle of the main channel, where Chinese ships anchor on their way to Dandong
# (which leaves North Korea's Pidan-do, merged with the Chinese shore in GSHHG, on the Chinese
# side: a known limit).
KP_REGION: list[tuple[float, float]] = [
    # at sea west of the KP islands, then the Yalu mouth and the Yalu
    (124.000, 38.030), (124.000, 39.200), (124.100, 39.500), (124.175, 39.800),
    (124.270, 39.835), (124.290, 39.900), (124.340, 39.955), (124.350, 40.000),
    (124.400, 40.100), (124.550, 40.250),
    (124.950, 40.470), (125.500, 40.750), (126.300, 41.150), (126.600, 41.600),
    (127.000, 41.800), (127.500, 41.450), (128.150, 41.400), (128.100, 41.750),
    (128.050, 42.000),
    # the Tumen, to its mouth
    (128.300, 42.050), (129.200, 42.230), (129.450, 42.450), (129.750, 42.450),
    (129.950, 42.950), (130.250, 42.900), (130.400, 42.700), (130.530, 42.550),
    (130.600, 42.420), (130.650, 42.330), (130.695, 42.290),
    # at sea: the Russian boundary line, the open sea, the eastern MDL extension
    (130.850, 42.150), (131.300, 41.700), (131.500, 41.500), (131.500, 38.615),
    (128.365, 38.615),
    # the DMZ, east to west
    (128.150, 38.350), (127.750, 38.320), (127.300, 38.320), (127.000, 38.220),
    (126.850, 38.050), (126.680, 37.950), (126.680, 37.760),
    # the Northern Limit Line, east to west, north of the South Korean islands
    (126.550, 37.785), (126.350, 37.822), (126.120, 37.810), (126.000, 37.660),
    (125.850, 37.720), (125.600, 37.710), (125.400, 37.660), (124.950, 37.700),
    (124.900, 37.900), (124.800, 38.030),
]


def _round(geom: shapely.Geometry) -> dict[str, Any]:
    return mapping(shapely.set_precision(geom, 10 ** -COORD_DECIMALS))


def _land(root: Path, bbox: tuple[float, float, float, float]) -> shapely.Geometry:
    table = pq.ParquetFile(root / "basemap" / "land.parquet").read(columns=["geometry"])
    geoms = shapely.from_wkb(np.array(table.column("geometry").to_pylist(), dtype=object))
    area = box(*bbox)
    # Snap to a 1e-6 degree grid while merging: neighbouring 2-degree tiles then share their cut
    # edges exactly, and no hairline gap inside the land turns into "sea" when land is removed.
    return shapely.union_all(geoms[shapely.intersects(geoms, area)], grid_size=1e-6)


def port_features() -> list[dict[str, Any]]:
    out = []
    for name, kind, locode, ring in KP_PORTS:
        poly = Polygon(ring)
        assert poly.is_valid, name
        out.append({"type": "Feature",
                    "properties": {"name": name, "kind": kind, "country": "KP", "locode": locode,
                                   "source": SOURCE_PORTS},
                    "geometry": _round(poly)})
    return out


def waters_geometry(root: Path) -> shapely.Geometry:
    region = Polygon(KP_REGION)
    assert region.is_valid, shapely.is_valid_reason(region)
    west, south, east, north = region.bounds
    land = _land(root, (west - 1, south - 1, east + 1, north + 1))
    fwd = pyproj.Transformer.from_crs("EPSG:4326", KP_AEQD, always_xy=True)
    inv = pyproj.Transformer.from_crs(KP_AEQD, "EPSG:4326", always_xy=True)

    def project(geom: shapely.Geometry, how: pyproj.Transformer) -> shapely.Geometry:
        return shapely.transform(
            geom, lambda xy: np.column_stack(how.transform(xy[:, 0], xy[:, 1])))

    kp_land = shapely.intersection(land, region)
    buffered = project(project(kp_land, fwd).buffer(TERRITORIAL_SEA_M, quad_segs=16), inv)
    sea = shapely.difference(shapely.intersection(buffered, region), land)
    sea = shapely.simplify(sea, WATERS_SIMPLIFY_DEG, preserve_topology=True)
    sea = shapely.make_valid(sea)
    parts = [p for p in shapely.get_parts(sea) if p.geom_type == "Polygon" and p.area > 1e-7]
    return shapely.MultiPolygon(parts)


def build(root: Path) -> None:
    # One feature per line: small diffs when a polygon is redrawn, and easy to read.
    lines = ",\n".join(json.dumps(f) for f in port_features())
    (root / "zones" / "kp_ports.geojson").write_text(
        '{"type": "FeatureCollection", "features": [\n' + lines + "\n]}\n")
    waters = waters_geometry(root)
    feature = {"type": "Feature",
               "properties": {"name": "North Korea territorial sea (12 nm, approximate)",
                              "kind": "waters", "country": "KP", "locode": None,
                              "source": "12 nm buffer of GSHHG 2.3 full-resolution KP coast, "
                                        "cut at the Yalu and Tumen mouths, the NLL and the MDL; "
                                        "approximation for screening, not a legal boundary"},
               "geometry": _round(waters)}
    (root / "zones" / "kp_waters.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}) + "\n")
