"""File > Open archive…: the dialog asks for an archive, a day range (by default the days the
screening needs) and an optional vessel list; the session reads it in the background and the
window shows the same verdicts as ``exposure check --archive``; Cancel keeps what was shown."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialogButtonBox
from test_gui_support import make_window, wait_idle

from desktop.core.archive import add_files
from desktop.gui.archive_dialog import ArchiveDialog, ArchiveRequest
from tests.archive_kit import CALLER, HOP1, HOP2, RENAMED, write_receivers

AS_OF = datetime(2026, 9, 25, tzinfo=UTC)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gui-archive")
    target = folder / "ais"
    add_files(str(target), list(write_receivers(folder / "in")))
    return target


def test_dialog_defaults_to_the_days_the_screening_needs_and_gives_the_request(
    qtbot: Any, tmp_path: Path
) -> None:
    dialog = ArchiveDialog(None, AS_OF, 180)
    qtbot.addWidget(dialog)
    # as_of 2026-09-25 with a 180-day window: 361 days back, 2025-09-29.
    assert dialog.first.date() == QDate(2025, 9, 29)
    assert dialog.last.date() == QDate(2026, 9, 25)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Open).click()
    assert dialog.error.text() == "Name the archive: a folder or a URL."
    assert dialog.result() == 0
    qtbot.keyClicks(dialog.location, "s3://bucket/ais")
    dialog.first.setDate(QDate(2026, 9, 1))
    dialog.vessels.setText(str(tmp_path / "list.txt"))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Open).click()
    assert dialog.result() == 1
    assert dialog.request() == ArchiveRequest(
        "s3://bucket/ais", "2026-09-01", "2026-09-25", str(tmp_path / "list.txt")
    )


def test_file_menu_offers_open_archive(qtbot: Any, tmp_path: Path, monkeypatch: Any) -> None:
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    file_menu = window.menuBar().actions()[0].menu()
    assert "Open archive…" in [a.text() for a in file_menu.actions()]


def test_opening_an_archive_shows_its_verdicts(
    qtbot: Any, tmp_path: Path, monkeypatch: Any, archive: Path
) -> None:
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    window.session.zones = None  # the bundled zones, as the command line
    window.session.as_of = AS_OF
    with qtbot.waitSignal(window.session.loaded, timeout=60_000):
        window.session.open_archive(ArchiveRequest(str(archive), "2026-09-01", "2026-09-25"))
    wait_idle(qtbot, window)
    verdicts = {v.mmsi: str(v.verdict) for v in window.session.current.result.verdicts}
    assert len(verdicts) == 7
    assert [verdicts[m] for m in (CALLER, HOP1, HOP2, RENAMED)] == [
        "barred", "barred", "review", "review"]
    assert window.table.model().rowCount() == 7
    assert window.session.current.tracks.fix_count == 6481


def test_a_vessel_list_opens_the_listed_vessels_with_their_counterparts(
    qtbot: Any, tmp_path: Path, monkeypatch: Any, archive: Path
) -> None:
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    window.session.zones = None
    window.session.as_of = AS_OF
    listing = tmp_path / "list.txt"
    listing.write_text(f"{HOP2}\n", encoding="utf-8")
    with qtbot.waitSignal(window.session.loaded, timeout=60_000):
        window.session.open_archive(
            ArchiveRequest(str(archive), "2026-09-01", "2026-09-25", str(listing))
        )
    wait_idle(qtbot, window)
    verdicts = {v.mmsi: str(v.verdict) for v in window.session.current.result.verdicts}
    # HOP2 is a second hop: HOP1 (its counterpart) and CALLER (HOP1's) were read with it.
    assert {HOP2, HOP1, CALLER} <= set(verdicts)
    assert verdicts[HOP2] == "review"


def test_cancel_keeps_what_was_shown(
    qtbot: Any, tmp_path: Path, monkeypatch: Any, archive: Path
) -> None:
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    with qtbot.waitSignal(window.session.loaded, timeout=60_000):
        window.open_tracks([str(tmp_path / "hand-made.csv")])  # the fake ingest's tracks
    wait_idle(qtbot, window)
    before = window.session.current
    window.session.open_archive(ArchiveRequest(str(archive), "2026-09-01", "2026-09-25"))
    assert window.session.busy
    qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    qtbot.wait(200)
    assert window.session.current is before


def test_file_open_archive_wires_the_dialog_to_the_session(
    qtbot: Any, tmp_path: Path, monkeypatch: Any, archive: Path
) -> None:
    """The menu action opens the dialog and loads what it asked for (the modal ``exec`` is
    replaced by filling the fields and accepting)."""
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    window.session.zones = None
    window.session.as_of = AS_OF

    def fill_and_accept(dialog: ArchiveDialog) -> int:
        assert dialog.last.date() == QDate(2026, 9, 25)  # the session's as-of date
        dialog.location.setText(str(archive))
        dialog.first.setDate(QDate(2026, 9, 5))
        return 1

    monkeypatch.setattr(ArchiveDialog, "exec", fill_and_accept)
    with qtbot.waitSignal(window.session.loaded, timeout=60_000):
        window.act_archive.trigger()
    wait_idle(qtbot, window)
    current = window.session.current
    assert current.archive == ArchiveRequest(str(archive), "2026-09-05", "2026-09-25")
    # Nothing before the first day was read: the earliest fix is on 2026-09-05.
    first_ns = int(current.tracks.t_ns.min())
    assert datetime.fromtimestamp(first_ns / 1e9, tz=UTC).date().isoformat() == "2026-09-05"
