"""Reading an archive for screening (DESIGN.md §8): only the days and the columns needed.

``load_for_screening`` builds the ``IngestResult`` that ``desktop.core.screening.screen`` takes,
so a screening of the archive goes through the same one function as a screening of files. It
reads the days ``[as_of - 2 * window - 1 day, as_of]`` (a counterpart's call may precede the
transfer by a window; the extra day covers the partition that holds the range's start), and of
the fixes only the columns the detectors use. Days are chosen with ``pyarrow.dataset``'s Hive
partition filter over the files the manifest lists: the files of other days are never opened.

With a vessel selection, only the vessels needed are read: the listed ones, the vessels seen
near them (candidate STS and in-port counterparts), and the vessels seen near those (the
counterparts' own counterparts, whose calls make a counterpart one-hop exposed, which makes a
listed vessel's transfer a second hop). "Near" is deliberately generous, so that the detectors,
which then run on the full tracks of these vessels, find every encounter a screening of the
whole archive would find for a listed vessel: fixes of both vessels at or below
``NEAR_SOG_KN`` (or without a speed), within ``NEAR_DEG`` degrees in latitude and longitude
cells and ``NEAR_HOURS`` hours of each other. Each scan reads one day of four columns at a time.

Gap evidence is the exception: the other ships heard near a listed vessel's gap are counted
among every vessel of the archive (DESIGN.md §8, "the whole archive as context": an analyst must
not read "no other ship was heard" where the archive heard ships). A selection's data carries an
``ArchiveNeighbours`` (``ArchiveIngest.neighbours``), which ``screen`` asks for the gaps' ends
once the per-vessel gaps are found: it reads, a day at a time, the days the silences overlap,
four columns, and only the fixes in boxes round the ends during the silences.
"""

from __future__ import annotations

import csv
import functools
import io
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from desktop.core.archive.layout import (
    FIX_SCHEMA,
    PARTITION_SCHEMA,
    STATIC_SCHEMA,
    UNDATED,
    Store,
    open_store,
    read_manifest,
)
from desktop.core.arrow_numpy import numpy_of
from desktop.core.detect.gap_evidence import GapEnds, end_boxes, neighbour_hits, silence_days
from desktop.core.errors import ArchiveError, Cancelled, InputError
from desktop.core.fixes import make_fixes
from desktop.core.ingest.base import STATIC_COLUMNS
from desktop.core.ingest.result import FileReport, IngestResult
from desktop.core.ingest.vessels import build_vessels
from desktop.core.screening import normalise_as_of

# The fix columns the detectors read (port calls: position, speed, nav status; STS and gaps:
# position and speed; everything: mmsi and time). Course, heading and source are not read.
SCREENING_COLUMNS: Final = ("mmsi", "time", "lat", "lon", "sog_kn", "nav_status")
# Neighbour search for a selection (see the module docstring). An STS needs both vessels at
# <= 2 kn for 2 h within 500 m, with fixes at most 1 h apart; these bounds are far wider.
NEAR_SOG_KN: Final = 3.0
NEAR_DEG: Final = 0.1
NEAR_HOURS: Final = 1.0
# The fix columns gap evidence reads of every vessel (``ArchiveNeighbours``).
NEIGHBOUR_COLUMNS: Final = ("mmsi", "time", "lat", "lon")
# Up to this many gap ends on a day, the day is read through a filter of one box per end;
# beyond it, through one box round them all (a long filter costs more than it saves).
MAX_BOXES: Final = 64
# Second hop: only transfers at sea make a counterpart one-hop exposed (an encounter in port
# does not carry exposure further), so fixes in a cell of this size holding a known port or
# anchorage point (within about 2 km of it, while a transfer is at least 10 km from every
# one) are left out of the search for the counterparts' counterparts.
PORT_CELL_DEG: Final = 0.015

Progress = Callable[[float, str], None]


