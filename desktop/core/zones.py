"""Zone files (DESIGN.md §4): loading, validation, and prepared polygons for fast tests.

A ``ZoneSet`` is an immutable GeoDataFrame of zones in EPSG:4326 with the columns ``name``,
``kind`` (``port``, ``anchorage``, ``waters``), ``country`` (ISO 3166 alpha-2), ``locode``
(UN/LOCODE or None), ``source`` (file the zone came from) and ``geometry`` (Polygon or
MultiPolygon), indexed 0..n-1. An ``anchorage`` is part of the port whose ``locode`` it shares:
``port_index`` maps every port or anchorage zone to the index of that port zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import shapely

ZONE_KINDS: Final = ("port", "anchorage", "waters")
ZONE_COLUMNS: Final = ("name", "kind", "country", "locode", "source", "geometry")


@dataclass(frozen=True)
class ZoneSet:
    """Zones ready for vectorised point-in-polygon tests."""

    frame: gpd.GeoDataFrame

    def __post_init__(self) -> None:
        # Prepared geometries make repeated contains_xy calls fast (shapely 2 caches the index).
        shapely.prepare(self.frame.geometry.values)

    def __len__(self) -> int:
        return len(self.frame)

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
