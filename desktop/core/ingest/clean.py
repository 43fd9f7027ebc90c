"""The cleaning every reader's positions go through, counted line by line.

The checks run in this order, and a position record is rejected under the first that fails:

1. ``not_a_vessel``: the MMSI, read as nine digits (ITU-R M.585-9), belongs to a station that
   is not a ship: ``00MIDxxxx`` coast/base stations, ``0MIDxxxxx`` group calls, ``111MIDxxx``
   SAR aircraft, ``99MIDxxxx`` aids to navigation, ``970``/``972``/``974`` AIS-SART, MOB and
   EPIRB-AIS devices. This runs before the range check on purpose: a base station's
   ``002655000`` is 2655000 as a number, outside the ship range, yet it is a well-formed
   identity of a known kind, and the report should say what it is rather than call it invalid.
   ``98MIDxxxx`` (craft associated with a parent ship: tenders, lifeboats) are vessels.
2. ``invalid_mmsi``: any other MMSI outside 100000000..999999999.
3. ``no_timestamp``: no time (readers normally count these themselves).
4. ``invalid_position``: lat/lon missing, the AIS sentinels 91/181, out of range, or exactly
   (0, 0), which receivers without a GPS fix send.
5. ``duplicate`` (exact): the same vessel at the same instant at the same position as a record
   already kept (same message heard by two stations, overlapping files).
6. ``implausible_jump``: see ``jump_filter``; these rows are returned so they can be listed.
7. ``duplicate`` (same instant): after the jump filter, at most one fix per (mmsi, time)
   remains: the first in (file, line) order is kept. Two reports of one vessel at one instant
   in two places cannot both be true; when they are more than ``max_speed_kn`` x 60 s apart the
   jump filter has already kept the one that fits the track and flagged the other, and when
   they are closer the difference is noise. Either way the table keeps strictly increasing
   times per vessel, which every detector relies on.

Ties in time are broken by (file, line), so the outcome does not depend on the order of rows
inside a file beyond that.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np

from desktop.core.fixes import LAT_NOT_AVAILABLE, LON_NOT_AVAILABLE
from desktop.core.geodesy import EARTH_RADIUS_M, METRES_PER_NM, haversine_m
from desktop.core.ingest.base import (
    DUPLICATE,
    IMPLAUSIBLE_JUMP,
    INVALID_MMSI,
    INVALID_POSITION,
    NO_TIMESTAMP,
    NOT_A_VESSEL,
)
from desktop.core.lazy import pandas as pd

# Implied speeds are judged over at least this interval: receiver clocks and satellite latency
# blur AIS times by seconds to a minute, and over a shorter interval position noise, not
# motion, dominates the implied speed.
JUMP_MIN_DT_S: Final = 60.0
# Open track segments kept per vessel while separating jumps (see ``jump_filter``).
MAX_SEGMENTS: Final = 8
MMSI_MIN: Final = 100_000_000
MMSI_MAX: Final = 999_999_999
NAT_NS: Final = np.iinfo("int64").min

# Reason codes used inside this module (0 = kept), in check order.
REASONS: Final = (
    None, NOT_A_VESSEL, INVALID_MMSI, NO_TIMESTAMP, INVALID_POSITION, DUPLICATE, IMPLAUSIBLE_JUMP,
)  # fmt: skip
_CODE = {name: code for code, name in enumerate(REASONS)}


def mmsi_not_a_vessel(mmsi: np.ndarray) -> np.ndarray:
    """Whether each MMSI is a non-vessel station (ITU-R M.585 nine-digit forms)."""
    m = np.asarray(mmsi, dtype="int64")
    base_station = (m >= 2_000_000) & (m <= 7_999_999)  # 00MIDxxxx, MID 2xx..7xx
    group = (m >= 20_000_000) & (m <= 79_999_999)  # 0MIDxxxxx
    sar_aircraft = (m >= 111_000_000) & (m <= 111_999_999)  # 111MIDxxx
    aid_to_navigation = (m >= 990_000_000) & (m <= 999_999_999)  # 99MIDxxxx
    prefix3 = m // 1_000_000
    sart_mob_epirb = (m >= MMSI_MIN) & np.isin(prefix3, (970, 972, 974))
    return base_station | group | sar_aircraft | aid_to_navigation | sart_mob_epirb


def mmsi_invalid(mmsi: np.ndarray) -> np.ndarray:
    """Whether each MMSI is outside the nine-digit range (without the not-a-vessel test)."""
    m = np.asarray(mmsi, dtype="int64")
    return (m < MMSI_MIN) | (m > MMSI_MAX)


def position_invalid(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Missing, "not available" (91/181), out of range, or exactly (0, 0)."""
    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(lat) <= 90.0) | ~(np.abs(lon) <= 180.0)
        bad |= (lat == LAT_NOT_AVAILABLE) | (lon == LON_NOT_AVAILABLE)
        bad |= (lat == 0.0) & (lon == 0.0)
    return bad