@dataclass
class VesselList:
    """The vessels to screen: MMSIs, IMO numbers and exact names (upper-cased), as listed."""

    mmsis: set[int] = field(default_factory=set)
    imos: set[int] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    source: str = ""

    def __len__(self) -> int:
        return len(self.mmsis) + len(self.imos) + len(self.names)


@dataclass
class ArchiveIngest(IngestResult):
    """An ``IngestResult`` read from an archive, with what was selected.

    ``listed``: the MMSIs of the listed vessels found in the archive (None: no selection, every
    vessel read is screened); ``not_found``: list entries that matched no vessel; ``days``: the
    first and last day read; ``neighbours``: with a selection, where ``screen`` finds the other
    ships heard near a gap (every vessel of the archive, not only those read).
    """

    listed: set[int] | None = None
    not_found: list[str] = field(default_factory=list)
    days: tuple[str, str] = ("", "")
    neighbours: ArchiveNeighbours | None = None


def read_vessel_list(path: str | Path) -> VesselList:
    """A vessel list: one IMO (7 digits, ``IMO`` prefix allowed) or MMSI (9 digits) per line,
    ``#`` comments and blank lines ignored; or a CSV whose header names any of ``imo``,
    ``mmsi``, ``name`` (case-insensitive, DESIGN.md §9), matched by MMSI, else IMO, else name.
    Raises ``InputError`` naming the file and line of an entry that is neither."""
    from desktop.core.watchlist import imo_is_valid

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the vessel list ({exc.strerror})") from exc
    except UnicodeDecodeError:
        raise InputError(f"{path}: the vessel list is not UTF-8 text") from None
    out = VesselList(source=str(path))
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), "")
    header = [h.strip().lower() for h in next(csv.reader([first]), [])]
    if {"imo", "mmsi", "name"} & set(header):
        rows = csv.DictReader(io.StringIO(text))
        rows.fieldnames = [h.strip().lower() for h in rows.fieldnames or []]
        for number, row in enumerate(rows, start=2):
            mmsi = (row.get("mmsi") or "").strip()
            imo = re.sub(r"(?i)^imo\s*", "", (row.get("imo") or "").strip())
            name = (row.get("name") or "").strip().upper()
            if mmsi.isdigit() and len(mmsi) == 9:
                out.mmsis.add(int(mmsi))
            elif imo.isdigit() and len(imo) == 7 and imo_is_valid(int(imo)):
                out.imos.add(int(imo))
            elif name:
                out.names.add(name)
            elif mmsi or imo:
                raise InputError(
                    f"{path}: line {number}: {mmsi or imo!r} is not a 9-digit MMSI or a valid "
                    "7-digit IMO number"
                )
        return out
    for number, raw in enumerate(lines, start=1):
        entry = raw.split("#", 1)[0].strip()
        if not entry:
            continue
        digits = re.sub(r"(?i)^(imo|mmsi)[\s:]*", "", entry)
        if digits.isdigit() and len(digits) == 9:
            out.mmsis.add(int(digits))
        elif digits.isdigit() and len(digits) == 7 and imo_is_valid(int(digits)):
            out.imos.add(int(digits))
        else:
            raise InputError(
                f"{path}: line {number}: {entry!r} is not a 9-digit MMSI or a valid 7-digit "
                "IMO number (check digit)"
            )
    return out


def day_range(as_of: datetime, window_days: float) -> tuple[str, str]:
    """First and last UTC day read for a screening as of ``as_of``."""
    start = as_of - timedelta(days=2 * window_days + 1)
    return start.date().isoformat(), as_of.date().isoformat()


