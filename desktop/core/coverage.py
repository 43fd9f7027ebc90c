"""Coverage (DESIGN.md §2): how much of each vessel the data showed, so that "clear" means
"looked and saw nothing", never "had no data".

Choices (each is tested):

* Only fixes at or before ``as_of`` count, as for the whole screening: a vessel whose data goes
  on after ``as_of`` has its ``last_fix`` at or before ``as_of``.
* ``covered_fraction``: each fix covers ``[t - gap_min_h / 2, t + gap_min_h / 2]``; the union of
  those intervals, clipped to the window ``[as_of - window, as_of]``, over the window length. A
  fix just before the window covers its first hours; a silence longer than ``gap_min_h`` leaves
  ``silence - gap_min_h`` uncovered, so every AIS gap the detectors could see shows here.
* ``status`` is ``stale`` when ``silent_h >= stale_after_h`` (so exactly ``stale_after_h`` is
  stale), and for a vessel with no fix at or before ``as_of`` at all.
* ``data_end`` is the latest fix of all inputs at or before ``as_of``; the ``warning`` is given
  when ``as_of - data_end >= stale_after_h``, or when no fix precedes ``as_of``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

import numpy as np
import pandas as pd

from desktop.core.detect.geo import NS_PER_H, time_ns, to_ns
from desktop.core.model import Coverage, CoverageStatus, Verdict, VesselVerdict
from desktop.core.params import ScreeningParams
from desktop.core.rule import day

NO_FIX: Final = Coverage(None, None, None, 0.0, CoverageStatus.STALE)


def moment_of_ns(ns: int) -> datetime:
    """An int64 ns since the epoch as an aware UTC datetime (to the microsecond)."""
    return datetime.fromtimestamp(ns // 1_000_000_000, UTC) + timedelta(
        microseconds=(ns % 1_000_000_000) // 1000
    )


def vessel_coverage(
    fixes: pd.DataFrame, as_of: datetime, params: ScreeningParams
) -> dict[int, Coverage]:
    """Coverage of every MMSI in ``fixes`` (sorted by mmsi, time) from its fixes at or before
    ``as_of``; an MMSI with none gets ``NO_FIX``."""
    if len(fixes) == 0:
        return {}
    mmsi_all = fixes["mmsi"].to_numpy().astype("int64")
    t_all = time_ns(fixes)
    as_of_ns = to_ns(as_of)
    out = {int(m): NO_FIX for m in np.unique(mmsi_all)}
    keep = t_all <= as_of_ns
    mmsi, t = mmsi_all[keep], t_all[keep]
    if len(t) == 0:
        return out
    starts = np.flatnonzero(np.r_[True, mmsi[1:] != mmsi[:-1]])
    ends = np.r_[starts[1:], len(t)] - 1
    window_ns = int(round(params.window_days * 24 * NS_PER_H))
    w0, w1 = as_of_ns - window_ns, as_of_ns
    half_ns = int(round(params.gap_min_h / 2 * NS_PER_H))
    # Each fix's interval clipped to the window. Times are sorted within a vessel, so a and b are
    # too, and the union's length is sum(max(0, b_i - max(a_i, b_{i-1}))) within each vessel.
    a = np.clip(t - half_ns, w0, w1)
    b = np.clip(t + half_ns, w0, w1)
    prev_b = np.r_[w0, b[:-1]]
    prev_b[starts] = w0
    piece = np.maximum(0, b - np.maximum(a, prev_b))
    covered_ns = np.add.reduceat(piece, starts)
    for i, (lo, hi) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        silent_h = (as_of_ns - int(t[hi])) / NS_PER_H
        status = (
            CoverageStatus.CURRENT if silent_h < params.stale_after_h else CoverageStatus.STALE
        )
        out[int(mmsi[lo])] = Coverage(
            first_fix=moment_of_ns(int(t[lo])),
            last_fix=moment_of_ns(int(t[hi])),
            silent_h=silent_h,
            covered_fraction=float(covered_ns[i]) / window_ns if window_ns else 0.0,
            status=status,
            as_of=as_of,
        )
    return out


def data_end_of(fixes: pd.DataFrame, as_of: datetime) -> datetime | None:
    """The latest fix of all vessels at or before ``as_of`` (None when there is none)."""
    if len(fixes) == 0:
        return None
    t = time_ns(fixes)
    t = t[t <= to_ns(as_of)]
    return moment_of_ns(int(t.max())) if len(t) else None


def silence_words(since: datetime, as_of: datetime) -> str:
    """How long before ``as_of`` ``since`` was: ``30 h`` below two days (whole days would
    mislead), else calendar days between the two dates, ``196 days``, so that the sentence
    agrees with the date it names (16 May to 28 Nov is 196 days, whatever the hour)."""
    silent_h = (as_of - since) / timedelta(hours=1)
    if silent_h < 48:
        return f"{round(silent_h, 1):g} h"
    days = (as_of.date() - since.date()).days
    return f"{days:,} days"


def stale_sentence(coverage: Coverage, as_of: datetime | None = None) -> str:
    """Why a stale verdict saw nothing recent, e.g. 'No AIS since 16 May 2026 (196 days before
    the as-of date): a North Korean call since then cannot be ruled out from this data.'"""
    as_of = as_of or coverage.as_of
    if coverage.last_fix is None or coverage.silent_h is None or as_of is None:
        return (
            "No AIS at or before the as-of date: a North Korean call cannot be ruled out from "
            "this data."
        )
    return (
        f"No AIS since {day(coverage.last_fix)} ({silence_words(coverage.last_fix, as_of)} "
        "before the "
        "as-of date): a North Korean call since then cannot be ruled out from this data."
    )


def coverage_sentence(
    coverage: Coverage | None, as_of: datetime | None, window_days: float
) -> str:
    """Coverage in words for any verdict: the stale sentence, or when it was last heard and
    how much of the window its fixes cover. ``as_of`` None: the coverage's own."""
    if coverage is None:
        return "Coverage not computed."
    as_of = as_of or coverage.as_of or datetime.now(UTC)
    if coverage.stale:
        text = stale_sentence(coverage, as_of)
    else:
        assert coverage.last_fix is not None and coverage.silent_h is not None
        text = (
            f"Last AIS {day(coverage.last_fix)} {coverage.last_fix:%H:%M} UTC, "
            f"{silence_words(coverage.last_fix, as_of)} before the as-of date."
        )
    if coverage.last_fix is not None:
        share = coverage.covered_fraction
        text += f" Its fixes cover {share:.1%}" if share < 0.1 else f" Its fixes cover {share:.0%}"
        text += f" of the {window_days:g}-day window."
    return text


def is_stale_clear(vessel: VesselVerdict) -> bool:
    """A clear that saw nothing recent: shown and explained as such everywhere."""
    return (
        vessel.verdict == Verdict.CLEAR
        and vessel.coverage is not None
        and vessel.coverage.stale
    )


def data_end_warning(
    data_end: datetime | None, as_of: datetime, stale_after_h: float
) -> str | None:
    """The document's ``warning`` when the data end ``stale_after_h`` or more before ``as_of``,
    e.g. 'The data ends 3 Jan 2022, 1,427 days before the as-of date: verdicts reflect nothing
    after that.'; None otherwise."""
    if data_end is None:
        return "No fix at or before the as-of date: verdicts reflect no data."
    if (as_of - data_end) / timedelta(hours=1) < stale_after_h:
        return None
    return (
        f"The data ends {day(data_end)}, {silence_words(data_end, as_of)} before the as-of date: "
        "verdicts reflect nothing after that."
    )
