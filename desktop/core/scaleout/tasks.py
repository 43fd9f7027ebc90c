"""The work of the Dask engine, as plain functions of plain data (no Dask in here).

Each function is one kind of task; the engine (``desktop.core.scaleout.engine``) only wires
them into a graph, so every step can be run and tested in one process too.

Per-vessel detectors (port visits, KP waters, AIS gaps, loitering candidates, KP flag) look at one
vessel's fixes at a time, so they run on **MMSI partitions**: ranges of MMSIs holding about the
same number of fixes, each read from every day of the slice by the worker that runs it
(``vessel_partition``).

Ship-to-ship encounters join vessels, so they are found in two steps:

1. **Candidates, by day and spatial cell.** ``day_points`` resamples the fixes of one UTC day
   (plus a time halo) to the STS grid, keeping the slow grid points; ``bucket_points`` files
   each point under its own cell (``cell_deg`` square, its *core* cell) and under every other
   cell whose square, widened by the STS distance, contains it (the *halo*). ``cell_candidates``
   then pairs the points of one (day, cell) at one grid instant within the STS distance, at
   least one of them in the cell's core, and returns their vessel pairs.
2. **Exact encounters.** The candidate pairs of all tasks are gathered, and
   ``sts_batch`` runs the single-process detector (``detect_encounters``) on the full tracks of
   the vessels of some candidate pairs, keeping only the events of the pairs assigned to that
   batch.

Why the events are exactly those of one process (the superset property). The single-process
detector reports an encounter of vessels A and B only if at some grid instant ``g`` it has a
slow grid point ``p`` of A and ``q`` of B with ``haversine(p, q) <= D`` (D = STS distance);
every number of the event (times, merging, mean position, distances, place) depends only on the
tracks of A and B. We show that then (A, B) is a candidate:

- *Time*: ``p`` comes from a fix of A at ``g`` or from two consecutive fixes ``t0 < g < t1``
  with ``t1 - t0 <= H`` (H = ``sts_max_interp_gap_h``). ``day_points`` for the day of ``g``
  reads every fix in ``[day - H, day + 1 day + H]``, a time interval, so it has those fixes and
  they are consecutive there too: it produces ``p`` at the same position (same code). A point
  whose instant lies in another day belongs to that day's task alone.
- *Speed*: the detector keeps a point if its interpolated speed ``s = s0 + f (s1 - s0)`` is at
  most the STS speed, where a missing ``sog_kn`` is the implied speed of the neighbouring fixes,
  and a neighbour may lie outside the halo. ``day_points`` takes a missing speed as 0 instead;
  as speeds are never negative this can only lower ``s``, so it keeps every point the detector
  keeps (and some more).
- *Space*: ``p`` lies in one core cell C. Latitudes differ by at most ``D / R`` (a great circle
  is never shorter than its meridian component), and longitudes by at most
  ``2 asin(sin(D / 2R) / cos φ)`` where φ bounds both latitudes (from the haversine formula,
  ``hav(d/R) >= cos φ1 cos φ2 hav(Δλ)``); ``bucket_points`` widens by these bounds (with
  φ = |lat of q| + D / R and a relative margin of 1e-6), so ``q`` is in C's halo and the (day,
  C) task sees ``p`` (core) and ``q``. It measures them with the same haversine and a distance
  ``D (1 + 1e-6)``, so the pair is found.

So the candidates are a superset of the encounter pairs. ``sts_batch`` runs the detector on a
set of vessels that holds both vessels of each of its pairs, over their full tracks; events of a
pair depend only on its two tracks, so they are the single-process events of that pair. Every
candidate pair is assigned to exactly one batch and a batch keeps only its own pairs' events,
so no encounter is counted twice; a pair that is no encounter gives no event in either path.
The detector does not wrap cells at the antimeridian, so neither does the candidate search.

Gap evidence (``desktop.core.detect.gap_evidence``) counts the other vessels heard near each
gap's ends during its silence, so it too joins vessels: the gaps gathered from the partitions
are sent to one task per UTC day that some silence overlaps (``gap_neighbour_day``), which reads
that day's fixes of every vessel and returns (gap, end, MMSI) triples; their union, counted by
``count_neighbours``, is what one pass over all fixes gives, because each fix lies in exactly
one day's files and a union of sets does not depend on how the fixes were cut.

Loitering (``desktop.core.detect.loitering``) is per vessel except its last step: a loitering
that overlaps an encounter of the same vessel is an STS candidate and is dropped. The partitions
give the candidates; the engine drops them with ``drop_sts_candidates`` against the gathered STS
events, which are exactly the single-process encounters (above), so the loitering events are
exactly those of one process too.

Identity changes (one IMO under several MMSIs) and watch-list hits join vessels through the
static records, which are small: ``statics_task`` runs them once over every static record of the
slice, with the last fix and the fix span of each vessel from the partitions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Final

import numpy as np
import pandas as pd

from desktop.core.coverage import vessel_coverage
from desktop.core.detect.flag import detect_kp_flag
from desktop.core.detect.gap_evidence import GapEnds, neighbour_hits
from desktop.core.detect.gaps import detect_gaps
from desktop.core.detect.geo import EARTH_RADIUS_M, NS_PER_H, time_ns, to_datetime, to_ns
from desktop.core.detect.identity import detect_identity_changes
from desktop.core.detect.loitering import detect_loitering
from desktop.core.detect.port_calls import detect_port_visits
from desktop.core.detect.sts import close_pairs, detect_encounters, resample_slow
from desktop.core.detect.watchlist import detect_watchlist_hits
from desktop.core.detect.waters import detect_waters_presence
from desktop.core.errors import InputError
from desktop.core.fixes import empty_fixes
from desktop.core.model import Event
from desktop.core.params import ScreeningParams
from desktop.core.scaleout.layout import (
    DETECTOR_COLUMNS,
    STS_COLUMNS,
    ArchiveSlice,
    read_fixes,
    read_table,
)
from desktop.core.watchlist import Watchlist
from desktop.core.zones import ZoneSet

#: Relative widening of the STS distance in the candidate search (floating-point safety).
MARGIN = 1e-6
NS_PER_DAY = 24 * NS_PER_H

Cell = tuple[int, int]
Points = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # mmsi g lat lon core


def day_start_ns(day: date) -> int:
    """00:00 UTC of ``day``, ns since the epoch."""
    return to_ns(datetime.combine(day, time(0), tzinfo=UTC))


@dataclass
class DayPoints:
    """What ``day_points`` gives for one day: the fixes per MMSI of that day's own files
    (all of them, before ``as_of`` or not: the input's vessels) and the slow grid points of
    the day's instants filed by cell (core and halo)."""

    mmsi: np.ndarray  # unique MMSIs with fixes in the day's files (uint32)
    fixes: np.ndarray  # fixes of each (int64)
    cells: dict[Cell, Points] = field(default_factory=dict)


def day_points(
    archive: ArchiveSlice,
    first_day: date,
    last_day: date,
    as_of_ns: int,
    params: ScreeningParams,
    cell_deg: float,
) -> DayPoints:
    """Slow grid points of the instants of the days ``first_day .. last_day`` (UTC), filed by
    cell (see the module docstring for why the time halo and the speed rule make them a
    superset). Several small days in one task save the per-file overhead."""
    start = day_start_ns(first_day)
    stop = day_start_ns(last_day) + NS_PER_DAY
    halo_ns = int(math.ceil(params.sts_max_interp_gap_h * NS_PER_H))
    days = [date.fromordinal(k) for k in range(first_day.toordinal(), last_day.toordinal() + 1)]
    own = read_fixes(archive.fixes_files(days), archive.storage_options, STS_COLUMNS,
                     filters=archive.mmsi_filters())
    mmsi, counts = np.unique(own["mmsi"].to_numpy(), return_counts=True)
    parts = [own]
    for k in range(1, int(math.ceil(halo_ns / NS_PER_DAY)) + 1):
        for other in (date.fromordinal(first_day.toordinal() - k),
                      date.fromordinal(last_day.toordinal() + k)):
            if other not in archive.fixes or not archive.first_day <= other <= archive.last_day:
                continue
            near = read_fixes(archive.fixes_files([other]), archive.storage_options, STS_COLUMNS,
                              filters=archive.mmsi_filters())
            t = time_ns(near)
            parts.append(near[(t >= start - halo_ns) & (t <= stop + halo_ns)])
    fixes = pd.concat(parts, ignore_index=True) if len(parts) > 1 else own
    fixes = fixes[time_ns(fixes) <= as_of_ns] if len(fixes) else fixes
    fixes = fixes.sort_values(["mmsi", "time"], kind="stable", ignore_index=True)
    out = DayPoints(mmsi.astype("uint32"), counts.astype("int64"))
    if len(fixes) < 2:
        return out
    # a missing speed counts as 0 here: never slower than the detector's implied speed
    fixes["sog_kn"] = fixes["sog_kn"].fillna(0.0)
    p_mmsi, g, lat, lon = resample_slow(fixes, params)
    step_ns = int(round(params.sts_grid_min * 60e9))
    mine = (g * step_ns >= start) & (g * step_ns < stop)
    out.cells = bucket_points(
        p_mmsi[mine], g[mine], lat[mine], lon[mine], cell_deg, params.sts_max_distance_m
    )
    return out


def bucket_points(
    mmsi: np.ndarray,
    g: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    cell_deg: float,
    distance_m: float,
) -> dict[Cell, Points]:
    """Points filed under their own cell (core) and every cell within ``distance_m`` (halo);
    cells with no core point are left out (they cannot hold a pair with a core point)."""
    if len(g) == 0:
        return {}
    angle = distance_m * (1.0 + MARGIN) / EARTH_RADIUS_M  # radians
    half_lat = math.degrees(angle)
    phi = np.radians(np.minimum(np.abs(lat) + half_lat, 90.0))
    with np.errstate(divide="ignore"):
        ratio = math.sin(angle / 2) / np.cos(phi)
    half_lon = np.where(ratio >= 1.0, 360.0, np.degrees(2 * np.arcsin(np.minimum(ratio, 1.0))))
    y0 = np.floor((lat - half_lat) / cell_deg).astype("int64")
    y1 = np.floor((lat + half_lat) / cell_deg).astype("int64")
    x0 = np.floor((lon - half_lon) / cell_deg).astype("int64")
    x1 = np.floor((lon + half_lon) / cell_deg).astype("int64")
    own_y = np.floor(lat / cell_deg).astype("int64")
    own_x = np.floor(lon / cell_deg).astype("int64")
    ny, nx = y1 - y0 + 1, x1 - x0 + 1
    copies = ny * nx
    src = np.repeat(np.arange(len(g)), copies)
    k = np.arange(int(copies.sum())) - np.repeat(np.cumsum(copies) - copies, copies)
    cy = y0[src] + k // nx[src]
    cx = x0[src] + k % nx[src]
    core = (cy == own_y[src]) & (cx == own_x[src])
    order = np.lexsort((cx, cy))
    src, cy, cx, core = src[order], cy[order], cx[order], core[order]
    change = np.flatnonzero((cy[1:] != cy[:-1]) | (cx[1:] != cx[:-1])) + 1
    starts = np.concatenate(([0], change))
    stops = np.append(change, len(src))
    cells: dict[Cell, Points] = {}
    for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
        if not core[a:b].any():
            continue
        idx = src[a:b]
        cells[(int(cy[a]), int(cx[a]))] = (mmsi[idx], g[idx], lat[idx], lon[idx], core[a:b])
    return cells


def cell_keys(points: DayPoints) -> list[Cell]:
    return sorted(points.cells)


def day_counts(points: DayPoints) -> tuple[np.ndarray, np.ndarray]:
    return points.mmsi, points.fixes


def cell_candidates(points: DayPoints, cell: Cell, distance_m: float) -> np.ndarray:
    """Vessel pairs (a < b, uint32, shape (k, 2), unique) with two points at one grid instant
    within ``distance_m`` in ``cell`` of the day, at least one of them in the cell's core."""
    mmsi, g, lat, lon, core = points.cells[cell]
    i, j, _ = close_pairs(mmsi, g, lat, lon, distance_m * (1.0 + MARGIN))
    keep = core[i] | core[j]
    a = np.minimum(mmsi[i[keep]], mmsi[j[keep]]).astype("uint32")
    b = np.maximum(mmsi[i[keep]], mmsi[j[keep]]).astype("uint32")
    if len(a) == 0:
        return np.zeros((0, 2), dtype="uint32")
    return np.unique(np.stack([a, b], axis=1), axis=0)


def merge_counts(parts: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Sum per-day (mmsi, fixes) counts into one sorted table."""
    if not parts:
        return np.zeros(0, dtype="uint32"), np.zeros(0, dtype="int64")
    mmsi = np.concatenate([p[0] for p in parts])
    counts = np.concatenate([p[1] for p in parts])
    unique, inverse = np.unique(mmsi, return_inverse=True)
    return unique.astype("uint32"), np.bincount(inverse, weights=counts).astype("int64")


def merge_pairs(parts: Sequence[np.ndarray]) -> np.ndarray:
    """The union of candidate pairs (sorted, unique)."""
    pairs = [p for p in parts if len(p)]
    if not pairs:
        return np.zeros((0, 2), dtype="uint32")
    return np.unique(np.concatenate(pairs), axis=0)


def mmsi_ranges(
    mmsi: np.ndarray, counts: np.ndarray, n_partitions: int
) -> list[tuple[int, int]]:
    """Half-open MMSI ranges [lo, hi) covering every MMSI, each with about the same number of
    fixes (a vessel is never split)."""
    if len(mmsi) == 0:
        return []
    n = max(1, min(n_partitions, len(mmsi)))
    cum = np.cumsum(counts)
    targets = cum[-1] * np.arange(1, n) / n
    # each cut comes after the vessel whose fixes reach the target (a vessel is never split)
    cuts = np.unique(np.searchsorted(cum, targets, side="left") + 1)
    cuts = cuts[(cuts > 0) & (cuts < len(mmsi))]
    bounds = [int(mmsi[0])] + [int(mmsi[c]) for c in cuts] + [int(mmsi[-1]) + 1]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def pair_batches(
    pairs: np.ndarray, mmsi: np.ndarray, counts: np.ndarray, max_fixes: int
) -> list[np.ndarray]:
    """Candidate pairs cut into batches whose vessels hold at most about ``max_fixes`` fixes
    (a single pair may exceed it). Pairs of one connected component come together, so a
    vessel's track is read by as few batches as the size bound allows."""
    if len(pairs) == 0:
        return []
    vessels, inverse = np.unique(pairs, return_inverse=True)
    inverse = inverse.reshape(-1, 2)
    parent = np.arange(len(vessels))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = int(parent[x])
        return x

    for u, v in inverse.tolist():
        ru, rv = root(u), root(v)
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)
    component = np.array([root(x) for x in range(len(vessels))])
    fixes_of = counts[np.searchsorted(mmsi, vessels).clip(0, max(len(mmsi) - 1, 0))]
    order = np.lexsort((inverse[:, 1], inverse[:, 0], component[inverse[:, 0]]))
    batches: list[np.ndarray] = []
    current: list[int] = []
    seen: set[int] = set()
    load = 0
    for k in order.tolist():
        new = [x for x in inverse[k].tolist() if x not in seen]
        extra = int(fixes_of[new].sum()) if new else 0
        if current and load + extra > max_fixes:
            batches.append(pairs[current])
            current, seen, load = [], set(), 0
            new = inverse[k].tolist()
            extra = int(fixes_of[new].sum())
        current.append(k)
        seen.update(new)
        load += extra
    if current:
        batches.append(pairs[current])
    return batches


@dataclass
class PartitionResult:
    """Events of the per-vessel detectors for one MMSI range, by detector, and what the
    static-record task needs of the vessels' fixes (all at or before ``as_of``)."""

    visits: list[Event]
    waters: list[Event]
    gaps: list[Event]
    flag: list[Event]
    loitering: list[Event]  # candidates: STS candidates are dropped after the STS stage
    last_seen: dict[int, Any]  # MMSI -> time of its last fix (pd.Timestamp)
    spans: pd.DataFrame  # first and last fix of each vessel: mmsi, time (two rows each)
    fixes: int  # fixes at or before as_of
    coverage: dict[int, Any]  # MMSI -> Coverage (desktop.core.coverage.vessel_coverage)
    data_end_ns: int | None  # the latest fix at or before as_of
    #: mmsi, time of each vessel's last fix read and its last at or before as_of (one row when
    #: they are the same fix): what an arrivals list is matched against (``ClusterIngest``)
    heard: pd.DataFrame


def vessel_partition(
    archive: ArchiveSlice,
    lo: int,
    hi: int,
    as_of_ns: int,
    zones: ZoneSet,
    params: ScreeningParams,
    known_ports: tuple[np.ndarray, np.ndarray] | None = None,
) -> PartitionResult:
    """The per-vessel detectors on the vessels with ``lo <= mmsi < hi``, read from every day.
    ``known_ports`` None means the bundled points (for the loitering's port test)."""
    fixes = read_fixes(
        archive.fixes_files(), archive.storage_options, DETECTOR_COLUMNS,
        filters=archive.mmsi_filters([("mmsi", ">=", lo), ("mmsi", "<", hi)]),
    )
    heard = _last_fixes(fixes)
    if len(fixes):
        fixes = fixes[time_ns(fixes) <= as_of_ns].reset_index(drop=True)
    visits = detect_port_visits(fixes, zones, params)
    waters = detect_waters_presence(fixes, zones, visits)
    gaps = detect_gaps(fixes, zones, params)
    flag = detect_kp_flag(fixes)
    if known_ports is None:
        from desktop.core.screening import default_known_ports

        known_ports = default_known_ports()
    loitering = detect_loitering(fixes, zones, params, known_ports)
    last_seen: dict[int, Any] = {}
    spans = fixes[["mmsi", "time"]].iloc[0:0]
    if len(fixes):
        mmsi = fixes["mmsi"].to_numpy()
        first = np.flatnonzero(np.concatenate(([True], mmsi[1:] != mmsi[:-1])))
        last = np.flatnonzero(np.append(mmsi[1:] != mmsi[:-1], True))
        last_seen = dict(zip(mmsi[last].tolist(), fixes["time"].iloc[last], strict=True))
        rows = np.unique(np.concatenate((first, last)))
        spans = fixes[["mmsi", "time"]].iloc[rows].reset_index(drop=True)
        heard = pd.concat([heard, fixes[["mmsi", "time"]].iloc[last]], ignore_index=True)
        heard = heard.sort_values(["mmsi", "time"], kind="stable", ignore_index=True)
    coverage = vessel_coverage(fixes, to_datetime(as_of_ns), params)
    end = int(time_ns(fixes).max()) if len(fixes) else None
    return PartitionResult(
        list(visits.events), waters, gaps, flag, loitering, last_seen, spans, len(fixes),
        coverage, end, heard,
    )


def _last_fixes(fixes: pd.DataFrame) -> pd.DataFrame:
    """mmsi and time of each vessel's last fix in ``fixes`` (sorted by mmsi, time)."""
    if not len(fixes):
        return fixes[["mmsi", "time"]].iloc[0:0]
    mmsi = fixes["mmsi"].to_numpy()
    last = np.flatnonzero(np.append(mmsi[1:] != mmsi[:-1], True))
    return fixes[["mmsi", "time"]].iloc[last].reset_index(drop=True)


def sts_batch(
    archive: ArchiveSlice,
    pairs: np.ndarray,
    as_of_ns: int,
    zones: ZoneSet,
    params: ScreeningParams,
    known_ports: tuple[np.ndarray, np.ndarray] | None,
) -> list[Event]:
    """The single-process STS detector on the full tracks of the vessels of ``pairs``; only
    the events of those pairs are kept. ``known_ports`` None means the bundled points (whose
    names the reasons may give)."""
    from desktop.core.screening import default_known_ports, known_port_names

    vessels = np.unique(pairs)
    fixes = read_fixes(
        archive.fixes_files(), archive.storage_options, STS_COLUMNS,
        filters=[("mmsi", "in", vessels.tolist())],
    )
    if len(fixes):
        fixes = fixes[time_ns(fixes) <= as_of_ns].reset_index(drop=True)
    names = None
    if known_ports is None:
        known_ports, names = default_known_ports(), known_port_names
    events = detect_encounters(fixes, zones, params, known_ports, names)
    wanted = {(int(a), int(b)) for a, b in pairs.tolist()}
    return [
        e for e in events
        if (min(e.mmsi, e.with_mmsi or 0), max(e.mmsi, e.with_mmsi or 0)) in wanted
    ]


def read_statics(archive: ArchiveSlice) -> pd.DataFrame:
    """Every static record of the slice, sorted by (mmsi, time) like ``IngestResult.statics``:
    for an archive with a manifest, read by the archive's own reader exactly as the local path
    reads them (undated records included, the same order)."""
    from desktop.core.ingest.base import STATIC_COLUMNS

    if archive.archive is not None:
        from desktop.core.archive.layout import STATIC_SCHEMA
        from desktop.core.archive.read import _statics_frame, open_reader

        reader = open_reader(archive.archive, dict(archive.storage_options))
        table = reader.read("statics", archive.first_day.isoformat(),
                            archive.last_day.isoformat(), STATIC_SCHEMA.names, undated=True)
        if archive.vessels is not None:  # as ``load_for_screening`` keeps them for a selection
            from desktop.core.archive.read import _statics_for

            table = _statics_for(table, np.asarray(archive.vessels, dtype="int64"))
        return _statics_frame(table)
    if archive.vessels is not None:
        raise InputError("a vessel selection needs an archive with a manifest")

    files = archive.statics_files()
    if not files:
        columns = (*STATIC_COLUMNS, "source")
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    import pyarrow.parquet as pq

    from desktop.core.scaleout.layout import _filesystem

    fs, stripped = _filesystem(files[0], archive.storage_options)
    names = pq.read_schema(stripped, filesystem=fs).names
    frame = read_table(files, [c for c in names if c != "day"], archive.storage_options)
    if "time" in frame:
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame.sort_values(["mmsi", "time"], kind="stable", ignore_index=True)


@dataclass
class StaticsResult:
    identity: list[Event]
    watchlist: list[Event]
    vessels: pd.DataFrame  # the vessels table (desktop.core.ingest.vessels) of the statics
    #: the first static record of each distinct (mmsi, imo, name): every identity a vessel
    #: reported, which an arrivals list is matched against (the full history stays on the
    #: cluster)
    identities: pd.DataFrame


def statics_task(
    archive: ArchiveSlice,
    as_of_ns: int,
    partitions: Sequence[PartitionResult],
    watchlist: Watchlist | None,
) -> StaticsResult:
    """Identity changes and watch-list hits over every static record of the slice, with the
    last fix and fix span of each vessel from the partitions (as ``run_detectors`` and
    ``screen`` compute them from the whole fixes table)."""
    from desktop.core.fixes import empty_fixes
    from desktop.core.ingest.vessels import build_vessels
    from desktop.core.screening import truncate_statics

    statics = read_statics(archive)
    vessels = build_vessels(empty_fixes(), statics) if len(statics) else None
    last_seen: dict[int, Any] = {}
    for part in partitions:
        last_seen.update(part.last_seen)
    timed = truncate_statics(statics, as_of_ns)
    identity: list[Event] = []
    if timed is not None and len(timed):
        identity = detect_identity_changes(timed, last_seen or None)
    elif timed is not None:
        identity = detect_identity_changes(timed)
    hits: list[Event] = []
    if watchlist is not None:
        spans = [p.spans for p in partitions if len(p.spans)]
        fixes = (
            pd.concat(spans, ignore_index=True) if spans else empty_fixes()[["mmsi", "time"]]
        )
        hits = detect_watchlist_hits(watchlist, fixes, statics, vessels, as_of_ns)
    identities = statics.drop_duplicates(["mmsi", "imo", "name"], ignore_index=True)
    return StaticsResult(
        identity, hits, vessels if vessels is not None else pd.DataFrame(), identities
    )


def identity(value: Any) -> Any:
    """``value`` itself: shared inputs (the zones) enter the graph as a task, which the
    scheduler can recompute on another worker, not as scattered data, which dies with its
    worker."""
    return value


def concat_events(parts: Sequence[Sequence[Event]]) -> list[Event]:
    return [e for part in parts for e in part]


def partition_events(
    partitions: Sequence[PartitionResult],
) -> tuple[Mapping[str, list[Event]], dict[int, Any], int | None, pd.DataFrame]:
    """Per-detector event lists over all partitions (in MMSI order: partitions are ranges),
    the coverage of every vessel, the latest fix at or before ``as_of`` (ns), and the
    partitions' ``heard`` tables together (in MMSI order)."""
    events = {
        name: [e for p in partitions for e in getattr(p, name)]
        for name in ("visits", "waters", "gaps", "loitering", "flag")
    }
    coverage = {m: c for p in partitions for m, c in p.coverage.items()}
    ends = [p.data_end_ns for p in partitions if p.data_end_ns is not None]
    heard = [p.heard for p in partitions]
    return (
        events, coverage, max(ends) if ends else None,
        pd.concat(heard, ignore_index=True) if heard else _last_fixes(empty_fixes()),
    )


# ---- a vessel selection (``--vessels``, an arrivals list) -----------------------------------
# The same search as ``desktop.core.archive.read._needed_vessels``, cut by days: the cell keys
# of the frontier's slow fixes, then the vessels with a slow fix in a cell next to one of them.
# Keys are absolute (hour, lat, lon) cells, so the union over days is the one-process answer.

#: The columns the neighbour search reads.
NEAR_COLUMNS: Final = ("mmsi", "time", "lat", "lon", "sog_kn")


def resolve_selection(archive: ArchiveSlice, selection: Any) -> tuple[np.ndarray, list[str]]:
    """The MMSIs (sorted, int64) of the vessels of ``selection`` (a ``VesselList``) and the
    list entries that match no vessel, from the slice's static records, as
    ``load_for_screening`` resolves them."""
    from desktop.core.archive.layout import STATIC_SCHEMA
    from desktop.core.archive.read import _resolve, open_reader

    if archive.archive is None:
        raise InputError("a vessel selection needs an archive with a manifest")
    reader = open_reader(archive.archive, dict(archive.storage_options))
    table = reader.read("statics", archive.first_day.isoformat(), archive.last_day.isoformat(),
                        STATIC_SCHEMA.names, undated=True)
    listed, missing = _resolve(selection, table)
    return np.array(sorted(listed), dtype="int64"), missing


def _near_table(archive: ArchiveSlice, first_day: date, last_day: date,
                vessels: np.ndarray | None) -> Any:  # fmt: skip
    from desktop.core.scaleout.layout import read_arrow

    days = [date.fromordinal(k) for k in range(first_day.toordinal(), last_day.toordinal() + 1)]
    paths = archive.fixes_files(days)
    if not paths:
        return None
    filters = None if vessels is None else [("mmsi", "in", vessels.tolist())]
    return read_arrow(paths, NEAR_COLUMNS, archive.storage_options, filters)


def _at_sea(hop: int) -> np.ndarray | None:
    """The second hop leaves out fixes in port cells (``read.PORT_CELL_DEG``)."""
    from desktop.core.archive.read import _port_cells

    return _port_cells() if hop == 2 else None


def near_keys(archive: ArchiveSlice, first_day: date, last_day: date, vessels: np.ndarray,
              hop: int) -> np.ndarray:  # fmt: skip
    """The neighbour-search cell keys (sorted, unique) of the slow fixes of ``vessels`` in the
    days ``first_day .. last_day``."""
    from desktop.core.archive.read import _near_keys

    table = _near_table(archive, first_day, last_day, vessels)
    if table is None:
        return np.zeros(0, dtype="int64")
    return np.unique(_near_keys(table, _at_sea(hop))[1])


def near_vessels(archive: ArchiveSlice, first_day: date, last_day: date, cells: np.ndarray,
                 hop: int) -> np.ndarray:  # fmt: skip
    """The vessels (sorted, unique) with a slow fix in ``cells`` (sorted cell keys) in the
    days ``first_day .. last_day``."""
    from desktop.core.archive.read import _member, _near_keys

    table = _near_table(archive, first_day, last_day, None)
    if table is None:
        return np.zeros(0, dtype="int64")
    mmsi, keys = _near_keys(table, _at_sea(hop))
    return np.unique(mmsi[_member(keys, cells)])


#: The columns the gap-evidence pass reads.
NEIGHBOUR_COLUMNS = ("mmsi", "time", "lat", "lon")


def partition_gaps(partitions: Sequence[PartitionResult]) -> list[Event]:
    """The AIS gap events of all partitions, in MMSI order (the order ``partition_events``
    gives them), for the gap-evidence pass."""
    return [e for p in partitions for e in p.gaps]


def gap_days(ends: GapEnds, archive: ArchiveSlice) -> dict[date, np.ndarray]:
    """For each UTC day with fixes that some silence overlaps: the indices of those gaps."""
    out: dict[date, list[int]] = {}
    for g, (t0, t1) in enumerate(zip(ends.t0.tolist(), ends.t1.tolist(), strict=True)):
        first = to_datetime(t0).date().toordinal()
        last = to_datetime(t1).date().toordinal()
        for k in range(first, last + 1):
            day = date.fromordinal(k)
            if day in archive.fixes:
                out.setdefault(day, []).append(g)
    return {d: np.asarray(out[d], dtype="int64") for d in sorted(out)}


def gap_neighbour_day(
    archive: ArchiveSlice, day: date, ends: GapEnds, index: np.ndarray
) -> np.ndarray:
    """(gap, end, MMSI) triples of the fixes in ``day``'s files for the gaps ``index`` (into
    the full gap list; ``ends`` holds only those gaps, in that order)."""
    # With a vessel selection the local path counts only the vessels it read; so do we.
    fixes = read_fixes(archive.fixes_files([day]), archive.storage_options, NEIGHBOUR_COLUMNS,
                       filters=archive.mmsi_filters())
    hits = neighbour_hits(fixes["mmsi"].to_numpy(), time_ns(fixes), fixes["lon"].to_numpy(),
                          fixes["lat"].to_numpy(), ends)
    hits[:, 0] = index[hits[:, 0]]
    return hits
