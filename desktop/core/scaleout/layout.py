"""The archive files one screening reads, and how a worker reads them (DESIGN.md §8).

An ``ArchiveSlice`` names the Parquet files of the days a screening reads, by UTC day, as
paths or fsspec URLs (``s3://bucket/ais/fixes/day=2026-11-28/part-0.parquet``), with the
``storage_options`` a worker needs to open them. It is small and picklable: the client sends it
to the workers, which read the files themselves, so the client never holds the fixes.

Readers read only the columns the detectors use, and may push a filter on ``mmsi`` down to the
Parquet row groups (the archive sorts rows by ``(mmsi, time)`` within a file, so a range or a
set of MMSIs skips most row groups). Every table read is put back into the dtypes of
``desktop.core.fixes`` and the ``(mmsi, time)`` order, so the detectors see exactly what the
single-process path sees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

import pandas as pd

from desktop.core.errors import InputError
from desktop.core.fixes import FIX_DTYPES
from desktop.core.ingest.result import FileReport

#: The fixes columns the detectors read (``source``, ``cog_deg``, ``heading_deg`` are not used).
DETECTOR_COLUMNS: Final = ("mmsi", "time", "lat", "lon", "sog_kn", "nav_status")
#: The columns the STS candidate search reads.
STS_COLUMNS: Final = ("mmsi", "time", "lat", "lon", "sog_kn")


@dataclass(frozen=True)
class ArchiveSlice:
    """The fixes and statics files of the days ``first_day .. last_day`` (UTC, inclusive).

    ``fixes`` and ``statics`` map each day to its files (full paths or fsspec URLs, as the
    archive's manifest lists them); a day without files is simply absent. ``reports`` are the
    per-file ingest reports the JSON lists as ``inputs`` (from the manifest); ``fixes_bytes``
    the size of each day's fixes files (how the engine groups small days into one task).
    """

    first_day: date
    last_day: date
    fixes: Mapping[date, tuple[str, ...]]
    statics: Mapping[date, tuple[str, ...]]
    storage_options: Mapping[str, Any] = field(default_factory=dict)
    reports: Sequence[FileReport] = ()
    fixes_bytes: Mapping[date, int] = field(default_factory=dict)  # file sizes, for planning
    archive: str | None = None  # an archive with a manifest: its own reader reads the statics
    #: Only these MMSIs are read (a selection, ``--vessels``: the listed vessels and those
    #: their verdicts depend on); None: every vessel.
    vessels: tuple[int, ...] | None = None

    def mmsi_filters(
        self, filters: list[tuple[str, str, Any]] | None = None
    ) -> list[tuple[str, str, Any]] | None:
        """``filters`` and, with a selection, the filter that reads only its vessels."""
        if self.vessels is None:
            return filters
        return [*(filters or []), ("mmsi", "in", list(self.vessels))]

    def days(self) -> list[date]:
        """Every day of the slice, in order (days without files included)."""
        n = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=k) for k in range(max(n, 0))]

    def fixes_files(self, days: Sequence[date] | None = None) -> list[str]:
        """The fixes files of ``days`` (default: all), in day order."""
        chosen = self.days() if days is None else days
        return [p for d in chosen for p in self.fixes.get(d, ())]

    def statics_files(self) -> list[str]:
        return [p for d in self.days() for p in self.statics.get(d, ())]


def _filesystem(path: str, storage_options: Mapping[str, Any]) -> tuple[Any, str]:
    import fsspec.core

    fs, stripped = fsspec.core.url_to_fs(path, **dict(storage_options))
    return fs, stripped


def _arrow_filesystem(fs: Any) -> Any:
    """pyarrow's own filesystem for local files (faster), fsspec's wrapped otherwise."""
    import pyarrow.fs as pafs

    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    if "file" in protocols:
        return pafs.LocalFileSystem()
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs))


def read_table(
    paths: Sequence[str],
    columns: Sequence[str],
    storage_options: Mapping[str, Any],
    filters: list[tuple[str, str, Any]] | None = None,
) -> pd.DataFrame:
    """``columns`` of the Parquet files ``paths`` (one table, in file order), rows kept by
    ``filters`` (pyarrow's DNF, pushed down to the row groups by their statistics). A file
    that cannot be read is an ``InputError`` naming the archive."""
    if not paths:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    return read_arrow(paths, columns, storage_options, filters).to_pandas()


def read_arrow(
    paths: Sequence[str],
    columns: Sequence[str],
    storage_options: Mapping[str, Any],
    filters: list[tuple[str, str, Any]] | None = None,
) -> Any:
    """``read_table`` as a ``pyarrow.Table`` (``paths`` not empty)."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    fs, _ = _filesystem(paths[0], storage_options)
    stripped = [_filesystem(p, storage_options)[1] for p in paths]
    try:
        dataset = ds.dataset(stripped, format="parquet", filesystem=_arrow_filesystem(fs))
        expression = pq.filters_to_expression(filters) if filters else None
        table = dataset.to_table(columns=list(columns), filter=expression)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{_culprit(paths, stripped, fs)}: cannot read this archive file "
                         f"({exc})") from exc
    return table


def _culprit(paths: Sequence[str], stripped: Sequence[str], fs: Any) -> str:
    """The first of ``paths`` that is not readable Parquet (the error path only: one read of
    each file's footer), so that the message names the file to look at."""
    import pyarrow.parquet as pq

    for path, local in zip(paths, stripped, strict=True):
        try:
            with fs.open(local, "rb") as fh:
                pq.read_metadata(fh)
        except Exception:  # noqa: BLE001  (any failure marks the culprit)
            return path
    return paths[0] if len(paths) == 1 else f"{paths[0]} .. {paths[-1]}"


def as_fixes(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (some fixes columns) in the dtypes of ``desktop.core.fixes``, sorted by
    (mmsi, time) like every fixes table, index 0..n-1."""
    frame = frame.copy(deep=False)
    for name in frame.columns:
        want = FIX_DTYPES.get(name)
        if name == "time":
            frame[name] = pd.to_datetime(frame[name], utc=True).astype(want)
        elif want is not None and want != "category" and frame[name].dtype != want:
            frame[name] = frame[name].astype(want)
    if len(frame) > 1:
        frame = frame.sort_values(["mmsi", "time"], kind="stable", ignore_index=True)
    return frame.reset_index(drop=True)


def read_fixes(
    paths: Sequence[str],
    storage_options: Mapping[str, Any],
    columns: Sequence[str] = DETECTOR_COLUMNS,
    filters: list[tuple[str, str, Any]] | None = None,
) -> pd.DataFrame:
    """The fixes of ``paths`` (``columns`` only) as a fixes table."""
    return as_fixes(read_table(paths, columns, storage_options, filters))


def slice_from_layout(
    root: str,
    first_day: date,
    last_day: date,
    storage_options: Mapping[str, Any] | None = None,
    reports: Sequence[FileReport] = (),
) -> ArchiveSlice:
    """An ``ArchiveSlice`` found by listing ``root/fixes/day=*/`` and ``root/statics/day=*/``
    (for archives written by other tools, and the tests); an archive with a manifest builds
    its slice from the manifest instead, so that only the files it lists are read."""
    options = dict(storage_options or {})
    fs, base = _filesystem(root, options)
    protocol = fs.protocol[0] if isinstance(fs.protocol, tuple) else fs.protocol

    sizes: dict[date, int] = {}

    def listing(kind: str) -> dict[date, tuple[str, ...]]:
        out: dict[date, tuple[str, ...]] = {}
        found = fs.glob(f"{base.rstrip('/')}/{kind}/day=*/*.parquet", detail=True)
        for path in sorted(found):
            day_text = path.rsplit("/", 2)[-2].removeprefix("day=")
            try:
                day = date.fromisoformat(day_text)
            except ValueError:
                raise InputError(f"{path}: the folder is not day=YYYY-MM-DD") from None
            if first_day <= day <= last_day:
                url = path if protocol in ("file", "local") else f"{protocol}://{path}"
                out[day] = (*out.get(day, ()), url)
                if kind == "fixes":
                    sizes[day] = sizes.get(day, 0) + int(found[path].get("size") or 0)
        return out

    return ArchiveSlice(
        first_day, last_day, listing("fixes"), listing("statics"), options, tuple(reports),
        sizes,
    )
