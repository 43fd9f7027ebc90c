"""Parameters dialog, timeline double-click, time filter, settings and the excepthook."""

from __future__ import annotations

import sys
from dataclasses import fields
from datetime import date

import numpy as np
from PySide6.QtCore import QSettings, Qt
from test_gui_support import BARRED, CLEAR, make_window, wait_idle

from desktop.core.model import Verdict
from desktop.core.params import ScreeningParams
from desktop.gui.app import install_excepthook
from desktop.gui.main_window import MainWindow
from desktop.gui.mercator import to_lonlat
from desktop.gui.notifier import RecordingNotifier
from desktop.gui.params_dialog import ParamsDialog, unit_of


def type_date(qtbot, field, text):
    """Select all in a date field, type ``text``, press Enter: what a user does."""
    field.edit.setFocus()
    field.edit.selectAll()
    qtbot.keyClicks(field.edit, text)
    qtbot.keyClick(field.edit, Qt.Key.Key_Return)


def _load(qtbot, window):
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        window.open_tracks(["hand-made.nmea"])
    wait_idle(qtbot, window)


def test_params_dialog_has_every_parameter_with_its_unit(qtbot):
    dialog = ParamsDialog(ScreeningParams(window_days=90.0))
    qtbot.addWidget(dialog)
    assert list(dialog.spins) == [f.name for f in fields(ScreeningParams)]
    assert dialog.spins["window_days"].value() == 90.0
    assert dialog.spins["window_days"].suffix() == " days"
    assert dialog.spins["sts_max_distance_m"].suffix() == " m"
    assert dialog.spins["sts_min_port_distance_km"].suffix() == " km"
    assert dialog.spins["sts_grid_min"].suffix() == " min"
    assert dialog.spins["gap_speed_kn"].suffix() == " kn"
    assert dialog.spins["gap_min_h"].suffix() == " h"
    assert all(unit_of(name) for name in dialog.spins)  # every parameter has a unit
    assert dialog.spins["gap_min_h"].toolTip() == (
        ScreeningParams.describe()["gap_min_h"] + " (gap_min_h)")
    dialog.spins["gap_min_h"].setValue(6.0)
    assert dialog.params() == ScreeningParams(window_days=90.0, gap_min_h=6.0)


def test_params_dialog_shows_human_labels_with_units_and_its_help_whole(qtbot):
    dialog = ParamsDialog(ScreeningParams())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.labels["window_days"].text() == "Look-back window (days)"
    assert dialog.labels["sts_max_distance_m"].text() == "Ship-to-ship: largest distance (metres)"
    assert dialog.labels["gap_min_h"].text() == "AIS gap: shortest (hours)"
    assert dialog.labels["sts_grid_min"].text() == "Ship-to-ship: time grid step (minutes)"
    assert dialog.labels["max_speed_kn"].text() == "Implausible jump above (knots)"
    assert not [label.text() for label in dialog.labels.values() if "_" in label.text()]
    docs = ScreeningParams.describe()
    for name, hint in dialog.hints.items():
        assert hint.text() == docs[name]
        assert hint.wordWrap()
        # Tall enough for its wrapped text at the width it was given: nothing cut off.
        assert hint.height() >= hint.heightForWidth(hint.width()), name


def test_shorter_window_rescreens_without_reingest(qtbot, tmp_path, monkeypatch):
    window, ingest = make_window(qtbot, tmp_path, monkeypatch)
    _load(qtbot, window)
    assert {v.mmsi: v.verdict for v in window.session.current.result.verdicts}[BARRED] == (
        Verdict.BARRED)
    # The call ended 2026-07-03 06:20; as of 2026-11-28 a 100-day window no longer reaches it.
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        window.session.set_params(ScreeningParams(window_days=100.0))
    wait_idle(qtbot, window)
    result = window.session.current.result
    assert result.params.window_days == 100.0
    assert {v.mmsi: v.verdict for v in result.verdicts}[BARRED] == Verdict.CLEAR
    assert "window 100 days" in window.as_of_label.text()
    assert len(ingest.calls) == 1


