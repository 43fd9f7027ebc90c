"""File > Open watch list: an OFAC SDN list loaded off the GUI thread re-screens the loaded
tracks (no re-read), stays through every later re-screen, a bad file leaves list and verdicts
as they were, and Clear watch list takes it away. Several lists (SDN and a plain CSV list) are
held at once, shown with their unusable-row counts, removed one by one, and kept in Recent
files as watch lists.

The list is a hand-written legacy ``sdn.csv`` with one vessel, GOOD SHIP, IMO 9074729 (check
digit: 9*7 + 0*6 + 7*5 + 4*4 + 7*3 + 2*2 = 139, ends in 9). In the hand-made tracks the vessel
that is otherwise clear (352000002, at sea 2026-09-01 00:00-09:50 UTC) reports that IMO.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt
from test_gui_support import (
    BARRED,
    CLEAR,
    NAMPO,
    REVIEW,
    CountingIngest,
    fixes,
    make_window,
    wait_idle,
)

from desktop.core.ingest.base import STATIC_COLUMNS
from desktop.core.model import EventKind, Verdict
from desktop.core.params import ScreeningParams
from desktop.core.screening import ingest_result_of
from desktop.gui.vessel_table import COL_REASON, COL_VERDICT, where_text

LISTED_IMO = 9074729
SDN_ROWS = [
    '36,"AEROCARIBBEAN AIRLINES","-0- ","CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"Havana."',
    '100,"GOOD SHIP","vessel","DPRK3",-0- ,"HMAB1","Oil Tanker",-0- ,-0- ,"Korea, North",'
    f'-0- ,"Vessel Registration Identification IMO {LISTED_IMO}."',
]
EXPLANATION = (
    f"IMO {LISTED_IMO} is on the OFAC SDN list as GOOD SHIP (programme DPRK3, entry 100)."
)
KEPT = " The data already loaded stays."


def write_sdn(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "sdn.csv"
    path.write_text("\r\n".join(SDN_ROWS) + "\r\n\x1a", encoding="utf-8")
    return path


class IngestWithImo(CountingIngest):
    """The hand-made tracks, plus one static record: 352000002 reports IMO 9074729."""

    def __call__(self, paths: Any, **kwargs: Any) -> Any:
        super().__call__(paths, **kwargs)
        frame = pd.DataFrame({c: pd.Series([None], dtype=object) for c in STATIC_COLUMNS})
        frame["mmsi"] = np.array([CLEAR], dtype="uint32")
        frame["time"] = pd.to_datetime(["2026-09-01 01:00"], utc=True)
        frame["imo"] = pd.array([LISTED_IMO], dtype="Int64")
        frame["name"] = ["GOOD SHIP"]
        frame["source"] = "hand-made"
        return ingest_result_of(fixes(), frame)


def _window(qtbot: Any, tmp_path: Path, monkeypatch: Any) -> tuple[Any, IngestWithImo]:
    window, ingest = make_window(qtbot, tmp_path, monkeypatch, ingest=IngestWithImo())
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        window.open_tracks(["hand-made.nmea"])
    wait_idle(qtbot, window)
    return window, ingest


def _open_list(qtbot: Any, window: Any, path: Path) -> list[tuple[Any, str]]:
    """Trigger File > Open watch list with the dialog answering ``path``; returns the calls."""
    asked: list[tuple[Any, str]] = []

    def dialog(parent: Any, start_dir: str) -> list[str]:
        asked.append((parent, start_dir))
        return [str(path)]

    window.ask_watchlist_paths = dialog
    window.act_watchlist.trigger()
    wait_idle(qtbot, window)
    return asked


def verdicts(window: Any) -> dict[int, Verdict]:
    return {v.mmsi: v.verdict for v in window.session.current.result.verdicts}


def watch_reasons(window: Any, mmsi: int) -> list[Any]:
    vessel = window.session.current.result.verdict_of(mmsi)
    return [r for r in vessel.reasons if r.event.kind == EventKind.WATCHLIST]


def table_cell(window: Any, mmsi: int, col: int, role: Any = Qt.ItemDataRole.DisplayRole) -> Any:
    row = window.model.row_of(mmsi)
    return window.model.index(row, col).data(role)


def test_open_watch_list_turns_the_listed_imo_to_review_without_reading_tracks_again(
    qtbot, tmp_path, monkeypatch
):
    window, ingest = _window(qtbot, tmp_path, monkeypatch)
    assert verdicts(window) == {BARRED: Verdict.BARRED, CLEAR: Verdict.CLEAR,
                                REVIEW: Verdict.REVIEW}
    assert not window.act_clear_watchlist.isEnabled()
    assert not window.watchlist_label.isVisible()
    sdn = write_sdn(tmp_path / "ofac")
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        asked = _open_list(qtbot, window, sdn)
    assert [parent for parent, _ in asked] == [window]
    assert verdicts(window) == {BARRED: Verdict.BARRED, CLEAR: Verdict.REVIEW,
                                REVIEW: Verdict.REVIEW}
    [reason] = watch_reasons(window, CLEAR)
    assert (reason.explanation, reason.in_window, reason.effect) == (EXPLANATION, True, "review")
    assert ingest.calls == [["hand-made.nmea"]]  # screened again, not read again
    # the vessel table: verdict, main reason and its tooltip
    assert table_cell(window, CLEAR, COL_VERDICT) == "review"
    assert table_cell(window, CLEAR, COL_REASON) == "watchlist: OFAC SDN entry 100 GOOD SHIP"
    assert table_cell(window, CLEAR, COL_REASON, Qt.ItemDataRole.ToolTipRole) == EXPLANATION
    # the details panel: banner, the sentence under "Why", the timeline row
    window.select_vessel(CLEAR)
    assert window.details.banner.text() == "REVIEW: not barred, but an analyst should look"
    assert EXPLANATION in window.details.explanation.toPlainText()
    timeline = window.details.timeline
    assert timeline.rowCount() == 1
    assert [timeline.item(0, c).text() for c in range(timeline.columnCount())] == [
        "2026-09-01 00:00", "2026-09-01 09:50", "watchlist", "yes", "",
        "OFAC SDN entry 100 GOOD SHIP"]
    # the status bar names the list and its vessel count; the list is in the JSON
    assert window.watchlist_label.isVisible()
    assert window.watchlist_label.text() == "Watch list: sdn.csv (OFAC SDN, 1 vessel)"
    assert window.act_clear_watchlist.isEnabled()
    assert window.session.watchlist_paths == [str(sdn)]
    out = json.loads(json.dumps(window.session.current.result.to_json()))
    assert (out["watchlist"]["list"], out["watchlist"]["vessels"]) == ("OFAC SDN", 1)
    assert window.settings.value("last_dir") == str(tmp_path / "ofac")


def test_watch_list_stays_through_parameters_as_of_zones_and_a_new_load(
    qtbot, tmp_path, monkeypatch
):
    window, ingest = _window(qtbot, tmp_path, monkeypatch)
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        _open_list(qtbot, window, write_sdn(tmp_path / "ofac"))
    # Parameters: a 100-day window still reaches the 2026-09-01 hit (88 days before as-of).
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        window.session.set_params(ScreeningParams(window_days=100.0))
    wait_idle(qtbot, window)
    assert window.session.current.result.params.window_days == 100.0
    assert verdicts(window)[CLEAR] == Verdict.REVIEW
    assert [r.explanation for r in watch_reasons(window, CLEAR)] == [EXPLANATION]
    # As of 2026-12-01 (91 days after the hit): still in the window, still review.
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        window.set_as_of_date(date(2026, 12, 1))
    wait_idle(qtbot, window)
    assert window.session.current.result.as_of == datetime(2026, 12, 1, tzinfo=UTC)
    assert verdicts(window)[CLEAR] == Verdict.REVIEW
    assert [r.explanation for r in watch_reasons(window, CLEAR)] == [EXPLANATION]
    # As of 2026-12-11: the hit ended 2026-09-01 09:50, 100 days and more before: history.
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        window.set_as_of_date(date(2026, 12, 11))
    wait_idle(qtbot, window)
    assert verdicts(window)[CLEAR] == Verdict.CLEAR
    [reason] = watch_reasons(window, CLEAR)
    assert (reason.in_window, reason.effect) == (False, "none")
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        window.set_as_of_date(date(2026, 12, 1))
    wait_idle(qtbot, window)
    # Zones: a zone file added re-screens with the list.
    zone_file = tmp_path / "nampo.geojson"
    zone_file.write_text(json.dumps({"type": "FeatureCollection", "features": [NAMPO]}))
    with qtbot.waitSignal(window.session.zones_changed, timeout=10_000):
        window.open_zones([zone_file])
    wait_idle(qtbot, window)
    assert window.session.zone_paths == [str(zone_file)]
    assert verdicts(window)[CLEAR] == Verdict.REVIEW
    assert [r.explanation for r in watch_reasons(window, CLEAR)] == [EXPLANATION]
    # A new load of the tracks is screened with the list too.
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        window.open_tracks(["hand-made-again.nmea"])
    wait_idle(qtbot, window)
    assert ingest.calls == [["hand-made.nmea"], ["hand-made-again.nmea"]]
    assert verdicts(window)[CLEAR] == Verdict.REVIEW
    assert [r.explanation for r in watch_reasons(window, CLEAR)] == [EXPLANATION]
    assert window.watchlist_label.text() == "Watch list: sdn.csv (OFAC SDN, 1 vessel)"


def test_bad_watch_list_shows_an_error_naming_the_file_and_keeps_list_and_verdicts(
    qtbot, tmp_path, monkeypatch
):
    window, _ = _window(qtbot, tmp_path, monkeypatch)
    good = write_sdn(tmp_path / "ofac")
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        _open_list(qtbot, window, good)
    before = window.session.current
    listed = window.session.watchlist
    bad = tmp_path / "not_sdn.csv"
    # a header naming no imo, mmsi or name column: neither a plain list nor OFAC's layout
    bad.write_text("port,eta,flag\nUSLAX,2026-09-01,KP\n", encoding="utf-8")
    _open_list(qtbot, window, bad)
    assert window.notifier.messages == [(
        "Could not load the watch list",
        f"{bad}: not a watch list: its first row is not a header naming an imo, mmsi or name "
        f"column, and its rows have 3 columns (OFAC's legacy CSV has 12 in sdn.csv, 5 in "
        f"alt.csv){KEPT}",
        "",
    )]
    assert window.session.current is before
    assert window.session.watchlist is listed
    assert window.session.watchlist_paths == [str(good)]
    assert verdicts(window)[CLEAR] == Verdict.REVIEW
    assert table_cell(window, CLEAR, COL_VERDICT) == "review"
    assert window.watchlist_label.text() == "Watch list: sdn.csv (OFAC SDN, 1 vessel)"
    # a missing file: the same dialog, naming it
    missing = tmp_path / "gone" / "sdn.csv"
    _open_list(qtbot, window, missing)
    assert window.notifier.messages[1] == (
        "Could not load the watch list", f"{missing}: watch list not found{KEPT}", "")
    assert window.session.current is before and window.session.watchlist is listed


def test_bad_watch_list_before_any_list_leaves_the_verdicts_without_one(
    qtbot, tmp_path, monkeypatch
):
    window, _ = _window(qtbot, tmp_path, monkeypatch)
    before = window.session.current
    empty = tmp_path / "sdn.csv"
    empty.write_text("", encoding="utf-8")
    _open_list(qtbot, window, empty)
    assert window.notifier.messages == [(
        "Could not load the watch list", f"{empty}: empty file, not a watch list{KEPT}", "")]
    assert window.session.current is before and window.session.watchlist is None
    assert verdicts(window)[CLEAR] == Verdict.CLEAR
    assert not window.watchlist_label.isVisible()
    assert not window.act_clear_watchlist.isEnabled()


def test_clear_watch_list_removes_the_reason(qtbot, tmp_path, monkeypatch):
    window, ingest = _window(qtbot, tmp_path, monkeypatch)
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        _open_list(qtbot, window, write_sdn(tmp_path / "ofac"))
    assert verdicts(window)[CLEAR] == Verdict.REVIEW
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        window.act_clear_watchlist.trigger()
    wait_idle(qtbot, window)
    assert verdicts(window) == {BARRED: Verdict.BARRED, CLEAR: Verdict.CLEAR,
                                REVIEW: Verdict.REVIEW}
    assert watch_reasons(window, CLEAR) == []
    assert window.session.watchlist is None and window.session.watchlist_paths == []
    assert "watchlist" not in window.session.current.result.to_json()
    assert table_cell(window, CLEAR, COL_VERDICT) == "clear"
    assert not window.watchlist_label.isVisible()
    assert not window.act_clear_watchlist.isEnabled()
    assert len(ingest.calls) == 1
    # and it stays cleared through a later re-screen
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        window.set_as_of_date(date(2026, 12, 1))
    wait_idle(qtbot, window)
    assert verdicts(window)[CLEAR] == Verdict.CLEAR and watch_reasons(window, CLEAR) == []


def test_watch_list_opened_before_any_track_applies_to_the_first_load(
    qtbot, tmp_path, monkeypatch
):
    window, _ = make_window(qtbot, tmp_path, monkeypatch, ingest=IngestWithImo())
    with qtbot.waitSignal(window.session.watchlist_changed, timeout=10_000):
        _open_list(qtbot, window, write_sdn(tmp_path / "ofac"))
    assert window.session.current is None
    assert window.watchlist_label.text() == "Watch list: sdn.csv (OFAC SDN, 1 vessel)"
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        window.open_tracks(["hand-made.nmea"])
    wait_idle(qtbot, window)
    assert verdicts(window)[CLEAR] == Verdict.REVIEW
    assert [r.explanation for r in watch_reasons(window, CLEAR)] == [EXPLANATION]


def test_as_of_changed_while_the_list_is_read_is_applied_when_it_arrives(
    qtbot, tmp_path, monkeypatch
):
    import threading

    import desktop.core.watchlist

    window, _ = _window(qtbot, tmp_path, monkeypatch)
    gate = threading.Event()
    real = desktop.core.watchlist.load_watchlist

    def slow_load(paths: Any) -> Any:
        assert gate.wait(10)
        return real(paths)

    monkeypatch.setattr(desktop.core.watchlist, "load_watchlist", slow_load)
    window.ask_watchlist_paths = lambda parent, start: [str(write_sdn(tmp_path / "ofac"))]
    window.act_watchlist.trigger()
    assert window.session.busy
    window.set_as_of_date(date(2026, 12, 1))  # waits for the list rather than cancelling it
    gate.set()
    with qtbot.waitSignal(window.session.watchlist_changed, timeout=10_000):
        pass
    qtbot.waitUntil(
        lambda: window.session.current.result.as_of == datetime(2026, 12, 1, tzinfo=UTC),
        timeout=10_000,
    )
    wait_idle(qtbot, window)
    assert window.notifier.messages == []
    assert verdicts(window)[CLEAR] == Verdict.REVIEW
    assert [r.explanation for r in watch_reasons(window, CLEAR)] == [EXPLANATION]


def test_listed_kp_flagged_vessel_shows_the_watch_list_hit_as_its_main_reason(
    qtbot, tmp_path, monkeypatch
):
    window, _ = _window(qtbot, tmp_path, monkeypatch)
    folder = tmp_path / "ofac"
    folder.mkdir()
    sdn = folder / "sdn.csv"
    sdn.write_text(
        "\n".join(SDN_ROWS + [
            f'101,"KP SHIP","vessel","DPRK4",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"MMSI {REVIEW}."'
        ]) + "\n", encoding="utf-8")
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        _open_list(qtbot, window, sdn)
    kinds = [str(r.event.kind) for r in window.session.current.result.verdict_of(REVIEW).reasons]
    assert sorted(kinds) == ["kp_flag", "watchlist"]
    # a list entry outranks a flag (the core's severity order, as in the CSV export)
    assert table_cell(window, REVIEW, COL_REASON) == "watchlist: OFAC SDN entry 101 KP SHIP"
    assert table_cell(window, REVIEW, COL_REASON, Qt.ItemDataRole.ToolTipRole) == (
        f"MMSI {REVIEW} is on the OFAC SDN list as KP SHIP (programme DPRK4, entry 101).")
    assert window.watchlist_label.text() == "Watch list: sdn.csv (OFAC SDN, 2 vessels)"
    window.select_vessel(REVIEW)
    text = window.details.explanation.toPlainText()
    assert "Flag of North Korea (MMSI MID 445)." in text
    assert f"MMSI {REVIEW} is on the OFAC SDN list as KP SHIP" in text


def test_max_speed_changed_while_the_list_is_read_reads_the_tracks_again_with_the_list(
    qtbot, tmp_path, monkeypatch
):
    import threading

    import desktop.core.watchlist

    window, ingest = _window(qtbot, tmp_path, monkeypatch)
    gate = threading.Event()
    real = desktop.core.watchlist.load_watchlist
    monkeypatch.setattr(desktop.core.watchlist, "load_watchlist",
                        lambda paths: gate.wait(10) and real(paths))
    window.ask_watchlist_paths = lambda parent, start: [str(write_sdn(tmp_path / "ofac"))]
    window.act_watchlist.trigger()
    # the implausible-jump filter runs in ingest: a new max speed needs a new read
    window.session.set_params(ScreeningParams(max_speed_kn=40.0))
    gate.set()
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        pass
    wait_idle(qtbot, window)
    assert ingest.calls == [["hand-made.nmea"], ["hand-made.nmea"]]
    assert window.session.current.result.params.max_speed_kn == 40.0
    assert verdicts(window)[CLEAR] == Verdict.REVIEW
    assert [r.explanation for r in watch_reasons(window, CLEAR)] == [EXPLANATION]


def write_plain(folder: Path) -> Path:
    """An in-house list naming GOOD SHIP by IMO (reference IH-1), and a row with neither a
    valid IMO (1234568: check digit) nor a name."""
    folder.mkdir(exist_ok=True)
    path = folder / "inhouse.csv"
    path.write_text(f"IMO number,Vessel name,Reference\n{LISTED_IMO},GOOD SHIP,IH-1\n"
                    "1234568,,IH-2\n", encoding="utf-8")
    return path


def test_several_watch_lists_are_held_shown_and_removed_one_by_one(qtbot, tmp_path, monkeypatch):
    window, ingest = _window(qtbot, tmp_path, monkeypatch)
    sdn, plain = write_sdn(tmp_path / "ofac"), write_plain(tmp_path / "ours")
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        _open_list(qtbot, window, sdn)
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        _open_list(qtbot, window, plain)  # added to the SDN list, not in its place
    assert window.session.watchlist_paths == [str(sdn), str(plain)]
    assert [(r.event.details["list"], r.event.details["reference"])
            for r in watch_reasons(window, CLEAR)] == [("OFAC SDN", "100"), ("inhouse", "IH-1")]
    assert window.watchlist_label.text() == (
        "Watch lists: sdn.csv, inhouse.csv (OFAC SDN, inhouse, 2 vessels; 1 row not used)")
    assert window.watchlist_label.toolTip().split("\n") == [
        str(sdn), str(plain), f"{plain}: 1 of 2 rows not used (no_identity 1)",
        f"{plain}: line 3: IMO '1234568' is not valid (7 digits, check digit); no usable IMO, "
        "MMSI or name; row not used"]
    menu = window.watchlist_menu
    assert menu.isEnabled()
    assert [a.text() for a in menu.actions()] == [
        "Remove sdn.csv (OFAC SDN, 1 vessel)",
        "Remove inhouse.csv (inhouse, 1 vessel, 1 row not used)"]
    # the timeline and the table name a plain list's entry by its reference
    reasons = window.session.current.result.verdict_of(CLEAR).reasons
    assert sorted(where_text(r.event) for r in reasons) == [
        "OFAC SDN entry 100 GOOD SHIP", "inhouse ref IH-1 GOOD SHIP"]
    # remove the SDN list: the in-house list stays and still flags the vessel
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        menu.actions()[0].trigger()
    wait_idle(qtbot, window)
    assert window.session.watchlist_paths == [str(plain)]
    assert [r.event.details["list"] for r in watch_reasons(window, CLEAR)] == ["inhouse"]
    assert window.watchlist_label.text() == (
        "Watch list: inhouse.csv (inhouse, 1 vessel; 1 row not used)")
    # remove the last one: as Clear watch lists
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        window.watchlist_menu.actions()[0].trigger()
    wait_idle(qtbot, window)
    assert window.session.watchlist is None and watch_reasons(window, CLEAR) == []
    assert verdicts(window)[CLEAR] == Verdict.CLEAR
    assert not window.watchlist_menu.isEnabled() and window.watchlist_menu.actions() == []
    assert len(ingest.calls) == 1  # screened again each time, never read again


def test_watch_lists_are_in_recent_files_and_open_as_watch_lists(qtbot, tmp_path, monkeypatch):
    window, ingest = _window(qtbot, tmp_path, monkeypatch)
    plain = write_plain(tmp_path / "ours")
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        _open_list(qtbot, window, plain)
    texts = [a.text() for a in window.recent_menu.actions()]
    assert texts == [f"{plain} (watch list)", "hand-made.nmea"]
    with qtbot.waitSignal(window.session.rescreened, timeout=10_000):
        window.clear_watchlist()
    wait_idle(qtbot, window)
    with qtbot.waitSignal(window.session.watchlist_changed, timeout=10_000):
        window.recent_menu.actions()[0].trigger()
    wait_idle(qtbot, window)
    assert window.session.watchlist_paths == [str(plain)]
    assert verdicts(window)[CLEAR] == Verdict.REVIEW
    assert ingest.calls == [["hand-made.nmea"]]  # a watch list, not tracks
    # opened again as tracks, the same name is no longer marked a watch list
    window._remember([str(plain)])
    assert [a.text() for a in window.recent_menu.actions()][0] == str(plain)
