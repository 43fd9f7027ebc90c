"""STS encounters (DESIGN.md §3) on hand-built pairs: duration threshold, distance, speed,
port distance, merging, resampling, and the bucketing that avoids comparing all pairs."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from screening_kit import Track, box, east_of, fixes_of, north_of, table, utc, zone_set

from desktop.core.detect import sts
from desktop.core.detect.sts import close_pairs, detect_encounters
from desktop.core.model import EventKind
from desktop.core.screening import empty_zones

SEA = (124.0, 36.0)  # Yellow Sea, 300 km from the nearest zone used here
A, B = 413000001, 636000002
NO_PORTS = (np.zeros(0), np.zeros(0))


def side_by_side(minutes: int, apart_m: float = 400.0, where: tuple[float, float] = SEA,
                 step_min: int = 10, sog: float = 0.3) -> tuple[Track, Track]:
    """A and B stopped ``apart_m`` apart for ``minutes``, fixes every ``step_min``."""
    start = utc("2026-09-10 10:00")
    end = start + timedelta(minutes=minutes)
    a = Track(A).every(start, end, step_min, *where, sog=sog)
    b = Track(B).every(start, end, step_min, *east_of(*where, apart_m), sog=sog)
    return a, b


def test_400_m_apart_for_1_h_50_min_is_no_encounter() -> None:
    fixes = fixes_of(*side_by_side(110))
    assert detect_encounters(fixes, empty_zones(), known_ports=NO_PORTS) == []


def test_400_m_apart_for_2_h_10_min_is_an_sts_transfer_for_both_vessels() -> None:
    fixes = fixes_of(*side_by_side(130))
    events = detect_encounters(fixes, empty_zones(), known_ports=NO_PORTS)
    assert [(e.kind, e.mmsi, e.with_mmsi) for e in events] == [
        (EventKind.STS_TRANSFER, A, B), (EventKind.STS_TRANSFER, B, A)]
    e = events[0]
    assert (e.start, e.end) == (utc("2026-09-10 10:00"), utc("2026-09-10 12:10"))
    assert e.details["duration_h"] == round(130 / 60, 3)
    assert e.details["grid_points"] == 14
    assert abs(e.details["min_distance_m"] - 400.0) < 0.5
    assert e.details["nearest_port_km"] is None


def test_600_m_apart_is_no_encounter() -> None:
    fixes = fixes_of(*side_by_side(240, apart_m=600))
    assert detect_encounters(fixes, empty_zones(), known_ports=NO_PORTS) == []


def test_moving_at_3_kn_side_by_side_is_no_encounter() -> None:
    fixes = fixes_of(*side_by_side(240, sog=3.0))
    assert detect_encounters(fixes, empty_zones(), known_ports=NO_PORTS) == []


def test_side_by_side_near_a_known_port_point_is_encounter_in_port_not_sts() -> None:
    fixes = fixes_of(*side_by_side(240, apart_m=150))
    port = north_of(*SEA, 9_000)  # an anchorage 9 km away
    events = detect_encounters(
        fixes, empty_zones(), known_ports=(np.array([port[0]]), np.array([port[1]]))
    )
    assert [e.kind for e in events] == [EventKind.ENCOUNTER_IN_PORT] * 2
    assert 8.9 < events[0].details["nearest_port_km"] < 9.1
    # 11 km away: the same pair is an STS transfer
    far = north_of(*SEA, 11_000)
    events = detect_encounters(
        fixes, empty_zones(), known_ports=(np.array([far[0]]), np.array([far[1]]))
    )
    assert [e.kind for e in events] == [EventKind.STS_TRANSFER] * 2


def test_side_by_side_inside_a_port_zone_is_encounter_in_port_naming_the_port() -> None:
    zones = zone_set([{"name": "Longkou", "kind": "port", "country": "CN", "locode": "CNLKU",
                       "geometry": box(*SEA)}])
    fixes = fixes_of(*side_by_side(240, apart_m=150))
    events = detect_encounters(fixes, zones, known_ports=NO_PORTS)
    assert [(e.kind, e.zone, e.locode) for e in events] == [
        (EventKind.ENCOUNTER_IN_PORT, "Longkou", "CNLKU")] * 2
    assert events[0].details["nearest_port_km"] == 0.0


def test_encounters_less_than_4_h_apart_merge() -> None:
    a1, b1 = side_by_side(130)
    later = utc("2026-09-10 12:10") + timedelta(hours=3, minutes=50)
    a1.every(later, later + timedelta(minutes=130), 10, *SEA, sog=0.3)
    b1.every(later, later + timedelta(minutes=130), 10, *east_of(*SEA, 400), sog=0.3)
    events = detect_encounters(fixes_of(a1, b1), empty_zones(), known_ports=NO_PORTS)
    assert len(events) == 2
    assert (events[0].start, events[0].end) == (
        utc("2026-09-10 10:00"), later + timedelta(minutes=130))


def test_encounters_4_h_apart_stay_separate() -> None:
    a1, b1 = side_by_side(130)
    later = utc("2026-09-10 12:10") + timedelta(hours=4)
    a1.every(later, later + timedelta(minutes=130), 10, *SEA, sog=0.3)
    b1.every(later, later + timedelta(minutes=130), 10, *east_of(*SEA, 400), sog=0.3)
    events = detect_encounters(fixes_of(a1, b1), empty_zones(), known_ports=NO_PORTS)
    assert [e.mmsi for e in events] == [A, A, B, B]


def test_off_grid_fixes_are_interpolated_onto_the_10_minute_grid() -> None:
    # fixes every 25 min starting at 10:03: grid points 10:10 ... 12:20 lie between fixes
    start = utc("2026-09-10 10:03")
    a = Track(A).every(start, start + timedelta(minutes=150), 25, *SEA, sog=0.5)
    b = Track(B).every(start, start + timedelta(minutes=150), 25, *east_of(*SEA, 300), sog=0.5)
    [e, _] = detect_encounters(fixes_of(a, b), empty_zones(), known_ports=NO_PORTS)
    assert (e.start, e.end) == (utc("2026-09-10 10:10"), utc("2026-09-10 12:30"))


def test_no_interpolation_across_a_gap_over_one_hour() -> None:
    # fixes 10:00, 11:10, 12:20, 13:30: each gap 70 min, so only on-grid fixes are points
    a, b = Track(A), Track(B)
    for k in range(4):
        when = utc("2026-09-10 10:00") + timedelta(minutes=70 * k)
        a.at(when, *SEA, sog=0.2)
        b.at(when, *east_of(*SEA, 200), sog=0.2)
    assert detect_encounters(fixes_of(a, b), empty_zones(), known_ports=NO_PORTS) == []


def random_points(n: int = 3000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    lat = 35.0 + rng.random(n) * 0.05
    lon = 124.0 + rng.random(n) * 0.05
    return rng.integers(0, 3, n), lat, lon


def brute_force_pairs(g: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> set:
    """Every pair of points at the same instant within 500 m, by comparing all pairs."""
    from desktop.core.detect.geo import haversine_m

    expected = set()
    for k in range(len(g)):
        dist = haversine_m(lon[k], lat[k], lon[k + 1:], lat[k + 1:])
        same = g[k + 1:] == g[k]
        for m in np.flatnonzero(same & (dist <= 500.0)):
            expected.add((k, k + 1 + int(m)))
    return expected


def as_set(i: np.ndarray, j: np.ndarray) -> set:
    return {(min(a, b), max(a, b)) for a, b in zip(i.tolist(), j.tolist(), strict=True)}


def test_close_pairs_finds_neighbours_across_cell_edges_and_only_them() -> None:
    g, lat, lon = random_points()
    i, j, _ = close_pairs(np.arange(len(g)), g, lat, lon, 500.0)
    expected = brute_force_pairs(g, lat, lon)
    assert as_set(i, j) == expected
    assert len(expected) > 500  # the test is not vacuous


def test_close_pairs_in_time_blocks_finds_the_same_pairs(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(sts, "BLOCK_POINTS", 700)  # 3 instants, 3,000 points: 3 blocks
    g, lat, lon = random_points()
    i, j, _ = sts.close_pairs(np.arange(len(g)), g, lat, lon, 500.0)
    assert as_set(i, j) == brute_force_pairs(g, lat, lon)


def test_many_vessels_far_apart_give_no_pairs_to_compare() -> None:
    # 2,000 vessels stopped on a 5 km lattice: no two within 500 m
    n = 2000
    lat = 30.0 + (np.arange(n) // 50) * 0.045
    lon = 120.0 + (np.arange(n) % 50) * 0.06
    times = np.repeat(np.arange(13), n)
    fixes = table(
        mmsi=np.tile(np.arange(n) + 200_000_000, 13),
        time=int(utc("2026-09-10 00:00").timestamp()) * 10**9 + times * 600 * 10**9,
        lon=np.tile(lon, 13),
        lat=np.tile(lat, 13),
        sog_kn=np.zeros(13 * n),
    )
    assert detect_encounters(fixes, empty_zones(), known_ports=NO_PORTS) == []


def test_no_interpolation_across_the_antimeridian() -> None:
    # A drifts to and fro across 180 deg, fixes at :05, :15 ...; B sits at lon 0, exactly where
    # a naive interpolation of 179.999 and -179.999 would put A at every grid instant
    a, b = Track(A), Track(B)
    for k in range(27):
        when = utc("2026-09-10 10:05") + timedelta(minutes=10 * k)
        a.at(when, 179.999 if k % 2 else -179.999, 10.0, sog=0.5)
    b.every("2026-09-10 10:00", "2026-09-10 14:30", 10, 0.0, 10.0, sog=0.5)
    assert detect_encounters(fixes_of(a, b), empty_zones(), known_ports=NO_PORTS) == []


def test_resampling_in_vessel_blocks_gives_the_same_encounters(monkeypatch) -> None:  # noqa: ANN001
    a1, b1 = side_by_side(130)
    c, d = Track(538000003), Track(477000004)
    c.every("2026-09-11 00:03", "2026-09-11 03:03", 7, *SEA, sog=0.4)
    d.every("2026-09-11 00:00", "2026-09-11 03:00", 9, *east_of(*SEA, 450), sog=0.4)
    fixes = fixes_of(a1, b1, c, d)
    whole = detect_encounters(fixes, empty_zones(), known_ports=NO_PORTS)
    monkeypatch.setattr(sts, "BLOCK_FIXES", 10)  # cuts fall inside vessels: moved to boundaries
    assert detect_encounters(fixes, empty_zones(), known_ports=NO_PORTS) == whole
    assert len(whole) == 4


def test_encounter_in_port_names_the_nearest_known_port() -> None:
    fixes = fixes_of(*side_by_side(240, apart_m=150))
    near, far = north_of(*SEA, 3_000), north_of(*SEA, 8_000)
    points = (np.array([far[0], near[0]]), np.array([far[1], near[1]]))
    events = detect_encounters(
        fixes, empty_zones(), known_ports=points,
        port_names=lambda idx: [["Far anchorage", "Near anchorage"][i] for i in idx],
    )
    assert [e.details["nearest_port"] for e in events] == ["Near anchorage"] * 2
    assert 2.9 < events[0].details["nearest_port_km"] < 3.1
