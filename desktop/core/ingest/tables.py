"""Parquet, GeoParquet and GeoPackage point layers of fixes.

Columns are found through the same aliases as CSV headers (``columns.ALIASES``). A GeoParquet
file or a GeoPackage layer takes lat/lon from its point geometry (x = lon, y = lat, EPSG:4326
assumed when the layer has no CRS; other CRSs are transformed to it) unless it also has lat/lon
columns. Rows are "lines" here: row 1 is the first row (no header line); a missing geometry or a
non-point geometry gives an empty position, rejected later as ``invalid_position``. A file whose
columns do not give mmsi and time rejects every row as ``no_fix_columns``; a file pyarrow or
GDAL cannot open at all rejects nothing and says why in the notes (its row count is unknown).
Naive times are UTC.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from desktop.core.ingest import columns as cols
from desktop.core.ingest.base import ACCEPTED_FIX, BAD_VALUE, NO_TIMESTAMP, LineTally, RawRead
from desktop.core.ingest.csv_reader import (
    NO_FIX_COLUMNS,
    STATIC_FIELDS,
    TIME_OUT_OF_RANGE,
    empty_positions,
    empty_statics,
    statics_from_rows,
    times_ns_checked,
)


def _load(path: Path, kind: str) -> tuple[pd.DataFrame, str]:
    if kind == "gpkg":
        import geopandas as gpd

        return gpd.read_file(path), "gpkg"
    import pyarrow.parquet as pq

    meta = pq.read_metadata(path).metadata or {}
    if b"geo" in meta:
        import geopandas as gpd

        return gpd.read_parquet(path), "geoparquet"
    return pq.read_table(path).to_pandas(), "parquet"


def read_table_track(path: Path, kind: str) -> RawRead:
    """Read a Parquet/GeoParquet (``kind`` ``parquet``) or GeoPackage (``gpkg``) file."""
    tally = LineTally()
    try:
        frame, kind = _load(path, kind)
    except Exception as exc:  # noqa: BLE001 - any library failure is "bad content", reported
        raw = RawRead(str(path), kind, 0, empty_positions(), empty_statics(), tally)
        raw.notes.append(f"cannot read as {kind}: {type(exc).__name__}: {exc}")
        return raw
    n = len(frame)
    raw = RawRead(str(path), kind, n, empty_positions(), empty_statics(), tally)
    lines = np.arange(1, n + 1, dtype="int64")
    geometry_name = getattr(frame, "_geometry_column_name", None)
    fields = [str(c) for c in frame.columns if c != geometry_name]
    frame = frame.rename(columns={c: str(c) for c in frame.columns})
    mapping = cols.map_header(fields)
    if geometry_name is not None and not {"lat", "lon"} <= mapping.keys():
        geo = frame.geometry
        if geo.crs is not None and geo.crs.to_epsg() != 4326:
            geo = geo.to_crs(4326)
        is_point = (geo.geom_type == "Point").to_numpy() & ~geo.is_empty.to_numpy()
        x = np.full(n, np.nan)
        y = np.full(n, np.nan)
        x[is_point] = geo[is_point].x.to_numpy()
        y[is_point] = geo[is_point].y.to_numpy()
        frame = pd.DataFrame(frame.drop(columns=geometry_name))
        frame["__lon"], frame["__lat"] = x, y
        mapping["lon"], mapping["lat"] = "__lon", "__lat"
    missing = [name for name in cols.REQUIRED if name not in mapping]
    if missing:
        tally.reject_many(NO_FIX_COLUMNS, lines)
        raw.notes.append(f"no column for {', '.join(missing)}: not a track table")
        return raw

    mmsi = cols.numbers(frame[mapping["mmsi"]])
    mmsi_ok = np.isfinite(mmsi) & (mmsi == np.round(mmsi)) & (mmsi >= 0) & (mmsi < 2**32)
    time, time_outside = times_ns_checked(frame[mapping["time"]])
    time_ok = time != np.iinfo("int64").min
    no_time = ~time_ok & frame[mapping["time"]].isna().to_numpy()
    bad = ~mmsi_ok | (~time_ok & ~no_time)
    # A time pandas cannot hold (a 9999-12-31 placeholder): that row only, by its own reason.
    outside = bad & time_outside & mmsi_ok
    bad &= ~outside
    tally.reject_many(NO_TIMESTAMP, lines[no_time & ~bad & ~outside])
    tally.reject_many(BAD_VALUE, lines[bad])
    tally.reject_many(TIME_OUT_OF_RANGE, lines[outside])
    ok = ~(bad | no_time | outside)
    tally.accept(ACCEPTED_FIX, int(ok.sum()))

    def column(name: str) -> np.ndarray:
        if name not in mapping:
            return np.full(n, np.nan)
        if name == "nav_status":
            return cols.nav_status_codes(frame[mapping[name]])
        return cols.numbers(frame[mapping[name]])

    raw.positions = pd.DataFrame(
        {
            "mmsi": np.where(mmsi_ok, mmsi, 0).astype("int64")[ok],
            "time": time[ok],
            "lat": column("lat")[ok],
            "lon": column("lon")[ok],
            "sog_kn": column("sog_kn")[ok],
            "cog_deg": column("cog_deg")[ok],
            "heading_deg": column("heading_deg")[ok],
            "nav_status": column("nav_status")[ok],
            "line": lines[ok],
        }
    )
    static_sources = [mapping[name] for name in STATIC_FIELDS if name in mapping]
    if static_sources:
        arrow = pa.table(
            {
                src: pa.array(frame[src].astype("string") if frame[src].dtype == object
                              else frame[src], from_pandas=True)  # fmt: skip
                for src in dict.fromkeys([mapping["mmsi"], *static_sources])
            }
        )
        raw.statics = statics_from_rows(arrow, mapping, lines, time, mmsi_ok)
    return raw
