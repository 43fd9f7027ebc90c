"""What every reader hands to the shared cleaning step, and the per-file report.

A reader turns one file into a ``RawRead``: decoded position records (with the line each came
from), static records, and a ``LineTally`` in which every line read is counted exactly once,
either as accepted (by what it gave) or as rejected (by reason). The shared cleaning step
(``desktop.core.ingest.clean``) then moves position records that fail the vessel-level checks
(invalid MMSI, not a vessel, invalid position, duplicate, implausible jump) from accepted to
rejected, so that for every file ``sum(accepted) + sum(rejected) == lines`` holds at the end.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pyarrow as pa

from desktop.core.lazy import pandas as pd

# How many line numbers are kept per rejection reason, for the report.
FIRST_LINES_KEPT: Final = 5

# Accepted outcomes of a line.
ACCEPTED_FIX: Final = "fix"  # gave (or completed) a position record
ACCEPTED_STATIC: Final = "static"  # gave (or completed) a static/voyage record
ACCEPTED_FRAGMENT: Final = "fragment"  # an earlier part of a multipart message that was completed
ACCEPTED_TIMESTAMP: Final = "timestamp"  # a $PGHP (or similar) line that stamped a sentence
ACCEPTED_OTHER: Final = "other_ais"  # valid AIS of a type we do not use (kept out of fixes)

# Rejection reasons (DESIGN.md §7); readers may add their own, documented in their docstring.
BAD_CHECKSUM: Final = "bad_checksum"
TRUNCATED: Final = "truncated"
ORPHAN_FRAGMENT: Final = "orphan_fragment"
NO_TIMESTAMP: Final = "no_timestamp"
INVALID_POSITION: Final = "invalid_position"
INVALID_MMSI: Final = "invalid_mmsi"
NOT_A_VESSEL: Final = "not_a_vessel"
DUPLICATE: Final = "duplicate"
IMPLAUSIBLE_JUMP: Final = "implausible_jump"
UNSUPPORTED_TYPE: Final = "unsupported_type"
NOT_AIS: Final = "not_ais"  # instrument sentences ($GPRMC, ...), comments, junk
BAD_PAYLOAD: Final = "bad_payload"  # armoring or length errors inside the payload
BAD_VALUE: Final = "bad_value"  # CSV cell that cannot be parsed (time, number)


@dataclass
class LineTally:
    """Counts every line of one file under exactly one outcome, keeping the first line numbers."""

    accepted: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    first_lines: dict[str, list[int]] = field(default_factory=dict)

    def accept(self, outcome: str, count: int = 1) -> None:
        self.accepted[outcome] += count

    def reject(self, reason: str, line_no: int) -> None:
        """Count one rejected line (1-based ``line_no``)."""
        self.rejected[reason] += 1
        kept = self.first_lines.setdefault(reason, [])
        if len(kept) < FIRST_LINES_KEPT:
            kept.append(line_no)

    def reject_many(self, reason: str, line_nos: np.ndarray) -> None:
        """Count many rejected lines at once (vectorised cleaning)."""
        if len(line_nos) == 0:
            return
        self.rejected[reason] += len(line_nos)
        # The smallest numbers seen so far, whatever order the calls come in (a streamed file
        # is counted piece by piece, and cleaning returns to earlier lines).
        kept = self.first_lines.setdefault(reason, [])
        first = np.sort(np.asarray(line_nos, dtype="int64"))[:FIRST_LINES_KEPT].tolist()
        kept[:] = sorted(set(kept) | set(first))[:FIRST_LINES_KEPT]

    def reject_range(self, reason: str, first: int, count: int) -> None:
        """Count ``count`` rejected lines numbered ``first``, ``first + 1``, ... (no array:
        a file may have billions)."""
        if count <= 0:
            return
        self.rejected[reason] += count
        kept = self.first_lines.setdefault(reason, [])
        new = range(first, first + min(count, FIRST_LINES_KEPT))
        kept[:] = sorted(set(kept) | set(new))[:FIRST_LINES_KEPT]

    def merge(self, other: LineTally) -> None:
        """Add the counts of ``other`` (another piece of the same file) to these."""
        self.accepted.update(other.accepted)
        for reason, count in other.rejected.items():
            self.rejected[reason] += count
            kept = self.first_lines.setdefault(reason, [])
            kept[:] = sorted(set(kept) | set(other.first_lines.get(reason, ())))[
                :FIRST_LINES_KEPT
            ]

    @property
    def total(self) -> int:
        return sum(self.accepted.values()) + sum(self.rejected.values())


# Columns of RawRead.positions: the raw fix columns (no source yet) and the line they came from.
POSITION_COLUMNS: Final = (
    "mmsi", "time", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status", "line",
)  # fmt: skip

# Epoch values above this are milliseconds: 1e11 s is the year 5138, while 1e11 ms is 1973,
# so no real value of either unit falls on the wrong side. Shared by the NMEA and CSV readers.
EPOCH_MS_ABOVE: Final = 1e11

# Columns of the static records table a reader returns (one row per type 5 / 24 / CSV static
# row seen; the vessels table is built from them). Missing values are None/NaN.
STATIC_COLUMNS: Final = (
    "mmsi",  # uint32
    "time",  # datetime64[ns, UTC] when seen (NaT when the line had no time)
    "imo",  # Int64, 1000000..9999999 or <NA>
    "name",  # str or None, stripped of '@' padding and spaces
    "callsign",  # str or None
    "ship_type",  # Int64 ITU ship and cargo type 0..99 or <NA>
    "length_m",  # float, bow + stern
    "width_m",  # float, port + starboard
    "destination",  # str or None
    "line",  # int, 1-based line number in the file
)


def static_schema(time_unit: str, *, source: bool) -> pa.Schema:
    """The static records as Arrow: the one definition, used by the streaming reader's spills
    (``time_unit="ns"``, no source: exactly what pandas holds) and by the archive's parts
    (``"us"``, with the source file's name: what DuckDB and Spark read natively)."""
    schema = pa.schema(
        [
            ("mmsi", pa.uint32()),
            ("time", pa.timestamp(time_unit, tz="UTC")),
            ("imo", pa.int64()),
            ("name", pa.string()),
            ("callsign", pa.string()),
            ("ship_type", pa.int64()),
            ("length_m", pa.float64()),
            ("width_m", pa.float64()),
            ("destination", pa.string()),
            ("line", pa.int64()),
        ]
    )
    return schema.append(pa.field("source", pa.string())) if source else schema


@dataclass
class RawRead:
    """One file as a reader decoded it, before cleaning.

    ``positions`` (a DataFrame, or a dict of equal-length numpy arrays) has the raw fix
    columns of ``desktop.core.fixes.make_fixes`` (``mmsi``, ``time`` as int64 ns UTC or
    datetime64 UTC, ``lat``, ``lon``, ``sog_kn``, ``cog_deg``, ``heading_deg``,
    ``nav_status``) plus ``line`` (int64, 1-based line that completed the record). Every row
    of ``positions`` is counted in ``tally.accepted["fix"]``; sentinels may
    still be in it. ``statics`` has ``STATIC_COLUMNS``.
    """

    path: str
    format: str  # "nmea", "csv-noaa", "csv-dma", "csv", "parquet", "geoparquet", "gpkg"
    lines: int  # lines (or data rows, for tables) read
    positions: pd.DataFrame | dict[str, np.ndarray]
    statics: pd.DataFrame
    tally: LineTally
    notes: list[str] = field(default_factory=list)  # e.g. "tag-block checksums ignored"
