"""The bundled sample in the window agrees with `exposure check --format json`, vessel by vessel."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from desktop.cli import main as cli_main
from desktop.core.model import Verdict
from desktop.gui.main_window import MainWindow
from desktop.gui.notifier import RecordingNotifier
from desktop.gui.vessel_table import COL_MMSI, COL_VERDICT

SAMPLE = Path(__file__).resolve().parent.parent / "sample_tracks"
AS_OF = "2026-11-01"


@pytest.mark.slow
def test_sample_table_matches_exposure_check_json(qtbot, tmp_path):
    out = tmp_path / "check.json"
    assert cli_main(["check", str(SAMPLE), "--as-of", AS_OF, "--format", "json",
                     "--output", str(out)]) == 0
    expected = {v["mmsi"]: v["verdict"] for v in json.loads(out.read_text())["vessels"]}

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, notifier=RecordingNotifier())
    qtbot.addWidget(window)
    window.session.as_of = datetime(2026, 11, 1, tzinfo=UTC)
    with qtbot.waitSignal(window.session.loaded, timeout=60_000):
        window.open_tracks([str(SAMPLE)])
    qtbot.waitUntil(lambda: not window.session.busy, timeout=10_000)

    assert window.notifier.messages == []
    rows = window.model.rowCount()
    shown = {int(window.model.index(r, COL_MMSI).data()): window.model.index(r, COL_VERDICT).data()
             for r in range(rows)}
    assert rows == len(expected) == len(shown)  # one row per vessel
    assert shown == expected
    counts = {str(k): n for k, n in window.model.counts().items()}
    assert counts == {v: list(expected.values()).count(v) for v in ("barred", "review", "clear")}
    barred = sum(1 for v in expected.values() if v == "barred")
    assert f"{barred} barred" in window.counts_label.text()
    assert counts["barred"] > 0  # the sample is meant to show barred vessels

    # The first barred vessel (the core's order) fills the details with its reasons.
    first = window.first_barred()
    window.select_vessel(first)
    vessel = window.details.vessel
    assert vessel.verdict == Verdict.BARRED and vessel.mmsi == first
    assert window.details.banner.text() == (
        f"BARRED until {vessel.barred_until.strftime('%d %b %Y %H:%M')} UTC")
    text = window.details.explanation.toPlainText()
    for reason in vessel.reasons:
        assert reason.explanation in text