def implied_speed_kn(lat1: np.ndarray, lon1: np.ndarray, t1_ns: np.ndarray, lat2: np.ndarray,
                     lon2: np.ndarray, t2_ns: np.ndarray) -> np.ndarray:  # fmt: skip
    """Speed in knots needed to go from fix 1 to fix 2, time floored at ``JUMP_MIN_DT_S``."""
    dt_s = np.abs(np.asarray(t2_ns, dtype="int64") - np.asarray(t1_ns, dtype="int64")) / 1e9
    dt_s = np.maximum(dt_s, JUMP_MIN_DT_S)
    return haversine_m(lon1, lat1, lon2, lat2) / dt_s * (3600.0 / METRES_PER_NM)


def _separate_segments(lat: np.ndarray, lon: np.ndarray, t: np.ndarray,
                       max_speed_kn: float) -> np.ndarray:  # fmt: skip
    """For one vessel's fixes in time order: True where the fix is an implausible jump.

    Each fix joins the open segment whose last fix it can be reached from at no more than
    ``max_speed_kn`` (the one with most fixes when several can), or opens a new segment. The
    segment with most fixes is the vessel's track; the others are jumps. So one outlier is
    judged against the last accepted fix and does not reject the rest of the track, a bad first
    fix is one short segment of its own, and two transmitters sharing an MMSI separate into two
    segments of which the longer is kept.
    """
    n = len(lat)
    segment = np.empty(n, dtype="int64")
    # Plain floats: this loop runs per fix, where numpy's per-call overhead would dominate.
    phi = np.radians(lat).tolist()
    lam = np.radians(lon).tolist()
    cos_phi = np.cos(np.radians(lat)).tolist()
    secs = (np.asarray(t, dtype="int64") / 1e9).tolist()
    max_m_per_s = max_speed_kn * METRES_PER_NM / 3600.0
    open_ids: list[int] = []
    last: list[int] = []  # index of the last fix of each open segment
    counts: list[int] = []  # size of each segment, by id
    for i in range(n):
        best = -1
        for k, j in enumerate(last):
            a = (
                math.sin((phi[i] - phi[j]) / 2) ** 2
                + cos_phi[i] * cos_phi[j] * math.sin((lam[i] - lam[j]) / 2) ** 2
            )
            metres = 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))
            if metres <= max_m_per_s * max(abs(secs[i] - secs[j]), JUMP_MIN_DT_S) and (
                best < 0 or counts[open_ids[k]] > counts[open_ids[best]]
            ):
                best = k
        if best >= 0:
            seg_id = open_ids[best]
            last[best] = i
        else:
            if len(open_ids) >= MAX_SEGMENTS:
                drop = min(range(len(open_ids)), key=lambda k: (counts[open_ids[k]], last[k]))
                del open_ids[drop], last[drop]
            seg_id = len(counts)
            counts.append(0)
            open_ids.append(seg_id)
            last.append(i)
        counts[seg_id] += 1
        segment[i] = seg_id
    keep_id = int(np.argmax(counts))  # first of the largest on ties: the earliest segment
    return segment != keep_id


def jump_filter(mmsi: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                max_speed_kn: float) -> np.ndarray:  # fmt: skip
    """True where a fix (rows sorted by mmsi, time) is an implausible jump.

    Vectorised first: the speed implied between consecutive fixes of each vessel. Only the
    vessels with at least one step above ``max_speed_kn`` go through the per-vessel
    segmenting loop (``_separate_segments``); for all others every step is plausible from the
    previous accepted fix, so nothing is rejected.
    """
    n = len(mmsi)
    jump = np.zeros(n, dtype=bool)
    if n < 2:
        return jump
    same = mmsi[1:] == mmsi[:-1]
    step = implied_speed_kn(lat[:-1], lon[:-1], t[:-1], lat[1:], lon[1:], t[1:])
    suspicious = same & (step > max_speed_kn)
    if not suspicious.any():
        return jump
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    ends = np.append(starts[1:], n)
    vessel_of_row = np.repeat(np.arange(len(starts)), ends - starts)
    for v in np.unique(vessel_of_row[1:][suspicious]):
        a, b = starts[v], ends[v]
        jump[a:b] = _separate_segments(lat[a:b], lon[a:b], t[a:b], max_speed_kn)
    return jump


@dataclass
class Cleaned:
    """Outcome per input row: ``reason`` (None = kept) and, for jumps, the implied speed."""

    reason: np.ndarray  # object array of reason names or None
    order: np.ndarray  # row indices of the kept rows, sorted by (mmsi, time)
    flagged_order: np.ndarray  # row indices of the implausible jumps, sorted by (mmsi, time)
    flagged_speed_kn: np.ndarray  # speed implied from the nearest kept fix of the vessel


