"""File > Save report and File > Export on the hand-made tracks: the files hold the selected
vessel's explanation, the map, the verdicts and the tracks (the Save dialog is replaced)."""

from __future__ import annotations

import csv
import io
import json

from PySide6.QtCore import Qt
from test_gui_support import BARRED, CLEAR, REVIEW, make_window, wait_idle

from desktop.core.output import OUTSIDE_AIS

CALL_EXPLANATION = (
    "Called at Nampo (KPNAM) from 3 Jul 2026 01:50 UTC to 3 Jul 2026 06:20 UTC; "
    "may not call at a US port before 30 Dec 2026 06:20 UTC."
)
FLAG_EXPLANATION = "Flag of North Korea (MMSI MID 445)."


class FakeSaveDialog:
    """Answers every Save dialog with ``path`` and records what was asked."""

    def __init__(self, path):
        self.path = path
        self.asked = []

    def __call__(self, parent, title, suggested, name_filter):
        self.asked.append((title, suggested, name_filter))
        return "" if self.path is None else str(self.path)


def _window(qtbot, tmp_path, monkeypatch, answer):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    window.review_keeper.folder = tmp_path / "reviews"
    dialog = FakeSaveDialog(answer)
    window.exports.ask_save_path = dialog
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        window.open_tracks(["hand-made.nmea"])
    wait_idle(qtbot, window)
    return window, dialog


def test_save_report_writes_the_selected_vessels_explanation_and_map(
        qtbot, tmp_path, monkeypatch):
    window, dialog = _window(qtbot, tmp_path, monkeypatch, tmp_path / "out" / "nampo")
    (tmp_path / "out").mkdir()
    window.select_vessel(BARRED)
    window.details.review.note.setText("checked <port log>")
    qtbot.mouseClick(window.details.review.confirm_button, Qt.MouseButton.LeftButton)
    view = (window.map.center_m, window.map.m_per_px)
    window.exports.act_report.trigger()
    assert (window.map.center_m, window.map.m_per_px) == view  # fitted for the grab only
    path = tmp_path / "out" / "nampo.html"  # the suffix is added when none is typed
    text = path.read_text(encoding="utf-8")
    assert dialog.asked[0][0] == "Save report"
    assert dialog.asked[0][1].endswith(f"exposure-report-{BARRED}-20261128.html")
    assert "BARRED until 30 Dec 2026 06:20 UTC" in text
    assert CALL_EXPLANATION in text
    assert FLAG_EXPLANATION not in text  # only the selected vessel
    assert "Note: checked &lt;port log&gt;" in text
    assert OUTSIDE_AIS in text
    assert "src='data:image/png;base64,iVBORw0KGgo" in text  # the map grab, as PNG
    assert window.exports.last_written == path
    assert window.notifier.messages == []


def test_save_report_of_the_listed_vessels_follows_the_filters(qtbot, tmp_path, monkeypatch):
    window, _ = _window(qtbot, tmp_path, monkeypatch, tmp_path / "listed.html")
    window.verdict_boxes[window.model.vessel(0).verdict].setChecked(False)  # hide barred
    assert window.exports.listed_mmsis() == [REVIEW, CLEAR]
    window.exports.act_report_listed.trigger()
    text = (tmp_path / "listed.html").read_text(encoding="utf-8")
    assert FLAG_EXPLANATION in text
    assert CALL_EXPLANATION not in text
    assert "2 of 3 vessels in this report: 0 barred, 1 review, 1 clear." in text


def test_save_report_as_pdf(qtbot, tmp_path, monkeypatch):
    window, _ = _window(qtbot, tmp_path, monkeypatch, tmp_path / "report.pdf")
    window.select_vessel(BARRED)
    assert window.exports.save_report() == tmp_path / "report.pdf"
    data = (tmp_path / "report.pdf").read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.count(b"/Subtype /Image") == 1  # the map, decoded from the report's data: URI


def test_save_report_without_a_selection_says_so_and_writes_nothing(qtbot, tmp_path, monkeypatch):
    window, dialog = _window(qtbot, tmp_path, monkeypatch, tmp_path / "none.html")
    window.select_vessel(None)
    window.exports.act_report.trigger()
    assert window.notifier.messages[0][0] == "No vessel selected"
    assert dialog.asked == []
    assert not (tmp_path / "none.html").exists()


