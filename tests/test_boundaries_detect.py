"""Every inclusive threshold of the detectors, tested at the limit and just beside it (issue 15).

DESIGN.md §3, the wording each test holds to:

- STS: "both with ``sog_kn <= 2``, for at least 2 h" and "at least 10 km from every known port or
  anchorage" (exactly 10 km is far enough: ``ports.is_near_port``).
- Port call: "a stop of at least 1 h", a stop being "fixes with ``sog_kn <= 1.0``"; "two
  consecutive fixes inside the zone 1 h or more apart also count as a stop" (a silent stay).
- AIS gap: "two consecutive fixes of one vessel at least 12 h apart".

AIS speeds come in 0.1 kn steps, so a speed exactly at a limit is common: the tests also go
through float32 storage (the fixes table) and the STS resampling's interpolation, and through
the CSV reader, where "1.0" must stay exactly 1.0 kn.
"""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import numpy as np
from screening_kit import (
    HALF_DEG_LAT,
    NAMPO,
    R_M,
    Track,
    east_of,
    fixes_of,
    kp_zones,
    north_of,
    utc,
)

from desktop.core.detect.gaps import detect_gaps
from desktop.core.detect.port_calls import detect_port_visits
from desktop.core.detect.sts import detect_encounters
from desktop.core.geodesy import haversine_m
from desktop.core.ingest import ingest
from desktop.core.model import EventKind
from desktop.core.params import DEFAULT_PARAMS, ScreeningParams
from desktop.core.screening import empty_zones

SEA = (124.0, 36.0)  # Yellow Sea, far from every zone used here
A, B = 413000001, 636000002
NO_PORTS = (np.zeros(0), np.zeros(0))
START = utc("2026-09-10 10:00")
VESSEL = 351000002
OUTSIDE = east_of(*NAMPO, 20_000)


def side_by_side(minutes: float, sog: float = 0.3, offset_min: float = 0.0) -> list[Track]:
    """A and B 300 m apart for ``minutes`` at ``sog``, a fix every 10 min from START plus
    ``offset_min`` (an offset puts every fix off the 10-minute grid: resampling interpolates)."""
    first = START + timedelta(minutes=offset_min)
    last = first + timedelta(minutes=minutes)
    return [Track(A).every(first, last, 10, *SEA, sog=sog),
            Track(B).every(first, last, 10, *east_of(*SEA, 300), sog=sog)]


def kinds(tracks: list[Track], params: ScreeningParams = DEFAULT_PARAMS,
          known_ports: tuple[np.ndarray, np.ndarray] = NO_PORTS) -> list[EventKind]:
    events = detect_encounters(fixes_of(*tracks), empty_zones(), params, known_ports=known_ports)
    return [e.kind for e in events]


# -- STS duration: "for at least 2 h" ------------------------------------------------------------


def test_sts_of_exactly_2_h_is_an_sts_transfer() -> None:
    [event, _] = detect_encounters(fixes_of(*side_by_side(120)), empty_zones(),
                                   known_ports=NO_PORTS)
    assert event.kind == EventKind.STS_TRANSFER
    assert (event.start, event.end) == (START, START + timedelta(hours=2))
    assert event.details["duration_h"] == 2.0


def test_sts_of_2_h_less_one_grid_step_is_nothing() -> None:
    assert kinds(side_by_side(110)) == []


# -- STS speed: "both with sog_kn <= 2" ----------------------------------------------------------


def test_sts_at_exactly_2_0_kn_on_the_grid_is_an_sts_transfer() -> None:
    assert kinds(side_by_side(180, sog=2.0)) == [EventKind.STS_TRANSFER] * 2


def test_sts_at_2_1_kn_on_the_grid_is_nothing() -> None:
    assert kinds(side_by_side(180, sog=2.1)) == []


def test_sts_at_exactly_2_0_kn_between_grid_instants_is_an_sts_transfer() -> None:
    # Every fix 5 min off the grid: every grid point is interpolated between two 2.0 kn fixes.
    assert kinds(side_by_side(180, sog=2.0, offset_min=5)) == [EventKind.STS_TRANSFER] * 2


def test_sts_at_2_1_kn_between_grid_instants_is_nothing() -> None:
    assert kinds(side_by_side(180, sog=2.1, offset_min=5)) == []


