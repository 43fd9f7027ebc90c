"""Cleaning and assembling what readers read into the tables of ``IngestResult``.

Shared by ``ingest`` (every file's positions cleaned together, so duplicates and jumps are
judged across files) and by the streaming reader (``stream.py``, one bucket of one file's
vessels at a time). Cleaned-out rows move from accepted ``fix`` to their reason in each
file's tally.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from desktop.core.fixes import make_fixes
from desktop.core.ingest.base import ACCEPTED_FIX, STATIC_COLUMNS, RawRead
from desktop.core.ingest.clean import clean_positions, mmsi_invalid, mmsi_not_a_vessel
from desktop.core.ingest.csv_reader import empty_statics
from desktop.core.ingest.result import FileReport, IngestResult
from desktop.core.lazy import pandas as pd
from desktop.core.textsafe import printable_path


def time_ns(values: pd.Series | np.ndarray) -> np.ndarray:
    if values.dtype.kind in "iu":
        return np.asarray(values, dtype="int64")
    times = pd.to_datetime(values, utc=True)
    return times.astype("datetime64[ns, UTC]").array.asi8


def assemble(files: list[Path], raws: list[RawRead], max_speed_kn: float) -> IngestResult:
    """Clean the positions of all files together and build the tables and reports."""
    # File names that are not UTF-8 (lone surrogates in Python) are shown as \xNN: pyarrow
    # strings, JSON and the terminal all need valid text.
    names = [printable_path(path.name) for path in files]
    cleaned = clean_raws(names, raws, max_speed_kn, order_keys=[str(f) for f in files])
    statics, dropped = statics_table(raws, names)
    for raw, count in zip(raws, dropped, strict=True):
        if count:
            raw.notes.append(static_note(count))
    # Imported here: the vessels table needs pyais's country table (a quarter of a second to
    # import), which the streaming readers of ``archive add`` never use.
    from desktop.core.ingest.vessels import build_vessels

    vessels = build_vessels(cleaned.fixes, statics)
    reports = _reports(files, raws, cleaned.positions, cleaned.kept)
    return IngestResult(cleaned.fixes, statics, vessels, cleaned.flagged, reports)


def static_note(count: int) -> str:
    return f"{count} static records of non-vessel MMSIs left out"


@dataclass
class CleanedRaws:
    """The cleaned fixes of some files, and the positions they were chosen from."""

    fixes: pd.DataFrame  # make_fixes schema, sorted by (mmsi, time)
    flagged: pd.DataFrame  # the implausible jumps, with line and implied_speed_kn
    positions: dict[str, np.ndarray]  # _COLUMNS, every position read
    kept: np.ndarray  # rows of ``positions`` that became fixes, in the order of ``fixes``


def clean_raws(names: list[str], raws: list[RawRead], max_speed_kn: float,
               order_keys: list[str] | None = None) -> CleanedRaws:
    """Clean the positions of ``raws`` (files named ``names``) together; the rows cleaned out
    move from accepted ``fix`` to their reason in each raw's tally.

    ``order_keys`` (one per raw, e.g. the full paths) decide which file's report is kept when
    several files report one vessel at one instant: the first by key, not by the order given,
    or swapping two files moves positions (two receivers round one position differently: an
    STS ``min_distance_m`` moved by 0.1 m)."""
    categories = list(dict.fromkeys(names))
    code_of_name = {name: code for code, name in enumerate(categories)}

    # Plain arrays, not a DataFrame: building and slicing frames of a million rows copies
    # every column again, and nothing here needs pandas.
    columns: dict[str, list[np.ndarray]] = {name: [] for name in _COLUMNS}
    for number, raw in enumerate(raws):
        pos = raw.positions
        rows = len(pos["mmsi"])
        if not rows:
            continue
        columns["mmsi"].append(_array(pos["mmsi"], "int64"))
        columns["time"].append(time_ns(pos["time"]))
        for name in ("lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status"):
            columns[name].append(_array(pos[name], "float64"))
        columns["file"].append(np.full(rows, number, dtype="int64"))
        columns["line"].append(_array(pos["line"], "int64"))
    positions = {
        name: np.concatenate(parts) if parts else np.array([], dtype=_COLUMNS[name])
        for name, parts in columns.items()
    }
    if order_keys is not None and len(raws) > 1:
        keys = np.array(order_keys, dtype=object)
        rank = np.argsort(np.argsort(keys, kind="stable"), kind="stable")
        cleaned = clean_positions({**positions, "file": rank[positions["file"]]},
                                  max_speed_kn=max_speed_kn)
    else:
        cleaned = clean_positions(positions, max_speed_kn=max_speed_kn)

    # Move cleaned-out rows from accepted "fix" to their reason, per file.
    file_no = positions["file"]
    line = positions["line"]
    rejected = np.flatnonzero(pd.notna(cleaned.reason))
    for number, raw in enumerate(raws):
        mine = rejected[file_no[rejected] == number]
        if not len(mine):
            continue
        raw.tally.accepted[ACCEPTED_FIX] -= len(mine)
        reasons = cleaned.reason[mine]
        for reason in sorted(set(reasons)):
            raw.tally.reject_many(reason, line[mine[reasons == reason]])

    source_codes = np.array([code_of_name[n] for n in names], dtype="int64")

    def table(rows: np.ndarray) -> pd.DataFrame:
        # A gather over a million rows is a cache miss per row: take only what is used.
        sub = {name: values[rows] for name, values in positions.items() if name != "line"}
        source = pd.Categorical.from_codes(source_codes[sub["file"]], categories=categories)
        return make_fixes(
            {
                "mmsi": sub["mmsi"],
                "time": sub["time"],
                "lat": sub["lat"],
                "lon": sub["lon"],
                "sog_kn": sub["sog_kn"],
                "cog_deg": sub["cog_deg"],
                "heading_deg": sub["heading_deg"],
                "nav_status": sub["nav_status"],
                "source": source,
            },
            sort=False,  # clean_positions already ordered the rows by (mmsi, time)
        )

    fixes = table(cleaned.order)
    flagged = table(cleaned.flagged_order)
    flagged["line"] = line[cleaned.flagged_order]
    flagged["implied_speed_kn"] = cleaned.flagged_speed_kn.astype("float32")
    return CleanedRaws(fixes, flagged, positions, cleaned.order)


def _array(values: pd.Series | np.ndarray, dtype: str) -> np.ndarray:
    """A positions column as a numpy array of ``dtype`` (missing floats as NaN)."""
    if isinstance(values, np.ndarray):
        return values.astype(dtype, copy=False)
    if dtype == "float64":
        return values.to_numpy(dtype, na_value=np.nan)
    return values.to_numpy(dtype)


_COLUMNS: Final = {
    "mmsi": "int64", "time": "int64", "lat": "float64", "lon": "float64", "sog_kn": "float64",
    "cog_deg": "float64", "heading_deg": "float64", "nav_status": "float64", "file": "int64",
    "line": "int64",
}  # fmt: skip


def statics_table(raws: list[RawRead], names: list[str]) -> tuple[pd.DataFrame, list[int]]:
    """Static records of vessels only (same MMSI rules as the fixes), sorted by mmsi, time
    (then file and line), and how many records of non-vessel MMSIs each raw had."""
    parts = []
    dropped = []
    for number, (raw, name) in enumerate(zip(raws, names, strict=True)):
        frame = raw.statics
        dropped.append(0)
        if not len(frame):
            continue
        mmsi = frame["mmsi"].to_numpy("int64")
        keep = ~(mmsi_not_a_vessel(mmsi) | mmsi_invalid(mmsi))
        dropped[-1] = int((~keep).sum())
        frame = frame[keep].copy()
        frame["source"] = name
        frame["_file"] = number
        parts.append(frame)
    if not parts:
        frame = empty_statics()
        frame["source"] = pd.Series([], dtype=object)
        frame["_file"] = np.zeros(0, dtype="int64")
    else:
        frame = pd.concat(parts, ignore_index=True)
    frame["source"] = frame["source"].astype("category")
    frame["time"] = pd.to_datetime(frame["time"], utc=True).astype("datetime64[ns, UTC]")
    # File and line break ties, so the order does not depend on the order rows were read in.
    frame = frame.sort_values(
        ["mmsi", "time", "_file", "line"], kind="stable", na_position="first"
    )
    return frame.reset_index(drop=True)[[*STATIC_COLUMNS, "source"]], dropped


def _reports(files: list[Path], raws: list[RawRead], positions: dict[str, np.ndarray],
             kept: np.ndarray) -> list[FileReport]:  # fmt: skip
    file_no = positions["file"][kept]
    mmsi = positions["mmsi"][kept]
    t = positions["time"][kept]
    reports = []
    for number, (path, raw) in enumerate(zip(files, raws, strict=True)):
        mine = file_no == number
        report = FileReport(
            path=printable_path(path),
            format=raw.format,
            lines=raw.lines,
            fixes=int(mine.sum()),
            vessels=int(len(np.unique(mmsi[mine]))),
            accepted={k: int(v) for k, v in raw.tally.accepted.items() if v},
            rejected={k: int(v) for k, v in raw.tally.rejected.items() if v},
            first_lines={k: list(v) for k, v in raw.tally.first_lines.items() if v},
            notes=list(raw.notes),
        )
        if report.fixes:
            report.time_min = pd.Timestamp(int(t[mine].min()), tz="UTC")
            report.time_max = pd.Timestamp(int(t[mine].max()), tz="UTC")
        reports.append(report)
    return reports
