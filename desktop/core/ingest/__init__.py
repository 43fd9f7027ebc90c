"""Readers (NMEA, CSV, tables) that turn files into the fixes and vessels tables.

``ingest(paths)`` is the one entry point: it expands folders, detects each file's format from
its content (``detect_format``), reads it with the matching reader into a ``RawRead`` (NMEA and
CSV piece by piece, ``stream.read_raw``, reporting progress by bytes), runs the
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
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Final

import numpy as np

from desktop.core.errors import Cancelled, InputError, ParameterError
from desktop.core.ingest.assemble import assemble
from desktop.core.ingest.base import NOT_AIS, LineTally, RawRead
from desktop.core.ingest.csv_reader import ACCEPTED_BLANK, empty_positions, empty_statics
from desktop.core.ingest.detect_format import expand_paths, read_bytes, sniff
from desktop.core.ingest.limits import (
    DEFAULT_LIMITS,
    PIECE_MAX_LINES,
    GuardReport,
    ReadLimits,
)
from desktop.core.ingest.result import FileReport, IngestResult

__all__ = ["FileReport", "IngestResult", "ingest", "read_file"]

log = logging.getLogger(__name__)

READER_ERROR: Final = "reader_error"  # a reader failed on this file: every line counted here

Progress = Callable[[float, str], None]
# NMEA and CSV files are read this many bytes at a time (progress is reported per piece).
INGEST_CHUNK_BYTES: Final = 32 << 20


def read_file(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> RawRead:
    """Read one file with the reader its content calls for (no cleaning).

    NMEA and CSV are read whole, after the text guard the streaming reader uses too
    (``limits.guarded_pieces``: UTF-16, bare CR, the bounds of ``limits``); content of no
    known format is only counted, a piece at a time (a gzip bomb is never held)."""
    from desktop.core.ingest.stream import content_head, count_lines, streamable

    kind = sniff(path, content_head(path))  # InputError when the file cannot be read
    try:
        if streamable(kind) or kind == "unknown":
            return _read_text(path, kind, limits)
        return _dispatch(path, read_bytes(path), kind)
    except Exception as exc:  # noqa: BLE001 - bad content must never stop a run
        log.exception("reader failed on %s", path)
        lines = count_lines(path)
        tally = LineTally()
        if lines:
            tally.reject_many(READER_ERROR, np.arange(1, lines + 1))
        raw = RawRead(str(path), kind, lines, empty_positions(), empty_statics(), tally)
        raw.notes.append(f"the {kind} reader failed: {type(exc).__name__}: {exc}")
        return raw


def _read_text(path: Path, kind: str, limits: ReadLimits) -> RawRead:
    """An NMEA or CSV file read whole after the text guard, or unknown content counted."""
    from desktop.core.ingest.csv_reader import delimiter_of, encoding_of, read_csv_track
    from desktop.core.ingest.stream import _pieces, content_head

    guard = GuardReport()
    gzip_notes: list[str] = []
    quoted = kind.startswith("csv")
    delimiter = delimiter_of(content_head(path)) if quoted else ","
    pieces = _pieces(path, 1 << 24, gzip_notes, quoted, limits, guard, ord(delimiter))
    if kind == "unknown":
        lines = 0
        for piece, _, _ in pieces:  # counted, never held
            lines += piece.count(b"\n") + (1 if piece and not piece.endswith(b"\n") else 0)
        tally = LineTally()
        tally.reject_range(NOT_AIS, 1, lines)
        raw = RawRead(str(path), "unknown", lines, empty_positions(), empty_statics(), tally)
        raw.lines += guard.settle(tally, NOT_AIS, empty_accepted=False)
        raw.notes.append("binary content of no known format")
        raw.notes.extend(guard.notes(limits))
        return raw
    if quoted:
        parts = _joined_up_to_piece_lines(piece for piece, _, _ in pieces)
        raw = read_csv_track(path, parts, kind, encoding_of(parts), delimiter,
                             limits.max_line_bytes)  # fmt: skip
        raw.lines += guard.settle(raw.tally, ACCEPTED_BLANK, empty_accepted=True)
    else:
        text = b"".join(piece for piece, _, _ in pieces)
        from desktop.core.ingest.nmea import read_nmea

        raw = read_nmea(path, text, gzip_notes)
        raw.path = str(path)
        raw.lines += guard.settle(raw.tally, NOT_AIS, empty_accepted=False)
    raw.notes.extend(guard.notes(limits))
    return raw


def _joined_up_to_piece_lines(pieces: Iterator[bytes]) -> list[bytes]:
    """The guard's pieces (whole records) joined into parts of at most ``PIECE_MAX_LINES``
    lines: a CSV of fewer lines is read whole, in one part; a longer one (50 MB of blank
    lines is 26 million) in parts, or its per-line arrays (about 60 bytes a line) would grow
    with the file (1.3 GB at 50 MB of CRLF blank lines)."""
    out: list[bytes] = []
    group: list[bytes] = []
    lines = 0
    for piece in pieces:
        count = piece.count(b"\n")
        if group and lines + count > PIECE_MAX_LINES:
            out.append(b"".join(group))
            group, lines = [], 0
        group.append(piece)
        lines += count
    if group:
        out.append(b"".join(group))
    return out


def _read_streaming(path: Path, number: int, count: int, step: Progress,
                    limits: ReadLimits = DEFAULT_LIMITS) -> RawRead:  # fmt: skip
    """Read one file for ``ingest``: NMEA and CSV piece by piece (``stream.read_raw``: same
    records as ``read_file``, without the file's bytes in memory), with progress by bytes;
    other formats whole."""
    from desktop.core.ingest.stream import content_head, count_lines, read_raw, streamable

    kind = sniff(path, content_head(path))  # InputError when the file cannot be read
    if not streamable(kind):
        return read_file(path, limits)

    def on_bytes(done: int, total: int) -> None:
        step(
            0.85 * (number + done / max(total, 1)) / count,
            f"reading {path.name}: {done / 1e6:.0f} of {total / 1e6:.0f} MB",
        )

    try:
        return read_raw(path, kind, chunk_bytes=INGEST_CHUNK_BYTES, progress=on_bytes,
                        limits=limits)
    except (Cancelled, InputError):
        raise
    except Exception as exc:  # noqa: BLE001 - bad content must never stop a run
        log.exception("reader failed on %s", path)
        lines = count_lines(path)
        tally = LineTally()
        if lines:
            tally.reject_many(READER_ERROR, np.arange(1, lines + 1))
        raw = RawRead(str(path), kind, lines, empty_positions(), empty_statics(), tally)
        raw.notes.append(f"the {kind} reader failed: {type(exc).__name__}: {exc}")
        return raw


def _dispatch(path: Path, data: bytes, kind: str) -> RawRead:
    if kind in ("parquet", "gpkg"):
        from desktop.core.ingest.tables import read_table_track

        gzipped = path.read_bytes()[:2] == b"\x1f\x8b"
        raw = read_table_track(io.BytesIO(data) if gzipped else path, kind)  # type: ignore[arg-type]
        raw.path = str(path)
        return raw
    raise InputError(f"{path}: no reader for {kind} content")


def ingest(
    paths: Sequence[str | Path],
    *,
    max_speed_kn: float = 50.0,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> IngestResult:
    """Read track files and folders into cleaned tables (see ``IngestResult``).

    ``max_speed_kn``: a fix implying more than this speed (knots) from the vessel's track is an
    implausible jump. ``progress(fraction 0..1, message)`` is called as files are read;
    ``cancel()`` is polled between files and steps and raises ``Cancelled`` when True.
    ``limits`` bound each text file (longest line, text size, line count; ``limits.py``).
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
        raw = _read_streaming(path, number, len(files), step, limits)
        if raw.tally.total != raw.lines:
            raw.notes.append(
                f"line accounting is off: {raw.tally.total} counted for {raw.lines} lines"
            )
        raws.append(raw)
    step(0.85, "cleaning")
    result = assemble(files, raws, max_speed_kn)
    step(1.0, "done")
    return result