def test_sts_speed_limit_of_0_3_kn_holds_exactly_for_interpolated_0_3_kn() -> None:
    # float32(0.3) > 0.3: an interpolation computed in float64 made 0.3 kn "faster than 0.3 kn"
    # between two fixes that are themselves at 0.3 kn and slow.
    params = ScreeningParams(sts_max_sog_kn=0.3)
    assert kinds(side_by_side(180, sog=0.3), params) == [EventKind.STS_TRANSFER] * 2
    assert kinds(side_by_side(180, sog=0.3, offset_min=5), params) == [EventKind.STS_TRANSFER] * 2
    assert kinds(side_by_side(180, sog=0.4, offset_min=5), params) == []


# -- STS place: "at least 10 km from every known port or anchorage" ------------------------------


def _port_north_of_encounter(metres: float) -> tuple[np.ndarray, np.ndarray, float]:
    """A known port point ``metres`` north of the encounter's mean position, and the exact
    distance from that position the detector will measure."""
    [event, _] = detect_encounters(fixes_of(*side_by_side(180)), empty_zones(),
                                   known_ports=NO_PORTS)
    plon, plat = north_of(event.lon, event.lat, metres)
    d = float(haversine_m(event.lon, event.lat, plon, plat))
    return np.array([plon]), np.array([plat]), d


def test_sts_exactly_at_the_port_distance_is_an_sts_transfer() -> None:
    # The limit set to the very distance measured (in km, exactly representable back in m).
    plon, plat, d = _port_north_of_encounter(10_000.0)
    km = d / 1000.0
    assert km * 1000.0 == d
    params = ScreeningParams(sts_min_port_distance_km=km)
    assert kinds(side_by_side(180), params, (plon, plat)) == [EventKind.STS_TRANSFER] * 2
    # the limit one float step further out: the same encounter is near the port
    wider_km = float(np.nextafter(d, np.inf)) / 1000.0
    assert wider_km * 1000.0 > d
    wider = ScreeningParams(sts_min_port_distance_km=wider_km)
    assert kinds(side_by_side(180), wider, (plon, plat)) == [EventKind.ENCOUNTER_IN_PORT] * 2


def test_sts_10_km_plus_1_m_from_a_port_is_a_transfer_and_10_km_less_1_m_is_in_port() -> None:
    far = _port_north_of_encounter(10_001.0)
    near = _port_north_of_encounter(9_999.0)
    assert kinds(side_by_side(180), known_ports=far[:2]) == [EventKind.STS_TRANSFER] * 2
    assert kinds(side_by_side(180), known_ports=near[:2]) == [EventKind.ENCOUNTER_IN_PORT] * 2


# -- Port stop speed: "fixes with sog_kn <= 1.0", "a stop of at least 1 h" -----------------------


def stop_at(sog: float, minutes: int = 70) -> Track:
    """Enters Nampo at 8 kn, ``minutes`` at ``sog`` with a fix every 10 min, leaves at 7 kn."""
    t = Track(VESSEL)
    t.at("2026-10-01 06:00", *OUTSIDE, sog=8.0)
    t.at("2026-10-01 07:50", *east_of(*NAMPO, 1000), sog=8.0)
    stop = utc("2026-10-01 08:00")
    t.every(stop, stop + timedelta(minutes=minutes), 10, *NAMPO, sog=sog)
    t.at(stop + timedelta(minutes=minutes + 10), *east_of(*NAMPO, -1000), sog=7.0)
    t.at(stop + timedelta(minutes=minutes + 120), *OUTSIDE, sog=10.0)
    return t


def test_port_stop_at_exactly_1_0_kn_is_a_port_call() -> None:
    [call] = detect_port_visits(fixes_of(stop_at(1.0)), kp_zones()).events
    assert call.kind == EventKind.PORT_CALL
    assert call.details["stop"] == "stopped"
    assert call.details["longest_stop_h"] == round(70 / 60, 3)


def test_port_stop_at_1_1_kn_is_only_a_port_entry() -> None:
    [entry] = detect_port_visits(fixes_of(stop_at(1.1)), kp_zones()).events
    assert entry.kind == EventKind.PORT_ENTRY


