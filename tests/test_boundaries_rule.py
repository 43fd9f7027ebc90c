"""The rule's inclusive window ends, tested at the limit and one second beside it (issue 15),
and behaviour no other test pinned: ``ongoing`` for a vessel that is not last in the table, and
the main reason of a vessel barred twice over.

DESIGN.md §1: a one-hop STS counts "with a counterpart whose own KP port call ended within the
180 days before the transfer started (or that was in progress)"; §2: an STS "with a vessel under
review" calls for review. rule.py states the instants: a source counts at moment ``m`` when it
started at or before ``m`` and ``m < end + window``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from screening_kit import NAMPO, Track, east_of, fixes_of, kp_zones, utc

from desktop.core.detect.port_calls import detect_port_visits
from desktop.core.model import Event, EventKind, Verdict
from desktop.core.rule import apply_rule, main_reason
from desktop.core.screening import screen_fixes

A, B, C = 413000001, 636000002, 538000003
WINDOW = timedelta(days=180)
SECOND = timedelta(seconds=1)
CALL_START = utc("2026-03-01 00:00")
CALL_END = utc("2026-03-03 00:00")


def kp_call(mmsi: int, start: datetime, end: datetime) -> Event:
    return Event(EventKind.PORT_CALL, mmsi, start, end, "Nampo", "KPNAM", "KP", 38.72, 125.38)


def kp_entry(mmsi: int, start: datetime, end: datetime) -> Event:
    return Event(EventKind.PORT_ENTRY, mmsi, start, end, "Nampo", "KPNAM", "KP", 38.72, 125.38)


def sts(one: int, two: int, start: datetime, hours: float = 4.0) -> list[Event]:
    """The two events of one STS transfer at sea, one per vessel."""
    end = start + timedelta(hours=hours)
    return [Event(EventKind.STS_TRANSFER, m, start, end, lat=36.0, lon=124.0, with_mmsi=w)
            for m, w in ((one, two), (two, one))]


def verdict_of(events: list[Event], mmsi: int, as_of: datetime):  # noqa: ANN201
    [v] = [v for v in apply_rule(events, as_of, 180, [A, B, C]) if v.mmsi == mmsi]
    return v


def sts_reason(v, with_mmsi: int):  # noqa: ANN001, ANN201
    [r] = [r for r in v.reasons if r.event.with_mmsi == with_mmsi]
    return r


# -- The counterpart's call: started at or before the STS, ended less than 180 days before it --


def test_counterpart_call_starting_at_the_same_instant_as_the_sts_bars() -> None:
    # The call is in progress when the transfer starts ("or that was in progress").
    start = utc("2026-06-10 10:00")
    events = [kp_call(B, start, start + timedelta(days=2)), *sts(A, B, start)]
    v = verdict_of(events, A, start + timedelta(days=5))
    assert v.verdict == Verdict.BARRED
    assert v.barred_until == start + timedelta(hours=4) + WINDOW
    assert sts_reason(v, B).event.details["port_call"]["start"] == "2026-06-10T10:00:00Z"


def test_counterpart_call_starting_1_s_after_the_sts_starts_does_not_bar() -> None:
    start = utc("2026-06-10 10:00")
    events = [kp_call(B, start + SECOND, start + timedelta(days=2)), *sts(A, B, start)]
    v = verdict_of(events, A, start + timedelta(days=5))
    assert v.verdict == Verdict.CLEAR
    assert sts_reason(v, B).informational is True


def test_counterpart_call_ended_exactly_180_days_before_the_sts_does_not_bar() -> None:
    events = [kp_call(B, CALL_START, CALL_END), *sts(A, B, CALL_END + WINDOW)]
    v = verdict_of(events, A, CALL_END + WINDOW + timedelta(days=1))
    assert v.verdict == Verdict.CLEAR
    assert sts_reason(v, B).informational is True


def test_counterpart_call_ended_180_days_less_1_s_before_the_sts_bars() -> None:
    start = CALL_END + WINDOW - SECOND
    events = [kp_call(B, CALL_START, CALL_END), *sts(A, B, start)]
    v = verdict_of(events, A, start + timedelta(days=1))
    assert v.verdict == Verdict.BARRED
    assert v.barred_until == start + timedelta(hours=4) + WINDOW


# -- One hop further: the counterpart's own STS counts until its end + 180 days ---------------


def second_hop(gap: timedelta) -> tuple[list[Event], datetime]:
    """C calls at Nampo; B meets C at sea 7 days later (B is one-hop exposed until that STS's
    end + 180 days); A meets B ``gap`` after the end of B's STS with C."""
    bc = sts(B, C, CALL_END + timedelta(days=7))
    ab_start = bc[0].end + gap
    return [kp_call(C, CALL_START, CALL_END), *bc, *sts(A, B, ab_start)], ab_start


