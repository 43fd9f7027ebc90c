"""Distance by sea to the bundled North Korean port zones (DESIGN.md §3, AIS gap).

``resources/seadist/kp_seadist.npz`` (made by ``resources/build_seadist.py``, see
resources/README.md) holds, for each zone of ``zones/kp_ports.geojson``, the least-cost distance
over a ~1 km Mercator sea grid of lon 117..142, lat 24..46 that never crosses basemap land
(scikit-image ``MCP_Geometric``), stored every 4 cells (~4 km) as uint16 tenths of a nautical
mile. Land, lake and harbour-basin cells carry the value of their nearest sea cell, so a point on
land or in a harbour snaps to the nearest sea.

``sea_distance_m`` returns a *lower bound* of that grid path, so that a call that fits by sea is
never ruled out by grid artefacts: the 8-neighbour path is divided by 1.0824 (the largest excess
of an 8-neighbour path over a straight line, at 22.5 degrees), half a stored cell's diagonal is
subtracted (the point may lie anywhere in its cell), and it is never less than the great-circle
distance the caller passes in. Outside the grid the value at the nearest edge cell plus the
great-circle distance to it is used (the open ocean there has no land in the way that matters
for a KP port). The file is read on first use (~0.1 s), never at import.
"""

from __future__ import annotations

from functools import cache
from typing import Final

import numpy as np

from desktop.core.errors import ResourceError
from desktop.core.geodesy import EARTH_RADIUS_M, METRES_PER_NM, haversine_m
from desktop.core.resources import resource_path

SEADIST_FILE: Final = "seadist/kp_seadist.npz"
# Largest ratio of an 8-neighbour grid path to the straight line (1 / cos 22.5 deg ~ 1.0824).
OCTILE_EXCESS: Final = float(np.sqrt(4 - 2 * np.sqrt(2)))
_NODATA: Final = 65535


@cache
def _table() -> tuple[dict[str, int], np.ndarray, np.ndarray,
                      tuple[float, float, float, float, float]]:
    path = resource_path(SEADIST_FILE)
    try:
        with np.load(path, allow_pickle=False) as z:
            names = [str(n) for n in z["names"]]
            fields = z["distance_dnm"]
            bounds = z["bounds"]
            lon0, y_top, dlon, dy, unit_nm = (float(v) for v in z["grid"])
    except (OSError, KeyError, ValueError) as e:
        raise ResourceError(f"{path}: cannot read the sea-distance rasters ({e})") from e
    return {n: i for i, n in enumerate(names)}, fields, bounds, (lon0, y_top, dlon, dy, unit_nm)


def has_zone(name: str, bounds: tuple[float, float, float, float]) -> bool:
    """True when the bundle holds a raster for this zone: same name and same bounds (degrees).

    A user's own zone that shares a bundled zone's name but not its shape has no raster.
    """
    index, _, known, _ = _table()
    i = index.get(name)
    return i is not None and bool(np.allclose(known[i], bounds, rtol=0.0, atol=1e-9))


def sea_distance_m(name: str, lon: np.ndarray, lat: np.ndarray,
                   great_circle_m: np.ndarray) -> np.ndarray:
    """Lower bound (metres) of the distance by sea from each point to zone ``name``.

    ``great_circle_m`` is the great-circle distance of each point to the zone (the result is
    never below it). Points that no sea path connects to the zone get ``inf``. Raises KeyError
    when the bundle has no raster for ``name`` (see ``has_zone``).
    """
    index, fields, _, (lon0, y_top, dlon, dy, unit_nm) = _table()
    field = fields[index[name]]
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    rows, cols = field.shape
    y = np.log(np.tan(np.pi / 4 + np.radians(np.clip(lat, -85.0, 85.0)) / 2))
    r = np.clip(np.floor((y_top - y) / dy).astype("int64"), 0, rows - 1)
    c = np.clip(np.floor((lon - lon0) / dlon).astype("int64"), 0, cols - 1)
    raw = field[r, c]
    grid_m = np.where(raw == _NODATA, np.inf, raw.astype("float64") * unit_nm * METRES_PER_NM)
    # Centre of the cell looked up: for points outside the grid, the leg to it is added.
    c_lon = lon0 + (c + 0.5) * dlon
    c_lat = np.degrees(2 * np.arctan(np.exp(y_top - (r + 0.5) * dy)) - np.pi / 2)
    outside = (np.floor((y_top - y) / dy) != r) | (np.floor((lon - lon0) / dlon) != c)
    extra = np.where(outside, haversine_m(lon, lat, c_lon, c_lat), 0.0)
    half_diag_m = np.radians(dlon) * EARTH_RADIUS_M * np.cos(np.radians(c_lat)) * np.sqrt(2) / 2
    bound = np.maximum(grid_m / OCTILE_EXCESS - half_diag_m, 0.0) + extra
    return np.maximum(bound, np.asarray(great_circle_m, dtype="float64"))
