"""``add_files``: stream track files into an archive (DESIGN.md §8), atomically.

How an add works, and why:

1. Each input is hashed (SHA-256, read in blocks). A hash the manifest already lists, or one
   seen earlier in the same add, is skipped: re-adding a file changes nothing.
2. Each input is read with the streaming readers (``desktop.core.ingest.stream``) chunk by
   chunk; every chunk's fixes and static records are split by UTC day and spilled to a local
   scratch folder as small Arrow files. Memory holds one chunk, whatever the input's size.
   A file that cannot be read (missing, unreadable, a folder without track files) is reported
   by name and its spills are dropped; the other files still go in. Where fork is available
   (Linux), the NMEA reading runs a piece ahead in a child process, and half of the chunks
   are cleaned and spilled by another (``FileStream.map_chunks``): two cores at work.
3. Each day that received rows is merged: the day's current part (if any) and its spills are
   read, sorted by ``(mmsi, time)`` and de-duplicated, and written as a new part with a new
   name beside the old one. All sources are sorted by mmsi, and de-duplication never looks
   across vessels, so a day is merged one mmsi range of ``MERGE_ROWS`` rows at a time, each
   written as the next row groups of the part: memory holds one range, not the day. Days
   are shared out between this process and a forked child (``_merged_days``).
4. The new manifest (old parts of merged days replaced by the new ones, the new files listed)
   is written last, in one atomic step. Until then no reader sees anything new; if the add is
   killed before, the archive is exactly what it was, and the new parts left behind are
   removed by the next add (readers never open a part the manifest does not list).
5. The superseded parts are deleted after the commit.

De-duplication: fixes with the same ``(mmsi, time)`` are stored once. Two receivers hearing
one ship give identical rows (same position and values); when the rows differ (two reports of
one vessel at one instant), the detectors need one fix per instant, and the one kept is the
smallest by (lat, lon, sog, cog, heading, nav status, source): a choice that depends only on
the rows, never on the order the files were added, so any order of adds gives the same
archive. (The whole-file ingest keeps the first in file order and applies its jump filter
across files; the archive judges jumps within each file only.) Static records are stored once
per distinct content (all fields but ``source`` and ``line``), the first by (source, line).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from desktop.core.archive.layout import (
    ARCHIVE_FILE,
    FIX_SCHEMA,
    MANIFEST_FILE,
    SCHEMAS,
    STATIC_SCHEMA,
    TABLES,
    UNDATED,
    Store,
    listed_files,
    open_store,
    part_name,
    read_manifest,
    temporary_prefix,
)
from desktop.core.arrow_numpy import numpy_of
from desktop.core.errors import ArchiveError, Cancelled, InputError
from desktop.core.ingest.detect_format import expand_arguments, reason_of
from desktop.core.ingest.prefetch import Finished, can_fork, forked
from desktop.core.model import iso_utc

if TYPE_CHECKING:
    from desktop.core.ingest.stream import FixChunk, _NmeaReader

log = logging.getLogger(__name__)

HASH_BLOCK_BYTES: Final = 1 << 20
# Rows of one day sorted and de-duplicated at once: about 200 bytes a fix with the rows
# read, their copy and the sort's, so some 25 MB whatever the day's size (a day of a
# 20-sentence-a-second feed is 1.7 M fixes; sorted whole it took about 800 MB).
MERGE_ROWS: Final = 131_072
# Rows per record batch of a spill file: a range's rows are read by whole batches, from every
# bucket's spill of the day at once, so a range holds up to two batches per bucket beyond its
# rows. With 16,384 that was 1.5 MB a bucket, and the merge's memory grew with the file
# (more buckets): 300 MB for 10 M sentences, against 190 MB now.
SPILL_BATCH_ROWS: Final = 4_096
STATIC_CONTENT: Final = (
    "mmsi", "time", "imo", "name", "callsign", "ship_type", "length_m", "width_m", "destination",
)  # fmt: skip


@dataclass
class AddProgress:
    """Where an add is: bytes read of all inputs, fixes written so far, what it is doing."""

    bytes_read: int
    bytes_total: int
    fixes_read: int
    fixes_written: int
    message: str


@dataclass
class AddResult:
    """What one add did: files added, skipped (same SHA-256), failed (name, reason)."""

    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    days_written: int = 0
    fixes_before: int = 0
    fixes_after: int = 0
    generation: int = 0


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(HASH_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def fixes_to_arrow(frame: pd.DataFrame) -> pa.Table:
    """A fixes table (``desktop.core.fixes`` schema) as the archive's Arrow schema."""
    times = pa.array(frame["time"].array.asi8 // 1000, type=pa.int64())
    return pa.table(
        {
            "mmsi": pa.array(frame["mmsi"].to_numpy("uint32"), type=pa.uint32()),
            "time": times.cast(pa.timestamp("us", tz="UTC")),
            "lat": pa.array(frame["lat"].to_numpy("float64")),
            "lon": pa.array(frame["lon"].to_numpy("float64")),
            "sog_kn": pa.array(frame["sog_kn"].to_numpy("float32")),
            "cog_deg": pa.array(frame["cog_deg"].to_numpy("float32")),
            "heading_deg": pa.array(frame["heading_deg"], type=pa.uint16(), from_pandas=True),
            "nav_status": pa.array(frame["nav_status"], type=pa.uint8(), from_pandas=True),
            "source": _source_array(frame["source"]),
        },
        schema=FIX_SCHEMA,
    )


def _source_array(source: pd.Series) -> pa.Array:
    """The ``source`` column as Arrow strings. A categorical (as ``make_fixes`` builds it) goes
    through its codes, not one Python string per row (a fifth of the conversion's time)."""
    if isinstance(source.dtype, pd.CategoricalDtype):
        codes = source.cat.codes.to_numpy()
        if len(codes) and codes.min() >= 0:
            names = source.cat.categories.astype(str).to_numpy(object)
            return pa.DictionaryArray.from_arrays(
                pa.array(codes), pa.array(names, type=pa.string())
            ).cast(pa.string())
    return pa.array(source.astype(str).to_numpy(object), type=pa.string())


def statics_to_arrow(frame: pd.DataFrame) -> pa.Table:
    """Static records (``STATIC_COLUMNS`` + ``source``) as the archive's Arrow schema."""
    time = pd.to_datetime(frame["time"], utc=True).astype("datetime64[ns, UTC]")
    ns = time.array.asi8
    times = pa.array(ns // 1000, type=pa.int64(), mask=time.isna().to_numpy())

    def text(name: str) -> pa.Array:
        values = frame[name]
        return pa.array(
            [None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
             for v in values], type=pa.string())  # fmt: skip

    def integers(name: str) -> pa.Array:
        values = pd.to_numeric(frame[name], errors="coerce").astype("Int64")
        return pa.array(values, type=pa.int64(), from_pandas=True)

    return pa.table(
        {
            "mmsi": pa.array(frame["mmsi"].to_numpy("uint32"), type=pa.uint32()),
            "time": times.cast(pa.timestamp("us", tz="UTC")),
            "imo": integers("imo"),
            "name": text("name"),
            "callsign": text("callsign"),
            "ship_type": integers("ship_type"),
            "length_m": pa.array(pd.to_numeric(frame["length_m"]).to_numpy("float64")),
            "width_m": pa.array(pd.to_numeric(frame["width_m"]).to_numpy("float64")),
            "destination": text("destination"),
            "line": pa.array(frame["line"].to_numpy("int64")),
            "source": pa.array(frame["source"].astype(str).to_numpy(object), type=pa.string()),
        },
        schema=STATIC_SCHEMA,
    )


_Places = dict[str, list[tuple[Path, int, int]]]  # day -> [(spill file, first row, rows)]
_NO_DAY: Final = np.iinfo(np.int64).min  # the day number of a row without a time


def _day_numbers(times: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """UTC day of each time as days since 1970-01-01 (``_NO_DAY`` for a missing time)."""
    micros = numpy_of(pc.cast(times, pa.int64()))
    valid = ~numpy_of(pc.is_null(times))
    return np.where(valid, np.where(valid, micros, 0) // 86_400_000_000, _NO_DAY)


def _day_label(number: int) -> str:
    """``YYYY-MM-DD`` of a day number, or ``undated``."""
    if number == _NO_DAY:
        return UNDATED
    return str(np.datetime64(number, "D"))


@dataclass
class _Spills:
    """This add's rows, by table and day, in local Arrow IPC files (one per chunk and table,
    rows grouped by day, in record batches of ``SPILL_BATCH_ROWS``): written once, and at
    merge time read back by the batches that hold the rows wanted, without decoding. (Not
    memory-mapped: pages of a mapping stayed in the process's memory until the day was
    done, 150 MB and more on a day of 1.7 M fixes.)"""

    folder: Path
    count: int = 0
    # table -> day -> [(file, first row, rows)]
    where: dict[str, _Places] = field(default_factory=dict)

    def add(self, table: pa.Table, kind: str) -> _Places:
        """Spill one chunk's rows; returns where each day's rows went (not yet committed)."""
        if table.num_rows == 0:
            return {}
        # Sorted by day number, not by day label: an integer sort, not one of strings.
        days = _day_numbers(table.column("time"))
        order = np.argsort(days, kind="stable")
        sorted_days = days[order]
        self.count += 1
        # By process too: a forked child spills the chunks it cleaned (``add_chunk``).
        path = self.folder / f"{kind}-{os.getpid()}-{self.count:08d}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            rows = table.take(pa.array(order)).combine_chunks()
            writer.write_table(rows, max_chunksize=SPILL_BATCH_ROWS)  # batch k: rows k*B..
        bounds = np.flatnonzero(np.append(True, sorted_days[1:] != sorted_days[:-1]))
        stops = np.append(bounds[1:], len(order))
        return {
            _day_label(int(sorted_days[a])): [(path, int(a), int(b - a))]
            for a, b in zip(bounds, stops, strict=True)
        }

    def add_chunk(self, chunk: FixChunk) -> tuple[int, list[tuple[str, _Places]], int]:
        """Spill a streamed chunk's fixes and statics: (fixes, where they went, bytes read).
        Safe in a forked child: spill files are named by process (``add``)."""
        spilled = [("fixes", self.add(fixes_to_arrow(chunk.fixes), "fixes")),
                   ("statics", self.add(statics_to_arrow(chunk.statics), "statics"))]  # fmt: skip
        return len(chunk.fixes), spilled, chunk.bytes_read

    def keep(self, kind: str, spilled: _Places) -> None:
        days = self.where.setdefault(kind, {})
        for day, places in spilled.items():
            days.setdefault(day, []).extend(places)

    def places(self, kind: str, day: str) -> list[tuple[Path, int, int]]:
        return list(self.where.get(kind, {}).get(day, []))

    def days(self, kind: str) -> list[str]:
        return sorted(self.where.get(kind, {}))


# The sort of ``merge_fixes``: (mmsi, time), then the row's values, so that which of two rows
# of one (mmsi, time) is kept depends only on the rows. Nulls (heading, nav status not
# available) and NaNs sort last, as in a numpy lexsort of the values as floats.
_FIX_ORDER: Final = [
    (name, "ascending")
    for name in ("mmsi", "time", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status",
                 "source")
]  # fmt: skip


def merge_fixes(table: pa.Table) -> pa.Table:
    """Sort by (mmsi, time) and keep one row per (mmsi, time) (see the module docstring)."""
    if table.num_rows == 0:
        return table
    time = pc.cast(table.column("time"), pa.int64())
    if time.null_count == 0 and table.column("mmsi").null_count == 0:
        mmsi = numpy_of(table.column("mmsi"))
        # The usual case: no two rows share (mmsi, time) (one file's cleaned fixes, or files
        # that do not overlap). Then the order by (mmsi, time) alone is the order of the full
        # key, and nothing is dropped.
        micros = numpy_of(time)
        # Commonest of all: each vessel's rows come from one source (a day's spills hold
        # different vessels, one per bucket), a run sorted by (mmsi, time). Then a stable sort
        # by mmsi alone (timsort joins the runs) gives the order: checked, not assumed.
        order = np.argsort(mmsi, kind="stable")
        if _strictly_increasing(mmsi[order], micros[order]):
            if (order[1:] > order[:-1]).all():
                return table  # already in order
            return table.take(pa.array(order))
        # A vessel in several sources (a day added again with other files): one integer key
        # for (mmsi, time), its runs joined by a stable (merge) sort in about linear time.
        _, vessel = np.unique(mmsi, return_inverse=True)
        low = micros.min()
        if int(micros.max()) - int(low) < 1 << 40 and len(mmsi) < 1 << 23:
            key = (vessel.astype(np.int64) << 40) | (micros - low)
            order = np.argsort(key, kind="stable")
            ordered = key[order]
            if (ordered[1:] != ordered[:-1]).all():
                if (order[1:] > order[:-1]).all():
                    return table  # already in order
                return table.take(pa.array(order))
    return merge_by_full_key(table)


def _strictly_increasing(mmsi: np.ndarray, micros: np.ndarray) -> bool:
    """Whether (mmsi, time) rises strictly from each row to the next (sorted, no ties)."""
    same = mmsi[1:] == mmsi[:-1]
    return bool(((mmsi[1:] > mmsi[:-1]) | (same & (micros[1:] > micros[:-1]))).all())


def merge_by_full_key(table: pa.Table) -> pa.Table:
    """``merge_fixes`` by the sort of the whole key (``_FIX_ORDER``), whatever the rows."""
    if table.num_rows == 0:
        return table
    # Arrow's sort reads the columns as they are (no float or string copies) and compares the
    # later keys only where the earlier ones tie.
    order = pc.sort_indices(table, sort_keys=_FIX_ORDER)  # nulls at the end (the default)
    mmsi = numpy_of(pc.take(table.column("mmsi"), order))
    time = numpy_of(pc.take(pc.cast(table.column("time"), pa.int64()), order))
    first = np.append(True, (mmsi[1:] != mmsi[:-1]) | (time[1:] != time[:-1]))
    if first.all():
        return table.take(order)
    return table.take(pc.filter(order, pa.array(first)))


def merge_statics(table: pa.Table) -> pa.Table:
    """Sort by (mmsi, time, source, line) (records without a time first); keep the first of
    each distinct content (``STATIC_CONTENT``)."""
    if table.num_rows == 0:
        return table
    # Records without a time first, as ingest sorts them (na_position="first").
    time = pc.fill_null(pc.cast(table.column("time"), pa.int64()), np.iinfo("int64").min)
    source = numpy_of(table.column("source")).astype(str)
    _, source_rank = np.unique(source, return_inverse=True)
    order = np.lexsort((
        numpy_of(table.column("line")), source_rank,
        numpy_of(time),
        numpy_of(table.column("mmsi")).astype("int64"),
    ))  # fmt: skip
    ordered = table.take(pa.array(order))
    columns = [ordered.column(name).to_pylist() for name in STATIC_CONTENT]
    seen: set[tuple[Any, ...]] = set()
    keep = np.zeros(ordered.num_rows, dtype=bool)
    for row, key in enumerate(zip(*columns, strict=True)):
        marker = tuple("\x00nan" if isinstance(v, float) and v != v else v for v in key)
        if marker not in seen:
            seen.add(marker)
            keep[row] = True
    return ordered.filter(pa.array(keep))


def _file_entry(path: Path, size: int, sha: str, report: Any, added: datetime) -> dict[str, Any]:
    return {
        "name": path.name,
        "path": str(path),
        "size_bytes": size,
        "sha256": sha,
        "format": report.format,
        "lines": int(report.lines),
        "fixes": int(report.fixes),
        "accepted": {k: int(report.accepted[k]) for k in sorted(report.accepted)},
        "rejected": {k: int(report.rejected[k]) for k in sorted(report.rejected)},
        "time_min": iso_utc(report.time_min) if report.time_min is not None else None,
        "time_max": iso_utc(report.time_max) if report.time_max is not None else None,
        "added": iso_utc(added),
        "notes": list(report.notes),
    }


def add_files(
    archive: str,
    paths: Sequence[str | Path],
    *,
    max_speed_kn: float = 50.0,
    chunk_bytes: int = 32 << 20,
    progress: Callable[[AddProgress], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    storage_options: dict[str, Any] | None = None,
    started: _NmeaReader | None = None,
) -> AddResult:
    """Add track files (folders and glob patterns too) to the archive at ``archive`` (a folder,
    created when missing or empty, or an fsspec URL); see the module docstring.

    ``started``: the reading of one of the files begun by ``stream.read_ahead`` (the command
    begins its first file's before importing this module); taken over for that file, else
    stopped.

    Files that cannot be read are listed in ``AddResult.failed`` and change nothing; the
    archive itself being unusable raises ``ArchiveError``. ``cancel()`` returning True raises
    ``Cancelled`` before the commit, leaving the archive as it was.
    """
    try:
        return _add_files(archive, paths, max_speed_kn, chunk_bytes, progress, cancel,
                          storage_options, started)  # fmt: skip
    finally:
        if started is not None:  # its file skipped, or the add stopped before it: stopped
            started.close()


def _add_files(
    archive: str, paths: Sequence[str | Path], max_speed_kn: float, chunk_bytes: int,
    progress: Callable[[AddProgress], None] | None, cancel: Callable[[], bool] | None,
    storage_options: dict[str, Any] | None, started: _NmeaReader | None,
) -> AddResult:  # fmt: skip
    from desktop.core.ingest.stream import stream_file

    store = open_store(archive, create=True, storage_options=storage_options)
    result = AddResult()
    with store.locked():
        manifest = read_manifest(store)
        start_generation = int(manifest.get("generation", 0))
        result.generation = start_generation
        result.fixes_before = result.fixes_after = sum(
            int(p["rows"]) for p in manifest["fixes"].values()
        )
        _remove_unlisted(store, manifest)
        files = expand_arguments(paths, result.failed)
        known = {entry["sha256"] for entry in manifest["files"]}
        sizes = {}
        for path in files:
            try:
                sizes[path] = path.stat().st_size
            except OSError as exc:
                result.failed.append((str(path), f"cannot read the file ({exc.strerror})"))
        files = [p for p in files if p in sizes]
        total_bytes = sum(sizes.values())
        done_bytes = 0
        fixes_read = 0

        def check_cancel() -> None:
            if cancel is not None and cancel():
                raise Cancelled("archive add cancelled: the archive is unchanged")

        def report(message: str, read_now: int = 0, written: int = 0) -> None:
            check_cancel()
            if progress is not None:
                progress(AddProgress(done_bytes + read_now, total_bytes, fixes_read, written,
                                     message))  # fmt: skip

        entries: list[dict[str, Any]] = []
        new_parts: list[str] = []
        scratch = Path(tempfile.mkdtemp(prefix="exposure-add-"))
        try:
            spills = _Spills(scratch)
            for path in files:
                report(f"hashing {path.name}")
                try:
                    sha = sha256_of(path)
                except OSError as exc:
                    result.failed.append((str(path), f"cannot read the file ({exc.strerror})"))
                    done_bytes += sizes[path]
                    continue
                if sha in known:
                    result.skipped.append(str(path))
                    done_bytes += sizes[path]
                    continue
                mine: list[tuple[str, _Places]] = []
                def reading(read: int, _total: int, name: str = path.name) -> None:
                    report(f"reading {name}", read)

                try:
                    stream = stream_file(
                        path, max_speed_kn=max_speed_kn, chunk_bytes=chunk_bytes, cancel=cancel,
                        progress=reading,
                        started=started if started is not None and started.path == path else None,
                    )
                    # Chunks are spilled where they were cleaned (half of them in a forked
                    # child): only where their rows went comes back.
                    for count, spilled, bytes_read in stream.map_chunks(spills.add_chunk):
                        fixes_read += count
                        mine.extend(spilled)
                        report(f"reading {path.name}", bytes_read)
                except (InputError, OSError) as exc:  # its spills are never read
                    result.failed.append((str(path), reason_of(exc, str(path))))
                    done_bytes += sizes[path]
                    continue
                done_bytes += sizes[path]
                known.add(sha)
                for kind, spilled in mine:
                    spills.keep(kind, spilled)
                entries.append(
                    _file_entry(path, sizes[path], sha, stream.report, datetime.now(UTC))
                )
                result.added.append(str(path))

            if not entries:
                return result
            generation = start_generation + 1
            new_manifest = {**manifest, "generation": generation,
                            "fixes": dict(manifest["fixes"]),
                            "statics": dict(manifest["statics"])}  # fmt: skip
            new_manifest["files"] = [*manifest["files"], *entries]
            superseded: list[str] = []
            written = 0
            # Every part this add may write is named before any is written: whatever stops
            # the add, the ``finally`` below removes them all.
            jobs = {(table, day): part_name(table, day, generation)
                    for table in TABLES for day in spills.days(table)}  # fmt: skip
            new_parts.extend(jobs.values())

            def merging(table: str, day: str) -> None:
                report(f"merging {table} of {day}", written=written)

            for table, day, part in _merged_days(store, manifest, spills, jobs, merging):
                old = manifest[table].get(day)
                if old is not None:
                    superseded.append(old["path"])
                new_manifest[table][day] = part
                if table == "fixes":
                    written += part["rows"]
                    result.days_written += 1
            new_manifest["fixes"] = dict(sorted(new_manifest["fixes"].items()))
            new_manifest["statics"] = dict(sorted(new_manifest["statics"].items()))
            check_cancel()
            # Another writer (object stores have no lock) must not be overwritten unseen.
            current = read_manifest(store)
            if int(current.get("generation", 0)) != start_generation:
                raise ArchiveError(
                    f"{store.url}: another add changed the archive meanwhile; add again"
                )
            store.write_json_atomic(MANIFEST_FILE, new_manifest)  # the commit
            new_parts.clear()  # committed: no longer ours to remove
            result.generation = generation
            result.fixes_after = sum(p["rows"] for p in new_manifest["fixes"].values())
            for old_path in superseded:
                store.delete(old_path)
            if progress is not None:  # committed: too late to cancel
                progress(AddProgress(total_bytes, total_bytes, fixes_read, written, "done"))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            for relative in new_parts:  # an add that failed before its commit
                store.delete(relative)
    return result


def _merged_days(
    store: Store, manifest: dict[str, Any], spills: _Spills, jobs: dict[tuple[str, str], str],
    starting: Callable[[str, str], None],
) -> Iterator[tuple[str, str, dict[str, Any]]]:  # fmt: skip
    """Each (table, day) of ``jobs`` merged into the part ``jobs`` names for it
    (``_merge_day``): (table, day, part entry).

    On a local archive, where fork is available, the days are shared between this process
    and a forked child by their rows (largest first, each to the lane with fewer rows so
    far), and the two lanes merge at once: sorting, encoding and compressing hold the GIL
    often enough that a thread gained nothing. ``starting(table, day)`` is called before
    each day of this process's lane (it may raise ``Cancelled``); a child stopped part way
    is killed, and its unfinished temporary file removed."""
    lanes: list[list[tuple[str, str]]] = [[], []]
    if store.is_local and can_fork() and len(jobs) > 1:
        rows = {job: _day_rows(manifest, spills, *job) for job in jobs}
        loads = [0, 0]
        for job in sorted(jobs, key=lambda j: -rows[j]):
            lane = int(loads[1] < loads[0])
            lanes[lane].append(job)
            loads[lane] += rows[job]
    else:
        lanes[0] = list(jobs)

    def merged(lane: list[tuple[str, str]], announce: bool
               ) -> Iterator[tuple[str, str, dict[str, Any]]]:  # fmt: skip
        for table, day in lane:
            if announce:
                starting(table, day)
            yield table, day, _merge_day(store, manifest, spills, table, day, jobs[table, day])

    if not lanes[1]:
        yield from merged(lanes[0], True)
        return
    others = forked(lambda: merged(lanes[1], False), lambda: None, name="merge days")
    finished = False
    try:
        yield from merged(lanes[0], True)
        for item in others:  # the child's days, waiting in the pipe
            if isinstance(item, Finished):
                finished = True
            else:
                yield item
    finally:
        others.close()  # kills the child if it is still at work
        if not finished:
            for job in lanes[1]:
                store.remove_temporaries(jobs[job])


def _day_rows(manifest: dict[str, Any], spills: _Spills, table: str, day: str) -> int:
    """Rows a day's merge reads: its spills' and its current part's."""
    old = manifest[table].get(day)
    return (sum(count for _, _, count in spills.places(table, day))
            + (int(old["rows"]) if old is not None else 0))  # fmt: skip


class _DaySource:
    """One source of a day's rows (a spill slice or the day's current part), sorted by mmsi:
    its mmsi column in memory (4 bytes a row), its rows read one mmsi range at a time."""

    def __init__(self, mmsi: np.ndarray, rows: Callable[[int, int], pa.Table]) -> None:
        self.mmsi = mmsi
        self._rows = rows

    def rows(self, first: int, stop: int) -> pa.Table:
        return self._rows(first, stop)


def _sorted_by_mmsi(mmsi: np.ndarray) -> bool:
    return bool(len(mmsi) < 2 or (np.diff(mmsi.astype(np.int64)) >= 0).all())


def _in_memory_source(table: pa.Table) -> _DaySource:
    """Rows not sorted by mmsi (never written so, but not assumed): sorted here, in memory."""
    mmsi = numpy_of(table.column("mmsi"))
    order = np.argsort(mmsi, kind="stable")
    table = table.take(pa.array(order))
    return _DaySource(mmsi[order], lambda a, b: table.slice(a, b - a))


def _spill_rows(path: Path, start: int, stop: int, fields: list[int] | None = None) -> pa.Table:
    """Rows ``start:stop`` (``stop > start``) of a spill file, read (not mapped) from the
    record batches holding them; ``fields`` reads only those columns."""
    low, high = start // SPILL_BATCH_ROWS, (stop - 1) // SPILL_BATCH_ROWS
    options = pa.ipc.IpcReadOptions(included_fields=fields) if fields is not None else None
    with pa.OSFile(str(path), "rb") as source:
        reader = pa.ipc.open_file(source, options=options)
        batches = [reader.get_batch(k) for k in range(low, high + 1)]
    return pa.Table.from_batches(batches).slice(start - low * SPILL_BATCH_ROWS, stop - start)


def _spill_source(path: Path, first: int, count: int, schema: pa.Schema) -> _DaySource:
    def rows(a: int, b: int) -> pa.Table:
        # As read (batches, not one copy of them): the merge's sort gathers the rows anyway.
        table = _spill_rows(path, first + a, first + b)
        return table if table.schema == schema else table.cast(schema)

    mmsi = _spill_rows(path, first, first + count, [schema.get_field_index("mmsi")])
    mmsi = numpy_of(mmsi.column("mmsi"))
    if not _sorted_by_mmsi(mmsi):
        return _in_memory_source(rows(0, count))
    return _DaySource(mmsi, rows)


def _part_source(part: pq.ParquetFile, schema: pa.Schema) -> _DaySource:
    mmsi = numpy_of(part.read(columns=["mmsi"]).column("mmsi"))
    if not _sorted_by_mmsi(mmsi):
        return _in_memory_source(part.read(columns=schema.names).cast(schema))
    sizes = [part.metadata.row_group(g).num_rows for g in range(part.metadata.num_row_groups)]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    def rows(a: int, b: int) -> pa.Table:
        if b <= a:
            return schema.empty_table()
        g0 = int(np.searchsorted(starts, a, side="right")) - 1
        g1 = int(np.searchsorted(starts, b, side="left"))
        groups = part.read_row_groups(list(range(g0, g1)), columns=schema.names)
        return groups.slice(a - int(starts[g0]), b - a).select(schema.names).cast(schema)

    return _DaySource(mmsi, rows)


def _mmsi_ranges(mmsi: np.ndarray, rows_per_range: int) -> list[tuple[int, int]]:
    """Ranges [low, high) of mmsi, each holding about ``rows_per_range`` rows (a vessel is never
    cut: one with more rows than that has a range of its own)."""
    if not len(mmsi):
        return []
    values, counts = np.unique(mmsi, return_counts=True)
    before = np.cumsum(counts) - counts
    bins = before // rows_per_range
    starts = np.flatnonzero(np.append(True, bins[1:] != bins[:-1]))
    lows = values[starts].astype(np.int64)
    highs = np.append(lows[1:], int(values[-1]) + 1)
    return list(zip(lows.tolist(), highs.tolist(), strict=True))


def _merge_day(store: Store, manifest: dict[str, Any], spills: _Spills, table: str, day: str,
               relative: str) -> dict[str, Any]:  # fmt: skip
    """Merge a day's current part with the spills of this add; write the new part aside.

    The day is merged one mmsi range of about ``MERGE_ROWS`` rows at a time (every source is
    sorted by mmsi, and the de-duplication never looks across vessels), each range written as
    the next row groups of the new part: memory holds one range, not the day."""
    schema = SCHEMAS[table]
    merge = merge_fixes if table == "fixes" else merge_statics
    stats: dict[str, Any] = {"rows": 0, "vessels": 0, "low": None, "high": None}
    with ExitStack() as stack:
        sources = [_spill_source(path, first, count, schema)
                   for path, first, count in spills.places(table, day)]  # fmt: skip
        old = manifest[table].get(day)
        if old is not None:
            handle = stack.enter_context(store.fs.open(store.path(old["path"]), "rb"))
            sources.append(_part_source(pq.ParquetFile(handle), schema))
        ranges = _mmsi_ranges(np.concatenate([s.mmsi for s in sources]), MERGE_ROWS)
        pool = pa.default_memory_pool()

        def merged_ranges() -> Iterator[pa.Table]:
            for low, high in ranges:
                parts = []
                for source in sources:
                    a, b = np.searchsorted(source.mmsi, [low, high], side="left")
                    if b > a:
                        parts.append(source.rows(int(a), int(b)))
                merged = merge(pa.concat_tables(parts))
                del parts
                _tally(stats, merged)
                yield merged
                del merged
                # Arrow's allocator keeps freed memory for reuse; a day's ranges come one after
                # another, so give it back rather than let it hold several ranges' worth.
                pool.release_unused()

        size = store.write_tables(relative, schema, merged_ranges())
    entry: dict[str, Any] = {"path": relative, "rows": stats["rows"], "bytes": size}
    if stats["rows"]:
        low, high = stats["low"], stats["high"]
        entry["time_min"] = iso_utc(low) if low is not None else None
        entry["time_max"] = iso_utc(high) if high is not None else None
        entry["vessels"] = stats["vessels"]
    return entry


def _tally(stats: dict[str, Any], merged: pa.Table) -> None:
    """Add one merged range to the part's rows, vessels and time span (ranges never share a
    vessel, so the vessels add up)."""
    stats["rows"] += merged.num_rows
    stats["vessels"] += len(pc.unique(merged.column("mmsi")))
    times = merged.column("time")
    for key, value, pick in (("low", pc.min(times).as_py(), min),
                             ("high", pc.max(times).as_py(), max)):  # fmt: skip
        if value is not None:
            stats[key] = value if stats[key] is None else pick(stats[key], value)


def _remove_unlisted(store: Store, manifest: dict[str, Any]) -> None:
    """Delete data files the manifest does not list: the leftovers of an add that was killed
    before its commit, or parts superseded by one killed after it. Runs under the add lock."""
    listed = listed_files(manifest)
    if store.is_local:  # the temporaries of a manifest or header write that was killed
        for name in os.listdir(store.root):
            if name.startswith((temporary_prefix(MANIFEST_FILE), temporary_prefix(ARCHIVE_FILE))):
                store.delete(name)
    for relative in store.data_files():
        if relative not in listed:
            log.info("removing %s: not in the manifest (left by an interrupted add)", relative)
            store.delete(relative)
