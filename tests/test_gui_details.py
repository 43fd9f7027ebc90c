"""The details panel puts what bars first, then what calls for review, then the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desktop.core.model import Event, EventKind, Reason, Verdict, VesselVerdict
from desktop.gui.details import DetailsPanel

T0 = datetime(2026, 9, 15, 6, 0, tzinfo=UTC)
MMSI = 273318807


def _reason(kind: EventKind, hours: float, text: str, *, bars: bool = False,
            live: bool = True, info: bool = False) -> Reason:
    start = T0 + timedelta(hours=hours)
    event = Event(kind, MMSI, start, start + timedelta(hours=2), zone="Rajin (Najin)")
    until = start + timedelta(hours=2, days=180) if bars else None
    return Reason(event, live, bars, until, text, informational=info)


def test_barring_reason_leads_newer_review_and_no_effect_reasons(qtbot) -> None:  # noqa: ANN001
    newer_waters = _reason(EventKind.WATERS_PRESENCE, 60, "In the KP sea after the call.")
    call = _reason(EventKind.PORT_CALL, 0, "Called at Rajin.", bars=True)
    sts = _reason(EventKind.STS_TRANSFER, 90, "Met a clean vessel.", info=True)
    old = _reason(EventKind.PORT_CALL, -5000, "Called at Rajin long ago.", live=False)
    reasons = (sts, newer_waters, call, old)  # the core's order: newest first
    panel = DetailsPanel()
    qtbot.addWidget(panel)
    panel.show_vessel(VesselVerdict(MMSI, Verdict.BARRED, call.barred_until, reasons))
    lines = [line.strip() for line in panel.explanation.toPlainText().splitlines() if line.strip()]
    assert lines[1:] == [
        "Why",
        "Called at Rajin.",
        "In the KP sea after the call.",
        "Also in the window, without effect",
        "Met a clean vessel.",
        "Earlier (outside the window)",
        "Called at Rajin long ago.",
        lines[-1],  # the statement that ownership and exceptions are outside AIS
    ]
    assert lines[0].startswith("May not call at a US port before 14 Mar 2027 08:00")