def test_legend_and_details_name_the_window_in_use(qtbot, tmp_path, monkeypatch):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    _load(qtbot, window)
    window.select_vessel(BARRED)
    assert window.map.legend_rows()[0][1] == "barred (180-day window)"
    # As of 2026-09-01 a 90-day window still reaches the call that ended 2026-07-03.
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        window.session.set_params(ScreeningParams(window_days=90.0))
    wait_idle(qtbot, window)
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        window.set_as_of_date(date(2026, 9, 1))
    wait_idle(qtbot, window)
    assert window.details.vessel.verdict == Verdict.BARRED
    assert window.map.legend_rows()[0][1] == "barred (90-day window)"
    text = window.details.explanation.toPlainText()
    assert "(EO 13810, 90-day window)" in text
    assert "180" not in text


def test_double_click_on_an_event_centres_the_map_on_it(qtbot, tmp_path, monkeypatch):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    _load(qtbot, window)
    window.select_vessel(BARRED)
    window.details.timeline.cellDoubleClicked.emit(0, 0)
    lon, lat = to_lonlat(*window.map.center_m)
    event = window.details.vessel.reasons[0].event
    assert abs(lon - event.lon) < 1e-6 and abs(lat - event.lat) < 1e-6
    assert window.map.m_per_px <= 150.0


def test_time_filter_limits_the_tracks_to_the_dates(qtbot, tmp_path, monkeypatch):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    _load(qtbot, window)
    # The data run from 2026-07-02 (barred vessel) to 2026-10-01 (review vessel).
    assert window.time_from.value() == date(2026, 7, 2)
    assert window.time_to.value() == date(2026, 10, 1)
    assert window.map.t_range_ns is None
    window.time_filter.setChecked(True)
    type_date(qtbot, window.time_from, "2026-09-01")
    type_date(qtbot, window.time_to, "2026-09-01")
    lo, hi = window.map.t_range_ns
    assert lo == 1_788_220_800 * 10**9  # 2026-09-01 00:00 UTC
    assert hi == lo + 86_400 * 10**9
    # Only the clear vessel sailed on 2026-09-01: a click on the barred track finds nothing.
    tracks = window.map.tracks
    shown = [int(m) for m in tracks.mmsi
             if tracks.polylines(window.map.view_box(), np.array([tracks.row_of[int(m)]]),
                                 window.map.t_range_ns)]
    assert shown == [CLEAR]
    window.time_filter.setChecked(False)
    assert window.map.t_range_ns is None


def test_settings_remember_recent_files_last_dir_and_geometry(qtbot, tmp_path, monkeypatch):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    track = tmp_path / "tracks" / "a.nmea"
    track.parent.mkdir()
    track.write_text("")
    window._remember([str(track)])
    window._remember(["hand-made.nmea"])
    window.resize(640, 480)  # the offscreen screen is 800x600
    window.save_settings()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    again = MainWindow(settings=settings, notifier=RecordingNotifier())
    qtbot.addWidget(again)
    assert again._recent() == ["hand-made.nmea", str(track)]
    assert [a.text() for a in again.recent_menu.actions()] == ["hand-made.nmea", str(track)]
    assert again._last_dir() == "."  # the folder of the last file opened
    assert (again.width(), again.height()) == (640, 480)


def test_excepthook_shows_the_error_instead_of_dying(qtbot, monkeypatch):
    notifier = RecordingNotifier()
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    install_excepthook(notifier)
    try:
        raise ValueError("boom")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    assert len(notifier.messages) == 1
    title, text, details = notifier.messages[0]
    assert (title, text) == ("Unexpected error", "ValueError: boom")
    assert "Traceback" in details and 'raise ValueError("boom")' in details


