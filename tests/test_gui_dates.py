"""Issue 13 item 2: a typed date is applied whole, once, on Enter or focus loss; a date that is
not valid is refused visibly (red frame, status bar) and the previous one is kept."""

from __future__ import annotations

from datetime import UTC, date, datetime

from PySide6.QtCore import Qt
from test_gui_support import BARRED, make_window, wait_idle

from desktop.core.model import Verdict


def _loaded(qtbot, tmp_path, monkeypatch):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        window.open_tracks(["hand-made.nmea"])
    wait_idle(qtbot, window)
    calls = []
    real = window.session.set_as_of

    def counting(as_of):
        calls.append(as_of)
        real(as_of)

    monkeypatch.setattr(window.session, "set_as_of", counting)
    return window, calls


def _typing_target(field):
    return getattr(field, "edit", field)  # the line edit inside the date field


def _select_all_and_type(qtbot, field, text):
    target = _typing_target(field)
    target.setFocus()
    qtbot.keyClick(target, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(target, text)
    return target


def test_typed_as_of_date_is_applied_whole_once_on_enter(qtbot, tmp_path, monkeypatch):
    window, calls = _loaded(qtbot, tmp_path, monkeypatch)
    target = _select_all_and_type(qtbot, window.as_of_edit, "2027-06-01")
    assert calls == []  # no screening per keystroke
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        qtbot.keyClick(target, Qt.Key.Key_Return)
    wait_idle(qtbot, window)
    assert calls == [datetime(2027, 6, 1, tzinfo=UTC)]
    assert window.session.current.result.as_of == datetime(2027, 6, 1, tzinfo=UTC)
    # 2027-06-01 is long after the bar (until 2026-12-30 06:20 UTC) ended.
    verdicts = {v.mmsi: v.verdict for v in window.session.current.result.verdicts}
    assert verdicts[BARRED] == Verdict.CLEAR
    qtbot.keyClick(target, Qt.Key.Key_Return)  # Enter again on the same date: nothing new
    assert calls == [datetime(2027, 6, 1, tzinfo=UTC)]


def test_typed_as_of_date_is_applied_when_the_field_loses_focus(qtbot, tmp_path, monkeypatch):
    window, calls = _loaded(qtbot, tmp_path, monkeypatch)
    target = _select_all_and_type(qtbot, window.as_of_edit, "2026-12-31")
    assert calls == []
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        target.clearFocus()
    wait_idle(qtbot, window)
    assert calls == [datetime(2026, 12, 31, tzinfo=UTC)]


def test_invalid_date_is_refused_visibly_and_the_previous_one_kept(qtbot, tmp_path, monkeypatch):
    window, calls = _loaded(qtbot, tmp_path, monkeypatch)
    field = window.as_of_edit
    before = field.value()
    target = _select_all_and_type(qtbot, field, "2027-02-30")  # February has no 30th
    qtbot.keyClick(target, Qt.Key.Key_Return)
    assert calls == []
    assert field.value() == before
    assert target.text() == before.isoformat()
    assert field.is_refused()
    assert "border: 2px solid #d62728" in target.styleSheet()
    assert window.statusBar().currentMessage() == (
        f"2027-02-30 is not a date (YYYY-MM-DD, e.g. 2026-06-01): the as-of date stays "
        f"{before.isoformat()}")
    # The next valid date clears the red frame and is applied.
    _select_all_and_type(qtbot, field, "2026-12-31")
    assert not field.is_refused()
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        qtbot.keyClick(target, Qt.Key.Key_Return)
    assert calls == [datetime(2026, 12, 31, tzinfo=UTC)]


def test_escape_drops_the_typed_text(qtbot, tmp_path, monkeypatch):
    window, calls = _loaded(qtbot, tmp_path, monkeypatch)
    field = window.as_of_edit
    before = field.value()
    target = _select_all_and_type(qtbot, field, "2027-0")
    qtbot.keyClick(target, Qt.Key.Key_Escape)
    assert target.text() == before.isoformat()
    qtbot.keyClick(target, Qt.Key.Key_Return)
    assert calls == []


def test_typed_show_fixes_from_date_is_applied_whole(qtbot, tmp_path, monkeypatch):
    window, _ = _loaded(qtbot, tmp_path, monkeypatch)
    window.time_filter.setChecked(True)
    ranges = []
    real = window.map.set_time_range
    monkeypatch.setattr(window.map, "set_time_range",
                        lambda start, end: (ranges.append((start, end)), real(start, end)))
    target = _select_all_and_type(qtbot, window.time_from, "2026-09-01")
    assert ranges == []
    qtbot.keyClick(target, Qt.Key.Key_Return)
    # From 2026-09-01 00:00 UTC to the end of the data's last day (2026-10-01).
    assert ranges == [(datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC))]
    assert window.time_from.value() == date(2026, 9, 1)
    _select_all_and_type(qtbot, window.time_to, "2026-13-01")
    qtbot.keyClick(_typing_target(window.time_to), Qt.Key.Key_Return)
    assert len(ranges) == 1
    assert window.statusBar().currentMessage() == (
        "2026-13-01 is not a date (YYYY-MM-DD, e.g. 2026-06-01): the last day shown stays "
        "2026-10-01")


def test_after_now_enter_on_todays_date_applies_its_midnight(qtbot, tmp_path, monkeypatch):
    window, calls = _loaded(qtbot, tmp_path, monkeypatch)
    window.set_as_of_now()
    assert calls == [None]  # now, to the second
    wait_idle(qtbot, window)
    today = window.as_of_edit.value()  # the date shown by Now
    target = _typing_target(window.as_of_edit)
    target.setFocus()
    qtbot.keyClick(target, Qt.Key.Key_Return)
    assert calls == [None, datetime(today.year, today.month, today.day, tzinfo=UTC)]


def test_as_of_date_beyond_2262_04_11_is_refused_not_screened(qtbot, tmp_path, monkeypatch):
    # The core works in nanoseconds (1678-01-01 .. 2262-04-11): a date past that is refused.
    window, calls = _loaded(qtbot, tmp_path, monkeypatch)
    field = window.as_of_edit
    before = field.value()
    target = _select_all_and_type(qtbot, field, "2300-01-01")
    qtbot.keyClick(target, Qt.Key.Key_Return)
    assert calls == []
    assert field.value() == before and field.is_refused()
    assert window.statusBar().currentMessage() == (
        "2300-01-01 is outside the dates this program can screen (1678-01-01 to 2262-04-11):"
        f" the as-of date stays {before.isoformat()}")
