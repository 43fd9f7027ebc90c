"""Bad input never crashes the window: a dialog names the file, the reason and the counts,
and what was loaded before stays on screen."""

from __future__ import annotations

import json

from test_gui_support import BARRED, CountingIngest, make_window, wait_idle

import desktop.core.ingest
from desktop.gui.vessel_table import COL_MMSI

BROKEN_NMEA = (
    "garbage line\n"
    "!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*00\n"
    "!AIVDM,2,1,3,B,55P5TL01VIaAL@7WKO@mBplU@<PDhh000000001S;AJ::4A80?4i@E53,0*3E\n"
)


class HandMadeOrReal(CountingIngest):
    """The hand-made tracks for ``hand-made.nmea``, the real reader for any other file."""

    def __init__(self) -> None:
        super().__init__()
        self.real = desktop.core.ingest.ingest

    def __call__(self, paths, **kwargs):
        if [str(p) for p in paths] == ["hand-made.nmea"]:
            return super().__call__(paths, **kwargs)
        self.calls.append([str(p) for p in paths])
        return self.real(paths, **kwargs)


def _loaded_window(qtbot, tmp_path, monkeypatch):
    window, ingest = make_window(qtbot, tmp_path, monkeypatch, HandMadeOrReal())
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        window.open_tracks(["hand-made.nmea"])
    wait_idle(qtbot, window)
    window.select_vessel(BARRED)
    return window, ingest


def test_corrupt_tracks_file_shows_a_dialog_naming_it_and_keeps_the_data(
        qtbot, tmp_path, monkeypatch):
    window, ingest = _loaded_window(qtbot, tmp_path, monkeypatch)
    before = window.session.current
    broken = tmp_path / "broken.nmea"
    broken.write_text(BROKEN_NMEA)
    window.open_tracks([str(broken)])
    qtbot.waitUntil(lambda: len(ingest.calls) == 2, timeout=5_000)
    wait_idle(qtbot, window)
    assert len(window.notifier.messages) == 1
    title, text, details = window.notifier.messages[0]
    assert title == "No tracks loaded"
    assert text == (
        f"{broken}: no position report could be read (nmea, 3 lines; "
        "rejected: bad_checksum 1, not_ais 1, orphan_fragment 1)"
        "\n\nThe data already loaded stays."
    )
    assert details == ""
    assert window.session.current is before
    assert window.model.rowCount() == 3
    assert window.selected_mmsi == BARRED


def test_missing_tracks_file_shows_a_dialog_naming_it(qtbot, tmp_path, monkeypatch):
    window, _ = _loaded_window(qtbot, tmp_path, monkeypatch)
    missing = tmp_path / "nowhere.nmea"
    window.open_tracks([str(missing)])
    qtbot.waitUntil(lambda: bool(window.notifier.messages), timeout=5_000)
    wait_idle(qtbot, window)
    title, text, _ = window.notifier.messages[0]
    assert title == "Could not load tracks"
    assert text == f"{missing}: no such file or folder The data already loaded stays."
    assert window.model.rowCount() == 3


def test_invalid_zones_file_shows_a_dialog_naming_the_file_and_feature(
        qtbot, tmp_path, monkeypatch):
    window, ingest = _loaded_window(qtbot, tmp_path, monkeypatch)
    zones_before = window.session.zones
    bad = tmp_path / "my_zones.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Nowhere", "kind": "port"},
         "geometry": {"type": "Polygon", "coordinates": [[[125, 38], [125.1, 38], [125.1, 38.1],
                                                          [125, 38]]]}}]}))
    window.open_zones([str(bad)])
    qtbot.waitUntil(lambda: bool(window.notifier.messages), timeout=5_000)
    wait_idle(qtbot, window)
    title, text, _ = window.notifier.messages[0]
    assert title == "Could not load zones"
    assert str(bad) in text
    assert "country" in text
    assert window.session.zones is zones_before
    assert window.session.zone_paths == []
    assert len(ingest.calls) == 1
    assert int(window.model.index(0, COL_MMSI).data()) == BARRED


def test_not_json_zones_file_shows_a_dialog_naming_the_file(qtbot, tmp_path, monkeypatch):
    window, _ = _loaded_window(qtbot, tmp_path, monkeypatch)
    bad = tmp_path / "broken.geojson"
    bad.write_text("{ not json")
    window.open_zones([str(bad)])
    qtbot.waitUntil(lambda: bool(window.notifier.messages), timeout=5_000)
    title, text, _ = window.notifier.messages[0]
    assert title == "Could not load zones"
    assert str(bad) in text