class ArchiveReader:
    """Datasets over the files one manifest lists (nothing else is ever opened)."""

    def __init__(self, store: Store, manifest: dict[str, Any]) -> None:
        self.store = store
        self.manifest = manifest
        self.filesystem = store.arrow_filesystem()
        self._datasets: dict[str, ds.Dataset] = {}

    def dataset(self, table: str) -> ds.Dataset:
        if table not in self._datasets:
            self._datasets[table] = self._make_dataset(table)
        return self._datasets[table]

    def _make_dataset(self, table: str) -> ds.Dataset:
        schema = FIX_SCHEMA if table == "fixes" else STATIC_SCHEMA
        files = [self.store.path(part["path"]) for part in self.manifest[table].values()]
        return ds.dataset(
            files,
            schema=pa.unify_schemas([schema, PARTITION_SCHEMA]),
            format="parquet",
            filesystem=self.filesystem,
            partitioning=ds.partitioning(PARTITION_SCHEMA, flavor="hive"),
            partition_base_dir=self.store.path(table),
        )

    def days(self, first: str, last: str) -> list[str]:
        return [d for d in self.manifest["fixes"] if first <= d <= last]

    def read(self, table: str, first: str, last: str, columns: Iterable[str],
             mmsis: np.ndarray | None = None, undated: bool = False,
             rows: ds.Expression | None = None) -> pa.Table:  # fmt: skip
        """Rows of ``table`` in the days ``first..last`` (the Hive partition filter prunes the
        other days' files unopened), optionally only of ``mmsis`` and only those ``rows``
        (a filter on the columns) selects."""
        where = _days_filter(first, last, undated)
        if mmsis is not None:
            where = where & ds.field("mmsi").isin(pa.array(np.asarray(mmsis), pa.uint32()))
        if rows is not None:
            where = where & rows
        try:
            return self.dataset(table).to_table(columns=list(columns), filter=where)
        except (OSError, pa.ArrowInvalid) as exc:
            raise ArchiveError(f"{self.store.url}: a {table} file cannot be read ({exc})") from exc

    def day_by_day(self, table: str, first: str, last: str, columns: list[str]
                   ) -> Iterator[tuple[str, pa.Table]]:  # fmt: skip
        """(day, rows) of each day ``first..last`` in turn: one day in memory at a time."""
        fragments = self.dataset(table).get_fragments(filter=_days_filter(first, last, False))
        for fragment in sorted(fragments, key=lambda f: f.path):
            day = ds.get_partition_keys(fragment.partition_expression)["day"]
            try:
                yield day, fragment.to_table(columns=columns)
            except (OSError, pa.ArrowInvalid) as exc:
                raise ArchiveError(
                    f"{self.store.url}: a {table} file cannot be read ({exc})"
                ) from exc


def _days_filter(first: str, last: str, undated: bool) -> ds.Expression:
    day = ds.field("day")
    where = (day >= first) & (day <= last)
    return where | (day == UNDATED) if undated else where


def open_reader(archive: str, storage_options: dict[str, Any] | None = None) -> ArchiveReader:
    store = open_store(archive, storage_options=storage_options)
    return ArchiveReader(store, read_manifest(store))


@dataclass(frozen=True)
class ArchiveNeighbours:
    """A ``NeighbourSource`` (``desktop.core.detect.gap_evidence``) over every vessel of the
    archive at ``archive`` in the days ``first..last``: for each day some silence overlaps,
    one read of that day's fixes near those gaps' ends during their silences, and the
    ``neighbour_hits`` triples of them. Plain data (the archive is opened on each call), so
    the data it travels with can be sent to another process."""

    archive: str
    first: str
    last: str
    storage_options: dict[str, Any] | None = None

    def __call__(self, ends: GapEnds) -> Iterator[np.ndarray]:
        if not len(ends):
            return
        reader = open_reader(self.archive, self.storage_options)
        days = set(reader.days(self.first, self.last))
        for day, index in silence_days(ends).items():
            if day.isoformat() not in days:
                continue
            mine = ends.subset(index)
            table = reader.read("fixes", day.isoformat(), day.isoformat(),
                                NEIGHBOUR_COLUMNS, rows=_near_ends(mine))  # fmt: skip
            hits = neighbour_hits(
                numpy_of(table.column("mmsi")).astype("int64"),
                numpy_of(pc.cast(table.column("time"), pa.int64()))
                * 1000,
                numpy_of(table.column("lon")).astype("float64"),
                numpy_of(table.column("lat")).astype("float64"),
                mine,
            )
            hits[:, 0] = index[hits[:, 0]]
            yield hits


