"""Distance by sea to each North Korean port zone: one cost-distance raster per zone.

Run by ``build_resources.py --only seadist`` (never at run time); the app reads the result with
``desktop.core.seadist``. Inputs are bundled files only (``basemap/land.parquet``,
``zones/kp_ports.geojson``), so the output is a pure function of them: a rebuild is byte-identical.

Method (see resources/README.md, ``seadist/``):
1. A Mercator grid over lon 117..142, lat 24..46 with square cells of 0.0125 degree of longitude
   (1.11 km east-west at the equator, so 1.0 km at 25 N and 0.8 km at 45 N). In Mercator a cell
   is square on the ground, and its true size is ``cell * cos(lat)``: that is the cell's cost.
2. Land: a cell is land when any of it may touch basemap land: its centre lies within
   ``LAND_MARGIN_DEG`` (half the cell's diagonal in degrees) of a land polygon (the polygons are
   buffered by that much, then filled by cell centre with scikit-image's ``draw.polygon``). So a
   step between two sea cells, straight or diagonal, never touches land, and a 5 km strait still
   keeps 2-3 cells of water.
3. The sea that counts is the largest connected sea (8-neighbour): lakes, and harbour basins the
   ~100 m coast closes off, are not part of it.
4. For each zone, scikit-image's ``graph.MCP_Geometric`` (Dijkstra on the 8-connected grid)
   finds the least-cost distance from every sea cell to the zone's sea cells: cells whose centre
   is in the polygon, and for its cells of water the land margin closes (a harbour basin, a narrow
   entrance), the nearest sea cell; when none is sea, the sea cells nearest to all its cells.
5. Cells off that sea take the value of their nearest sea cell
   (``scipy.ndimage.distance_transform_edt`` indices): a point on land or in a harbour snaps to
   the nearest sea. Values are stored every ``STORE_STEP`` cells in each direction (the value of
   the fine cell at the stored cell's centre), as uint16 tenths of a nautical mile, in one
   compressed ``.npz``.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import shapely
from scipy import ndimage
from skimage import draw, graph, measure

LON0, LON1 = 117.0, 142.0
LAT0, LAT1 = 24.0, 46.0
CELL_DEG = 0.0125
# Half a cell's diagonal in lon/lat degrees (a cell is CELL_DEG wide and narrower in latitude).
LAND_MARGIN_DEG = CELL_DEG * np.sqrt(2) / 2 * 1.01
STORE_STEP = 4  # stored cells are 4 x 4 search cells (~4 km): the bundle stays a few MB
EARTH_RADIUS_M = 6_371_008.8
METRES_PER_NM = 1852.0
UNIT_NM = 0.1
NODATA = 65535


def merc_y(lat_deg: np.ndarray | float) -> np.ndarray | float:
    """Mercator y (radians) of a latitude in degrees."""
    return np.log(np.tan(np.pi / 4 + np.radians(lat_deg) / 2))


def grid_shape() -> tuple[int, int, float, float]:
    """(rows, cols, y_top, cell_rad) of the search grid; row 0 is the northern edge."""
    cell = np.radians(CELL_DEG)
    cols = int(round((LON1 - LON0) / CELL_DEG))
    y_top = float(merc_y(LAT1))
    rows = int(np.ceil((y_top - float(merc_y(LAT0))) / cell))
    return rows, cols, y_top, cell


def _to_grid(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fractional (row, col) of points; cell (r, c) has its centre at (r + 0.5, c + 0.5)."""
    _, _, y_top, cell = grid_shape()
    return (y_top - merc_y(lat)) / cell, (lon - LON0) / CELL_DEG


def land_polygons(land_file: Path) -> np.ndarray:
    """The basemap's land polygons over the grid (and a degree around it), clipped to it."""
    table = pq.ParquetFile(land_file).read(columns=["geometry"])
    geoms = shapely.from_wkb(np.array(table.column("geometry").to_pylist(), dtype=object))
    bbox = shapely.box(LON0 - 1, LAT0 - 1, LON1 + 1, LAT1 + 1)
    geoms = geoms[shapely.intersects(geoms, bbox)]
    return shapely.clip_by_rect(geoms, LON0 - 1, LAT0 - 1, LON1 + 1, LAT1 + 1)


def land_mask(land_file: Path) -> np.ndarray:
    rows, cols, _, _ = grid_shape()
    land = np.zeros((rows, cols), dtype=bool)
    clipped = land_polygons(land_file)
    grown = shapely.buffer(clipped, LAND_MARGIN_DEG, quad_segs=4)
    for poly in shapely.get_parts(grown):
        if shapely.get_type_id(poly) != 3 or poly.is_empty:
            continue
        ring = shapely.get_coordinates(poly.exterior)
        r, c = _to_grid(ring[:, 0], ring[:, 1])
        # draw.polygon fills the pixels whose centre (integer coordinates) is inside.
        rr, cc = draw.polygon(r - 0.5, c - 0.5, shape=land.shape)
        land[rr, cc] = True
    return land


def cell_centres() -> tuple[np.ndarray, np.ndarray]:
    """(lon of each column, lat of each row) of the search grid's cell centres."""
    rows, cols, y_top, cell = grid_shape()
    lons = LON0 + (np.arange(cols) + 0.5) * CELL_DEG
    ys = y_top - (np.arange(rows) + 0.5) * cell
    lats = np.degrees(2 * np.arctan(np.exp(ys)) - np.pi / 2)
    return lons, lats


