"""The vessels table: one row per MMSI, its latest static data and when it was seen.

Columns: ``mmsi`` (uint32), ``imo`` (Int64), ``name``, ``callsign`` (object, None when never
sent), ``ship_type`` (Int64, ITU 0..99), ``length_m``, ``width_m`` (float64, metres),
``destination`` (object), ``flag`` (ISO 3166 alpha-2 from the MMSI's MID, None when unknown),
``first_seen``/``last_seen`` (datetime64[ns, UTC]: the earliest and latest fix or static
record), ``fixes`` (int64, fixes in the fixes table).

Each static field is the latest value the vessel sent for it (a later record with the field
missing does not erase an earlier value); records without a time count as the oldest. The
full history stays in ``IngestResult.statics`` for identity-change detection.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from desktop.core.flags import flags_of

VESSEL_COLUMNS: Final = (
    "mmsi", "imo", "name", "callsign", "ship_type", "length_m", "width_m", "destination",
    "flag", "first_seen", "last_seen", "fixes",
)  # fmt: skip
_STATIC_FIELDS: Final = (
    "imo", "name", "callsign", "ship_type", "length_m", "width_m", "destination",
)  # fmt: skip


def build_vessels(fixes: pd.DataFrame, statics: pd.DataFrame) -> pd.DataFrame:
    """One row per MMSI in ``fixes`` (the fixes table) or ``statics``, sorted by mmsi."""
    fix_mmsi = fixes["mmsi"].to_numpy("int64")
    static_mmsi = statics["mmsi"].to_numpy("int64")
    mmsi = np.union1d(fix_mmsi, static_mmsi)
    out = pd.DataFrame({"mmsi": mmsi.astype("uint32")})

    if len(statics):
        ordered = statics.sort_values("time", kind="stable", na_position="first")
        latest = ordered.groupby("mmsi", sort=True)[list(_STATIC_FIELDS)].last()
        latest.index = latest.index.astype("int64")
        latest = latest.reindex(mmsi)
    else:
        latest = pd.DataFrame(index=mmsi, columns=list(_STATIC_FIELDS))
    out["imo"] = pd.array(latest["imo"].to_numpy(), dtype="Int64")
    for name in ("name", "callsign", "destination"):
        out[name] = pd.Series(latest[name].to_numpy(dtype=object), dtype=object).where(
            latest[name].notna().to_numpy(), None
        )
    out["ship_type"] = pd.array(latest["ship_type"].to_numpy(), dtype="Int64")
    for name in ("length_m", "width_m"):
        out[name] = pd.to_numeric(latest[name], errors="coerce").to_numpy("float64")
    out["flag"] = pd.Series(flags_of(mmsi), dtype=object)

    first, last, count = _seen(fix_mmsi, fixes["time"].array.asi8, mmsi)
    s_first, s_last, _ = _seen(static_mmsi, statics["time"].array.asi8, mmsi)
    out["first_seen"] = _as_utc(_combine(first, s_first, np.minimum))
    out["last_seen"] = _as_utc(_combine(last, s_last, np.maximum))
    out["fixes"] = count
    return out[list(VESSEL_COLUMNS)]


_NAT: Final = np.iinfo("int64").min


def _seen(values: np.ndarray, times_ns: np.ndarray, mmsi: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Earliest and latest time (int64 ns, ``_NAT`` when none) and row count per ``mmsi``."""
    frame = pd.DataFrame({"mmsi": values, "t": times_ns})
    count = frame["mmsi"].value_counts().reindex(mmsi, fill_value=0).to_numpy("int64")
    grouped = frame[frame["t"] != _NAT].groupby("mmsi")["t"]
    first = grouped.min().reindex(mmsi, fill_value=_NAT).to_numpy("int64")
    last = grouped.max().reindex(mmsi, fill_value=_NAT).to_numpy("int64")
    return first, last, count


def _combine(a: np.ndarray, b: np.ndarray, pick: np.ufunc) -> np.ndarray:
    return np.where(a == _NAT, b, np.where(b == _NAT, a, pick(a, b)))


def _as_utc(ns: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(ns.view("datetime64[ns]"), utc=True))
