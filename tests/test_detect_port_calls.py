"""Port visits (DESIGN.md §3) on hand-built tracks: stop minimum, silent stays, anchorages,
missing speeds, waters presence outside calls."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import shapely
from screening_kit import NAMPO, Track, box, east_of, fixes_of, kp_zones, utc, zone_set

from desktop.core.detect.port_calls import detect_port_visits
from desktop.core.detect.waters import detect_waters_presence
from desktop.core.model import EventKind, Verdict
from desktop.core.params import ScreeningParams
from desktop.core.screening import screen_fixes

OUTSIDE = east_of(*NAMPO, 20_000)
VESSEL = 351000002


def stop_of(minutes: int) -> Track:
    """Enters Nampo at 8 kn, stops (sog 0) for ``minutes`` with a fix every 10 min, leaves."""
    t = Track(VESSEL)
    t.at("2026-10-01 06:00", *OUTSIDE, sog=8.0)
    t.at("2026-10-01 07:50", *east_of(*NAMPO, 1000), sog=8.0)  # inside, moving
    stop = utc("2026-10-01 08:00")
    t.every(stop, stop + timedelta(minutes=minutes), 10, *NAMPO, sog=0.0)
    t.at(stop + timedelta(minutes=minutes + 10), *east_of(*NAMPO, -1000), sog=7.0)  # inside
    t.at(stop + timedelta(minutes=minutes + 120), *OUTSIDE, sog=10.0)
    return t


def test_40_minute_stop_in_kp_port_is_a_port_entry_for_review() -> None:
    result = screen_fixes(fixes_of(stop_of(40)), kp_zones(), as_of=utc("2026-11-28 00:00"))
    v = result.verdict_of(VESSEL)
    assert v.verdict == Verdict.REVIEW
    [entry] = [r.to_json() for r in v.reasons]
    assert entry["kind"] == "port_entry"
    assert (entry["start"], entry["end"]) == ("2026-10-01T07:50:00Z", "2026-10-01T08:50:00Z")
    assert entry["longest_stop_h"] == round(40 / 60, 3)
    assert entry["stop"] == "stopped"


def test_70_minute_stop_in_kp_port_is_a_port_call() -> None:
    result = screen_fixes(fixes_of(stop_of(70)), kp_zones(), as_of=utc("2026-11-28 00:00"))
    v = result.verdict_of(VESSEL)
    assert v.verdict == Verdict.BARRED
    [call] = [r.to_json() for r in v.reasons]
    assert call["kind"] == "port_call"
    assert (call["start"], call["end"]) == ("2026-10-01T07:50:00Z", "2026-10-01T09:20:00Z")
    assert call["longest_stop_h"] == round(70 / 60, 3)
    assert v.barred_until == utc("2026-10-01 09:20") + timedelta(days=180)


def test_stop_of_exactly_one_hour_is_a_port_call() -> None:
    visits = detect_port_visits(fixes_of(stop_of(60)), kp_zones())
    assert [e.kind for e in visits.events] == [EventKind.PORT_CALL]


def test_two_fixes_in_kp_port_30_h_apart_is_a_silent_stay_port_call() -> None:
    t = Track(VESSEL)
    t.at("2026-10-01 00:00", *OUTSIDE, sog=9.0)
    t.at("2026-10-01 02:00", *NAMPO, sog=6.0)  # moving, then AIS off
    t.at("2026-10-02 08:00", *east_of(*NAMPO, 500), sog=6.0)  # 30 h later, still inside
    t.at("2026-10-02 10:00", *OUTSIDE, sog=9.0)
    [call] = detect_port_visits(fixes_of(t), kp_zones()).events
    assert call.kind == EventKind.PORT_CALL
    assert (call.start, call.end) == (utc("2026-10-01 02:00"), utc("2026-10-02 08:00"))
    assert call.details["stop"] == "silent"
    assert call.details["longest_stop_h"] == 30.0
    assert call.ongoing is False


def test_fixes_59_minutes_apart_moving_in_port_are_only_an_entry() -> None:
    t = Track(VESSEL)
    t.at("2026-10-01 00:00", *OUTSIDE, sog=9.0)
    t.at("2026-10-01 02:00", *NAMPO, sog=6.0)
    t.at("2026-10-01 02:59", *NAMPO, sog=6.0)
    t.at("2026-10-01 04:00", *OUTSIDE, sog=9.0)
    [entry] = detect_port_visits(fixes_of(t), kp_zones()).events
    assert entry.kind == EventKind.PORT_ENTRY


def test_nav_status_moored_counts_as_stopped_whatever_the_speed() -> None:
    t = Track(VESSEL)
    for minute in range(0, 80, 10):
        t.at(utc("2026-10-01 02:00") + timedelta(minutes=minute), *NAMPO, sog=3.0, nav=5)
    t.at("2026-10-01 04:00", *OUTSIDE, sog=9.0)
    [call] = detect_port_visits(fixes_of(t), kp_zones()).events
    assert call.kind == EventKind.PORT_CALL
    assert call.details["longest_stop_h"] == round(70 / 60, 3)


def test_missing_sog_uses_speed_implied_by_neighbouring_fixes() -> None:
    # positions only (some CSV exports): 10-min fixes 20 m apart (0.065 kn) for 90 min -> stopped
    lon, lat = NAMPO
    t = Track(VESSEL)
    t.at("2026-10-01 00:00", *OUTSIDE, sog=None)
    for k in range(10):
        t.at(utc("2026-10-01 03:00") + timedelta(minutes=10 * k), *east_of(lon, lat, 20 * k),
             sog=None)
    t.at("2026-10-01 06:00", *OUTSIDE, sog=None)
    [call] = detect_port_visits(fixes_of(t), kp_zones()).events
    assert call.kind == EventKind.PORT_CALL
    assert call.details["stop"] == "stopped"
    # the first and last in-port fixes have a neighbour 20 km away: implied speed too high
    assert call.details["longest_stop_h"] == round(70 / 60, 3)


def test_anchorage_counts_as_part_of_its_port_in_one_visit() -> None:
    lon, lat = NAMPO
    anchorage = east_of(lon, lat, 4000)  # the box east of the port box, touching it
    zones = zone_set(
        [
            {"name": "Nampo", "kind": "port", "country": "KP", "locode": "KPNAM",
             "geometry": box(lon, lat)},
            {"name": "Nampo anchorage", "kind": "anchorage", "country": "KP",
             "locode": "KPNAM", "geometry": box(*anchorage)},
        ]
    )
    t = Track(VESSEL)
    t.every("2026-10-01 00:00", "2026-10-01 01:00", 10, *anchorage, sog=0.0)
    t.every("2026-10-01 01:10", "2026-10-01 01:40", 10, lon, lat, sog=0.0)
    t.at("2026-10-01 03:00", *OUTSIDE, sog=9.0)
    [call] = detect_port_visits(fixes_of(t), zones).events
    assert (call.kind, call.zone, call.locode) == (EventKind.PORT_CALL, "Nampo", "KPNAM")
    assert (call.start, call.end) == (utc("2026-10-01 00:00"), utc("2026-10-01 01:40"))
    assert call.details["longest_stop_h"] == round(100 / 60, 3)


def test_calls_in_other_countries_are_events_but_not_reasons() -> None:
    dalian = (121.65, 38.93)
    t = Track(VESSEL).every("2026-10-01 00:00", "2026-10-01 05:00", 30, *dalian, sog=0.0)
    t.at("2026-10-01 08:00", 122.0, 38.5, sog=12.0)
    result = screen_fixes(fixes_of(t), kp_zones(), as_of=utc("2026-11-28 00:00"))
    assert [(e.kind, e.country) for e in result.events] == [(EventKind.PORT_CALL, "CN")]
    assert result.verdict_of(VESSEL).verdict == Verdict.CLEAR


def test_waters_presence_leaves_out_the_port_call_fixes() -> None:
    # the KP territorial sea strip of kp_zones() spans lon 124.9-125.2; add a port inside it
    zones = zone_set(
        [
            {"name": "KP territorial sea", "kind": "waters", "country": "KP", "locode": None,
             "geometry": shapely.box(124.9, 38.3, 125.5, 38.9)},
            {"name": "Nampo", "kind": "port", "country": "KP", "locode": "KPNAM",
             "geometry": box(*NAMPO)},
        ]
    )
    t = Track(VESSEL)
    t.at("2026-10-01 00:00", 124.5, 38.6, sog=10.0)  # outside
    t.at("2026-10-01 02:00", 125.0, 38.6, sog=10.0)  # waters
    t.at("2026-10-01 03:00", 125.2, 38.7, sog=10.0)  # waters
    t.every("2026-10-01 04:00", "2026-10-01 07:00", 60, *NAMPO, sog=0.0)  # call
    t.at("2026-10-01 08:00", 125.2, 38.7, sog=10.0)  # waters
    t.at("2026-10-01 10:00", 124.5, 38.6, sog=10.0)  # outside
    fixes = fixes_of(t)
    visits = detect_port_visits(fixes, zones)
    assert [e.kind for e in visits.events] == [EventKind.PORT_CALL]
    assert (visits.call_starts.tolist(), visits.call_stops.tolist()) == ([3], [7])
    waters = detect_waters_presence(fixes, zones, visits)
    assert [(e.start, e.end, e.details["fixes"]) for e in waters] == [
        (utc("2026-10-01 02:00"), utc("2026-10-01 03:00"), 2),
        (utc("2026-10-01 08:00"), utc("2026-10-01 08:00"), 1),
    ]


def test_no_port_zones_gives_no_visits() -> None:
    zones = zone_set([{"name": "KP sea", "kind": "waters", "country": "KP", "locode": None,
                       "geometry": shapely.box(124.9, 38.3, 125.5, 38.9)}])
    visits = detect_port_visits(fixes_of(stop_of(70)), zones)
    assert visits.events == [] and len(visits.call_starts) == 0


def test_stricter_stop_parameter_turns_the_call_into_an_entry() -> None:
    params = ScreeningParams(port_stop_min_h=2.0)
    [event] = detect_port_visits(fixes_of(stop_of(70)), kp_zones(), params).events
    assert event.kind == EventKind.PORT_ENTRY
    assert np.isclose(event.details["min_stop_h"], 2.0)
