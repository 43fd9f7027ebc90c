"""The fixes table: one row per timed position report, the common currency of the core.

Schema (a pandas DataFrame, sorted by ``mmsi`` then ``time``, index 0..n-1):

==============  ========================  ================================================
column          dtype                     meaning
==============  ========================  ================================================
``mmsi``        uint32                    Maritime Mobile Service Identity, 100000000..999999999
``time``        datetime64[ns, UTC]       instant of the report (int64 ns underneath)
``lat``         float64                   degrees north, WGS 84
``lon``         float64                   degrees east, WGS 84, -180..180
``sog_kn``      float32                   speed over ground, knots; NaN = not available
``cog_deg``     float32                   course over ground, degrees true; NaN = not available
``heading_deg`` UInt16 (nullable)         true heading, degrees; <NA> = not available
``nav_status``  UInt8 (nullable)          ITU-R M.1371 navigational status 0..15; <NA> = none
``source``      category                  where the fix came from (file name)
==============  ========================  ================================================

That is 4 + 8 + 8 + 8 + 4 + 4 + 3 + 2 + 1..2 bytes, about 43 bytes per fix.

AIS "not available" values (ITU-R M.1371-5, message 1 table 45: lat 91, lon 181, SOG 102.3,
COG 360, heading 511) never reach this table as numbers: ``make_fixes`` turns them into missing
values, so every reader can hand it raw decoded numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final

import numpy as np

from desktop.core.lazy import pandas as pd

# ITU-R M.1371-5, message 1, table 45: the "not available" sentinels.
LAT_NOT_AVAILABLE: Final = 91.0
LON_NOT_AVAILABLE: Final = 181.0
SOG_NOT_AVAILABLE_KN: Final = 102.3
COG_NOT_AVAILABLE_DEG: Final = 360.0
HEADING_NOT_AVAILABLE_DEG: Final = 511
NAV_STATUS_NOT_DEFINED: Final = 15  # "not defined (default)": kept, it is a real value

FIX_COLUMNS: Final = (
    "mmsi",
    "time",
    "lat",
    "lon",
    "sog_kn",
    "cog_deg",
    "heading_deg",
    "nav_status",
    "source",
)

@functools.cache
def fix_dtypes() -> Mapping[str, Any]:
    """The dtype of each column of the fixes table (made on first use: they are pandas's)."""
    return {
        "mmsi": np.dtype("uint32"),
        "time": pd.DatetimeTZDtype("ns", "UTC"),
        "lat": np.dtype("float64"),
        "lon": np.dtype("float64"),
        "sog_kn": np.dtype("float32"),
        "cog_deg": np.dtype("float32"),
        "heading_deg": pd.UInt16Dtype(),
        "nav_status": pd.UInt8Dtype(),
        "source": "category",
    }


def __getattr__(name: str) -> Any:
    # ``FIX_DTYPES`` as a module constant for its readers, without importing pandas with
    # this module (``desktop.core.lazy``).
    if name == "FIX_DTYPES":
        return fix_dtypes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _as_float(values: Any, n: int, dtype: str) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan, dtype=dtype)
    numbers = pd.to_numeric(pd.Series(values), errors="coerce")
    # A copy: pandas 3 hands out read-only views, and the sentinels are blanked in place below.
    return numbers.to_numpy(dtype=dtype, na_value=np.nan, copy=True)


def _as_utc(values: Any) -> pd.Series:
    """Times as UTC; integers are taken as ns since the epoch, naive datetimes as UTC."""
    series = pd.Series(values)
    if series.dtype.kind in "iu":
        times = pd.to_datetime(series, unit="ns", utc=True)
    else:
        times = pd.to_datetime(series, utc=True)
    return times.astype(fix_dtypes()["time"])


def make_fixes(columns: Mapping[str, Any], *, sort: bool = True) -> pd.DataFrame:
    """Build a fixes table from raw columns, enforcing the schema above.

    ``columns`` maps column names to array-likes of equal length. ``mmsi``, ``time``, ``lat``
    and ``lon`` are required; the rest default to missing. ``source`` may be a single string.
    Sentinels become missing; lat/lon sentinels become NaN here, and rows with a missing or
    out-of-range position are the readers' business (they count them as ``invalid_position``
    before calling this).
    """
    n = len(columns["mmsi"])
    lat = _as_float(columns["lat"], n, "float64")
    lon = _as_float(columns["lon"], n, "float64")
    lat[lat == LAT_NOT_AVAILABLE] = np.nan
    lon[lon == LON_NOT_AVAILABLE] = np.nan
    sog = _as_float(columns.get("sog_kn"), n, "float32")
    sog[np.isclose(sog, SOG_NOT_AVAILABLE_KN) | (sog < 0)] = np.nan
    cog = _as_float(columns.get("cog_deg"), n, "float32")
    cog[(cog >= COG_NOT_AVAILABLE_DEG) | (cog < 0)] = np.nan
    heading = pd.array(_as_float(columns.get("heading_deg"), n, "float64"), dtype="Float64")
    heading[(heading >= 360) | (heading < 0)] = pd.NA  # 511 and any other out-of-range value
    nav = pd.array(_as_float(columns.get("nav_status"), n, "float64"), dtype="Float64")
    nav[(nav > 15) | (nav < 0)] = pd.NA
    source = columns.get("source", "")
    if isinstance(source, str):
        source_col = pd.Categorical([source] * n) if n else pd.Categorical([], categories=[source])
    else:
        source_col = pd.Categorical(source)
    frame = pd.DataFrame(
        {
            "mmsi": np.asarray(columns["mmsi"], dtype="uint32"),
            "time": _as_utc(columns["time"]).array,
            "lat": lat,
            "lon": lon,
            "sog_kn": sog,
            "cog_deg": cog,
            "heading_deg": heading.round().astype("UInt16"),
            "nav_status": nav.round().astype("UInt8"),
            "source": source_col,
        }
    )
    if sort:
        frame = frame.sort_values(["mmsi", "time"], kind="stable", ignore_index=True)
    return frame


def empty_fixes() -> pd.DataFrame:
    """A fixes table with no rows and the full schema."""
    return make_fixes({"mmsi": [], "time": np.array([], dtype="int64"), "lat": [], "lon": []})


def check_fixes(frame: pd.DataFrame) -> None:
    """Raise AssertionError unless ``frame`` follows the schema and the sort order."""
    assert tuple(frame.columns) == FIX_COLUMNS, f"columns {tuple(frame.columns)}"
    for name, dtype in fix_dtypes().items():
        if dtype == "category":
            assert isinstance(frame[name].dtype, pd.CategoricalDtype), name
        else:
            assert frame[name].dtype == dtype, f"{name}: {frame[name].dtype} != {dtype}"
    keys = frame[["mmsi", "time"]]
    ordered = keys.sort_values(["mmsi", "time"], kind="stable")
    assert keys.equals(ordered), "not sorted by mmsi, time"


def bytes_per_fix(frame: pd.DataFrame) -> float:
    """Memory of the table divided by its rows (deep, so categories count)."""
    return float(frame.memory_usage(deep=True, index=False).sum()) / max(len(frame), 1)
