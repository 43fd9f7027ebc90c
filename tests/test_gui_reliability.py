"""The app under issue #12: two windows on one review folder lose no review, and a file that
gave no fix is named in the status bar."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from test_gui_support import BARRED, CLEAR, REVIEW, make_window, wait_idle

from desktop.core.ingest import ingest as real_ingest
from desktop.core.review import ReviewStore

DECIDED = datetime(2026, 11, 28, 9, 15, tzinfo=UTC)


def _loaded_window(qtbot, tmp_path, monkeypatch, folder):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    window.review_keeper.folder = folder
    window.review_keeper.clock = lambda: DECIDED
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        window.open_tracks(["hand-made.nmea"])
    wait_idle(qtbot, window)
    return window


def _decide(qtbot, window, mmsi, button_name, note):
    panel = window.details.review
    window.select_vessel(mmsi)
    panel.note.setText(note)
    qtbot.mouseClick(getattr(panel, button_name), Qt.MouseButton.LeftButton)


def test_two_windows_on_one_review_folder_both_saving_lose_no_review(
        qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr("desktop.gui.review_panel.current_user", lambda: "ana")
    folder = tmp_path / "reviews"
    first = _loaded_window(qtbot, tmp_path, monkeypatch, folder)
    second = _loaded_window(qtbot, tmp_path, monkeypatch, folder)
    first.review_keeper.open()
    second.review_keeper.open()  # both stores open before either writes, as two apps would
    _decide(qtbot, first, BARRED, "confirm_button", "first window")
    _decide(qtbot, second, REVIEW, "dismiss_button", "second window")
    _decide(qtbot, first, CLEAR, "dismiss_button", "first window again")
    _decide(qtbot, second, BARRED, "confirm_button", "second window on the same vessel")
    stored = ReviewStore(folder).history()
    assert sorted((r.mmsi, r.decision, r.note) for r in stored) == sorted([
        (BARRED, "confirmed", "first window"),
        (REVIEW, "dismissed", "second window"),
        (CLEAR, "dismissed", "first window again"),
        (BARRED, "confirmed", "second window on the same vessel"),
    ])
    # Each window sees every decision, the latest per vessel, on its next read.
    for window in (first, second):
        latest = {mmsi: r.note for mmsi, r in window.review_keeper.reviews().items()}
        assert latest == {BARRED: "second window on the same vessel",
                          REVIEW: "second window", CLEAR: "first window again"}


def test_status_bar_names_a_file_that_gave_no_fixes(qtbot, tmp_path, monkeypatch):
    good = tmp_path / "good.csv"
    good.write_text("mmsi,time,lat,lon\n412000001,2026-11-01T00:00:00Z,37.5,124.5\n"
                    "412000001,2026-11-01T01:00:00Z,37.5,124.6\n")
    nested = tmp_path / "twice.csv.gz"
    nested.write_bytes(gzip.compress(gzip.compress(good.read_bytes())))
    window, _ = make_window(qtbot, tmp_path, monkeypatch, ingest=real_ingest)
    with qtbot.waitSignal(window.session.loaded, timeout=20_000):
        window.open_tracks([str(good), str(nested)])
    wait_idle(qtbot, window)
    assert len(window.no_fix_warnings) == 1
    assert window.no_fix_warnings[0].startswith(f"{nested}: no fixes read (unknown, ")
    message = window.statusBar().currentMessage()
    assert message.startswith("No fixes read from ") and str(nested) in message
    assert str(good) not in message
