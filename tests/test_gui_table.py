"""The vessel table model and its proxy on their own (no window): rows, sorting, filtering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt

from desktop.core.model import Event, EventKind, Reason, Verdict, VesselVerdict
from desktop.gui.vessel_table import (
    COL_BARRED,
    COL_EVENTS,
    COL_HEARD,
    COL_IMO,
    COL_LAST_KP,
    COL_MMSI,
    COL_NAME,
    COL_REASON,
    COL_REVIEW,
    COL_VERDICT,
    VesselFilterProxy,
    VesselTableModel,
)

T0 = datetime(2026, 7, 3, 6, 20, tzinfo=UTC)


def _call(mmsi: int, end: datetime, zone: str, locode: str) -> Reason:
    event = Event(EventKind.PORT_CALL, mmsi, end - timedelta(hours=5), end, zone, locode, "KP",
                  38.7, 125.4)
    return Reason(event, True, True, end + timedelta(days=180), f"Called at {zone} ({locode}).")


def _flag(mmsi: int) -> Reason:
    event = Event(EventKind.KP_FLAG, mmsi, T0, T0, country="KP")
    return Reason(event, True, False, None, "Flag of North Korea (MMSI MID 445).")


def vessels() -> list[VesselVerdict]:
    nampo = _call(351000001, T0, "Nampo", "KPNAM")
    chongjin = _call(636000002, T0 + timedelta(days=20), "Chongjin", "KPCHO")
    return [
        VesselVerdict(351000001, Verdict.BARRED, nampo.barred_until, (nampo,), 9000001, "EAST STAR",
                      "ABC1", "PA"),
        VesselVerdict(636000002, Verdict.BARRED, chongjin.barred_until, (chongjin,), None,
                      "ASIA GLORY", None, "LR"),
        VesselVerdict(445000003, Verdict.REVIEW, None, (_flag(445000003),), 9000003, None, None,
                      "KP"),
        VesselVerdict(244000004, Verdict.CLEAR, None, (), 9123456, "ZEELAND", None, "NL"),
    ]


def _column(proxy: VesselFilterProxy, col: int) -> list[str]:
    return [proxy.index(r, col).data() for r in range(proxy.rowCount())]


def _model_and_proxy() -> tuple[VesselTableModel, VesselFilterProxy]:
    model = VesselTableModel()
    model.set_verdicts(vessels())
    proxy = VesselFilterProxy()
    proxy.setSourceModel(model)
    return model, proxy


def test_model_has_one_row_per_vessel_with_every_column(qapp):
    model, _ = _model_and_proxy()
    assert model.rowCount() == 4
    assert model.columnCount() == 11
    row = [model.index(0, c).data() for c in range(11)]
    assert row == ["351000001", "EAST STAR", "9000001", "PA", "barred", "", "2026-12-30 06:20",
                   "2026-07-03 06:20 Nampo", "1", "", "port call: Nampo"]
    assert model.index(3, COL_BARRED).data() == ""
    assert model.index(2, COL_LAST_KP).data() == ""
    assert model.index(2, COL_REASON).data() == "kp flag"
    tooltip = model.index(0, COL_REASON).data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip == "Called at Nampo (KPNAM)."
    assert model.counts() == {Verdict.BARRED: 2, Verdict.REVIEW: 1, Verdict.CLEAR: 1}
    assert model.row_of(244000004) == 3


def _gap(mmsi: int, start: datetime, heard: int | None, in_window: bool = True) -> Reason:
    details = {"gap_h": 24.0, "reachable": [], "before": {"lat": 37.0, "lon": 125.0},
               "after": {"lat": 36.5, "lon": 125.0}}
    if heard is not None:
        details |= {"others_heard_near": heard, "others_heard_near_start": heard,
                    "others_heard_near_end": 0}
    event = Event(EventKind.AIS_GAP, mmsi, start, start + timedelta(hours=24), "Nampo", "KPNAM",
                  "KP", 37.0, 125.0, details=details)
    return Reason(event, in_window, False, None, f"No AIS ({heard} heard).")


def test_heard_nearby_shows_the_gap_with_most_ships_heard_and_sorts_review_vessels_by_it(qapp):
    review = [
        VesselVerdict(352000001, Verdict.REVIEW, None,
                      (_gap(352000001, T0, 1), _gap(352000001, T0 - timedelta(days=9), 4))),
        VesselVerdict(352000002, Verdict.REVIEW, None, (_gap(352000002, T0, 0),)),
        # 9 ships heard, but in a gap outside the window: history, not this verdict's evidence
        VesselVerdict(352000003, Verdict.REVIEW, None,
                      (_gap(352000003, T0, 2), _gap(352000003, T0 - timedelta(days=300), 9,
                                                    in_window=False))),
        VesselVerdict(352000004, Verdict.REVIEW, None, (_flag(352000004),)),
    ]
    model = VesselTableModel()
    model.set_verdicts(review)
    proxy = VesselFilterProxy()
    proxy.setSourceModel(model)
    assert _column(proxy, COL_HEARD) == ["4 ships", "0 ships", "2 ships", ""]
    assert model.index(0, COL_HEARD).data(Qt.ItemDataRole.ToolTipRole) == "No AIS (4 heard)."
    proxy.sort(COL_HEARD, Qt.SortOrder.AscendingOrder)
    assert _column(proxy, COL_MMSI) == ["352000002", "352000003", "352000001", "352000004"]
    proxy.sort(COL_HEARD, Qt.SortOrder.DescendingOrder)
    # (descending puts the vessels without a gap first, as every column here does)
    assert _column(proxy, COL_MMSI) == ["352000004", "352000001", "352000003", "352000002"]


def test_sort_by_mmsi_is_numeric(qapp):
    _, proxy = _model_and_proxy()
    proxy.sort(COL_MMSI, Qt.SortOrder.AscendingOrder)
    assert _column(proxy, COL_MMSI) == ["244000004", "351000001", "445000003", "636000002"]
    proxy.sort(COL_MMSI, Qt.SortOrder.DescendingOrder)
    assert _column(proxy, COL_MMSI) == ["636000002", "445000003", "351000001", "244000004"]


def test_sort_by_barred_until_puts_vessels_without_a_bar_last(qapp):
    _, proxy = _model_and_proxy()
    proxy.sort(COL_BARRED, Qt.SortOrder.AscendingOrder)
    assert _column(proxy, COL_MMSI)[:2] == ["351000001", "636000002"]
    assert _column(proxy, COL_BARRED)[2:] == ["", ""]


def test_sort_by_verdict_orders_barred_review_clear(qapp):
    _, proxy = _model_and_proxy()
    proxy.sort(COL_VERDICT, Qt.SortOrder.DescendingOrder)
    assert _column(proxy, COL_VERDICT) == ["clear", "review", "barred", "barred"]


def test_sort_by_name_imo_and_events(qapp):
    _, proxy = _model_and_proxy()
    proxy.sort(COL_NAME, Qt.SortOrder.AscendingOrder)
    assert _column(proxy, COL_NAME) == ["ASIA GLORY", "EAST STAR", "ZEELAND", ""]
    proxy.sort(COL_IMO, Qt.SortOrder.AscendingOrder)
    assert _column(proxy, COL_IMO) == ["9000001", "9000003", "9123456", ""]
    proxy.sort(COL_EVENTS, Qt.SortOrder.AscendingOrder)
    assert _column(proxy, COL_EVENTS) == ["0", "1", "1", "1"]


def test_search_matches_mmsi_imo_and_name_case_insensitively(qapp):
    _, proxy = _model_and_proxy()
    proxy.set_search("glory")
    assert _column(proxy, COL_MMSI) == ["636000002"]
    proxy.set_search("9123456")
    assert _column(proxy, COL_MMSI) == ["244000004"]
    proxy.set_search("4450")
    assert _column(proxy, COL_MMSI) == ["445000003"]
    proxy.set_search("  ")
    assert proxy.rowCount() == 4
    proxy.set_search("no such vessel")
    assert proxy.rowCount() == 0


def test_verdict_filter_and_search_combine(qapp):
    _, proxy = _model_and_proxy()
    proxy.set_verdicts({Verdict.BARRED})
    assert _column(proxy, COL_MMSI) == ["351000001", "636000002"]
    proxy.set_search("star")
    assert _column(proxy, COL_MMSI) == ["351000001"]
    proxy.set_verdicts({Verdict.REVIEW, Verdict.CLEAR})
    assert proxy.rowCount() == 0
    proxy.set_search("")
    assert _column(proxy, COL_MMSI) == ["445000003", "244000004"]


def test_new_verdicts_reset_the_rows(qapp):
    model, proxy = _model_and_proxy()
    model.set_verdicts(vessels()[2:])
    assert proxy.rowCount() == 2
    assert model.row_of(351000001) is None


def test_clear_vessel_with_only_no_effect_events_says_so_in_the_reason_column() -> None:
    event = Event(EventKind.STS_TRANSFER, 244000005, T0, T0 + timedelta(hours=4),
                  with_mmsi=244000004)
    sts = Reason(event, True, False, None, "Ship-to-ship transfer ...", informational=True)
    model = VesselTableModel()
    model.set_verdicts([VesselVerdict(244000005, Verdict.CLEAR, None, (sts,)), vessels()[3]])
    texts = [model.index(r, COL_REASON).data() for r in range(2)]
    assert texts == ["no exposure: 1 event without effect on the verdict", "nothing found"]


def _review(mmsi: int, decision: str, verdict_then: Verdict):
    from desktop.core.review import Review

    return Review(mmsi=mmsi, decision=decision, note="seen", reviewer="ana",
                  decided_at=T0 + timedelta(days=150), verdict_at_review=verdict_then,
                  as_of=T0 + timedelta(days=150))


def test_review_has_its_own_column_and_leaves_the_verdict_text_whole(qapp):
    model, _ = _model_and_proxy()
    model.set_reviews({351000001: _review(351000001, "confirmed", Verdict.BARRED)})
    assert model.index(0, COL_VERDICT).data() == "barred"
    assert model.index(0, COL_VERDICT).data(Qt.ItemDataRole.DecorationRole) is None
    assert model.index(0, COL_REVIEW).data() == "confirmed"
    icon = model.index(0, COL_REVIEW).data(Qt.ItemDataRole.DecorationRole)
    assert icon is not None and not icon.isNull()
    assert model.index(0, COL_REVIEW).data(Qt.ItemDataRole.ToolTipRole) == (
        "Confirmed by ana on 2026-11-30 06:20 UTC (verdict then: barred): seen")


def test_review_made_on_another_verdict_shows_no_tick_but_verdict_changed(qapp):
    model, _ = _model_and_proxy()
    # Dismissed when it was under review; the vessel is barred now.
    model.set_reviews({636000002: _review(636000002, "dismissed", Verdict.REVIEW)})
    assert model.index(1, COL_REVIEW).data() == "verdict changed"
    assert model.index(1, COL_REVIEW).data(Qt.ItemDataRole.DecorationRole) is None
    assert model.index(1, COL_REVIEW).data(Qt.ItemDataRole.ToolTipRole) == (
        "Dismissed by ana on 2026-11-30 06:20 UTC (verdict then: review): seen. "
        "The verdict is now barred: review it again.")
