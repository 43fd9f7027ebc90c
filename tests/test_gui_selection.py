"""Issue 13 item 1: only the user's act changes the selected vessel. The search box and the
verdict filter hide rows; they never move the details, the review buttons or Save report to
another vessel, and the details say when the selected vessel is hidden from the list."""

from __future__ import annotations

from PySide6.QtCore import Qt
from test_gui_support import BARRED, CLEAR, REVIEW, make_window, wait_idle

from desktop.core.model import Verdict
from desktop.gui.mercator import to_xy
from desktop.gui.vessel_table import COL_MMSI


def _loaded(qtbot, tmp_path, monkeypatch):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    window.review_keeper.folder = tmp_path / "reviews"
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        window.open_tracks(["hand-made.nmea"])
    wait_idle(qtbot, window)
    return window


def _selected_rows(window):
    return [int(i.siblingAtColumn(COL_MMSI).data())
            for i in window.table.selectionModel().selectedRows()]


def test_search_hiding_the_selected_vessel_keeps_it_selected_and_says_so(
        qtbot, tmp_path, monkeypatch):
    window = _loaded(qtbot, tmp_path, monkeypatch)
    window.select_vessel(BARRED)
    qtbot.keyClicks(window.search, "352")  # only the clear vessel, 352000002, matches
    assert window.proxy.rowCount() == 1
    assert window.selected_mmsi == BARRED
    assert window.details.vessel.mmsi == BARRED
    assert window.map.selected_mmsi == BARRED
    assert window.details.banner.text() == "BARRED until 30 Dec 2026 06:20 UTC"
    assert _selected_rows(window) == []  # the one row listed is not the selected vessel's
    assert window.details.hidden_note.isVisibleTo(window)
    assert window.details.hidden_note.text() == (
        f"MMSI {BARRED} is not in the list (the search \u201c352\u201d hides it). It stays "
        "selected: the details, Confirm, Dismiss and Save report apply to it.")
    assert window.details.review.confirm_button.text() == f"Confirm {BARRED}"
    assert window.exports.act_report.text() == f"Save report of {BARRED}…"
    window.search.clear()
    assert _selected_rows(window) == [BARRED]
    assert not window.details.hidden_note.isVisibleTo(window)


def test_search_that_still_lists_the_selected_vessel_keeps_its_row_selected(
        qtbot, tmp_path, monkeypatch):
    window = _loaded(qtbot, tmp_path, monkeypatch)
    window.select_vessel(CLEAR)
    qtbot.keyClicks(window.search, "35")  # 351000001 and 352000002
    assert window.proxy.rowCount() == 2
    assert window.selected_mmsi == CLEAR
    assert _selected_rows(window) == [CLEAR]
    assert not window.details.hidden_note.isVisibleTo(window)


def test_search_matching_nothing_keeps_the_selection(qtbot, tmp_path, monkeypatch):
    window = _loaded(qtbot, tmp_path, monkeypatch)
    window.select_vessel(REVIEW)
    qtbot.keyClicks(window.search, "no such ship")
    assert window.proxy.rowCount() == 0
    assert window.selected_mmsi == REVIEW
    assert window.details.vessel.mmsi == REVIEW
    assert "the search \u201cno such ship\u201d hides it" in window.details.hidden_note.text()


def test_unticking_the_selected_vessels_verdict_keeps_it_selected(qtbot, tmp_path, monkeypatch):
    window = _loaded(qtbot, tmp_path, monkeypatch)
    window.select_vessel(BARRED)
    window.verdict_boxes[Verdict.BARRED].setChecked(False)
    assert window.proxy.rowCount() == 2
    assert window.selected_mmsi == BARRED
    assert window.details.vessel.mmsi == BARRED
    assert _selected_rows(window) == []
    assert "the unticked verdict \u201cbarred\u201d hides it" in window.details.hidden_note.text()


def test_clicking_the_track_of_a_hidden_vessel_selects_it_and_keeps_the_search(
        qtbot, tmp_path, monkeypatch):
    window = _loaded(qtbot, tmp_path, monkeypatch)
    qtbot.keyClicks(window.search, "351")
    x, y = to_xy([123.0], [35.5])  # the middle of the clear vessel's straight track
    point = window.map.world_to_screen(float(x[0]), float(y[0])).toPoint()
    qtbot.mouseClick(window.map, Qt.MouseButton.LeftButton, pos=point)
    assert window.selected_mmsi == CLEAR
    assert window.search.text() == "351"  # the user's filter is theirs: not cleared
    assert window.details.vessel.mmsi == CLEAR
    assert window.details.hidden_note.isVisibleTo(window)
