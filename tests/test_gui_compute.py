"""The app's Compute setting (File > Open archive…): this machine, or a Dask scheduler, kept in
the settings; on a cluster the window shows the verdicts this machine would give (the JSON byte
for byte), the cluster's tasks on the progress bar, and Cancel cancels the run on the cluster
while the data on screen stay. Against a real 2-worker LocalCluster, one for the module."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox
from test_gui_support import make_window, wait_idle

from desktop.core.archive import add_files
from desktop.core.archive.screen import screen_archive
from desktop.core.output import to_json_text
from desktop.gui import archive_dialog
from desktop.gui.archive_dialog import DASK_SCHEDULER, NO_DASK, ArchiveDialog, ArchiveRequest
from tests.archive_kit import CALLER, HOP1, HOP2, RENAMED, write_receivers

pytestmark = pytest.mark.slow

AS_OF = datetime(2026, 9, 25, tzinfo=UTC)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gui-compute")
    target = folder / "ais"
    add_files(str(target), list(write_receivers(folder / "in")))
    return target


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A client of one 2-worker LocalCluster (processes) for the module; the app connects to
    its scheduler by address, as to any cluster."""
    from desktop.core.scaleout.engine import dask_client

    with dask_client(workers=2, timeout_s=60) as client:
        yield client


def _open(dialog: ArchiveDialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Open).click()


def test_compute_row_gives_the_scheduler_of_the_request(qtbot: Any, tmp_path: Path) -> None:
    dialog = ArchiveDialog(None, AS_OF, 180, scheduler="tcp://10.0.0.5:8786")
    qtbot.addWidget(dialog)
    dialog.location.setText("s3://bucket/ais")
    assert dialog.compute.currentText() == "This machine"
    assert not dialog.scheduler.isEnabled()  # kept, but not used
    _open(dialog)
    assert dialog.request().scheduler is None
    dialog.compute.setCurrentText(DASK_SCHEDULER)
    assert dialog.scheduler.isEnabled()
    dialog.scheduler.clear()
    dialog.setResult(0)
    _open(dialog)
    assert dialog.error.text() == "Give the Dask scheduler's address, such as tcp://host:8786."
    assert dialog.result() == 0
    qtbot.keyClicks(dialog.scheduler, " tcp://10.0.0.6:8786 ")
    _open(dialog)
    assert dialog.result() == 1
    assert dialog.request() == ArchiveRequest(
        "s3://bucket/ais", "2025-09-29", "2026-09-25", None, "tcp://10.0.0.6:8786"
    )


def test_without_dask_the_dialog_says_so_and_opens_nothing(
    qtbot: Any, monkeypatch: Any
) -> None:
    """The desktop bundle leaves Dask out (installer/exposure.spec)."""
    monkeypatch.setattr(archive_dialog, "dask_available", lambda: False)
    dialog = ArchiveDialog(None, AS_OF, 180, scheduler="tcp://10.0.0.5:8786", on_dask=True)
    qtbot.addWidget(dialog)
    assert dialog.compute_note.text() == NO_DASK
    assert NO_DASK.startswith("Dask is not available in this desktop bundle")
    dialog.location.setText("/data/ais")
    _open(dialog)
    assert dialog.error.text() == NO_DASK
    assert dialog.result() == 0
    dialog.compute.setCurrentText("This machine")
    assert dialog.compute_note.text() == "Read and screen the archive in this process."
    _open(dialog)
    assert dialog.result() == 1