def test_sts_with_a_one_hop_vessel_exactly_180_days_after_its_sts_is_no_second_hop() -> None:
    events, start = second_hop(WINDOW)
    v = verdict_of(events, A, start + timedelta(days=1))
    assert v.verdict == Verdict.CLEAR
    assert sts_reason(v, B).event.kind == EventKind.STS_TRANSFER
    assert sts_reason(v, B).informational is True


def test_sts_with_a_one_hop_vessel_180_days_less_1_s_after_its_sts_is_a_second_hop() -> None:
    events, start = second_hop(WINDOW - SECOND)
    v = verdict_of(events, A, start + timedelta(days=1))
    assert v.verdict == Verdict.REVIEW
    reason = sts_reason(v, B)
    assert reason.event.kind == EventKind.STS_WITH_REVIEW
    assert reason.event.details["counterpart_sts"]["with_mmsi"] == C


def test_sts_with_a_one_hop_vessel_at_the_instant_its_sts_starts_is_a_second_hop() -> None:
    # B's exposure starts with its STS with C ("started at or before this STS"), so A meeting
    # B at that very instant meets an exposed vessel.
    bc = sts(B, C, CALL_END + timedelta(days=7))
    events = [kp_call(C, CALL_START, CALL_END), *bc, *sts(A, B, bc[0].start)]
    v = verdict_of(events, A, bc[0].start + timedelta(days=1))
    assert sts_reason(v, B).event.kind == EventKind.STS_WITH_REVIEW
    late = [kp_call(C, CALL_START, CALL_END), *bc, *sts(A, B, bc[0].start - SECOND)]
    v = verdict_of(late, A, bc[0].start + timedelta(days=1))
    assert sts_reason(v, B).informational is True


# -- A counterpart under review: its review event counts until its end + 180 days -------------


def with_reviewed(gap: timedelta) -> tuple[list[Event], datetime]:
    """B entered Nampo without a stop (review); A meets B ``gap`` after that entry ended."""
    start = CALL_END + gap
    return [kp_entry(B, CALL_START, CALL_END), *sts(A, B, start)], start


def test_sts_exactly_180_days_after_the_counterparts_review_event_is_informational() -> None:
    events, start = with_reviewed(WINDOW)
    v = verdict_of(events, A, start + timedelta(days=1))
    assert v.verdict == Verdict.CLEAR
    assert sts_reason(v, B).informational is True


def test_sts_180_days_less_1_s_after_the_counterparts_review_event_is_for_review() -> None:
    events, start = with_reviewed(WINDOW - SECOND)
    v = verdict_of(events, A, start + timedelta(days=1))
    assert v.verdict == Verdict.REVIEW
    reason = sts_reason(v, B)
    assert reason.event.kind == EventKind.STS_WITH_REVIEW
    assert reason.event.details["counterpart_review"]["kind"] == "port_entry"


def test_sts_at_the_instant_the_counterparts_review_event_starts_is_for_review() -> None:
    start = utc("2026-06-10 10:00")
    events = [kp_entry(B, start, start + timedelta(hours=3)), *sts(A, B, start)]
    assert sts_reason(verdict_of(events, A, start + timedelta(days=1)), B).event.kind == (
        EventKind.STS_WITH_REVIEW)
    events = [kp_entry(B, start + SECOND, start + timedelta(hours=3)), *sts(A, B, start)]
    assert sts_reason(verdict_of(events, A, start + timedelta(days=1)), B).informational is True


