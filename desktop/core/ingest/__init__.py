"""Readers (NMEA, CSV, tables) that turn files into the fixes and vessels tables.

``ingest(paths)`` is the one entry point: it expands folders, detects each file's format from
its content (``detect_format``), reads it with the matching reader into a ``RawRead``, runs the
shared cleaning (``clean``) over the positions of all files together (so duplicates and jumps
are judged across files), and builds the fixes, statics, vessels and flagged tables with one
``FileReport`` per file.

Bad content never raises: it is counted by reason in the file's report, and for every file
``sum(accepted) + sum(rejected) == lines``. Only a path that cannot be read at all raises
``InputError``; ``cancel()`` returning True raises ``Cancelled`` between files and steps.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from desktop.core.errors import Cancelled, ParameterError
from desktop.core.fixes import make_fixes
from desktop.core.ingest.base import ACCEPTED_FIX, NOT_AIS, STATIC_COLUMNS, LineTally, RawRead
from desktop.core.ingest.clean import clean_positions, mmsi_invalid, mmsi_not_a_vessel
from desktop.core.ingest.csv_reader import empty_positions, empty_statics, line_layout
from desktop.core.ingest.detect_format import expand_paths, read_bytes, sniff
from desktop.core.ingest.result import FileReport, IngestResult
from desktop.core.ingest.vessels import build_vessels
from desktop.core.textsafe import printable_path

__all__ = ["FileReport", "IngestResult", "ingest", "read_file"]

log = logging.getLogger(__name__)

READER_ERROR: Final = "reader_error"  # a reader failed on this file: every line counted here

Progress = Callable[[float, str], None]


def read_file(path: Path) -> RawRead:
    """Read one file with the reader its content calls for (no cleaning)."""
    data = read_bytes(path)  # InputError when the file cannot be read
    kind = sniff(path, data[:65536])
    try:
        return _dispatch(path, data, kind)
    except Exception as exc:  # noqa: BLE001 - bad content must never stop a run
        log.exception("reader failed on %s", path)
        lines, _ = line_layout(data)
        tally = LineTally()
        if lines:
            tally.reject_many(READER_ERROR, np.arange(1, lines + 1))
        raw = RawRead(str(path), kind, lines, empty_positions(), empty_statics(), tally)
        raw.notes.append(f"the {kind} reader failed: {type(exc).__name__}: {exc}")
        return raw


def _dispatch(path: Path, data: bytes, kind: str) -> RawRead:
    if kind.startswith("csv"):
        from desktop.core.ingest.csv_reader import read_csv_track

        return read_csv_track(path, data, kind)
    if kind in ("parquet", "gpkg"):
        from desktop.core.ingest.tables import read_table_track

        gzipped = path.read_bytes()[:2] == b"\x1f\x8b"
        raw = read_table_track(io.BytesIO(data) if gzipped else path, kind)  # type: ignore[arg-type]
        raw.path = str(path)
        return raw
    if kind == "nmea":
        from desktop.core.ingest.nmea import read_nmea

        raw = read_nmea(path)
        raw.path = str(path)
        return raw
    lines, _ = line_layout(data)
    tally = LineTally()
    tally.reject_many(NOT_AIS, np.arange(1, lines + 1))
    raw = RawRead(str(path), "unknown", lines, empty_positions(), empty_statics(), tally)
    raw.notes.append("binary content of no known format")
    return raw


def _time_ns(values: pd.Series) -> np.ndarray:
    if values.dtype.kind in "iu":
        return values.to_numpy("int64")
    times = pd.to_datetime(values, utc=True)
    return times.astype("datetime64[ns, UTC]").array.asi8


def ingest(
    paths: Sequence[str | Path],
    *,
    max_speed_kn: float = 50.0,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> IngestResult:
    """Read track files and folders into cleaned tables (see ``IngestResult``).

    ``max_speed_kn``: a fix implying more than this speed (knots) from the vessel's track is an
    implausible jump. ``progress(fraction 0..1, message)`` is called as files are read;
    ``cancel()`` is polled between files and steps and raises ``Cancelled`` when True.
    """
    if not max_speed_kn > 0:
        raise ParameterError(f"max_speed_kn must be positive, got {max_speed_kn}")

    def step(fraction: float, message: str) -> None:
        if cancel is not None and cancel():
            raise Cancelled("ingest cancelled")
        if progress is not None:
            progress(fraction, message)

    if isinstance(paths, str | Path):
        paths = [paths]  # one path, not a sequence of characters
    files = expand_paths(paths)
    raws: list[RawRead] = []
    for number, path in enumerate(files):
        step(0.85 * number / max(len(files), 1), f"reading {path.name}")
        raw = read_file(path)
        if raw.tally.total != raw.lines:
            raw.notes.append(
                f"line accounting is off: {raw.tally.total} counted for {raw.lines} lines"
            )
        raws.append(raw)
    step(0.85, "cleaning")
    result = _assemble(files, raws, max_speed_kn)
    step(1.0, "done")
    return result


def _assemble(files: list[Path], raws: list[RawRead], max_speed_kn: float) -> IngestResult:
    # File names that are not UTF-8 (lone surrogates in Python) are shown as \xNN: pyarrow
    # strings, JSON and the terminal all need valid text.
    names = [printable_path(path.name) for path in files]
    categories = list(dict.fromkeys(names))
    code_of_name = {name: code for code, name in enumerate(categories)}

    # Plain arrays, not a DataFrame: building and slicing frames of a million rows copies
    # every column again, and nothing here needs pandas.
    columns: dict[str, list[np.ndarray]] = {name: [] for name in _COLUMNS}
    for number, raw in enumerate(raws):
        pos = raw.positions
        if not len(pos):
            continue
        columns["mmsi"].append(pos["mmsi"].to_numpy("int64"))
        columns["time"].append(_time_ns(pos["time"]))
        for name in ("lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status"):
            columns[name].append(pos[name].to_numpy("float64", na_value=np.nan))
        columns["file"].append(np.full(len(pos), number, dtype="int64"))
        columns["line"].append(pos["line"].to_numpy("int64"))
    positions = {
        name: np.concatenate(parts) if parts else np.array([], dtype=_COLUMNS[name])
        for name, parts in columns.items()
    }
    # Reports of one vessel at one instant in several files keep the first file's; "first" is
    # by path, not by the order given, or swapping two files moves positions (two receivers
    # round one position differently: an STS min_distance_m moved by 0.1 m).
    rank = np.argsort(np.argsort(np.array([str(f) for f in files], dtype=object), kind="stable"))
    by_path = {**positions, "file": rank[positions["file"]]} if len(files) > 1 else positions
    cleaned = clean_positions(by_path, max_speed_kn=max_speed_kn)

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

    statics = _statics(raws, names)
    vessels = build_vessels(fixes, statics)
    reports = _reports(files, raws, positions, cleaned.order)
    return IngestResult(fixes, statics, vessels, flagged, reports)


_COLUMNS: Final = {
    "mmsi": "int64", "time": "int64", "lat": "float64", "lon": "float64", "sog_kn": "float64",
    "cog_deg": "float64", "heading_deg": "float64", "nav_status": "float64", "file": "int64",
    "line": "int64",
}  # fmt: skip


def _statics(raws: list[RawRead], names: list[str]) -> pd.DataFrame:
    """Static records of vessels only (same MMSI rules as the fixes), sorted by mmsi, time."""
    parts = []
    for raw, name in zip(raws, names, strict=True):
        frame = raw.statics
        if not len(frame):
            continue
        mmsi = frame["mmsi"].to_numpy("int64")
        keep = ~(mmsi_not_a_vessel(mmsi) | mmsi_invalid(mmsi))
        if not keep.all():
            raw.notes.append(f"{int((~keep).sum())} static records of non-vessel MMSIs left out")
        frame = frame[keep].copy()
        frame["source"] = name
        parts.append(frame)
    if not parts:
        frame = empty_statics()
        frame["source"] = pd.Series([], dtype=object)
    else:
        frame = pd.concat(parts, ignore_index=True)
    frame["source"] = frame["source"].astype("category")
    frame["time"] = pd.to_datetime(frame["time"], utc=True).astype("datetime64[ns, UTC]")
    frame = frame.sort_values(["mmsi", "time"], kind="stable", na_position="first")
    return frame.reset_index(drop=True)[[*STATIC_COLUMNS, "source"]]


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