def test_cancelled_dialog_writes_nothing(qtbot, tmp_path, monkeypatch):
    window, dialog = _window(qtbot, tmp_path, monkeypatch, None)
    window.select_vessel(BARRED)
    assert window.exports.save_report() is None
    assert len(dialog.asked) == 1
    assert list(tmp_path.glob("*.html")) == []


def test_export_verdicts_csv_and_json(qtbot, tmp_path, monkeypatch):
    window, dialog = _window(qtbot, tmp_path, monkeypatch, tmp_path / "verdicts.csv")
    window.exports.act_csv.trigger()
    rows = list(csv.DictReader(io.StringIO((tmp_path / "verdicts.csv").read_text())))
    assert [(r["mmsi"], r["verdict"], r["barred_until"]) for r in rows] == [
        (str(BARRED), "barred", "2026-12-30T06:20:00Z"), (str(REVIEW), "review", ""),
        (str(CLEAR), "clear", "")]
    assert rows[0]["main_reason"] == CALL_EXPLANATION
    dialog.path = tmp_path / "verdicts.json"
    window.exports.act_json.trigger()
    data = json.loads((tmp_path / "verdicts.json").read_text())
    assert data["schema"] == "exposure-check/1"
    assert data["as_of"] == "2026-11-28T00:00:00Z"
    assert [v["verdict"] for v in data["vessels"]] == ["barred", "review", "clear"]


def test_export_geojson_of_the_listed_vessels(qtbot, tmp_path, monkeypatch):
    window, _ = _window(qtbot, tmp_path, monkeypatch, tmp_path / "tracks.geojson")
    window.search.setText(str(BARRED))
    window.exports.act_geojson.trigger()
    data = json.loads((tmp_path / "tracks.geojson").read_text())
    assert [(f["properties"]["feature"], f["geometry"]["type"]) for f in data["features"]] == [
        ("track", "LineString"), ("event", "Point")]
    assert len(data["features"][0]["geometry"]["coordinates"]) == 70
    assert data["features"][1]["properties"]["explanation"] == CALL_EXPLANATION


def test_export_reviews_csv(qtbot, tmp_path, monkeypatch):
    window, _ = _window(qtbot, tmp_path, monkeypatch, tmp_path / "reviews.csv")
    window.select_vessel(REVIEW)
    window.details.review.note.setText("old flag data")
    qtbot.mouseClick(window.details.review.dismiss_button, Qt.MouseButton.LeftButton)
    window.exports.act_reviews.trigger()
    rows = list(csv.DictReader(io.StringIO((tmp_path / "reviews.csv").read_text())))
    assert [(r["mmsi"], r["decision"], r["note"], r["verdict_now"]) for r in rows] == [
        (str(REVIEW), "dismissed", "old flag data", "review")]


def test_a_write_error_is_reported_naming_the_file(qtbot, tmp_path, monkeypatch):
    target = tmp_path / "missing-folder" / "verdicts.csv"
    window, _ = _window(qtbot, tmp_path, monkeypatch, target)
    assert window.exports.export_csv() is None
    title, text, _ = window.notifier.messages[0]
    assert title == "Could not save"
    assert text.startswith(f"{target}: ")
    assert "No such file or directory" in text


def test_file_menu_holds_the_report_and_export_actions(qtbot, tmp_path, monkeypatch):
    window, _ = _window(qtbot, tmp_path, monkeypatch, None)
    file_menu = window.menuBar().actions()[0].menu()
    titles = [a.text() for a in file_menu.actions()]
    assert "Save report…" in titles and "Save report of" in titles and "Export" in titles
    assert [a.text() for a in window.exports.export_menu.actions()] == [
        "Verdicts CSV…", "Verdicts JSON…", "GeoJSON of the listed vessels (tracks and events)…",
        "Reviews CSV…"]


def test_save_dialog_starts_in_documents_then_in_the_last_folder_saved_to(
        qtbot, tmp_path, monkeypatch):
    documents = tmp_path / "Documents"
    documents.mkdir()
    monkeypatch.setattr("platformdirs.user_documents_dir", lambda: str(documents))
    chosen = tmp_path / "exports" / "verdicts.csv"
    chosen.parent.mkdir()
    window, dialog = _window(qtbot, tmp_path, monkeypatch, chosen)
    # The tracks came from the app's folder ("hand-made.nmea" in "."): not where to save.
    window.exports.act_csv.trigger()
    assert dialog.asked[0][1] == str(documents / "exposure-verdicts-20261128.csv")
    window.exports.act_json.trigger()
    assert dialog.asked[1][1] == str(chosen.parent / "exposure-verdicts-20261128.json")
