"""Loitering (DESIGN.md §3) on hand-built tracks: "one vessel at sog_kn <= 2 for at least 4 h,
at least 10 km from every known port or anchorage, with no other vessel within the STS distance";
review within 50 nm of KP waters, effect ``none`` elsewhere. Each boundary is named in a test."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from screening_kit import M_PER_DEG, Track, east_of, fixes_of, kp_zones, north_of, utc

from desktop.core.detect.geo import haversine_m
from desktop.core.detect.loitering import detect_loitering, drop_sts_candidates
from desktop.core.detect.sts import detect_encounters
from desktop.core.model import EventKind, Verdict
from desktop.core.params import ScreeningParams
from desktop.core.screening import empty_zones, screen_fixes

A, B = 413000001, 636000002
NO_PORTS = (np.zeros(0), np.zeros(0))
SEA = (124.0, 36.0)  # Yellow Sea, 300 km from the KP strip of kp_zones()
NEAR_KP = (124.5, 38.6)  # 0.4 degrees of longitude west of the KP strip (124.9 E): 18.8 nm
START = utc("2026-09-10 10:00")


def drifting(mmsi: int, minutes: float, where: tuple[float, float] = SEA, sog: float = 0.5,
             step_min: int = 10) -> Track:
    """Fixes every ``step_min`` minutes from START, and one exactly ``minutes`` after it."""
    end = START + timedelta(minutes=minutes)
    track = Track(mmsi).every(START, end, step_min, *where, sog=sog)
    if track.rows[-1][0] != end:
        track.at(end, *where, sog=sog)
    return track


def loiters(*tracks: Track, params: ScreeningParams = ScreeningParams(), zones=None,  # noqa: ANN001, B008
            known_ports=NO_PORTS) -> list:  # noqa: ANN001
    fixes = fixes_of(*tracks)
    zones = empty_zones() if zones is None else zones
    found = detect_loitering(fixes, zones, params, known_ports)
    encounters = detect_encounters(fixes, zones, params, known_ports)
    return drop_sts_candidates(found, encounters)


# -- duration: "for at least 4 h" -----------------------------------------------------------------


def test_loitering_of_exactly_4_h_is_one_event_with_its_numbers() -> None:
    [event] = loiters(drifting(A, 240))
    assert (event.kind, event.mmsi, event.start, event.end) == (
        EventKind.LOITERING, A, START, utc("2026-09-10 14:00"))
    assert event.lat == pytest.approx(SEA[1], abs=1e-12)
    assert event.lon == pytest.approx(SEA[0], abs=1e-12)
    assert (event.zone, event.with_mmsi) == (None, None)
    assert event.details == {
        "duration_h": 4.0,
        "fixes": 25,
        "mean_sog_kn": 0.5,
        "max_sog_kn": 0.5,
        "extent_m": 0.0,
        "min_port_distance_km": 10.0,
        "kp_waters_distance_nm": None,
        "near_kp_waters": False,
        "kp_waters_limit_nm": 50.0,
        "max_sog_limit_kn": 2.0,
    }


def test_loitering_of_4_h_less_1_min_is_nothing() -> None:
    assert loiters(drifting(A, 239)) == []


def test_loitering_run_breaks_at_a_silence_over_1_h_and_at_exactly_1_h_does_not() -> None:
    # 3 h slow, a silence, 3 h slow: one 7 h loitering with a 1 h silence, none with 1 h 1 min
    for silence_min, expected in ((60, [(START, utc("2026-09-10 17:00"))]), (61, [])):
        track = Track(A).every(START, START + timedelta(hours=3), 10, *SEA, sog=0.5)
        resume = START + timedelta(hours=3, minutes=silence_min)
        track.every(resume, resume + timedelta(hours=3), 10, *SEA, sog=0.5)
        if silence_min == 60:
            assert [(e.start, e.end) for e in loiters(track)] == expected
        else:
            assert loiters(track) == []


def test_two_loiterings_split_by_a_silence_of_1_h_1_min_are_two_events_with_their_own_numbers(
) -> None:
    track = Track(A).every(START, START + timedelta(hours=5), 10, *SEA, sog=0.5)
    resume = START + timedelta(hours=5, minutes=61)
    track.every(resume, resume + timedelta(hours=4), 10, *north_of(*SEA, 300.0), sog=1.5)
    found = loiters(track)
    assert [(e.start, e.end, e.details["fixes"], e.details["mean_sog_kn"]) for e in found] == [
        (START, utc("2026-09-10 15:00"), 31, 0.5),
        (resume, utc("2026-09-10 20:01"), 25, 1.5),
    ]
    assert found[1].lat == pytest.approx(north_of(*SEA, 300.0)[1], abs=1e-12)


# -- speed: "at sog_kn <= 2" -----------------------------------------------------------------------


def test_loitering_at_exactly_2_0_kn_is_loitering() -> None:
    [event] = loiters(drifting(A, 300, sog=2.0))
    assert (event.start, event.end, event.details["max_sog_kn"]) == (
        START, utc("2026-09-10 15:00"), 2.0)


def test_loitering_at_2_1_kn_is_nothing() -> None:
    assert loiters(drifting(A, 300, sog=2.1)) == []


def test_one_fix_at_2_1_kn_cuts_the_run_in_two_short_halves() -> None:
    track = Track(A).every(START, START + timedelta(hours=3), 10, *SEA, sog=0.5)
    track.at(START + timedelta(hours=3, minutes=10), *SEA, sog=2.1)
    track.every(START + timedelta(hours=3, minutes=20), START + timedelta(hours=6), 10, *SEA,
                sog=0.5)
    assert loiters(track) == []


def test_missing_speed_uses_the_implied_speed_of_the_drift() -> None:
    # no sog_kn: fixes 10 min apart, 100 m apart (0.32 kn implied) is loitering
    track = Track(A)
    for k in range(25):
        track.at(START + timedelta(minutes=10 * k), *north_of(*SEA, 100.0 * k), sog=None)
    [event] = loiters(track)
    assert (event.start, event.end, event.details["fixes"]) == (
        START, utc("2026-09-10 14:00"), 25)
    assert event.details["extent_m"] == pytest.approx(2400.0, abs=0.5)


# -- place: "at least 10 km from every known port or anchorage" -----------------------------------


def _port_north_of_loiter(metres: float) -> tuple[np.ndarray, np.ndarray, float]:
    """A known port point ``metres`` north of the loitering's mean position, and the exact
    distance the detector will measure."""
    [event] = loiters(drifting(A, 240))
    plon, plat = north_of(event.lon, event.lat, metres)
    d = float(haversine_m(event.lon, event.lat, plon, plat))
    return np.array([plon]), np.array([plat]), d


def test_loitering_exactly_at_the_port_distance_is_loitering_one_float_step_more_is_not() -> None:
    plon, plat, d = _port_north_of_loiter(10_000.0)
    km = d / 1000.0
    assert km * 1000.0 == d
    at_limit = ScreeningParams(loiter_min_port_distance_km=km)
    assert len(loiters(drifting(A, 240), params=at_limit, known_ports=(plon, plat))) == 1
    wider = ScreeningParams(loiter_min_port_distance_km=float(np.nextafter(d, np.inf)) / 1000.0)
    assert loiters(drifting(A, 240), params=wider, known_ports=(plon, plat)) == []


def test_loitering_10_km_plus_1_m_from_a_port_counts_10_km_less_1_m_does_not() -> None:
    far = _port_north_of_loiter(10_001.0)
    near = _port_north_of_loiter(9_999.0)
    assert len(loiters(drifting(A, 240), known_ports=far[:2])) == 1
    assert loiters(drifting(A, 240), known_ports=near[:2]) == []


def test_loitering_inside_a_port_zone_is_nothing() -> None:
    # Dalian's 4 km box in kp_zones(): waiting in port is not loitering
    assert loiters(drifting(A, 300, where=(121.65, 38.93)), zones=kp_zones()) == []


# -- alone: "with no other vessel within the STS distance" ----------------------------------------


def test_second_vessel_499_m_away_makes_an_sts_candidate_not_loitering() -> None:
    a = drifting(A, 300)
    b = drifting(B, 300, where=east_of(*SEA, 499.0))
    fixes = fixes_of(a, b)
    encounters = detect_encounters(fixes, empty_zones(), known_ports=NO_PORTS)
    assert [(e.kind, e.mmsi) for e in encounters] == [
        (EventKind.STS_TRANSFER, A), (EventKind.STS_TRANSFER, B)]
    assert len(detect_loitering(fixes, empty_zones(), known_ports=NO_PORTS)) == 2
    assert loiters(a, b) == []


def test_second_vessel_501_m_away_leaves_both_loitering() -> None:
    found = loiters(drifting(A, 300), drifting(B, 300, where=east_of(*SEA, 501.0)))
    assert [(e.kind, e.mmsi, e.start, e.end) for e in found] == [
        (EventKind.LOITERING, A, START, utc("2026-09-10 15:00")),
        (EventKind.LOITERING, B, START, utc("2026-09-10 15:00")),
    ]


def test_second_vessel_alongside_for_less_than_an_sts_leaves_the_loitering() -> None:
    # B is within 300 m for 1 h 50 min only (STS needs 2 h): A still loitered alone for 5 h
    a = drifting(A, 300)
    b = Track(B).every(START, START + timedelta(minutes=110), 10, *east_of(*SEA, 300.0), sog=0.4)
    found = loiters(a, b)
    assert [(e.mmsi, e.start, e.end) for e in found] == [(A, START, utc("2026-09-10 15:00"))]


def test_drop_sts_candidates_keeps_a_loitering_of_the_other_vessel_and_other_times() -> None:
    a_then = drifting(A, 300)
    [loiter] = loiters(a_then)
    later = START + timedelta(hours=6)
    sts = [e for e in detect_encounters(
        fixes_of(Track(A).every(later, later + timedelta(hours=3), 10, *SEA, sog=0.4),
                 Track(B).every(later, later + timedelta(hours=3), 10, *east_of(*SEA, 200.0),
                                sog=0.4)),
        empty_zones(), known_ports=NO_PORTS)]
    assert drop_sts_candidates([loiter], sts) == [loiter]  # 1 h after the loitering ended
    touching = [e.__class__(**{**e.__dict__, "start": loiter.end}) for e in sts]
    assert drop_sts_candidates([loiter], touching) == []  # an encounter from its last fix on


# -- effect: "within 50 nm of KP waters it calls for review; elsewhere effect none" -------------


def test_loitering_near_kp_waters_calls_for_review_with_its_distance() -> None:
    result = screen_fixes(fixes_of(drifting(A, 300, where=NEAR_KP)), kp_zones(),
                          as_of=utc("2026-10-01 00:00"), known_ports=NO_PORTS)
    verdict = result.verdict_of(A)
    assert verdict.verdict == Verdict.REVIEW
    [reason] = verdict.reasons
    expected_nm = round(0.4 * M_PER_DEG * math.cos(math.radians(38.6)) / 1852.0, 2)
    assert expected_nm == 18.77
    out = reason.to_json()
    assert (out["kind"], out["effect"], out["kp_waters_distance_nm"], out["near_kp_waters"]) == (
        "loitering", "review", expected_nm, True)
    assert out["explanation"] == (
        "Loitered at 2 kn or less for 5 h from 10 Sep 2026 10:00 UTC to 10 Sep 2026 15:00 UTC, "
        "at least 10 km from every known port or anchorage, with no other vessel alongside, "
        "18.77 nm from North Korean waters: a transfer with a vessel that does not transmit "
        "looks like this, flagged for review."
    )


def test_loitering_far_from_kp_waters_is_listed_with_effect_none() -> None:
    result = screen_fixes(fixes_of(drifting(A, 300)), kp_zones(),
                          as_of=utc("2026-10-01 00:00"), known_ports=NO_PORTS)
    verdict = result.verdict_of(A)
    assert verdict.verdict == Verdict.CLEAR
    [reason] = verdict.reasons
    out = reason.to_json()
    assert (out["kind"], out["effect"], out["in_window"], out["near_kp_waters"]) == (
        "loitering", "none", True, False)
    nm = out["kp_waters_distance_nm"]
    # beyond the limit the distance is to the nearest point in plane degrees, here the strip's
    # corner at 38.3 N 124.9 E, by great circle
    assert nm == round(float(haversine_m(*SEA, 124.9, 38.3)) / 1852.0, 2) == 144.65
    assert out["explanation"].endswith(
        f"with no other vessel alongside; {nm:g} nm from North Korean waters, more than 50 nm "
        "away: no effect on the verdict.")


def test_loitering_0_01_nm_inside_the_kp_waters_limit_is_review_0_01_nm_beyond_is_not() -> None:
    fixes = fixes_of(drifting(A, 300, where=NEAR_KP))
    [probe] = detect_loitering(fixes, kp_zones(), ScreeningParams(), NO_PORTS)
    # the limit 0.01 nm above and below the distance measured (18.77 nm, rounded)
    nm = probe.details["kp_waters_distance_nm"]
    as_of = utc("2026-10-01 00:00")
    at_limit = ScreeningParams(loiter_kp_waters_nm=18.78)
    below = ScreeningParams(loiter_kp_waters_nm=18.76)
    assert nm == 18.77
    for params, verdict in ((at_limit, Verdict.REVIEW), (below, Verdict.CLEAR)):
        result = screen_fixes(fixes, kp_zones(), params, as_of, known_ports=NO_PORTS)
        assert result.verdict_of(A).verdict == verdict


def test_loitering_older_than_the_window_is_history() -> None:
    result = screen_fixes(fixes_of(drifting(A, 300, where=NEAR_KP)), kp_zones(),
                          as_of=utc("2027-03-10 00:00"), known_ports=NO_PORTS)
    verdict = result.verdict_of(A)
    assert verdict.verdict == Verdict.CLEAR
    [reason] = verdict.reasons
    assert (reason.in_window, reason.effect) == (False, "none")
    assert reason.explanation.endswith(
        "flagged for review (more than 180 days ago, history).")


def test_sts_with_a_vessel_that_loitered_near_kp_waters_is_sts_with_review() -> None:
    # A loiters near KP waters for 5 h, moves off at 3 kn, then B comes alongside 1 km away
    a = drifting(A, 300, where=NEAR_KP)
    a.at(START + timedelta(hours=5, minutes=10), *east_of(*NEAR_KP, 500.0), sog=3.0)
    meet = START + timedelta(hours=5, minutes=20)
    spot = east_of(*NEAR_KP, 1000.0)
    a.every(meet, meet + timedelta(hours=3), 10, *spot, sog=0.4)
    b = Track(B).every(meet, meet + timedelta(hours=3), 10, *east_of(*spot, 200.0), sog=0.4)
    result = screen_fixes(fixes_of(a, b), kp_zones(), as_of=utc("2026-10-01 00:00"),
                          known_ports=NO_PORTS)
    assert [str(r.event.kind) for r in result.verdict_of(B).reasons] == ["sts_with_review"]
    assert result.verdict_of(B).verdict == Verdict.REVIEW
    assert [(str(r.event.kind), r.event.start) for r in result.verdict_of(A).reasons] == [
        ("sts_transfer", meet), ("loitering", START)]


def test_kp_waters_distance_on_the_bundled_multipolygon_is_the_great_circle_within_half_a_percent(
) -> None:
    # the bundled territorial sea is a MultiPolygon of 7,000 vertices; the local frame must
    # agree with a brute-force great circle to its boundary, densified to about 100 m
    import shapely

    from desktop.core.detect.loitering import _kp_waters_m
    from desktop.core.zones import default_zones

    zones = default_zones()
    [waters] = [g for g, kind in zip(zones.geometries, zones.frame["kind"], strict=True)
                if kind == "waters"]
    assert waters.geom_type == "MultiPolygon"
    dense = shapely.get_coordinates(shapely.segmentize(shapely.boundary(waters), 0.001))
    for lon, lat in ((123.93, 38.12), (124.2, 38.3), (129.0, 40.0)):
        [measured] = _kp_waters_m(zones, np.array([lon]), np.array([lat]), 50 * 1852.0)
        truth = float(haversine_m(lon, lat, dense[:, 0], dense[:, 1]).min())
        assert abs(measured - truth) <= 0.005 * truth, (lon, lat, measured, truth)
