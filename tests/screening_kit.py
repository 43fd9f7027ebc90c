"""Hand-built tracks and zones for the detector, rule and screening tests (no test here)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from desktop.core.fixes import check_fixes
from desktop.core.zones import ZoneSet

R_M = 6_371_008.8
M_PER_DEG = R_M * math.pi / 180.0

# A 4 km x 4 km box standing for Nampo (the real port is at about 38.72 N, 125.38 E).
NAMPO = (125.38, 38.72)
HALF_DEG_LAT = 2000.0 / M_PER_DEG


def utc(text: str) -> datetime:
    """An aware UTC datetime from ``YYYY-MM-DD HH:MM[:SS]``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def box(lon: float, lat: float, half_m: float = 2000.0) -> shapely.Polygon:
    """A square of side 2 * ``half_m`` metres centred on (lon, lat)."""
    dlat = half_m / M_PER_DEG
    dlon = dlat / math.cos(math.radians(lat))
    return shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def zone_set(rows: Sequence[dict]) -> ZoneSet:
    """A ZoneSet from dicts with name, kind, country, locode, geometry (source = 'test')."""
    frame = gpd.GeoDataFrame(
        {
            "name": [r["name"] for r in rows],
            "kind": [r["kind"] for r in rows],
            "country": [r["country"] for r in rows],
            "locode": [r.get("locode") for r in rows],
            "source": ["test"] * len(rows),
        },
        geometry=[r["geometry"] for r in rows],
        crs="EPSG:4326",
    )
    return ZoneSet(frame)


def kp_zones() -> ZoneSet:
    """Nampo (a KP port), a Chinese port far away (Dalian) and a strip of KP waters."""
    return zone_set(
        [
            {"name": "Nampo", "kind": "port", "country": "KP", "locode": "KPNAM",
             "geometry": box(*NAMPO)},
            {"name": "Dalian", "kind": "port", "country": "CN", "locode": "CNDLC",
             "geometry": box(121.65, 38.93)},
            {"name": "KP territorial sea", "kind": "waters", "country": "KP", "locode": None,
             "geometry": shapely.box(124.9, 38.3, 125.2, 38.9)},
        ]
    )


class Track:
    """Fixes of one vessel written leg by leg: ``at(time, lon, lat, sog)``."""

    def __init__(self, mmsi: int) -> None:
        self.mmsi = mmsi
        self.rows: list[tuple] = []

    def at(self, when: datetime | str, lon: float, lat: float, sog: float | None = 0.0,
           nav: int | None = None) -> Track:
        moment = utc(when) if isinstance(when, str) else when
        self.rows.append((moment, lon, lat, np.nan if sog is None else sog, nav))
        return self

    def every(self, start: datetime | str, end: datetime | str, step_min: float, lon: float,
              lat: float, sog: float | None = 0.0) -> Track:
        """Fixes every ``step_min`` minutes from ``start`` to ``end`` inclusive, in one place."""
        t = utc(start) if isinstance(start, str) else start
        stop = utc(end) if isinstance(end, str) else end
        while t <= stop:
            self.at(t, lon, lat, sog)
            t += timedelta(minutes=step_min)
        return self


def fixes_of(*tracks: Track) -> pd.DataFrame:
    """The fixes table of the tracks, in the schema of ``desktop.core.fixes``."""
    rows = [(t.mmsi, *r) for t in tracks for r in t.rows]
    frame = table(
        mmsi=np.array([r[0] for r in rows], dtype="uint32"),
        time=pd.to_datetime([r[1] for r in rows], utc=True),
        lon=np.array([r[2] for r in rows], dtype="float64"),
        lat=np.array([r[3] for r in rows], dtype="float64"),
        sog_kn=np.array([r[4] for r in rows], dtype="float32"),
        nav_status=pd.array([r[5] for r in rows], dtype="UInt8"),
    )
    check_fixes(frame)
    return frame


def _utc_times(time) -> pd.DatetimeIndex:  # noqa: ANN001
    values = np.asarray(time)
    if values.dtype.kind in "iuf":  # ns since the epoch
        return pd.to_datetime(values.astype("int64"), unit="ns", utc=True).as_unit("ns")
    return pd.DatetimeIndex(pd.to_datetime(time, utc=True)).as_unit("ns")


def table(mmsi, time, lon, lat, sog_kn, nav_status=None) -> pd.DataFrame:  # noqa: ANN001
    """A fixes table from columns already in range: ``make_fixes`` without the sentinel
    handling, so a test states exactly what the detectors get."""
    n = len(mmsi)
    if nav_status is None:
        nav_status = pd.array([None] * n, dtype="UInt8")
    frame = pd.DataFrame(
        {
            "mmsi": np.asarray(mmsi, dtype="uint32"),
            "time": _utc_times(time),
            "lat": np.asarray(lat, dtype="float64"),
            "lon": np.asarray(lon, dtype="float64"),
            "sog_kn": np.asarray(sog_kn, dtype="float32"),
            "cog_deg": np.full(n, np.nan, dtype="float32"),
            "heading_deg": pd.array([None] * n, dtype="UInt16"),
            "nav_status": nav_status,
            "source": pd.Categorical(["test"] * n),
        }
    )
    return frame.sort_values(["mmsi", "time"], kind="stable", ignore_index=True)


def north_of(lon: float, lat: float, metres: float) -> tuple[float, float]:
    return lon, lat + metres / M_PER_DEG


def east_of(lon: float, lat: float, metres: float) -> tuple[float, float]:
    return lon + metres / (M_PER_DEG * math.cos(math.radians(lat))), lat
