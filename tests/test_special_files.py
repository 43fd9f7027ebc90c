"""A FIFO, a device or a folder given as a zone file or a watch list is refused with a message
naming it instead of blocking for ever (a FIFO without a writer) or reading without end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.core.errors import InputError, ZoneError
from desktop.core.files import read_regular_file
from desktop.core.watchlist import load_watchlist
from desktop.core.zones import load_zones

ROOT = Path(__file__).resolve().parents[1]
CSV = "mmsi,time,lat,lon,sog\n351000001,2026-03-01T00:00:00Z,10.0,20.0,5.0\n"


def _check(*args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    # The timeout only turns a regression (a read blocking for ever) into a failure.
    return subprocess.run([sys.executable, "-m", "desktop", "check", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("option", ["--zones", "--watchlist"])
def test_a_fifo_given_to_zones_or_watchlist_is_refused_not_waited_on(
    tmp_path: Path, option: str
) -> None:
    track = tmp_path / "t.csv"
    track.write_text(CSV)
    fifo = tmp_path / "pipe.geojson"
    os.mkfifo(fifo)
    done = _check(str(track), option, str(fifo), "--as-of", "2026-03-02")
    what = "zone file" if option == "--zones" else "the watch list"
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"exposure: {fifo}: cannot read {what}: it is a FIFO (named pipe), not a regular file\n")


def test_a_device_as_zone_file_is_refused_naming_it() -> None:
    with pytest.raises(ZoneError) as info:
        load_zones(["/dev/null"], include_defaults=False)
    assert str(info.value) == (
        "/dev/null: cannot read zone file: it is a character device, not a regular file")


def test_a_device_or_folder_as_watch_list_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_watchlist(["/dev/null"])
    assert str(info.value) == (
        "/dev/null: cannot read the watch list: it is a character device, not a regular file")
    with pytest.raises(InputError, match=r"folder has no sdn\.csv"):
        load_watchlist([tmp_path])


def test_a_folder_as_zone_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ZoneError) as info:
        load_zones([tmp_path], include_defaults=False)
    assert str(info.value).startswith(f"{tmp_path}: cannot read zone file")


def test_read_regular_file_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(b"{}\n")
    assert read_regular_file(path, "zone file") == b"{}\n"
