"""Gap evidence (issue 11): the vessel's own reporting rate before a gap, and the other vessels
heard within 50 km of the gap's ends while it was silent (after Welch et al. 2022).

The gap: 24 h of silence from 1 Oct 12:00 to 2 Oct 12:00 south of the test Nampo box, starting
at 37.22 N and ending at 36.72 N on 125.38 E (0.5 deg of latitude, 55.6 km apart). Distances
of the neighbours are along a meridian (0.18 deg = 20.0 km) or a parallel, by hand.
"""

from __future__ import annotations

from screening_kit import NAMPO, Track, fixes_of, kp_zones, utc

from desktop.core.detect.gaps import detect_gaps
from desktop.core.screening import screen_fixes

LON = NAMPO[0]
START_LAT, END_LAT = 37.22, 36.72
VESSEL = 352000020


def silent_vessel() -> Track:
    t = Track(VESSEL)
    t.at("2026-09-30 23:30", LON, START_LAT - 0.3, sog=12.0)  # 12.5 h before: not counted
    t.every("2026-10-01 00:00", "2026-10-01 12:00", 30, LON, START_LAT, sog=12.0)  # 25 fixes
    t.at("2026-10-02 12:00", LON, END_LAT, sog=12.0)
    return t


def neighbours() -> list[Track]:
    a = Track(352000001).at("2026-10-01 18:00", LON, START_LAT + 0.18, sog=10.0)  # 20 km of start
    b = Track(352000002).at("2026-10-02 06:00", LON, END_LAT - 0.36, sog=10.0)  # 40 km of end
    # Half way between the ends: 27.8 km of both.
    c = Track(352000003).at("2026-10-01 20:00", LON, (START_LAT + END_LAT) / 2, sog=10.0)
    # 0.7 deg of longitude east of the start: 62 km of it, 83 km of the end.
    d = Track(352000004).at("2026-10-01 20:00", LON + 0.7, START_LAT, sog=10.0)
    # 20 km of the start but heard only just before and just after the silence.
    e = (Track(352000006).at("2026-10-01 11:00", LON, START_LAT + 0.18)
         .at("2026-10-02 12:30", LON, START_LAT + 0.18))
    # 20 km of the start, heard at the very instant the vessel fell silent: not "during".
    f = Track(352000007).at("2026-10-01 12:00", LON, START_LAT + 0.18)
    return [a, b, c, d, e, f]


def the_gap() -> dict:
    fixes = fixes_of(*neighbours(), silent_vessel())
    [event] = [e for e in detect_gaps(fixes, kp_zones()) if e.mmsi == VESSEL]
    return event.details


def test_reporting_rate_counts_the_12_h_up_to_the_gap_inclusive() -> None:
    d = the_gap()
    assert (d["reports_before_12h"], d["reports_per_h_before"]) == (25, 2.08)


def test_other_vessels_heard_within_50_km_during_the_silence_are_counted_once_each() -> None:
    d = the_gap()
    assert (d["others_heard_near_start"], d["others_heard_near_end"],
            d["others_heard_near"]) == (2, 2, 3)


def test_vessel_alone_at_sea_has_no_neighbours_and_says_reception_is_unknown() -> None:
    [event] = detect_gaps(fixes_of(silent_vessel()), kp_zones())
    assert (event.details["others_heard_near"], event.details["reports_before_12h"]) == (0, 25)
    result = screen_fixes(fixes_of(silent_vessel()), kp_zones(), as_of=utc("2026-11-28 00:00"))
    text = result.verdict_of(VESSEL).reasons[0].explanation
    assert "no other ship was heard within 50 km while it was silent" in text


def test_explanation_says_the_evidence_in_words() -> None:
    result = screen_fixes(fixes_of(*neighbours(), silent_vessel()), kp_zones(),
                          as_of=utc("2026-11-28 00:00"))
    [gap] = [r for r in result.verdict_of(VESSEL).reasons if r.event.kind == "ais_gap"]
    assert gap.explanation.endswith(
        "In the 12 h before, it reported 25 times (2.08 an hour); 3 other ships were heard near "
        "here while it was silent (2 within 50 km of where it went silent, 2 of where it "
        "reappeared)."
    )
