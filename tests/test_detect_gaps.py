"""AIS gaps (DESIGN.md §3): suspected calls with the reachable zones and their slack.

The fixes before and after the gap lie due south of the Nampo box, on its central meridian,
so the nearest point of the zone is the middle of its southern edge and the distance is the
latitude difference along a meridian: R * dlat (exact on the sphere), computed here by hand.
"""

from __future__ import annotations

import math

from screening_kit import HALF_DEG_LAT, NAMPO, R_M, Track, fixes_of, kp_zones, utc

from desktop.core.detect.gaps import detect_gaps
from desktop.core.model import Verdict
from desktop.core.screening import screen_fixes

VESSEL = 352000005
LON, LAT = NAMPO
SOUTH_EDGE = LAT - HALF_DEG_LAT


def gap_track(lat_before: float, lat_after: float, lon: float = LON) -> Track:
    t = Track(VESSEL)
    t.at("2026-10-01 00:00", lon, lat_before - 0.1, sog=12.0)
    t.at("2026-10-01 12:00", lon, lat_before, sog=12.0)
    t.at("2026-10-02 12:00", lon, lat_after, sog=12.0)  # 24 h later
    t.at("2026-10-02 18:00", lon, lat_after - 0.1, sog=12.0)
    return t


def test_gap_from_which_a_kp_port_is_reachable_is_review_listing_the_port() -> None:
    lat_before, lat_after = LAT - 1.5, LAT - 2.0  # about 90 and 120 nm south of Nampo
    result = screen_fixes(fixes_of(gap_track(lat_before, lat_after)), kp_zones(),
                          as_of=utc("2026-11-28 00:00"))
    v = result.verdict_of(VESSEL)
    assert v.verdict == Verdict.REVIEW
    [gap] = [r.to_json() for r in v.reasons]
    assert gap["kind"] == "ais_gap"
    assert (gap["start"], gap["end"]) == ("2026-10-01T12:00:00Z", "2026-10-02T12:00:00Z")
    assert gap["gap_h"] == 24.0 and gap["budget_nm"] == 345.0  # 15 kn * (24 h - 1 h)
    d_nm = R_M * math.radians((SOUTH_EDGE - lat_before) + (SOUTH_EDGE - lat_after)) / 1852
    [reach] = gap["reachable"]
    assert (reach["zone"], reach["locode"]) == ("Nampo", "KPNAM")
    assert reach["distance_nm"] == round(d_nm, 1)
    assert reach["slack_nm"] == round(345.0 - d_nm, 1)
    assert reach["slack_h"] == round((345.0 - d_nm) / 15.0, 2)


def test_same_gap_3000_km_away_is_nothing() -> None:
    far = LAT - 27.0  # 3,000 km south, in the Philippine Sea
    result = screen_fixes(fixes_of(gap_track(far, far - 0.5)), kp_zones(),
                          as_of=utc("2026-11-28 00:00"))
    v = result.verdict_of(VESSEL)
    assert (v.verdict, v.reasons) == (Verdict.CLEAR, ())


def test_gap_just_too_short_to_reach_the_port_is_nothing() -> None:
    # need d <= 15 kn * 23 h = 345 nm; put the ends 173 nm each from the edge: 346 nm
    dlat = 173 * 1852 / R_M * 180 / math.pi
    t = gap_track(SOUTH_EDGE - dlat, SOUTH_EDGE - dlat)
    assert detect_gaps(fixes_of(t), kp_zones()) == []
    dlat = 172 * 1852 / R_M * 180 / math.pi  # 344 nm: reachable with 1 nm of slack
    [event] = detect_gaps(fixes_of(gap_track(SOUTH_EDGE - dlat, SOUTH_EDGE - dlat)), kp_zones())
    assert event.details["reachable"][0]["slack_nm"] == 1.0


def test_gap_under_12_h_is_not_a_gap() -> None:
    t = Track(VESSEL)
    t.at("2026-10-01 00:00", LON, LAT - 0.5, sog=12.0)
    t.at("2026-10-01 11:59", LON, LAT - 0.5, sog=12.0)
    assert detect_gaps(fixes_of(t), kp_zones()) == []