def clean_positions(positions: Mapping[str, np.ndarray] | pd.DataFrame, *,
                    max_speed_kn: float) -> Cleaned:  # fmt: skip
    """Apply the checks of this module to positions from every file together.

    ``positions`` has ``mmsi`` (int64), ``time`` (int64 ns UTC, ``NAT_NS`` for none), ``lat``,
    ``lon``, ``file`` and ``line``; any order.
    """
    mmsi = np.asarray(positions["mmsi"], dtype="int64")
    n = len(mmsi)
    t = np.asarray(positions["time"], dtype="int64")
    lat = np.asarray(positions["lat"], dtype="float64")
    lon = np.asarray(positions["lon"], dtype="float64")
    code = np.zeros(n, dtype="int8")

    def mark(mask: np.ndarray, reason: str) -> None:
        code[(code == 0) & mask] = _CODE[reason]

    mark(mmsi_not_a_vessel(mmsi), NOT_A_VESSEL)
    mark(mmsi_invalid(mmsi), INVALID_MMSI)
    mark(t == NAT_NS, NO_TIMESTAMP)
    mark(position_invalid(lat, lon), INVALID_POSITION)

    file_no = np.asarray(positions["file"], dtype="int64")
    line = np.asarray(positions["line"], dtype="int64")
    order = sort_rows(mmsi, t, file_no, line, np.flatnonzero(code == 0))

    # Exact duplicates: same (mmsi, time) as the row before in that order, and then the same
    # position as an earlier row of that instant (rare: checked on those groups only).
    if len(order) > 1:
        tie = (mmsi[order[1:]] == mmsi[order[:-1]]) & (t[order[1:]] == t[order[:-1]])
        in_group = np.zeros(len(order), dtype=bool)
        in_group[1:] |= tie
        in_group[:-1] |= tie
        rows = order[in_group]
        if len(rows):
            keys = pd.DataFrame({"m": mmsi[rows], "t": t[rows], "a": lat[rows], "o": lon[rows]})
            code[rows[keys.duplicated().to_numpy()]] = _CODE[DUPLICATE]
            order = order[code[order] == 0]

    jump = jump_filter(mmsi[order], t[order], lat[order], lon[order], max_speed_kn)
    code[order[jump]] = _CODE[IMPLAUSIBLE_JUMP]

    kept = order[~jump]
    if len(kept) > 1:
        same_instant = (mmsi[kept[1:]] == mmsi[kept[:-1]]) & (t[kept[1:]] == t[kept[:-1]])
        code[kept[1:][same_instant]] = _CODE[DUPLICATE]
        kept = kept[np.concatenate(([True], ~same_instant))]

    flagged = order[jump]
    speed = _speed_from_kept(mmsi, t, lat, lon, kept, flagged)
    reason = np.array(REASONS, dtype=object)[code]
    return Cleaned(reason=reason, order=kept, flagged_order=flagged, flagged_speed_kn=speed)


def sort_rows(mmsi: np.ndarray, t: np.ndarray, file_no: np.ndarray, line: np.ndarray,
              rows: np.ndarray) -> np.ndarray:  # fmt: skip
    """``rows`` ordered by (mmsi, time, file, line).

    Two stable sorts (time, then mmsi) over rows already in (file, line) order: cheaper than a
    four-key lexsort, and fast on the nearly time-ordered rows of real feeds.
    """
    if len(rows) > 1:
        f, ln = file_no[rows], line[rows]
        same_file = f[1:] == f[:-1]
        if (f[1:] < f[:-1]).any() or (same_file & (ln[1:] < ln[:-1])).any():
            rows = rows[np.lexsort((ln, f))]
    rows = rows[np.argsort(t[rows], kind="stable")]
    return rows[np.argsort(mmsi[rows], kind="stable")]


def _speed_from_kept(mmsi: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                     kept: np.ndarray, flagged: np.ndarray) -> np.ndarray:  # fmt: skip
    """Implied speed of each flagged fix from the kept fix of its vessel just before it (just
    after it when none is before; NaN when the vessel has no kept fix)."""
    out = np.full(len(flagged), np.nan)
    if not len(flagged) or not len(kept):
        return out
    # Kept rows are sorted by (mmsi, time): one vectorised search per flagged vessel.
    kept_mmsi, kept_t = mmsi[kept], t[kept]
    ref = np.full(len(flagged), -1, dtype="int64")
    flagged_mmsi = mmsi[flagged]
    lo_all = np.searchsorted(kept_mmsi, flagged_mmsi, side="left")
    hi_all = np.searchsorted(kept_mmsi, flagged_mmsi, side="right")
    for vessel in np.unique(flagged_mmsi):
        mine = np.flatnonzero(flagged_mmsi == vessel)
        lo, hi = lo_all[mine[0]], hi_all[mine[0]]
        if lo == hi:
            continue  # no kept fix for this vessel
        k = lo + np.searchsorted(kept_t[lo:hi], t[flagged[mine]], side="right") - 1
        ref[mine] = kept[np.clip(k, lo, hi - 1)]
    has = ref >= 0
    rows, refs = flagged[has], ref[has]
    out[has] = implied_speed_kn(lat[refs], lon[refs], t[refs], lat[rows], lon[rows], t[rows])
    return out
