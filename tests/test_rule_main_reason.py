"""The one-line main reason: barring first, then the most severe review, then history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desktop.core.model import Event, EventKind, Reason, Verdict, VesselVerdict
from desktop.core.rule import main_reason

T0 = datetime(2026, 9, 2, 6, 0, tzinfo=UTC)


def _reason(kind: EventKind, hours: float, *, live: bool = True, info: bool = False) -> Reason:
    start = T0 + timedelta(hours=hours)
    event = Event(kind, 413620020, start, start + timedelta(hours=1), zone="Rajin")
    return Reason(event, live, False, None, f"{kind} at +{hours} h", informational=info)


def _vessel(*reasons: Reason) -> VesselVerdict:
    newest_first = tuple(sorted(reasons, key=lambda r: r.event.end, reverse=True))
    return VesselVerdict(413620020, Verdict.REVIEW, None, newest_first)


def test_port_entry_leads_over_a_newer_waters_presence() -> None:
    entry = _reason(EventKind.PORT_ENTRY, 2)
    waters = _reason(EventKind.WATERS_PRESENCE, 5)
    assert main_reason(_vessel(entry, waters)) is entry


def test_newest_leads_among_reasons_of_one_kind() -> None:
    older = _reason(EventKind.AIS_GAP, 1)
    newer = _reason(EventKind.AIS_GAP, 30)
    assert main_reason(_vessel(older, newer)) is newer


def test_review_in_window_leads_over_a_more_severe_history_reason() -> None:
    old_entry = _reason(EventKind.PORT_ENTRY, -5000, live=False)
    flag = _reason(EventKind.KP_FLAG, 0)
    assert main_reason(_vessel(old_entry, flag)) is flag


def test_informational_reasons_alone_give_no_main_reason() -> None:
    sts = _reason(EventKind.STS_TRANSFER, 3, info=True)
    assert sts.effect == "none"
    assert main_reason(_vessel(sts)) is None