def test_port_stop_of_exactly_1_h_is_a_call_and_50_min_an_entry() -> None:
    [call] = detect_port_visits(fixes_of(stop_at(0.0, minutes=60)), kp_zones()).events
    [entry] = detect_port_visits(fixes_of(stop_at(0.0, minutes=50)), kp_zones()).events
    assert (call.kind, call.details["longest_stop_h"]) == (EventKind.PORT_CALL, 1.0)
    assert entry.kind == EventKind.PORT_ENTRY


def test_port_stop_at_1_0_kn_read_from_a_csv_stays_exactly_1_0_kn(tmp_path: Path) -> None:
    # Through the reader and its float32 column: "1.0" in a file must still be a stop.
    rows = ["mmsi,time,lat,lon,sog"]
    for track_row in stop_at(1.0).rows:
        moment, lon, lat, sog, _ = track_row
        rows.append(f"{VESSEL},{moment:%Y-%m-%dT%H:%M:%SZ},{lat:.6f},{lon:.6f},{sog:.1f}")
    path = tmp_path / "stop.csv"
    path.write_text("\n".join(rows) + "\n")
    fixes = ingest([path]).fixes
    assert fixes["sog_kn"].dtype == np.float32
    assert sorted(set(fixes["sog_kn"].tolist())) == [1.0, 7.0, 8.0, 10.0]
    [call] = detect_port_visits(fixes, kp_zones()).events
    assert call.kind == EventKind.PORT_CALL


# -- Silent stay: "two consecutive fixes inside the zone 1 h or more apart" ----------------------


def silent(gap: timedelta) -> Track:
    """Moving through Nampo at 6 kn with two consecutive in-port fixes ``gap`` apart."""
    t = Track(VESSEL)
    t.at("2026-10-01 00:00", *OUTSIDE, sog=9.0)
    inside = utc("2026-10-01 02:00")
    t.at(inside, *NAMPO, sog=6.0)
    t.at(inside + gap, *east_of(*NAMPO, 500), sog=6.0)
    t.at(inside + gap + timedelta(hours=2), *OUTSIDE, sog=9.0)
    return t


def test_silent_stay_of_exactly_1_h_is_a_port_call() -> None:
    [call] = detect_port_visits(fixes_of(silent(timedelta(hours=1))), kp_zones()).events
    assert call.kind == EventKind.PORT_CALL
    assert (call.details["stop"], call.details["longest_stop_h"]) == ("silent", 1.0)


def test_silent_stay_of_1_h_less_1_s_is_only_a_port_entry() -> None:
    gap = timedelta(hours=1) - timedelta(seconds=1)
    [entry] = detect_port_visits(fixes_of(silent(gap)), kp_zones()).events
    assert entry.kind == EventKind.PORT_ENTRY


# -- AIS gap: "two consecutive fixes of one vessel at least 12 h apart" --------------------------


def gap_of(gap: timedelta) -> Track:
    """Two fixes 30 nm due south of the Nampo box, ``gap`` apart: Nampo is reachable in any
    gap over 1 h + 60 nm / 15 kn = 5 h, so only the gap's length decides."""
    lat = NAMPO[1] - HALF_DEG_LAT - math.degrees(30 * 1852 / R_M)
    t = Track(352000005)
    first = utc("2026-10-01 12:00")
    t.at(first - timedelta(hours=1), NAMPO[0], lat - 0.2, sog=12.0)
    t.at(first, NAMPO[0], lat, sog=12.0)
    t.at(first + gap, NAMPO[0], lat, sog=12.0)
    t.at(first + gap + timedelta(hours=1), NAMPO[0], lat - 0.2, sog=12.0)
    return t


def test_ais_gap_of_exactly_12_h_is_a_gap() -> None:
    [event] = detect_gaps(fixes_of(gap_of(timedelta(hours=12))), kp_zones())
    assert (event.start, event.end) == (utc("2026-10-01 12:00"), utc("2026-10-02 00:00"))
    assert event.details["gap_h"] == 12.0
    assert [r["zone"] for r in event.details["reachable"]] == ["Nampo"]


def test_ais_gap_of_12_h_less_1_s_is_not_a_gap() -> None:
    assert detect_gaps(fixes_of(gap_of(timedelta(hours=12) - timedelta(seconds=1))),
                       kp_zones()) == []
