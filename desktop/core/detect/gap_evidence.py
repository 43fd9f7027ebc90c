"""Gap evidence (issue 11): was the vessel switched off, or was nobody listening?

A silence means little where nothing is heard. Global Fishing Watch separates likely intentional
AIS disabling from poor reception with two filters (Welch et al. 2022, "Hot spots of unseen
fishing vessels", Science Advances 8, eabq2109; code in GlobalFishingWatch/AIS-disabling-high-seas,
``ais_disabling/config.py``): the vessel transmitted densely just before the gap (at least 14
positions in the 12 h before it) and the place was well received (more than 10 positions per
vessel per day in the gap start's 1-degree cell that month). We give the analyst the same two
kinds of evidence and leave the verdict alone (DESIGN.md §3: the rule does not change):

- ``reports_before_12h`` / ``reports_per_h_before``: the vessel's own fixes in the 12 h up to
  and including the gap's first fix (``reports_before``, per vessel, so the Dask engine finds
  it with the gap in the vessel's MMSI partition);
- ``others_heard_near_start`` / ``_end`` / ``others_heard_near``: how many *other* vessels
  (distinct MMSIs) had a fix within 50 km of where the vessel went silent / reappeared (the
  positions the reason shows, ``before`` and ``after``), strictly inside the silence, and of
  either. This is a receiver test that needs no month of history: a receiver that heard four
  other ships there while this one was silent was listening. It needs every vessel's fixes, so
  it is a pass of its own after the per-vessel detectors: ``neighbour_hits`` over any set of
  fixes gives (gap, end, MMSI) triples, ``count_neighbours`` reduces the union of such sets.
  One process runs it once over all fixes; the Dask engine runs it per UTC day of fixes and
  reduces the gathered triples (``desktop.core.scaleout.tasks.gap_neighbour_day``): a union of
  sets is the same however the fixes are cut, so both engines give the same counts.

Neighbour search (``neighbour_hits``): fixes are filed under 1-degree cells; each gap end reads
only the cells that its 50 km circle can touch (bounds as in
``desktop.core.scaleout.tasks.bucket_points``) and within them only the fixes of its silence (a
binary search on a (cell, time) key), then the exact haversine. Two table look-ups (time bins,
then time bins x cells) keep the work on the fixes near some gap: its cost over all fixes is
about that of the gap detector itself (benchmarks/RESULTS.md).

With a vessel selection (``--vessels``, DESIGN.md §8) the local archive path reads only the
listed vessels and their neighbours in time and space for STS, so the counts are those of the
vessels read, not of the whole archive.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np

from desktop.core.detect.geo import NS_PER_H, to_ns
from desktop.core.geodesy import EARTH_RADIUS_M, haversine_m
from desktop.core.model import Event, EventKind

#: The vessel's own reporting is counted over this many hours up to the gap (GFW: 12 h).
EVIDENCE_BEFORE_H: Final = 12.0
#: Other vessels heard within this distance of a gap end count as evidence of reception.
EVIDENCE_RADIUS_M: Final = 50_000.0
#: Side of the cells the neighbour search files fixes under, degrees.
CELL_DEG: Final = 1.0
#: Relative widening of the radius when choosing cells (floating-point safety).
_MARGIN: Final = 1e-6
_COLS: Final = int(round(360 / CELL_DEG))
_BIN_SHIFT: Final = 42  # time bins of the first filter: 2**42 ns, about 73 min
_TIME_SHIFT: Final = 20  # time steps of the sort key: 2**20 ns, about 1 ms
_CELL_SHIFT: Final = 44  # cell above 2**44 steps (557 years): the key stays below 2**61


def reports_before(mmsi: np.ndarray, t: np.ndarray, before: np.ndarray) -> np.ndarray:
    """For each gap's first fix (indices ``before`` into fixes sorted by mmsi, time): how many
    fixes of the same vessel lie in ``[t - 12 h, t]`` (the gap's first fix included)."""
    if len(before) == 0:
        return np.zeros(0, dtype="int64")
    first = np.searchsorted(mmsi, mmsi[before], side="left")
    window_ns = int(EVIDENCE_BEFORE_H * NS_PER_H)
    # Sorted by (mmsi, time): the vessel's fixes are contiguous, so one search in (mmsi, time)
    # order finds where the window starts (the mmsi test keeps it inside the vessel's run).
    lo = np.empty(len(before), dtype="int64")
    for k, (f, b) in enumerate(zip(first.tolist(), before.tolist(), strict=True)):
        lo[k] = f + np.searchsorted(t[f:b + 1], t[b] - window_ns, side="left")
    return before + 1 - lo


def reporting_details(count: int) -> dict[str, Any]:
    """The reason's keys for the vessel's own reporting before a gap."""
    return {
        "reports_before_12h": int(count),
        "reports_per_h_before": round(int(count) / EVIDENCE_BEFORE_H, 2),
    }


@dataclass(frozen=True)
class GapEnds:
    """The gaps whose neighbours are counted, in one fixed order: the vessel, the silence
    (first and last fix, ns, exclusive) and the two positions (degrees) the reason shows."""

    mmsi: np.ndarray  # int64
    t0: np.ndarray  # int64 ns: the gap's first fix
    t1: np.ndarray  # int64 ns: the gap's last fix
    lon: np.ndarray  # float64, shape (n, 2): where it went silent, where it reappeared
    lat: np.ndarray

    def __len__(self) -> int:
        return len(self.mmsi)

    def subset(self, index: np.ndarray) -> GapEnds:
        return GapEnds(self.mmsi[index], self.t0[index], self.t1[index], self.lon[index],
                       self.lat[index])


def gap_ends(gaps: Sequence[Event]) -> GapEnds:
    """The ends of ``gaps`` (AIS gap events, in the order given), from their reasons."""
    n = len(gaps)
    lon = np.zeros((n, 2), dtype="float64")
    lat = np.zeros((n, 2), dtype="float64")
    for k, e in enumerate(gaps):
        for side, key in enumerate(("before", "after")):
            lon[k, side] = float(e.details[key]["lon"])
            lat[k, side] = float(e.details[key]["lat"])
    return GapEnds(
        np.array([e.mmsi for e in gaps], dtype="int64"),
        np.array([to_ns(e.start) for e in gaps], dtype="int64"),
        np.array([to_ns(e.end) for e in gaps], dtype="int64"),
        lon, lat,
    )


def _cells(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The cell key of each position (rows of ``CELL_DEG`` from -90, columns from -180, wrapped)."""
    row = np.floor((lat + 90.0) / CELL_DEG).astype("int64")
    col = np.floor((lon + 180.0) / CELL_DEG).astype("int64") % _COLS
    return row * _COLS + col


def _end_cells(lon: float, lat: float) -> list[int]:
    """Every cell a circle of ``EVIDENCE_RADIUS_M`` round (lon, lat) can touch: latitude within
    R/earth radius, longitude within ``2 asin(sin(d / 2R) / cos phi)`` (the haversine bound)."""
    angle = EVIDENCE_RADIUS_M * (1.0 + _MARGIN) / EARTH_RADIUS_M
    half_lat = math.degrees(angle)
    phi = math.radians(min(abs(lat) + half_lat, 90.0))
    ratio = math.sin(angle / 2) / math.cos(phi) if phi < math.pi / 2 else math.inf
    half_lon = 360.0 if ratio >= 1.0 else math.degrees(2 * math.asin(ratio))
    r0 = math.floor((max(lat - half_lat, -90.0) + 90.0) / CELL_DEG)
    r1 = math.floor((min(lat + half_lat, 90.0) + 90.0) / CELL_DEG)
    if half_lon >= 180.0:
        cols = range(_COLS)
    else:
        c0 = math.floor((lon - half_lon + 180.0) / CELL_DEG)
        c1 = math.floor((lon + half_lon + 180.0) / CELL_DEG)
        cols = range(c0, c1 + 1)
    return sorted({r * _COLS + c % _COLS for r in range(r0, r1 + 1) for c in cols})


def neighbour_hits(
    mmsi: np.ndarray, t: np.ndarray, lon: np.ndarray, lat: np.ndarray, ends: GapEnds
) -> np.ndarray:
    """(gap, end, MMSI) triples, unique, int64 shape (k, 3): an other vessel's fix among these
    fixes lies within ``EVIDENCE_RADIUS_M`` of gap ``gap``'s end ``end`` (0 where it went
    silent, 1 where it reappeared) strictly between the gap's first and last fix. Any cut of
    the fixes gives triples whose union is that of all fixes at once."""
    empty = np.zeros((0, 3), dtype="int64")
    if len(ends) == 0 or len(t) == 0:
        return empty
    t = np.asarray(t, dtype="int64")
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    # The cells each gap end's circle can touch.
    wanted: dict[int, list[tuple[int, int]]] = {}
    for g in range(len(ends)):
        for side in (0, 1):
            for cell in _end_cells(float(ends.lon[g, side]), float(ends.lat[g, side])):
                wanted.setdefault(cell, []).append((g, side))
    # Keep only the fixes in a (time bin, cell) that some gap end wants: time bins of 2**42 ns
    # (73 min) from one bin before the first silence, so that bin 0 and the bin after the last
    # are never live; cells of 1 degree, ranked, with a last rank for cells nobody wants. All
    # look-ups ``take`` with clipping: an instant or a position outside the tables lands on a
    # cell that is never live, or (an invalid position) on some cell, a false candidate the
    # exact tests below drop; no wanted fix is ever dropped. Memory traffic is the cost: a few
    # simple passes over all fixes, or over those in a live time bin when they are few.
    tmin = int(ends.t0.min()) - (1 << _BIN_SHIFT)
    n_bins = ((int(ends.t1.max()) - tmin) >> _BIN_SHIFT) + 1
    cell_list = np.array(sorted(wanted), dtype="int64")
    n_cells = len(cell_list)
    # rows of 361 columns: column 360 (longitude exactly 180) is column 0 again
    rank = np.full(181 * (_COLS + 1), n_cells, dtype="int64")
    rows, cols = np.divmod(cell_list, _COLS)
    rank[rows * (_COLS + 1) + cols] = np.arange(n_cells)
    rank[(rows * (_COLS + 1) + _COLS)[cols == 0]] = np.flatnonzero(cols == 0)
    live = np.zeros((n_bins + 1, n_cells + 1), dtype=bool)
    first = ((ends.t0 - tmin) >> _BIN_SHIFT).tolist()
    last = ((ends.t1 - tmin) >> _BIN_SHIFT).tolist()
    for r, c in enumerate(cell_list.tolist()):
        for g, _ in wanted[c]:
            live[first[g]:last[g] + 1, r] = True
    k = np.subtract(t, tmin)
    np.right_shift(k, _BIN_SHIFT, out=k)
    sub = np.flatnonzero(np.take(live.any(axis=1), k, mode="clip"))
    if 2 * len(sub) < len(t):
        k, lo_sub, la_sub = k[sub], lon[sub], lat[sub]
    else:
        sub, lo_sub, la_sub = None, lon, lat
    # row * 361 + lon + 180 truncates to row * 361 + the column (row is whole, both are >= 0):
    # one float buffer and one cast
    rows_f = np.add(la_sub, 90.0)
    np.trunc(rows_f, out=rows_f)
    rows_f *= _COLS + 1
    rows_f += lo_sub
    rows_f += 180.0
    with np.errstate(invalid="ignore"):  # a missing position casts to some integer: see above
        cell = rows_f.astype("int32")
    k *= n_cells + 1
    k += np.take(rank, cell, mode="clip")
    idx = np.flatnonzero(np.take(live, k, mode="clip"))
    if sub is not None:
        idx = sub[idx]
    with np.errstate(invalid="ignore"):
        keys = _cells(lon[idx], lat[idx])
    # One sort key: the cell, then the time in ~1 ms steps (a stable sort keeps ties in the
    # fixes' own order; slices are widened to whole steps and tested exactly below).
    packed = (keys << _CELL_SHIFT) | ((t[idx] - tmin) >> _TIME_SHIFT)
    order = np.argsort(packed, kind="stable")
    idx, packed = idx[order], packed[order]
    parts_i: list[np.ndarray] = []
    parts_g: list[np.ndarray] = []
    parts_s: list[np.ndarray] = []
    for c in cell_list.tolist():
        for g, side in wanted[c]:
            lo_key = (c << _CELL_SHIFT) | ((int(ends.t0[g]) - tmin) >> _TIME_SHIFT)
            hi_key = (c << _CELL_SHIFT) | ((int(ends.t1[g]) - tmin) >> _TIME_SHIFT)
            lo = int(np.searchsorted(packed, lo_key, side="left"))
            hi = int(np.searchsorted(packed, hi_key, side="right"))
            if lo < hi:
                parts_i.append(idx[lo:hi])
                parts_g.append(np.full(hi - lo, g, dtype="int64"))
                parts_s.append(np.full(hi - lo, side, dtype="int64"))
    if not parts_i:
        return empty
    cand = np.concatenate(parts_i)
    g = np.concatenate(parts_g)
    side = np.concatenate(parts_s)
    other = np.asarray(mmsi, dtype="int64")[cand]
    tc = t[cand]
    during = (tc > ends.t0[g]) & (tc < ends.t1[g]) & (other != ends.mmsi[g])
    cand, g, side, other = cand[during], g[during], side[during], other[during]
    d = haversine_m(ends.lon[g, side], ends.lat[g, side], lon[cand], lat[cand])
    near = d <= EVIDENCE_RADIUS_M
    if not near.any():
        return empty
    return _unpack(np.unique(_pack(g[near], side[near], other[near])))


# Triples packed in one int64 for a fast unique: gap above bit 33, end at bit 32, MMSI below
# (uint32): up to 2**30 gaps.
def _pack(g: np.ndarray, side: np.ndarray, other: np.ndarray) -> np.ndarray:
    return (g.astype("int64") << 33) | (side.astype("int64") << 32) | other.astype("int64")


def _unpack(packed: np.ndarray) -> np.ndarray:
    return np.stack([packed >> 33, (packed >> 32) & 1, packed & (2**32 - 1)], axis=1)


def count_neighbours(parts: Sequence[np.ndarray], n_gaps: int) -> np.ndarray:
    """Counts per gap, int64 shape (n_gaps, 3): distinct other vessels near the start, near the
    end, near either, from the union of ``neighbour_hits`` triples."""
    out = np.zeros((n_gaps, 3), dtype="int64")
    hits = [p for p in parts if len(p)]
    if not hits:
        return out
    all_hits = np.concatenate(hits)
    triples = _unpack(np.unique(_pack(all_hits[:, 0], all_hits[:, 1], all_hits[:, 2])))
    for side in (0, 1):
        mine = triples[triples[:, 1] == side]
        np.add.at(out[:, side], mine[:, 0], 1)
    either = np.unique(_pack(triples[:, 0], np.zeros(len(triples), dtype="int64"),
                             triples[:, 2]))
    np.add.at(out[:, 2], either >> 33, 1)
    return out


def attach_neighbours(gaps: Sequence[Event], counts: np.ndarray) -> list[Event]:
    """``gaps`` with the neighbour counts (rows of ``count_neighbours``, same order) added to
    their details."""
    out = []
    for e, (start, end, either) in zip(gaps, counts.tolist(), strict=True):
        out.append(replace(e, details={
            **e.details,
            "others_heard_near_start": int(start),
            "others_heard_near_end": int(end),
            "others_heard_near": int(either),
        }))
    return out


def with_gap_evidence(
    events: list[Event], mmsi: np.ndarray, t: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> list[Event]:
    """``events`` with the neighbour counts of every AIS gap among them, from these fixes (all
    vessels: one process's pass). Other events are returned unchanged, in the same order."""
    at = [k for k, e in enumerate(events) if e.kind == EventKind.AIS_GAP]
    if not at:
        return events
    gaps = [events[k] for k in at]
    ends = gap_ends(gaps)
    counts = count_neighbours([neighbour_hits(mmsi, t, lon, lat, ends)], len(gaps))
    out = list(events)
    for k, e in zip(at, attach_neighbours(gaps, counts), strict=True):
        out[k] = e
    return out
