"""Gap evidence (issue 11): the vessel's own reporting rate before a gap, and the other vessels
heard within 50 km of the gap's ends while it was silent (after Welch et al. 2022).

The gap: 24 h of silence from 1 Oct 12:00 to 2 Oct 12:00 south of the test Nampo box, going
silent at 37.22 N and reappearing at 36.72 N on 125.38 E (0.5 deg of latitude, 55.6 km apart).
Neighbours are placed by metres along a meridian or a parallel (``north_of``/``east_of``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from screening_kit import NAMPO, Track, east_of, fixes_of, kp_zones, north_of, utc

from desktop.core.detect.gap_evidence import (
    GapEnds,
    count_neighbours,
    gap_ends,
    neighbour_hits,
    with_gap_evidence,
)
from desktop.core.detect.gaps import detect_gaps
from desktop.core.detect.geo import time_ns
from desktop.core.screening import screen_fixes

LON = NAMPO[0]
START = (LON, 37.22)
END = (LON, 36.72)
VESSEL = 352000020


def silent_vessel() -> Track:
    t = Track(VESSEL)
    t.at("2026-09-30 23:30", LON, START[1] - 0.3, sog=12.0)  # 12.5 h before: not counted
    t.every("2026-10-01 00:00", "2026-10-01 12:00", 30, *START, sog=12.0)  # 25 fixes
    t.at("2026-10-02 12:00", *END, sog=12.0)
    return t


def neighbours() -> list[Track]:
    n = 352000100
    return [
        Track(n + 1).at("2026-10-01 18:00", *north_of(*START, 20_000)),  # start only
        Track(n + 2).at("2026-10-02 06:00", *north_of(*END, -40_000)),  # end only
        # Half way between the ends, 27.8 km of both: one ship, counted once in "either".
        Track(n + 3).at("2026-10-01 20:00", LON, (START[1] + END[1]) / 2),
        Track(n + 4).at("2026-10-01 20:00", *east_of(*START, 62_000)),  # 62 km: too far
        # 20 km of the start but heard only just before and just after the silence.
        Track(n + 5).at("2026-10-01 11:00", *north_of(*START, 20_000))
        .at("2026-10-02 12:30", *north_of(*START, 20_000)),
        # At the very instant the vessel fell silent / reappeared: not "during".
        Track(n + 6).at("2026-10-01 12:00", *north_of(*START, 20_000)),
        Track(n + 7).at("2026-10-02 12:00", *north_of(*END, 20_000)),
        # One second inside the silence at either end: heard.
        Track(n + 8).at("2026-10-01 12:00:01", *north_of(*START, 20_000)),
        Track(n + 9).at("2026-10-02 11:59:59", *north_of(*END, -20_000)),
        # 50 km north of the start (49,999.99999 m by haversine) counts; 50,001 m does not.
        Track(n + 10).at("2026-10-01 15:00", *north_of(*START, 50_000)),
        Track(n + 11).at("2026-10-01 15:00", *north_of(*START, 50_001)),
        # Heard three times near the start and once near the end: one ship each way.
        Track(n + 12).every("2026-10-01 13:00", "2026-10-01 14:00", 30, *east_of(*START, 9_000))
        .at("2026-10-02 10:00", *east_of(*END, 9_000)),
    ]


def the_gap(*tracks: Track) -> dict:
    fixes = fixes_of(*tracks, silent_vessel())
    [event] = [e for e in detect_gaps(fixes, kp_zones()) if e.mmsi == VESSEL]
    [event] = with_gap_evidence([event], fixes["mmsi"].to_numpy(), time_ns(fixes),
                                fixes["lon"].to_numpy(), fixes["lat"].to_numpy())
    return event.details


def test_reporting_rate_counts_the_12_h_up_to_the_gap_inclusive() -> None:
    d = the_gap()
    assert (d["reports_before_12h"], d["reports_per_h_before"]) == (25, 2.08)


def test_other_vessels_heard_within_50_km_strictly_during_the_silence_counted_once_each() -> None:
    d = the_gap(*neighbours())
    # start: +1, +3, +8, +10, +12; end: +2, +3, +9, +12; either: those 7 ships.
    assert (d["others_heard_near_start"], d["others_heard_near_end"],
            d["others_heard_near"]) == (5, 4, 7)


def test_fix_at_the_silences_first_or_last_instant_is_not_during_it() -> None:
    n = 352000100
    at_edges = [t for t in neighbours() if t.mmsi in (n + 6, n + 7)]
    d = the_gap(*at_edges)
    assert (d["others_heard_near_start"], d["others_heard_near_end"]) == (0, 0)
    inside = [t for t in neighbours() if t.mmsi in (n + 8, n + 9)]
    d = the_gap(*inside)
    assert (d["others_heard_near_start"], d["others_heard_near_end"]) == (1, 1)


def test_50_km_counts_and_50_001_m_does_not() -> None:
    n = 352000100
    d = the_gap(*[t for t in neighbours() if t.mmsi == n + 10])
    assert d["others_heard_near_start"] == 1
    d = the_gap(*[t for t in neighbours() if t.mmsi == n + 11])
    assert d["others_heard_near"] == 0


def test_counts_from_fixes_cut_in_any_pieces_equal_the_counts_from_all_at_once() -> None:
    # The Dask engine counts per day of fixes and reduces the union of the triples.
    fixes = fixes_of(*neighbours(), silent_vessel())
    [event] = [e for e in detect_gaps(fixes, kp_zones()) if e.mmsi == VESSEL]
    ends = gap_ends([event])
    cols = (fixes["mmsi"].to_numpy(), time_ns(fixes), fixes["lon"].to_numpy(),
            fixes["lat"].to_numpy())
    whole = count_neighbours([neighbour_hits(*cols, ends)], 1)
    day = fixes["time"].dt.date.to_numpy()
    parts = [neighbour_hits(*(c[day == d] for c in cols), ends) for d in np.unique(day)]
    shuffled = np.random.default_rng(7).permutation(len(fixes))
    halves = [neighbour_hits(*(c[h] for c in cols), ends)
              for h in np.array_split(shuffled, 2)]
    assert whole.tolist() == [[5, 4, 7]]
    assert count_neighbours(parts, 1).tolist() == whole.tolist()
    assert count_neighbours(halves, 1).tolist() == whole.tolist()


def test_neighbour_across_the_antimeridian_is_found() -> None:
    assert len(gap_ends([])) == 0
    t0, t1 = pd.Timestamp("2026-10-01", tz="UTC").value, pd.Timestamp("2026-10-02", tz="UTC").value
    ends = GapEnds(np.array([1]), np.array([t0]), np.array([t1]),
                   np.array([[179.9, 179.9]]), np.array([[10.0, 10.0]]))
    # 0.3 deg further east across 180 (about 33 km at 10 N), by another vessel mid-silence
    hits = neighbour_hits(np.array([2]), np.array([(t0 + t1) // 2]), np.array([-179.8]),
                          np.array([10.0]), ends)
    assert hits.tolist() == [[0, 0, 2], [0, 1, 2]]


def test_vessel_alone_at_sea_has_no_neighbours_and_says_reception_is_unknown() -> None:
    assert (the_gap()["others_heard_near"], the_gap()["reports_before_12h"]) == (0, 25)
    result = screen_fixes(fixes_of(silent_vessel()), kp_zones(), as_of=utc("2026-11-28 00:00"))
    text = result.verdict_of(VESSEL).reasons[0].explanation
    assert "no other ship was heard within 50 km while it was silent" in text


def test_explanation_says_the_evidence_in_words_and_the_verdict_stays_review() -> None:
    result = screen_fixes(fixes_of(*neighbours(), silent_vessel()), kp_zones(),
                          as_of=utc("2026-11-28 00:00"))
    verdict = result.verdict_of(VESSEL)
    [gap] = [r for r in verdict.reasons if r.event.kind == "ais_gap"]
    assert gap.explanation.endswith(
        "In the 12 h before, it reported 25 times (2.08 an hour); 7 other ships were heard near "
        "here while it was silent (5 within 50 km of where it went silent, 4 of where it "
        "reappeared)."
    )
    assert str(verdict.verdict) == "review"