def test_compute_setting_is_kept_in_the_settings(
    qtbot: Any, tmp_path: Path, monkeypatch: Any, archive: Path
) -> None:
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    opened: list[ArchiveRequest] = []
    monkeypatch.setattr(window.session, "open_archive", opened.append)
    seen: list[tuple[str, bool]] = []

    def choose_dask(dialog: ArchiveDialog) -> int:
        seen.append((dialog.scheduler.text(), dialog.on_dask))
        dialog.location.setText(str(archive))
        dialog.compute.setCurrentText(DASK_SCHEDULER)
        dialog.scheduler.setText("tcp://10.0.0.7:8786")
        return 1

    monkeypatch.setattr(ArchiveDialog, "exec", choose_dask)
    window.act_archive.trigger()
    window.act_archive.trigger()  # the second dialog starts from the first one's choice
    assert seen == [("", False), ("tcp://10.0.0.7:8786", True)]
    assert [r.scheduler for r in opened] == ["tcp://10.0.0.7:8786"] * 2
    window.settings.sync()
    assert window.settings.value("compute") == "dask"
    assert window.settings.value("compute_scheduler") == "tcp://10.0.0.7:8786"


def test_archive_on_the_cluster_shows_the_verdicts_of_this_machine(
    qtbot: Any, tmp_path: Path, monkeypatch: Any, archive: Path, cluster: Any
) -> None:
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    window.session.zones = None  # the bundled zones, as the command line
    window.session.as_of = AS_OF
    steps: list[tuple[float, str]] = []
    window.session.progress.connect(lambda f, m: steps.append((f, m)))
    request = ArchiveRequest(str(archive), "2026-09-01", "2026-09-25",
                             scheduler=cluster.scheduler.address)  # fmt: skip
    with qtbot.waitSignal(window.session.loaded, timeout=120_000):
        window.session.open_archive(request)
    wait_idle(qtbot, window)
    result = window.session.current.result
    local = screen_archive(str(archive), None, as_of=AS_OF)
    assert to_json_text(result) == to_json_text(local)
    verdicts = {v.mmsi: str(v.verdict) for v in result.verdicts}
    assert [verdicts[m] for m in (CALLER, HOP1, HOP2, RENAMED)] == [
        "barred", "barred", "review", "review"]
    assert window.table.model().rowCount() == 7
    assert window.session.current.tracks.fix_count == 0  # the fixes stayed on the cluster
    window.select_vessel(CALLER)  # its details and events, without a track to draw
    assert window.selected_mmsi == CALLER
    assert window.details.vessel.mmsi == CALLER
    assert window.details.timeline.rowCount() == len(window.details.vessel.reasons) > 0
    messages = [m for _, m in steps if m.endswith(" tasks on the cluster")]
    assert messages[-1].startswith("detectors: ")
    done, total = messages[-1].split(": ")[1].split(" ")[0].split("/")
    assert done == total
    assert all(0.0 <= f <= 1.0 for f, _ in steps)


def test_new_as_of_screens_on_the_cluster_again(
    qtbot: Any, tmp_path: Path, monkeypatch: Any, archive: Path, cluster: Any
) -> None:
    """The window holds no fixes to apply the rule to: the archive is screened again there."""
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    window.session.zones = None
    window.session.as_of = AS_OF
    request = ArchiveRequest(str(archive), "2026-09-01", "2026-09-25",
                             scheduler=cluster.scheduler.address)  # fmt: skip
    with qtbot.waitSignal(window.session.loaded, timeout=120_000):
        window.session.open_archive(request)
    wait_idle(qtbot, window)
    later = datetime(2026, 9, 20, tzinfo=UTC)
    with qtbot.waitSignal(window.session.loaded, timeout=120_000):
        window.session.set_as_of(later)
    wait_idle(qtbot, window)
    result = window.session.current.result
    assert result.as_of == later
    assert to_json_text(result) == to_json_text(screen_archive(str(archive), None, as_of=later))


