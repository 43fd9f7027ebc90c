"""The fixes table schema: sentinels become missing, dtypes and order are enforced."""

from __future__ import annotations

import numpy as np
import pandas as pd

from desktop.core.fixes import bytes_per_fix, check_fixes, empty_fixes, make_fixes


def _table() -> pd.DataFrame:
    return make_fixes(
        {
            "mmsi": [351000002, 351000001, 351000001],
            "time": np.array([0, 3_600_000_000_000, 0], dtype="int64"),
            "lat": [38.7, 91.0, 38.0],
            "lon": [125.4, 125.0, 181.0],
            "sog_kn": [102.3, 12.5, 0.0],
            "cog_deg": [360.0, 359.9, 0.0],
            "heading_deg": [511, 359, 0],
            "nav_status": [None, 5, 15],
            "source": "x.nmea",
        }
    )


def test_make_fixes_sorts_by_mmsi_then_time() -> None:
    fixes = _table()
    check_fixes(fixes)
    assert fixes["mmsi"].tolist() == [351000001, 351000001, 351000002]
    assert fixes["time"].tolist() == [
        pd.Timestamp("1970-01-01T00:00Z"),
        pd.Timestamp("1970-01-01T01:00Z"),
        pd.Timestamp("1970-01-01T00:00Z"),
    ]


def test_not_available_sentinels_become_missing_not_numbers() -> None:
    fixes = _table()
    last = fixes.iloc[2]  # mmsi 351000002: SOG 102.3, COG 360, heading 511, no status
    assert np.isnan(last["sog_kn"]) and np.isnan(last["cog_deg"])
    assert last["heading_deg"] is pd.NA and last["nav_status"] is pd.NA
    assert np.isnan(fixes.iloc[1]["lat"])  # lat 91
    assert np.isnan(fixes.iloc[0]["lon"])  # lon 181
    # Real values at the edges of their ranges survive.
    assert fixes.iloc[1]["heading_deg"] == 359 and fixes.iloc[0]["heading_deg"] == 0
    assert fixes.iloc[0]["nav_status"] == 15
    assert fixes.iloc[1]["cog_deg"] == np.float32(359.9)


def test_empty_fixes_has_the_schema() -> None:
    check_fixes(empty_fixes())


def test_a_fix_takes_at_most_48_bytes() -> None:
    fixes = make_fixes(
        {
            "mmsi": np.arange(10_000) + 200_000_000,
            "time": np.arange(10_000, dtype="int64"),
            "lat": np.zeros(10_000),
            "lon": np.zeros(10_000),
            "source": "a.csv",
        }
    )
    assert bytes_per_fix(fixes) <= 48