# -- ongoing: the vessel's own last fix, whichever its place in the table ---------------------


def call_then(mmsi: int, leaves: bool, day: int = 1) -> Track:
    """Four hours at Nampo from 06:00 on ``day`` October; then, when ``leaves``, two fixes at
    sea. Vessels on different days never meet (no encounter in port)."""
    t = Track(mmsi).every(f"2026-10-{day:02d} 06:00", f"2026-10-{day:02d} 10:00", 30, *NAMPO,
                          sog=0.0)
    if leaves:
        t.at(f"2026-10-{day:02d} 11:00", *east_of(*NAMPO, 15_000), sog=10.0)
        t.at(f"2026-10-{day:02d} 12:00", *east_of(*NAMPO, 30_000), sog=10.0)
    return t


def test_ongoing_is_set_for_the_first_and_middle_vessels_not_only_the_last() -> None:
    # Sorted by MMSI: A (in port at its last fix), C (left), B (in port, last row of the table).
    tracks = [call_then(A, leaves=False, day=1), call_then(C, leaves=True, day=2),
              call_then(B, leaves=False, day=3)]
    fixes = fixes_of(*tracks)
    assert fixes["mmsi"].tolist()[-1] == B
    events = detect_port_visits(fixes, kp_zones()).events
    assert [(e.mmsi, e.kind, e.ongoing) for e in events] == [
        (A, EventKind.PORT_CALL, True),
        (C, EventKind.PORT_CALL, False),
        (B, EventKind.PORT_CALL, True),
    ]


def test_ongoing_call_of_a_vessel_before_the_last_says_still_in_port() -> None:
    tracks = [call_then(A, leaves=False, day=1), call_then(B, leaves=True, day=2)]
    result = screen_fixes(fixes_of(*tracks), kp_zones(), as_of=utc("2026-10-05 00:00"))
    [call] = result.verdict_of(A).reasons
    assert call.event.ongoing is True
    assert call.explanation.startswith("In port at Nampo (KPNAM) since 1 Oct 2026 06:00 UTC, "
                                       "still there at the last fix (1 Oct 2026 10:00 UTC)")
    [left] = result.verdict_of(B).reasons
    assert left.event.ongoing is False


# -- Two barring reasons: the main reason is the one that bars longest -------------------------


def test_main_reason_of_two_barring_reasons_is_the_one_barring_longer_an_sts() -> None:
    # A's own call ends 3 Mar; its one-hop STS with B (B called 20 Mar) ends 1 Apr: the STS
    # bars 29 days longer, so it leads.
    events = [kp_call(A, CALL_START, CALL_END), kp_call(B, utc("2026-03-18 00:00"),
                                                        utc("2026-03-20 00:00")),
              *sts(A, B, utc("2026-04-01 00:00"))]
    v = verdict_of(events, A, utc("2026-05-01 00:00"))
    assert v.verdict == Verdict.BARRED
    assert [r.event.kind for r in v.reasons if r.bars] == [EventKind.STS_TRANSFER,
                                                            EventKind.PORT_CALL]
    main = main_reason(v)
    assert main is not None and main.event.kind == EventKind.STS_TRANSFER
    assert main.barred_until == v.barred_until == utc("2026-04-01 04:00") + WINDOW


def test_main_reason_of_two_barring_reasons_is_the_one_barring_longer_a_call() -> None:
    # The STS (with B, after B's call) comes first; A's own later call bars longer and leads.
    events = [kp_call(B, CALL_START, CALL_END), *sts(A, B, utc("2026-03-10 00:00")),
              kp_call(A, utc("2026-04-01 00:00"), utc("2026-04-03 00:00"))]
    v = verdict_of(events, A, utc("2026-05-01 00:00"))
    assert [r.event.kind for r in v.reasons if r.bars] == [EventKind.PORT_CALL,
                                                            EventKind.STS_TRANSFER]
    main = main_reason(v)
    assert main is not None and main.event.kind == EventKind.PORT_CALL
    assert main.barred_until == v.barred_until == utc("2026-04-03 00:00") + WINDOW
