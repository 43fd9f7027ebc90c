"""Streaming readers: one file as a sequence of bounded chunks of cleaned fixes.

SHIM (branch archive8): the stream8 branch owns this module and replaces it with readers that
read in chunks of ``chunk_bytes``. Until then this one has exactly their API, implemented with
the whole-file ``desktop.core.ingest.ingest([path])``: the file comes out as a single chunk, so
the archive code built on it works unchanged when the real readers land.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from desktop.core.errors import Cancelled
from desktop.core.ingest.result import FileReport


@dataclass
class FixChunk:
    """One piece of a file: cleaned fixes sorted by (mmsi, time), and the static records read."""

    fixes: pd.DataFrame  # fixes schema of desktop.core.fixes.make_fixes
    statics: pd.DataFrame  # STATIC_COLUMNS + source
    bytes_read: int  # bytes of the file consumed so far
    bytes_total: int  # the file's size on disk


@dataclass
class FileStream:
    """An iterable of ``FixChunk``; ``report`` is complete once iteration has ended."""

    path: Path
    format: str
    max_speed_kn: float = 50.0
    chunk_bytes: int = 32 << 20
    cancel: Callable[[], bool] | None = None
    report: FileReport = field(init=False)

    def __post_init__(self) -> None:
        self.report = FileReport(path=str(self.path), format=self.format, lines=0)

    def __iter__(self) -> Iterator[FixChunk]:
        from desktop.core.ingest import ingest

        if self.cancel is not None and self.cancel():
            raise Cancelled("reading cancelled")
        result = ingest([self.path], max_speed_kn=self.max_speed_kn, cancel=self.cancel)
        self.report = result.reports[0]
        self.format = self.report.format
        size = self.path.stat().st_size
        yield FixChunk(result.fixes, result.statics, size, size)


def stream_file(
    path: str | Path,
    *,
    max_speed_kn: float = 50.0,
    chunk_bytes: int = 32 << 20,
    cancel: Callable[[], bool] | None = None,
) -> FileStream:
    """A ``FileStream`` over one file (the format is known once iteration has started)."""
    return FileStream(Path(path), "unknown", max_speed_kn, chunk_bytes, cancel)
