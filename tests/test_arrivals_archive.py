"""`exposure arrivals LIST --archive ARCHIVE` gives the same lines as `exposure arrivals LIST
FILES` on the same data: each arrival screened as of its ETA, reading only the listed vessels
with the whole archive as context (DESIGN.md §8, §9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.archive.add import add_files

pytestmark = pytest.mark.slow  # two runs of `exposure arrivals` on the sample (8 ETAs each)

ROOT = Path(__file__).resolve().parent.parent
LIST_CSV = ROOT / "sample_arrivals" / "arrivals_2026.csv"
TRACKS = ROOT / "sample_tracks" / "sample_2026.nmea.gz"


def _arrivals_json(tmp_path: Path, *source: str) -> dict:
    target = tmp_path / "out.json"
    assert main(["arrivals", str(LIST_CSV), *source, "--format", "json",
                 "--output", str(target)]) == 0
    return json.loads(target.read_text(encoding="utf-8"))


def test_arrivals_from_the_archive_equal_arrivals_from_the_files(tmp_path: Path) -> None:
    archive = tmp_path / "ais"
    add_files(str(archive), [TRACKS])
    from_files = _arrivals_json(tmp_path, str(TRACKS))
    from_archive = _arrivals_json(tmp_path, "--archive", str(archive))
    assert from_archive["arrivals"] == from_files["arrivals"]
    assert from_archive["counts"] == from_files["counts"]
    assert [i["path"] for i in from_archive["inputs"]] == ["sample_2026.nmea.gz"]
    assert from_archive["inputs"][0]["fixes"] == from_files["inputs"][0]["fixes"]


def test_arrivals_take_files_or_an_archive_not_both(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["arrivals", str(LIST_CSV)]) == 2
    assert main(["arrivals", str(LIST_CSV), str(TRACKS), "--archive", str(tmp_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["exposure: arrivals takes track files or --archive ARCHIVE (one of the two)"] * 2
