"""Confirm / Dismiss with a note in the details panel: stored, shown again on reselection,
marked in the vessel table, kept on disk; a corrupt review file is named and left alone."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from test_gui_support import AS_OF, BARRED, CLEAR, REVIEW, make_window, wait_idle

from desktop.core.review import ReviewStore
from desktop.gui.vessel_table import COL_REVIEW, COL_VERDICT

DECIDED = datetime(2026, 11, 28, 9, 15, tzinfo=UTC)


def _window(qtbot, tmp_path, monkeypatch):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    keeper = window.review_keeper
    keeper.folder = tmp_path / "reviews"
    keeper.clock = lambda: DECIDED
    monkeypatch.setattr("desktop.gui.review_panel.current_user", lambda: "ana")
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        window.open_tracks(["hand-made.nmea"])
    wait_idle(qtbot, window)
    return window


def _marker(window, mmsi):
    row = window.model.row_of(mmsi)
    index = window.model.index(row, COL_REVIEW)
    return index.data(Qt.ItemDataRole.DecorationRole), index.data(Qt.ItemDataRole.ToolTipRole)


def test_confirm_with_a_note_is_back_when_the_vessel_is_selected_again(
        qtbot, tmp_path, monkeypatch):
    window = _window(qtbot, tmp_path, monkeypatch)
    panel = window.details.review
    window.select_vessel(BARRED)
    assert panel.status.text() == "Not reviewed yet."
    assert not panel.clear_button.isEnabled()
    qtbot.keyClicks(panel.note, "Seen moored at Nampo <3 h>")
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    expected = ("Confirmed by ana on 2026-11-28 09:15 UTC (verdict then: barred): "
                "Seen moored at Nampo <3 h>")
    assert panel.status.text() == expected
    window.select_vessel(CLEAR)
    assert panel.note.text() == ""
    assert panel.status.text() == "Not reviewed yet."
    window.select_vessel(BARRED)
    assert panel.note.text() == "Seen moored at Nampo <3 h>"
    assert panel.status.text() == expected
    icon, tip = _marker(window, BARRED)
    assert icon is not None and not icon.isNull()
    assert tip == expected
    assert _marker(window, CLEAR) == (None, None)
    stored = ReviewStore(tmp_path / "reviews").history()
    assert [r.to_json() for r in stored] == [{
        "mmsi": BARRED, "decision": "confirmed", "note": "Seen moored at Nampo <3 h>",
        "reviewer": "ana", "decided_at": "2026-11-28T09:15:00Z", "verdict_at_review": "barred",
        "as_of": "2026-11-28T00:00:00Z",
    }]
    assert stored[0].inputs == ("hand-made.nmea",)


def test_dismiss_then_clear(qtbot, tmp_path, monkeypatch):
    window = _window(qtbot, tmp_path, monkeypatch)
    panel = window.details.review
    window.select_vessel(REVIEW)
    panel.note.setText("Fishing boat, flag is all it has")
    qtbot.mouseClick(panel.dismiss_button, Qt.MouseButton.LeftButton)
    assert window.review_keeper.reviews()[REVIEW].decision == "dismissed"
    assert panel.clear_button.isEnabled()
    qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
    assert window.review_keeper.reviews() == {}
    assert panel.note.text() == ""
    assert _marker(window, REVIEW) == (None, None)


def test_reviews_of_an_earlier_session_mark_the_table_on_load(qtbot, tmp_path, monkeypatch):
    from desktop.core.model import Verdict
    from desktop.core.review import Review

    ReviewStore(tmp_path / "reviews").put(Review(
        mmsi=CLEAR, decision="dismissed", note="", reviewer="bo", decided_at=DECIDED,
        verdict_at_review=Verdict.REVIEW, as_of=AS_OF))
    window = _window(qtbot, tmp_path, monkeypatch)
    icon, tip = _marker(window, CLEAR)
    # Dismissed when it was under review; it is clear now: no cross, "verdict changed".
    assert icon is None
    assert tip == ("Dismissed by bo on 2026-11-28 09:15 UTC (verdict then: review). "
                   "The verdict is now clear: review it again.")
    assert window.model.index(window.model.row_of(CLEAR), COL_REVIEW).data() == "verdict changed"
    window.select_vessel(CLEAR)
    assert window.details.review.status.text() == (
        "Dismissed by bo on 2026-11-28 09:15 UTC (verdict then: review). The verdict is now clear.")


def test_damaged_reviews_json_is_named_once_left_alone_and_reviews_still_work(
        qtbot, tmp_path, monkeypatch):
    folder = tmp_path / "reviews"
    folder.mkdir()
    (folder / "reviews.json").write_text("{not json")
    window = _window(qtbot, tmp_path, monkeypatch)
    window.select_vessel(BARRED)
    window.select_vessel(REVIEW)
    assert len(window.notifier.messages) == 1
    title, text, _ = window.notifier.messages[0]
    assert title == "Older reviews not imported"
    assert text.startswith(f"{folder / 'reviews.json'}: the review file is not valid JSON")
    assert text.endswith("it was not imported")
    panel = window.details.review
    assert panel.confirm_button.isEnabled() and panel.dismiss_button.isEnabled()
    assert (folder / "reviews.json").read_text() == "{not json"


def test_unusable_review_database_is_named_once_and_not_overwritten(qtbot, tmp_path, monkeypatch):
    folder = tmp_path / "reviews"
    folder.mkdir()
    (folder / "reviews.sqlite").write_bytes(b"{not a database}" * 64)
    window = _window(qtbot, tmp_path, monkeypatch)
    window.select_vessel(BARRED)
    window.select_vessel(REVIEW)
    assert len(window.notifier.messages) == 1
    title, text, _ = window.notifier.messages[0]
    assert title == "Reviews not loaded"
    assert text.startswith(f"{folder / 'reviews.sqlite'}: the review database cannot be used")
    panel = window.details.review
    assert not panel.confirm_button.isEnabled() and not panel.dismiss_button.isEnabled()
    assert panel.status.text().startswith("Reviews unavailable: ")
    assert (folder / "reviews.sqlite").read_bytes() == b"{not a database}" * 64


def test_tick_is_cleared_when_a_new_as_of_date_changes_the_verdict(qtbot, tmp_path, monkeypatch):
    from datetime import date

    window = _window(qtbot, tmp_path, monkeypatch)
    window.select_vessel(BARRED)
    qtbot.mouseClick(window.details.review.confirm_button, Qt.MouseButton.LeftButton)
    row = window.model.row_of(BARRED)
    assert window.model.index(row, COL_REVIEW).data() == "confirmed"
    assert window.model.index(row, COL_VERDICT).data() == "barred"
    # 2026-12-31 00:00 UTC is after the bar ends (2026-12-30 06:20): the vessel is clear now.
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        window.set_as_of_date(date(2026, 12, 31))
    wait_idle(qtbot, window)
    icon, tip = _marker(window, BARRED)
    assert icon is None
    row = window.model.row_of(BARRED)  # clear vessels come last in the core's order
    assert window.model.index(row, COL_VERDICT).data() == "clear"
    assert window.model.index(row, COL_REVIEW).data() == "verdict changed"
    assert tip == ("Confirmed by ana on 2026-11-28 09:15 UTC (verdict then: barred). "
                   "The verdict is now clear: review it again.")
    assert window.details.review.status.text() == (
        "Confirmed by ana on 2026-11-28 09:15 UTC (verdict then: barred). The verdict is now "
        "clear.")


def test_review_buttons_name_the_vessel_they_apply_to(qtbot, tmp_path, monkeypatch):
    window = _window(qtbot, tmp_path, monkeypatch)
    panel = window.details.review
    assert (panel.confirm_button.text(), panel.dismiss_button.text()) == ("Confirm", "Dismiss")
    assert not panel.confirm_button.isEnabled()
    window.select_vessel(BARRED)
    assert panel.confirm_button.text() == f"Confirm {BARRED}"
    assert panel.dismiss_button.text() == f"Dismiss {BARRED}"
    assert panel.confirm_button.toolTip() == (
        f"The flag on MMSI {BARRED} stands: record it with the note")  # hand-made: no name
    assert window.exports.act_report.text() == f"Save report of {BARRED}…"
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    assert window.statusBar().currentMessage().startswith(f"MMSI {BARRED} confirmed; saved in ")