def test_user_zone_on_the_clear_route_makes_it_review_without_reingest(
        qtbot, tmp_path, monkeypatch):
    import json

    window, ingest = make_window(qtbot, tmp_path, monkeypatch)
    window.session.zones = None  # the bundled defaults, plus the user's file below
    _load(qtbot, window)
    assert {v.mmsi: v.verdict for v in window.session.current.result.verdicts}[CLEAR] == (
        Verdict.CLEAR)
    # A made-up KP port astride the clear vessel's straight course (122.0,35.0)->(124.0,36.0).
    user = tmp_path / "extra.geojson"
    user.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {"name": "Test Port", "kind": "port", "country": "KP", "locode": None},
        "geometry": {"type": "Polygon", "coordinates": [[[122.9, 35.4], [123.1, 35.4],
                                                         [123.1, 35.6], [122.9, 35.6],
                                                         [122.9, 35.4]]]}}]}))
    with qtbot.waitSignal(window.session.zones_changed, timeout=10_000):
        window.open_zones([str(user)])
    wait_idle(qtbot, window)
    assert window.notifier.messages == []
    assert window.session.zone_paths == [str(user)]
    vessel = {v.mmsi: v for v in window.session.current.result.verdicts}[CLEAR]
    assert vessel.verdict == Verdict.REVIEW
    assert [str(r.event.kind) for r in vessel.reasons] == ["port_entry"]
    assert vessel.reasons[0].event.zone == "Test Port"
    assert "Test Port" in [name for _, name, *_ in window.map._zone_paths]
    assert len(ingest.calls) == 1


def test_dropping_files_opens_tracks_and_zones(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    opened: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(window, "open_tracks", lambda p: opened.append(("tracks", list(p))))
    monkeypatch.setattr(window, "open_zones", lambda p: opened.append(("zones", list(p))))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile("/data/a.nmea"), QUrl.fromLocalFile("/data/b.csv"),
                  QUrl.fromLocalFile("/data/mine.geojson")])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert opened == [("zones", ["/data/mine.geojson"]), ("tracks", ["/data/a.nmea",
                                                                     "/data/b.csv"])]


def test_marker_tooltip_names_the_event(qtbot, tmp_path, monkeypatch):
    from desktop.gui.map_view import event_tooltip

    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    _load(qtbot, window)
    call = window.session.current.result.verdicts[0].reasons[0].event
    assert event_tooltip(call) == (
        "<b>port call</b> · MMSI 351000001<br>Nampo (KPNAM)<br>"
        "2026-07-03T01:50:00Z → 2026-07-03T06:20:00Z")
    point = window.map.world_to_screen(*window.map._event_xy[0])
    assert window.map.event_at(point) == call


def test_screenshot_mode_saves_the_window_and_returns_0(qtbot, tmp_path):
    from PySide6.QtGui import QImage
    from test_gui_support import fixes

    from desktop.gui.app import SCREENSHOT_SIZE, run_app

    tracks = tmp_path / "hand-made.csv"
    fixes().to_csv(tracks, index=False)
    png = tmp_path / "shot.png"
    assert run_app([str(tracks)], screenshot=str(png)) == 0
    image = QImage(str(png))
    assert (image.width(), image.height()) == SCREENSHOT_SIZE


def test_screenshot_mode_returns_2_when_nothing_loads(qtbot, tmp_path, capsys):
    from desktop.gui.app import run_app

    broken = tmp_path / "broken.nmea"
    broken.write_text("garbage\n")
    assert run_app([str(broken)], screenshot=str(tmp_path / "shot.png")) == 2
    err = capsys.readouterr().err
    assert f"{broken}: no position report could be read" in err
    assert not (tmp_path / "shot.png").exists()


def test_map_toolbar_takes_a_second_row_when_both_do_not_fit(qtbot, tmp_path, monkeypatch):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    both = window.screening_bar.sizeHint().width() + window.map_bar.sizeHint().width()
    window.resize(both + 200, 700)
    assert not window.toolBarBreak(window.map_bar)
    window.resize(both - 100, 700)
    assert window.toolBarBreak(window.map_bar)
    # Each row fits on its own: no tool hides behind the toolbar's extension button.
    assert window.screening_bar.sizeHint().width() <= window.width()
    window.resize(both + 200, 700)
    assert not window.toolBarBreak(window.map_bar)
