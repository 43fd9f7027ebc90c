"""``stream.read_ahead``: ``exposure archive add`` begins reading its first file in a forked
child before it imports pandas and the rest of the add; the add then takes that reading over,
with the same result as without it, and stops it when the file is not read after all."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from desktop.cli import main
from desktop.core.archive import add_files, archive_info
from desktop.core.ingest import prefetch
from desktop.core.ingest.stream import read_ahead
from tests.archive_kit import write_receivers

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_tracks" / "sample_2026.nmea.gz"
needs_fork = pytest.mark.skipif(not prefetch.can_fork(), reason="no fork here: no read-ahead")


def test_the_modules_a_read_ahead_needs_do_not_import_pandas() -> None:
    code = ("import sys\n"
            "import desktop.cli\n"
            "from desktop.core.ingest.detect_format import expand_arguments\n"
            "from desktop.core.ingest.stream import read_ahead\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pandas'))\n")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]"


def _parts(archive: Path) -> dict[str, pd.DataFrame]:
    manifest = json.loads((archive / "manifest.json").read_text())
    return {f"{table}/{day}": pq.read_table(archive / entry["path"]).to_pandas()
            for table in ("fixes", "statics")
            for day, entry in manifest[table].items()}  # fmt: skip


@needs_fork
def test_an_add_that_takes_over_a_read_ahead_equals_one_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = read_ahead(SAMPLE)
    assert started is not None
    from desktop.core.ingest import stream

    readers: list[str] = []
    real = stream.forked

    def recording(*args: object, **kwargs: object) -> object:
        readers.append(str(kwargs.get("name")))
        return real(*args, **kwargs)

    monkeypatch.setattr(stream, "forked", recording)
    ahead = tmp_path / "ahead"
    add_files(str(ahead), [SAMPLE], started=started)
    assert not [name for name in readers if name.startswith("read")]  # its reading taken over
    assert multiprocessing.active_children() == []
    monkeypatch.setattr(stream, "forked", real)
    plain = tmp_path / "plain"
    add_files(str(plain), [SAMPLE])
    got, want = _parts(ahead), _parts(plain)
    assert sorted(got) == sorted(want)
    for key in want:
        pd.testing.assert_frame_equal(got[key], want[key], obj=key)
    info = {k: v for k, v in archive_info(str(ahead)).items() if k != "archive"}
    assert info == {k: v for k, v in archive_info(str(plain)).items() if k != "archive"}


@needs_fork
def test_a_read_ahead_of_a_file_already_in_the_archive_is_stopped(tmp_path: Path) -> None:
    archive = tmp_path / "ais"
    add_files(str(archive), [SAMPLE])
    started = read_ahead(SAMPLE)
    assert started is not None and len(multiprocessing.active_children()) == 1
    result = add_files(str(archive), [SAMPLE], started=started)
    assert result.skipped == [str(SAMPLE)]
    assert multiprocessing.active_children() == []


@needs_fork
def test_a_read_ahead_of_another_file_is_stopped_and_the_files_still_go_in(
    tmp_path: Path,
) -> None:
    receivers = write_receivers(tmp_path / "rx")
    started = read_ahead(SAMPLE)
    result = add_files(str(tmp_path / "ais"), list(receivers), started=started)
    assert len(result.added) == len(receivers) and not result.failed
    assert multiprocessing.active_children() == []


def test_only_a_readable_nmea_file_is_read_ahead(tmp_path: Path) -> None:
    csv = tmp_path / "feed.csv"
    csv.write_text("mmsi,timestamp_utc,lat,lon\n412000001,2026-03-01T00:00:00Z,30.0,122.0\n")
    assert read_ahead(csv) is None
    assert read_ahead(tmp_path / "missing.nmea") is None
    assert multiprocessing.active_children() == []


@needs_fork
def test_the_add_command_reads_its_first_file_ahead_and_adds_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop.core.ingest import stream

    begun: list[Path] = []
    real = stream.read_ahead

    def recording(path: Path, **kwargs: object) -> object:
        begun.append(path)
        return real(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(stream, "read_ahead", recording)
    receivers = write_receivers(tmp_path / "rx")
    archive = tmp_path / "ais"
    assert main(["archive", "add", str(archive), str(SAMPLE), *map(str, receivers),
                 "--progress", "none"]) == 0  # fmt: skip
    assert begun == [SAMPLE]
    assert f"{1 + len(receivers)} added" in capsys.readouterr().out
    plain = tmp_path / "plain"
    add_files(str(plain), [SAMPLE, *receivers])
    assert archive_info(str(archive))["fixes"] == archive_info(str(plain))["fixes"]
    assert multiprocessing.active_children() == []