def zone_cells(geom: shapely.Geometry, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray,
                                                                                     np.ndarray]:
    """(rows, cols) of the cells whose centre is inside ``geom``."""
    w, s, e, n = shapely.bounds(geom)
    ci = np.flatnonzero((lons >= w) & (lons <= e))
    ri = np.flatnonzero((lats >= s) & (lats <= n))
    rr, cc = np.meshgrid(ri, ci, indexing="ij")
    inside = shapely.contains_xy(geom, lons[cc], lats[rr])
    return rr[inside], cc[inside]


def zone_seeds(geom: shapely.Geometry, lons: np.ndarray, lats: np.ndarray, sea: np.ndarray,
               snap: tuple[np.ndarray, np.ndarray], land: shapely.STRtree
               ) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the sea cells a voyage to the zone ends at.

    The zone's cells on the open sea, and for each of its cells whose centre is water but which
    the land margin closes (a harbour basin, a channel under ~2 km wide), the sea cell nearest to
    it: the zone's water snaps to the sea as a point in a harbour does. Without the second part a
    zone whose harbour the grid closes would be reached only through the few of its cells that
    stay open, however far round (Rajin: its one open cell lies west of the island in the bay's
    mouth, ~10 nm round the island from the zone's own water east of the headland). When none of
    the zone's cells is on the open sea (a port behind a barrage or up a river the grid closes),
    the sea cells nearest to all of them.
    """
    rr, cc = zone_cells(geom, lons, lats)
    snap_r, snap_c = snap
    open_sea = sea[rr, cc]
    if not open_sea.any():
        return snap_r[rr, cc], snap_c[rr, cc]
    on_land = np.zeros(len(rr), dtype=bool)
    hits = land.query(shapely.points(lons[cc], lats[rr]), predicate="intersects")
    on_land[np.unique(hits[0])] = True
    closed = ~open_sea & ~on_land
    return (np.concatenate([rr[open_sea], snap_r[rr[closed], cc[closed]]]),
            np.concatenate([cc[open_sea], snap_c[rr[closed], cc[closed]]]))


def build(root: Path) -> dict[str, int]:
    """Write ``seadist/kp_seadist.npz`` under ``root``; return a few counts for the log."""
    land = land_mask(root / "basemap" / "land.parquet")
    lons, lats = cell_centres()
    features = json.loads((root / "zones" / "kp_ports.geojson").read_text())["features"]
    geoms = [shapely.geometry.shape(f["geometry"]) for f in features]
    names = [f["properties"]["name"] for f in features]

    labels = measure.label(~land, connectivity=2)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    sea = labels == int(np.argmax(sizes))
    # Nearest sea cell of every cell (identity on sea): the snap for land, lakes and basins.
    _, (snap_r, snap_c) = ndimage.distance_transform_edt(~sea, return_indices=True)
    cell_m = np.radians(CELL_DEG) * EARTH_RADIUS_M * np.cos(np.radians(lats))
    costs = np.where(sea, cell_m[:, None], np.inf)

    rows_s = np.arange(STORE_STEP // 2, land.shape[0], STORE_STEP)
    cols_s = np.arange(STORE_STEP // 2, land.shape[1], STORE_STEP)
    sr = snap_r[np.ix_(rows_s, cols_s)]
    sc = snap_c[np.ix_(rows_s, cols_s)]
    land_tree = shapely.STRtree(land_polygons(root / "basemap" / "land.parquet"))
    fields = []
    for geom in geoms:
        rr, cc = zone_seeds(geom, lons, lats, sea, (snap_r, snap_c), land_tree)
        mcp = graph.MCP_Geometric(costs, fully_connected=True)
        dist_m, _ = mcp.find_costs(list(zip(rr.tolist(), cc.tolist(), strict=True)))
        stored = dist_m[sr, sc] / METRES_PER_NM / UNIT_NM
        fields.append(np.where(np.isfinite(stored), np.minimum(np.rint(stored), NODATA - 1),
                               NODATA).astype("<u2"))
    return _write(root / "seadist" / "kp_seadist.npz", names, shapely.bounds(np.array(geoms)),
                  np.stack(fields), int(sea.sum()))


def _write(path: Path, names: list[str], bounds: np.ndarray, fields: np.ndarray,
           sea_cells: int) -> dict[str, int]:
    _, _, y_top, cell = grid_shape()
    arrays = {
        "names": np.array(names, dtype="<U64"),
        # The zone each raster was made for: the app uses a raster only for a zone of that name
        # and these bounds, so that a user's own zone of the same name is not measured wrongly.
        "bounds": np.asarray(bounds, dtype="<f8"),
        "distance_dnm": fields,
        # Grid: stored cell (i, j) covers Mercator y in y_top - cell*STORE_STEP*[i, i+1), lon in
        # LON0 + CELL_DEG*STORE_STEP*[j, j+1).
        "grid": np.array([LON0, y_top, CELL_DEG * STORE_STEP, cell * STORE_STEP, UNIT_NM],
                         dtype="<f8"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    # Written member by member with a fixed timestamp: np.savez_compressed stamps the current
    # time into the zip, which would break the byte-identical rebuild.
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for key, value in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(value), allow_pickle=False)
            zf.writestr(info, member.getvalue(), compresslevel=9)
    path.write_bytes(buf.getvalue())
    return {"zones": len(names), "rows": fields.shape[1], "cols": fields.shape[2],
            "sea_cells": sea_cells, "bytes": len(buf.getvalue())}