def _near_ends(ends: GapEnds) -> ds.Expression:
    """A filter that keeps every fix within ``EVIDENCE_RADIUS_M`` of some end of ``ends``
    during its silence (and some others: ``neighbour_hits`` tests exactly): the silences'
    span, then a box per end (``end_boxes``), or one box round all when there are many."""
    time = ds.field("time")
    micros = pa.timestamp("us", tz="UTC")
    # whole microseconds round the silences (the archive's time unit)
    where = (time >= pa.scalar(int(ends.t0.min()) // 1000, micros)) & (
        time <= pa.scalar(-(-int(ends.t1.max()) // 1000), micros)
    )
    boxes = end_boxes(ends)
    if len(boxes) > MAX_BOXES:
        boxes = [(min(b[0] for b in boxes), max(b[1] for b in boxes),
                  min(b[2] for b in boxes), max(b[3] for b in boxes))]  # fmt: skip
    lat, lon = ds.field("lat"), ds.field("lon")
    near = []
    for south, north, west, east in boxes:
        box = (lat >= south) & (lat <= north)
        if west > -180.0 or east < 180.0:
            box = box & (lon >= west) & (lon <= east)
        near.append(box)
    return where & functools.reduce(operator.or_, near)


def load_for_screening(
    archive: str,
    as_of: datetime | date | None,
    window_days: float,
    vessels: VesselList | None = None,
    *,
    first_day: str | None = None,
    last_day: str | None = None,
    all_columns: bool = False,
    storage_options: dict[str, Any] | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ArchiveIngest:
    """The archive's data for a screening as of ``as_of`` with a window of ``window_days``:
    the days of ``day_range`` (or ``first_day``..``last_day``, ISO dates), the fix columns
    the detectors need (all of them with ``all_columns``, for the app's map and details), and
    with ``vessels`` only the vessels that screening them needs (see the module docstring)."""
    moment = normalise_as_of(as_of)
    first, last = day_range(moment, window_days)
    first, last = first_day or first, last_day or last

    def step(fraction: float, message: str) -> None:
        if cancel is not None and cancel():
            raise Cancelled("archive reading cancelled")
        if progress is not None:
            progress(fraction, message)

    reader = open_reader(archive, storage_options)
    columns = list(FIX_SCHEMA.names) if all_columns else list(SCREENING_COLUMNS)
    step(0.0, "reading static records")
    statics = reader.read("statics", first, last, STATIC_SCHEMA.names, undated=True)
    listed: set[int] | None = None
    not_found: list[str] = []
    wanted: np.ndarray | None = None
    if vessels is not None:
        listed, not_found = _resolve(vessels, statics)
        step(0.1, f"finding the counterparts of {len(listed)} vessels")
        wanted = _needed_vessels(reader, first, last, np.array(sorted(listed)), step)
        statics = _statics_for(statics, wanted)
    step(0.5, "reading fixes")
    fixes_table = reader.read("fixes", first, last, columns, mmsis=wanted)
    step(0.8, "building tables")
    fixes = _fixes_frame(fixes_table, archive)
    statics_frame = _statics_frame(statics)
    result = ArchiveIngest(
        fixes=fixes,
        statics=statics_frame,
        vessels=build_vessels(fixes, statics_frame),
        flagged=make_fixes({"mmsi": [], "time": np.array([], "int64"), "lat": [], "lon": []}),
        reports=_reports(reader.manifest, first, last),
        listed=listed,
        not_found=not_found,
        days=(first, last),
        # Only a selection leaves vessels unread; without one every fix is read already.
        neighbours=None if vessels is None else ArchiveNeighbours(
            archive, first, last, storage_options
        ),
    )
    step(1.0, "done")
    return result


def _resolve(vessels: VesselList, statics: pa.Table) -> tuple[set[int], list[str]]:
    """MMSIs of the listed vessels: as listed, or by IMO, or by exact name, in the statics."""
    mmsi = numpy_of(statics.column("mmsi")).astype("int64")
    imo = numpy_of(pc.fill_null(statics.column("imo"), -1))
    names = pc.utf8_upper(pc.utf8_trim_whitespace(pc.fill_null(statics.column("name"), "")))
    name = np.asarray(names.to_pylist(), dtype=object)
    found = set(vessels.mmsis)
    missing = []
    for number in sorted(vessels.imos):
        hits = set(mmsi[imo == number].tolist())
        found |= hits
        if not hits:
            missing.append(f"IMO {number}")
    for text in sorted(vessels.names):
        hits = set(mmsi[name == text].tolist())
        found |= hits
        if not hits:
            missing.append(f"name {text}")
    return found, missing


def _port_cells() -> np.ndarray:
    """Sorted keys of the PORT_CELL_DEG cells holding a bundled port or anchorage point."""
    from desktop.core.screening import default_known_ports

    lon, lat = default_known_ports()
    return np.unique(_cell(np.asarray(lat), np.asarray(lon), PORT_CELL_DEG))


def _cell(lat: np.ndarray, lon: np.ndarray, size_deg: float) -> np.ndarray:
    y = np.floor((lat + 90.0) / size_deg).astype("int64")
    x = np.floor((lon + 180.0) / size_deg).astype("int64")
    return y * 1_000_000 + x


def _near_keys(table: pa.Table, port_cells: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(mmsi, cell key) of the slow fixes of ``table`` (cells of NEAR_DEG x NEAR_HOURS),
    leaving out fixes in ``port_cells`` when given."""
    sog = numpy_of(table.column("sog_kn"))
    slow = ~(sog > NEAR_SOG_KN)  # NaN (no speed) counts as slow
    if port_cells is not None and len(port_cells):
        lat = numpy_of(table.column("lat"))
        lon = numpy_of(table.column("lon"))
        slow &= ~_member(_cell(lat, lon, PORT_CELL_DEG), port_cells)
    mmsi = numpy_of(table.column("mmsi"))[slow].astype("int64")
    lat = numpy_of(table.column("lat"))[slow]
    lon = numpy_of(table.column("lon"))[slow]
    hours = numpy_of(pc.cast(table.column("time"), pa.int64()))[slow]
    t = (hours // int(NEAR_HOURS * 3600e6)).astype("int64")
    y = np.floor((lat + 90.0) / NEAR_DEG).astype("int64")
    x = np.floor((lon + 180.0) / NEAR_DEG).astype("int64")
    return mmsi, _key(t, y, x)


def _key(t: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    return (t << 22) | ((y & 0x7FF) << 11) | (x & 0x7FF)


def _around(keys: np.ndarray) -> np.ndarray:
    """Every cell key in the 3 x 3 x 3 neighbourhood of ``keys`` (time, lat, lon)."""
    t, y, x = keys >> 22, (keys >> 11) & 0x7FF, keys & 0x7FF
    out = [
        _key(t + dt, y + dy, (x + dx) % int(360 / NEAR_DEG))
        for dt in (-1, 0, 1) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
    ]  # fmt: skip
    return np.unique(np.concatenate(out))


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``np.isin`` against a sorted unique array, without re-hashing it on every call."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values


def _needed_vessels(reader: ArchiveReader, first: str, last: str, listed: np.ndarray,
                    step: Callable[[float, str], None]) -> np.ndarray:  # fmt: skip
    """The listed vessels, their neighbours, and their neighbours' neighbours."""
    near_columns = ["mmsi", "time", "lat", "lon", "sog_kn"]
    have = np.unique(listed.astype("int64"))
    frontier = have
    for hop in (1, 2):
        if not len(frontier):
            break
        at_sea = _port_cells() if hop == 2 else None
        own = reader.read("fixes", first, last, near_columns, mmsis=frontier)
        _, keys = _near_keys(own, at_sea)
        cells = _around(np.unique(keys))
        found: list[np.ndarray] = []
        days = max(len(reader.days(first, last)), 1)
        for number, (day, table) in enumerate(reader.day_by_day("fixes", first, last,
                                                                near_columns)):  # fmt: skip
            step(0.1 + 0.2 * (hop - 1) + 0.2 * number / days,
                 f"looking for counterparts ({hop}) on {day}")  # fmt: skip
            mmsi, keys = _near_keys(table, at_sea)
            found.append(np.unique(mmsi[_member(keys, cells)]))
        near = np.unique(np.concatenate(found)) if found else np.array([], "int64")
        frontier = np.setdiff1d(near, have)
        have = np.union1d(have, frontier)
    return have


def _statics_for(statics: pa.Table, wanted: np.ndarray) -> pa.Table:
    """Static records of the wanted vessels, and of any vessel sharing an IMO with one (the
    identity test flags one IMO under several MMSIs)."""
    mmsi = numpy_of(statics.column("mmsi")).astype("int64")
    imo = numpy_of(pc.fill_null(statics.column("imo"), -1))
    mine = np.isin(mmsi, wanted)
    imos = np.setdiff1d(np.unique(imo[mine]), [-1])
    return statics.filter(pa.array(mine | np.isin(imo, imos)))


def _fixes_frame(table: pa.Table, archive: str) -> pd.DataFrame:
    """The fixes table (``desktop.core.fixes`` schema) of the rows read, sorted by (mmsi, time):
    each day's file is sorted, the days come in order, so a stable sort by mmsi suffices."""
    mmsi = numpy_of(table.column("mmsi"))
    order = np.argsort(mmsi, kind="stable")
    names = set(table.column_names)

    def numbers(name: str) -> np.ndarray | None:
        if name not in names:
            return None
        values = pc.cast(table.column(name), pa.float64())
        return numpy_of(values)[order]

    micros = numpy_of(pc.cast(table.column("time"), pa.int64()))
    if "source" in names:
        source: Any = pd.Categorical(
            numpy_of(table.column("source"))[order]
        )
    else:  # not read: every fix comes from the archive
        source = pd.Categorical.from_codes(
            np.zeros(len(order), "int8"), categories=[_archive_name(archive)]
        )
    return make_fixes(
        {
            "mmsi": mmsi[order],
            "time": micros[order] * 1000,
            "lat": numbers("lat"),
            "lon": numbers("lon"),
            "sog_kn": numbers("sog_kn"),
            "cog_deg": numbers("cog_deg"),
            "heading_deg": numbers("heading_deg"),
            "nav_status": numbers("nav_status"),
            "source": source,
        },
        sort=False,
    )


def _archive_name(archive: str) -> str:
    return str(archive).rstrip("/").rsplit("/", 1)[-1] or str(archive)


def _statics_frame(table: pa.Table) -> pd.DataFrame:
    """Static records as ``ingest`` gives them: STATIC_COLUMNS + source, sorted by mmsi, time
    (records without a time first), then by source and line as read."""
    frame = table.select(list(STATIC_SCHEMA.names)).to_pandas(
        types_mapper={pa.int64(): pd.Int64Dtype()}.get
    )
    frame["mmsi"] = frame["mmsi"].astype("uint32")
    frame["time"] = pd.to_datetime(frame["time"], utc=True).astype("datetime64[ns, UTC]")
    frame["line"] = frame["line"].astype("int64")
    for name in ("name", "callsign", "destination"):
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    frame = frame.sort_values(
        ["mmsi", "time", "source", "line"], kind="stable", na_position="first"
    )
    frame["source"] = frame["source"].astype("category")
    return frame.reset_index(drop=True)[[*STATIC_COLUMNS, "source"]]


def _reports(manifest: dict[str, Any], first: str, last: str) -> list[FileReport]:
    """One report per file added whose fixes overlap the days read (DESIGN §6 ``inputs``)."""
    out = []
    for entry in sorted(manifest["files"], key=lambda e: (e["name"], e["sha256"])):
        low, high = entry.get("time_min"), entry.get("time_max")
        if low is None or high is None or high[:10] < first or low[:10] > last:
            continue
        out.append(
            FileReport(
                path=entry["name"],
                format=entry["format"],
                lines=int(entry["lines"]),
                fixes=int(entry["fixes"]),
                time_min=pd.Timestamp(low),
                time_max=pd.Timestamp(high),
                accepted=dict(entry["accepted"]),
                rejected=dict(entry["rejected"]),
            )
        )
    return out


def archive_info(archive: str, storage_options: dict[str, Any] | None = None) -> dict[str, Any]:
    """What ``exposure archive info`` prints: span, days, vessels, fixes, files, rejected lines
    by reason, size on disk (JSON-ready, deterministic: the order files were added in does not
    show). ``repeated_fixes`` counts the fixes of the files that were already in the archive
    (heard by two receivers, or in two files)."""
    reader = open_reader(archive, storage_options)
    manifest = reader.manifest
    fixes_parts = manifest["fixes"]
    vessels: np.ndarray = np.array([], dtype="int64")
    for _, table in reader.day_by_day("fixes", "0000", "9999", ["mmsi"]):  # a day at a time
        column = table.column("mmsi")
        vessels = np.union1d(vessels, numpy_of(pc.unique(column)))
    rejected: dict[str, int] = {}
    lines = accepted_fixes = 0
    for entry in manifest["files"]:
        lines += int(entry["lines"])
        accepted_fixes += int(entry["fixes"])
        for reason, count in entry["rejected"].items():
            rejected[reason] = rejected.get(reason, 0) + int(count)
    stored = sum(int(p["rows"]) for p in fixes_parts.values())
    lows = [p["time_min"] for p in fixes_parts.values() if p.get("time_min")]
    highs = [p["time_max"] for p in fixes_parts.values() if p.get("time_max")]
    size = sum(int(p["bytes"]) for t in ("fixes", "statics") for p in manifest[t].values())
    for name in ("archive.json", "manifest.json"):
        try:
            size += int(reader.store.fs.size(reader.store.path(name)))
        except (OSError, FileNotFoundError):
            pass
    return {
        "schema": "exposure-archive-info/1",
        "archive": str(archive),
        "time_min": min(lows) if lows else None,
        "time_max": max(highs) if highs else None,
        "days": len(fixes_parts),
        "vessels": int(len(vessels)),
        "fixes": stored,
        "static_records": sum(int(p["rows"]) for p in manifest["statics"].values()),
        "files": len(manifest["files"]),
        "lines": lines,
        "repeated_fixes": accepted_fixes - stored,
        "rejected": {k: rejected[k] for k in sorted(rejected)},
        "size_bytes": size,
    }


def info_lines(info: dict[str, Any]) -> list[str]:
    """The table ``exposure archive info`` prints."""
    span = f"{info['time_min']} .. {info['time_max']}" if info["time_min"] else "no fixes"
    rejected = ", ".join(f"{k} {v}" for k, v in info["rejected"].items()) or "none"
    rows = [
        ("archive", info["archive"]),
        ("span", span),
        ("days", str(info["days"])),
        ("vessels", str(info["vessels"])),
        ("fixes", str(info["fixes"])),
        ("static records", str(info["static_records"])),
        ("files", str(info["files"])),
        ("lines read", str(info["lines"])),
        ("repeated fixes", f"{info['repeated_fixes']} (stored once)"),
        ("rejected lines", rejected),
        ("size on disk", _size_text(info["size_bytes"])),
    ]
    return [f"{label:<15} {value}" for label, value in rows]


def _size_text(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)
