"""The offline basemap: land polygons for the map and for land/sea tests, read from resources/.

``resources/basemap/land.parquet`` (GeoParquet, EPSG:4326) holds GSHHG full-resolution land
(simplified to about 100 m) for lon 117..142, lat 24..46 — the Korean peninsula, the Yellow Sea,
Bohai, the Sea of Japan and the East China Sea — and Natural Earth 1:10m land (about 400 m) for
the rest of the world, cut at the antimeridian. The detailed land is cut into 2-degree tiles so
that a bbox read stays small: draw it filled without outlines (tile edges are not coastline), or
union the pieces first. Natural Earth is not harbour-scale: small harbours (Newport Beach, CA)
and lakes are land.
"""

from __future__ import annotations

from functools import cache
from typing import Final

import numpy as np
import pyarrow.parquet as pq
import shapely

from desktop.core.resources import resource_path

LAND_FILE: Final = "basemap/land.parquet"
# Where the basemap is detailed (lon_min, lat_min, lon_max, lat_max); coarse elsewhere.
DETAIL_BBOX: Final = (117.0, 24.0, 142.0, 46.0)


@cache
def _land_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(geometries, bounds as (n, 4) float64 array, source labels), read once."""
    # ParquetFile.read, not read_table: the dataset layer behind read_table costs ~0.4 s to start.
    table = pq.ParquetFile(resource_path(LAND_FILE)).read(columns=["geometry", "source"])
    # to_pylist, not to_numpy: the latter goes through pandas for these columns (~0.3 s import).
    geoms = shapely.from_wkb(np.array(table.column("geometry").to_pylist(), dtype=object))
    bounds = shapely.bounds(geoms)
    sources = np.array(table.column("source").to_pylist(), dtype=object)
    return geoms, bounds, sources


def load_land(bbox: tuple[float, float, float, float] | None = None) -> np.ndarray:
    """Land polygons (numpy array of shapely Polygons) meeting ``bbox`` (lon/lat degrees).

    ``bbox`` is (lon_min, lat_min, lon_max, lat_max); None returns the whole world. Pieces are
    returned whole (not clipped), so some reach outside the bbox. The array is shared: do not
    modify the geometries.
    """
    geoms, bounds, _ = _land_table()
    if bbox is None:
        return geoms
    west, south, east, north = bbox
    keep = ((bounds[:, 2] >= west) & (bounds[:, 0] <= east)
            & (bounds[:, 3] >= south) & (bounds[:, 1] <= north))
    return geoms[keep]


def land_sources(bbox: tuple[float, float, float, float] | None = None) -> np.ndarray:
    """The source (``gshhg-f`` or ``naturalearth-10m``) of each polygon ``load_land`` returns."""
    geoms, bounds, sources = _land_table()
    if bbox is None:
        return sources
    west, south, east, north = bbox
    keep = ((bounds[:, 2] >= west) & (bounds[:, 0] <= east)
            & (bounds[:, 3] >= south) & (bounds[:, 1] <= north))
    return sources[keep]


def is_land(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """For each point (degrees), True where it lies on land of the basemap (boundary counts)."""
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    out = np.zeros(lon.shape, dtype=bool)
    if lon.size == 0:
        return out
    points = shapely.points(lon.ravel(), lat.ravel())
    pairs = _tree().query(points, predicate="intersects")
    flat = out.ravel()
    flat[np.unique(pairs[0])] = True
    return flat.reshape(lon.shape)


@cache
def _tree() -> shapely.STRtree:
    return shapely.STRtree(_land_table()[0])
