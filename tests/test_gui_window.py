"""The main window on hand-made tracks: selection both ways, as-of, cancel, bad input dialogs."""

from __future__ import annotations

import threading
from datetime import date

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from test_gui_support import (
    BARRED,
    BARRED_UNTIL,
    CLEAR,
    REVIEW,
    CountingIngest,
    make_window,
    wait_idle,
)

from desktop.core.model import Verdict
from desktop.gui.mercator import to_xy
from desktop.gui.vessel_table import COL_MMSI, COL_VERDICT


def _load(qtbot, window, paths=("hand-made.nmea",)):
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        window.open_tracks(list(paths))
    wait_idle(qtbot, window)


def _verdicts(window):
    return {v.mmsi: v.verdict for v in window.session.current.result.verdicts}


def test_load_fills_table_map_and_counts(qtbot, tmp_path, monkeypatch):
    window, ingest = make_window(qtbot, tmp_path, monkeypatch)
    _load(qtbot, window)
    assert ingest.calls == [["hand-made.nmea"]]
    assert window.model.rowCount() == 3
    mmsis = [int(window.model.index(r, COL_MMSI).data()) for r in range(3)]
    assert mmsis == [BARRED, REVIEW, CLEAR]  # the core's order: barred, review, clear
    assert [window.model.index(r, COL_VERDICT).data() for r in range(3)] == [
        "barred", "review", "clear"]
    assert "1 barred" in window.counts_label.text()
    assert "1 review" in window.counts_label.text()
    assert "1 clear" in window.counts_label.text()
    assert window.map.tracks is not None and window.map.tracks.fix_count == 70 + 60 + 60


def test_selecting_a_row_selects_the_track_and_fills_the_details(qtbot, tmp_path, monkeypatch):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    _load(qtbot, window)
    index = window.proxy.index(0, 0)
    flags = QItemSelectionModel.SelectionFlag
    window.table.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
    assert window.map.selected_mmsi == BARRED
    assert window.details.vessel.mmsi == BARRED
    assert window.details.banner.text() == "BARRED until 30 Dec 2026 06:20 UTC"
    assert BARRED_UNTIL.strftime("%d %b %Y %H:%M") in window.details.banner.text()
    text = window.details.explanation.toPlainText()
    assert "Called at Nampo (KPNAM)" in text
    assert "may not call at a US port before 30 Dec 2026 06:20 UTC" in text
    assert window.details.timeline.rowCount() == 1
    assert [window.details.timeline.item(0, c).text() for c in range(6)] == [
        "2026-07-03 01:50", "2026-07-03 06:20", "port call", "yes", "yes", "Nampo (KPNAM)"]


def test_clicking_a_track_selects_its_row(qtbot, tmp_path, monkeypatch):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    _load(qtbot, window)
    # A point on the clear vessel's straight track (122.0, 35.0) -> (124.0, 36.0): its midpoint.
    x, y = to_xy([123.0], [35.5])
    point = window.map.world_to_screen(float(x[0]), float(y[0])).toPoint()
    qtbot.mouseClick(window.map, Qt.MouseButton.LeftButton, pos=point)
    assert window.selected_mmsi == CLEAR
    current = window.table.selectionModel().currentIndex()
    assert int(current.siblingAtColumn(COL_MMSI).data()) == CLEAR
    assert window.details.banner.text().startswith("CLEAR")
    # A click on empty sea far from every track keeps the selection.
    qtbot.mouseClick(window.map, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    assert window.selected_mmsi == CLEAR


def test_as_of_after_barred_until_clears_the_vessel_without_reingest(qtbot, tmp_path, monkeypatch):
    window, ingest = make_window(qtbot, tmp_path, monkeypatch)
    _load(qtbot, window)
    window.select_vessel(BARRED)
    assert _verdicts(window)[BARRED] == Verdict.BARRED
    # 2026-12-31 00:00 UTC is after the bar ends (2026-12-30 06:20): the call is history.
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        window.set_as_of_date(date(2026, 12, 31))
    wait_idle(qtbot, window)
    assert _verdicts(window)[BARRED] == Verdict.CLEAR
    assert window.details.banner.text().startswith("CLEAR")
    assert window.map._verdict_of[BARRED] == Verdict.CLEAR
    # 2026-12-30 00:00 UTC is still before the bar ends.
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        window.set_as_of_date(date(2026, 12, 30))
    wait_idle(qtbot, window)
    assert _verdicts(window)[BARRED] == Verdict.BARRED
    assert len(ingest.calls) == 1


def test_cancel_stops_a_long_load_and_keeps_the_previous_data(qtbot, tmp_path, monkeypatch):
    gate = threading.Event()
    gate.set()
    ingest = CountingIngest(gate)
    window, _ = make_window(qtbot, tmp_path, monkeypatch, ingest)
    _load(qtbot, window, ["first.nmea"])
    before = window.session.current
    gate.clear()  # the next load runs until cancelled
    window.open_tracks(["second.nmea"])
    qtbot.waitUntil(lambda: len(ingest.calls) == 2, timeout=5_000)
    assert window.cancel_button.isVisible()
    qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert window.session.current is before
    assert window.session.current.paths == ["first.nmea"]
    assert window.model.rowCount() == 3
    assert not window.cancel_button.isVisible()
    assert window.notifier.messages == []
    assert window.statusBar().currentMessage() == "Cancelled; the data on screen is unchanged"


def test_as_of_changed_during_a_load_is_applied_when_the_load_ends(qtbot, tmp_path, monkeypatch):
    gate = threading.Event()
    ingest = CountingIngest(gate)
    window, _ = make_window(qtbot, tmp_path, monkeypatch, ingest)
    window.open_tracks(["hand-made.nmea"])
    qtbot.waitUntil(lambda: len(ingest.calls) == 1, timeout=5_000)
    window.set_as_of_date(date(2026, 12, 31))  # while reading: the load is not cancelled
    assert window.session.busy
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        gate.set()
    wait_idle(qtbot, window)
    result = window.session.current.result
    assert result.as_of.isoformat() == "2026-12-31T00:00:00+00:00"
    assert _verdicts(window)[BARRED] == Verdict.CLEAR  # its bar ended 2026-12-30 06:20
    assert len(ingest.calls) == 1
