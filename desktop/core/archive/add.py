"""``add_files``: stream track files into an archive (DESIGN.md §8), atomically.

How an add works, and why:

1. Each input is hashed (SHA-256, read in blocks). A hash the manifest already lists, or one
   seen earlier in the same add, is skipped: re-adding a file changes nothing.
2. Each input is read with the streaming readers (``desktop.core.ingest.stream``) chunk by
   chunk; every chunk's fixes and static records are split by UTC day and spilled to a local
   scratch folder as small Parquet files. Memory holds one chunk, whatever the input's size.
   A file that cannot be read (missing, unreadable, a folder without track files) is reported
   by name and its spills are dropped; the other files still go in.
3. Each day that received rows is merged: the day's current part (if any) and its spills are
   read, sorted by ``(mmsi, time)`` and de-duplicated, and written as a new part with a new
   name beside the old one. Memory holds one day of the archive at a time.
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from desktop.core.archive.layout import (
    FIX_SCHEMA,
    MANIFEST_FILE,
    STATIC_SCHEMA,
    TABLES,
    UNDATED,
    Store,
    listed_files,
    open_store,
    part_name,
    read_manifest,
)
from desktop.core.errors import ArchiveError, Cancelled, InputError
from desktop.core.model import iso_utc

log = logging.getLogger(__name__)

HASH_BLOCK_BYTES: Final = 1 << 20
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


def _expand(paths: Sequence[str | Path], failed: list[tuple[str, str]]) -> list[Path]:
    """Each argument on its own, so that one bad argument fails alone."""
    import glob

    from desktop.core.ingest.detect_format import expand_paths

    out: list[Path] = []
    for raw in paths:
        text = str(raw)
        matches = sorted(glob.glob(text)) if glob.has_magic(text) else [text]
        if not matches:
            failed.append((text, "no file matches this pattern"))
            continue
        for one in matches:
            try:
                out.extend(expand_paths([one]))
            except InputError as exc:
                failed.append((one, _reason(exc, one)))
    seen: set[Path] = set()
    unique = []
    for path in out:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def _reason(exc: BaseException, path: str) -> str:
    text = str(exc)
    prefix = f"{path}: "
    return text[len(prefix):] if text.startswith(prefix) else text


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
            "source": pa.array(frame["source"].astype(str).to_numpy(object), type=pa.string()),
        },
        schema=FIX_SCHEMA,
    )


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


def _days_of(times: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """UTC day (``YYYY-MM-DD``, or ``undated``) of each time."""
    micros = pc.cast(times, pa.int64()).to_numpy(zero_copy_only=False)
    valid = ~pc.is_null(times).to_numpy(zero_copy_only=False)
    days = np.full(len(micros), UNDATED, dtype=object)
    if valid.any():
        day_numbers = np.where(valid, micros, 0) // 86_400_000_000
        unique, inverse = np.unique(day_numbers, return_inverse=True)
        labels = np.datetime_as_string(unique.astype("datetime64[D]")).astype(object)
        days[valid] = labels[inverse][valid]
    return days


@dataclass
class _Spills:
    """This add's rows, by table and day, in local Arrow IPC files (one per chunk and table,
    rows grouped by day): written once, memory-mapped at merge time, so a day's rows are
    read without decoding and without holding a chunk in memory."""

    folder: Path
    count: int = 0
    # table -> day -> [(file, first row, rows)]
    where: dict[str, dict[str, list[tuple[Path, int, int]]]] = field(default_factory=dict)

    def add(self, table: pa.Table, kind: str) -> dict[str, list[tuple[Path, int, int]]]:
        """Spill one chunk's rows; returns where each day's rows went (not yet committed)."""
        if table.num_rows == 0:
            return {}
        days = _days_of(table.column("time"))
        order = np.argsort(days, kind="stable")
        sorted_days = days[order]
        self.count += 1
        path = self.folder / f"{kind}-{self.count:08d}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table.take(pa.array(order)))
        bounds = np.flatnonzero(np.append(True, sorted_days[1:] != sorted_days[:-1]))
        stops = np.append(bounds[1:], len(order))
        return {
            str(sorted_days[a]): [(path, int(a), int(b - a))]
            for a, b in zip(bounds, stops, strict=True)
        }

    def keep(self, kind: str, spilled: dict[str, list[tuple[Path, int, int]]]) -> None:
        days = self.where.setdefault(kind, {})
        for day, places in spilled.items():
            days.setdefault(day, []).extend(places)

    def read(self, kind: str, day: str) -> list[pa.Table]:
        out = []
        for path, first, rows in self.where.get(kind, {}).get(day, []):
            with pa.memory_map(str(path), "r") as source:
                out.append(pa.ipc.open_file(source).read_all().slice(first, rows))
        return out

    def days(self, kind: str) -> list[str]:
        return sorted(self.where.get(kind, {}))


def merge_fixes(table: pa.Table) -> pa.Table:
    """Sort by (mmsi, time) and keep one row per (mmsi, time) (see the module docstring)."""
    if table.num_rows == 0:
        return table
    col = {name: table.column(name) for name in table.column_names}

    def floats(name: str) -> np.ndarray:
        return pc.cast(col[name], pa.float64()).to_numpy(zero_copy_only=False)

    source = col["source"].to_numpy(zero_copy_only=False).astype(str)
    _, source_rank = np.unique(source, return_inverse=True)
    keys = (
        source_rank, floats("nav_status"), floats("heading_deg"), floats("cog_deg"),
        floats("sog_kn"), floats("lon"), floats("lat"),
        pc.cast(col["time"], pa.int64()).to_numpy(zero_copy_only=False),
        col["mmsi"].to_numpy(zero_copy_only=False).astype("int64"),
    )  # fmt: skip
    order = np.lexsort(keys)
    mmsi = keys[-1][order]
    time = keys[-2][order]
    first = np.append(True, (mmsi[1:] != mmsi[:-1]) | (time[1:] != time[:-1]))
    return table.take(pa.array(order[first]))


def merge_statics(table: pa.Table) -> pa.Table:
    """Sort by (mmsi, time, source, line) (records without a time first); keep the first of
    each distinct content (``STATIC_CONTENT``)."""
    if table.num_rows == 0:
        return table
    # Records without a time first, as ingest sorts them (na_position="first").
    time = pc.fill_null(pc.cast(table.column("time"), pa.int64()), np.iinfo("int64").min)
    source = table.column("source").to_numpy(zero_copy_only=False).astype(str)
    _, source_rank = np.unique(source, return_inverse=True)
    order = np.lexsort((
        table.column("line").to_numpy(zero_copy_only=False), source_rank,
        time.to_numpy(zero_copy_only=False),
        table.column("mmsi").to_numpy(zero_copy_only=False).astype("int64"),
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
) -> AddResult:
    """Add track files (folders and glob patterns too) to the archive at ``archive`` (a folder,
    created when missing or empty, or an fsspec URL); see the module docstring.

    Files that cannot be read are listed in ``AddResult.failed`` and change nothing; the
    archive itself being unusable raises ``ArchiveError``. ``cancel()`` returning True raises
    ``Cancelled`` before the commit, leaving the archive as it was.
    """
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
        files = _expand(paths, result.failed)
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
                mine: list[tuple[str, dict[str, list[tuple[Path, int, int]]]]] = []
                def reading(read: int, _total: int, name: str = path.name) -> None:
                    report(f"reading {name}", read)

                try:
                    stream = stream_file(
                        path, max_speed_kn=max_speed_kn, chunk_bytes=chunk_bytes, cancel=cancel,
                        progress=reading,
                    )
                    for chunk in stream:
                        fixes_read += len(chunk.fixes)
                        mine.append(("fixes", spills.add(fixes_to_arrow(chunk.fixes), "fixes")))
                        mine.append(
                            ("statics", spills.add(statics_to_arrow(chunk.statics), "statics"))
                        )
                        report(f"reading {path.name}", chunk.bytes_read)
                except (InputError, OSError) as exc:  # its spills are never read
                    result.failed.append((str(path), _reason(exc, str(path))))
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
            for table in TABLES:
                for day in spills.days(table):
                    report(f"merging {table} of {day}", written=written)
                    part = _merge_day(store, manifest, spills, table, day, generation)
                    new_parts.append(part["path"])
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


def _merge_day(store: Store, manifest: dict[str, Any], spills: _Spills, table: str, day: str,
               generation: int) -> dict[str, Any]:  # fmt: skip
    """Merge a day's current part with the spills of this add; write the new part aside."""
    schema = FIX_SCHEMA if table == "fixes" else STATIC_SCHEMA
    pieces: list[pa.Table] = []
    old = manifest[table].get(day)
    if old is not None:
        pieces.append(store.read_table(old["path"]).select(schema.names).cast(schema))
    pieces.extend(piece.cast(schema) for piece in spills.read(table, day))
    combined = pa.concat_tables(pieces).combine_chunks()
    merged = merge_fixes(combined) if table == "fixes" else merge_statics(combined)
    relative = part_name(table, day, generation)
    size = store.write_table(relative, merged)
    entry: dict[str, Any] = {"path": relative, "rows": merged.num_rows, "bytes": size}
    if merged.num_rows:
        times = merged.column("time")
        low, high = pc.min(times).as_py(), pc.max(times).as_py()
        entry["time_min"] = iso_utc(low) if low is not None else None
        entry["time_max"] = iso_utc(high) if high is not None else None
        entry["vessels"] = len(pc.unique(merged.column("mmsi")))
    return entry


def _remove_unlisted(store: Store, manifest: dict[str, Any]) -> None:
    """Delete data files the manifest does not list: the leftovers of an add that was killed
    before its commit, or parts superseded by one killed after it. Runs under the add lock."""
    listed = listed_files(manifest)
    if store.is_local:  # the temporaries of a manifest or header write that was killed
        for name in os.listdir(store.root):
            if name.startswith((".manifest.json.tmp-", ".archive.json.tmp-")):
                store.delete(name)
    for relative in store.data_files():
        if relative not in listed:
            log.info("removing %s: not in the manifest (left by an interrupted add)", relative)
            store.delete(relative)