def test_cancel_stops_the_run_on_the_cluster_and_keeps_what_was_shown(
    qtbot: Any, tmp_path: Path, monkeypatch: Any, archive: Path, cluster: Any
) -> None:
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    with qtbot.waitSignal(window.session.loaded, timeout=60_000):
        window.open_tracks([str(tmp_path / "hand-made.csv")])  # the fake ingest's tracks
    wait_idle(qtbot, window)
    before = window.session.current
    started: list[str] = []
    window.session.progress.connect(
        lambda f, m: started.append(m) if m.endswith(" tasks on the cluster") else None
    )
    window.session.open_archive(ArchiveRequest(
        str(archive), "2026-09-01", "2026-09-25", scheduler=cluster.scheduler.address))
    qtbot.waitUntil(lambda: bool(started), timeout=60_000)

    def tasks_on_scheduler() -> int:
        return int(cluster.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)))

    assert tasks_on_scheduler() > 0  # the run is under way on the cluster
    window.cancel_work()
    assert not window.session.busy
    assert window.session.current is before
    # the run's futures are cancelled: the scheduler forgets every task of it
    qtbot.waitUntil(lambda: tasks_on_scheduler() == 0, timeout=30_000)
    qtbot.wait(200)
    assert window.session.current is before


def test_arrivals_against_a_cluster_screening_are_screened_on_the_cluster(
    qtbot: Any, tmp_path: Path, monkeypatch: Any, archive: Path, cluster: Any
) -> None:
    """The window holds no fixes of a cluster screening, so the arrivals list goes to the
    cluster too, each ETA as `exposure arrivals --engine dask` screens it."""
    from desktop.core.arrivals import archive_source, read_arrivals, screen_arrivals
    from desktop.core.arrivals import to_json_text as arrivals_json

    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    window.session.zones = None
    window.session.as_of = AS_OF
    with qtbot.waitSignal(window.session.loaded, timeout=120_000):
        window.session.open_archive(ArchiveRequest(
            str(archive), "2026-09-01", "2026-09-25", scheduler=cluster.scheduler.address))
    wait_idle(qtbot, window)
    listing = tmp_path / "arrivals.csv"
    listing.write_text(f"mmsi,eta\n{CALLER},2026-09-25\n{HOP2},2026-09-25\n{RENAMED},"
                       "2026-09-25\n", encoding="utf-8")  # fmt: skip
    with qtbot.waitSignal(window.arrivals.screened, timeout=120_000) as screened:
        window.arrivals.open(listing)
    listed = read_arrivals(listing)
    source, inputs = archive_source(str(archive), listed)
    local = screen_arrivals(listed, source, inputs=inputs)
    assert arrivals_json(screened.args[0]) == arrivals_json(local)
    assert [line.outcome for line in local.lines] == ["barred", "review", "review"]


def test_scheduler_that_does_not_answer_is_one_clear_problem_and_the_data_stay(
    qtbot: Any, tmp_path: Path, monkeypatch: Any, archive: Path
) -> None:
    from scaleout_kit import free_port

    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    with qtbot.waitSignal(window.session.loaded, timeout=60_000):
        window.open_tracks([str(tmp_path / "hand-made.csv")])  # the fake ingest's tracks
    wait_idle(qtbot, window)
    before = window.session.current
    address = f"tcp://127.0.0.1:{free_port()}"
    with qtbot.waitSignal(window.session.problem, timeout=60_000) as problem:
        window.session.open_archive(
            ArchiveRequest(str(archive), "2026-09-01", "2026-09-25", scheduler=address))
    assert problem.args[0].title == "Could not load tracks"
    assert problem.args[0].text.startswith(f"the Dask scheduler {address} does not answer (")
    assert problem.args[0].text.endswith("The data already loaded stays.")
    wait_idle(qtbot, window)
    assert window.session.current is before


def test_local_path_imports_no_dask_and_the_core_no_qt() -> None:
    """The desktop bundle has no Dask: nothing on the local path may import it, nor the
    scale-out modules before a run starts."""
    code = (
        "import sys\n"
        "import desktop.cli, desktop.core.screening, desktop.core.archive.screen\n"
        "import desktop.core.arrivals, desktop.core.scaleout.archive\n"
        "import desktop.core.scaleout.engine, desktop.core.scaleout.tasks\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed',"
        " 'PySide6'))\n"
        "import desktop.gui.session, desktop.gui.archive_dialog, desktop.gui.arrivals_view\n"
        "bad += sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "print(bad)\n"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root, check=True, env={"PYTHONPATH": str(root),
                                                    "QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.strip() == "[]"
