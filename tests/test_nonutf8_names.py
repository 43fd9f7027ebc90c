"""A track file whose name is not UTF-8 (bytes 0xff, as Linux allows), given directly or found in a
folder, is read; its name is shown with \\xNN escapes in every output."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.textsafe import printable_path

CSV = (
    "mmsi,time,lat,lon,sog\n"
    "351000001,2026-03-01T00:00:00Z,10.0,20.0,5.0\n"
    "351000001,2026-03-01T00:10:00Z,10.01,20.0,5.0\n"
)
pytestmark = pytest.mark.skipif(sys.platform in ("win32", "darwin"),
                                reason="Windows and macOS file names are always Unicode")


@pytest.fixture
def odd_track(tmp_path: Path) -> Path:
    folder = tmp_path / "tracks"
    folder.mkdir()
    path = folder / os.fsdecode(b"bad\xff.csv")
    path.write_text(CSV)
    return path


@pytest.mark.parametrize("given", ["file", "folder"])
def test_a_non_utf8_file_name_is_read_and_shown_escaped(
    odd_track: Path, capsys: pytest.CaptureFixture[str], given: str
) -> None:
    target = odd_track if given == "file" else odd_track.parent
    assert main(["check", str(target), "--as-of", "2026-03-02", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    [source] = json.loads(out)["inputs"]
    assert source["path"] == f"{odd_track.parent}/bad\\xff.csv"
    assert source["fixes"] == 2


def test_ingest_of_a_non_utf8_name_writes_its_outputs(
    odd_track: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_path = tmp_path / os.fsdecode(b"out\xfe.parquet")
    assert main(["ingest", str(odd_track.parent), "--output", str(out_path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"{odd_track.parent}/bad\\xff.csv  [csv]"
    assert out.splitlines()[-1] == f"wrote 2 fixes to {tmp_path}/out\\xfe.parquet"
    assert out_path.stat().st_size > 0


def test_printable_path_leaves_unicode_names_alone() -> None:
    assert printable_path("南浦/Nampo ÄÖ.csv") == "南浦/Nampo ÄÖ.csv"
    assert printable_path(os.fsdecode(b"a\xff\xfeb")) == "a\\xff\\xfeb"
