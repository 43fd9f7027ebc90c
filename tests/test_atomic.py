"""Output files are written aside and renamed into place (desktop/core/atomic.py): a full disk
while writing `check --output` or `ingest --output` leaves the previous file whole."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

import desktop.core.atomic as atomic
from desktop.cli import main
from desktop.core.atomic import atomic_output, write_bytes_atomic, write_text_atomic
from desktop.core.errors import InputError

CSV = (
    "mmsi,time,lat,lon,sog\n"
    "351000001,2026-03-01T00:00:00Z,10.0,20.0,5.0\n"
    "351000001,2026-03-01T00:10:00Z,10.01,20.0,5.0\n"
)


class _FullDisk:
    """A file object whose disk fills up after ``room`` bytes (or characters)."""

    def __init__(self, handle: Any, room: int) -> None:
        self._handle, self._room = handle, room

    def write(self, data: Any) -> int:
        if len(data) > self._room:
            self._handle.write(data[: self._room])
            self._handle.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return int(self._handle.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    real_fdopen = os.fdopen
    monkeypatch.setattr(atomic.os, "fdopen",
                        lambda *a, **k: _FullDisk(real_fdopen(*a, **k), room=10))


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_write_text_atomic_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old\n")
    target.chmod(0o640)
    write_text_atomic(target, "new\r\nline\n")
    assert target.read_bytes() == b"new\r\nline\n"  # newlines as given, on every platform
    assert target.stat().st_mode & 0o777 == 0o640  # the replaced file's permissions are kept
    write_bytes_atomic(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert _names(tmp_path) == ["b.bin", "out.txt"]


def test_a_new_file_gets_the_permissions_of_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_text_atomic(tmp_path / "new.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o640


def test_an_exception_in_the_block_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old\n")
    with pytest.raises(ValueError, match="half done"), atomic_output(target) as handle:
        handle.write("new")
        raise ValueError("half done")
    assert target.read_text() == "old\n"
    assert _names(tmp_path) == ["out.txt"]


def test_full_disk_while_writing_keeps_the_old_file(tmp_path: Path, full_disk: None) -> None:
    target = tmp_path / "out.txt"
    target.write_text("the previous result\n")
    with pytest.raises(InputError) as info:
        write_text_atomic(target, "a longer new result that does not fit\n")
    assert str(info.value) == f"cannot write {target}: No space left on device"
    assert target.read_text() == "the previous result\n"
    assert _names(tmp_path) == ["out.txt"]


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    target = tmp_path / "no" / "out.txt"
    with pytest.raises(InputError, match=f"cannot write {target}: No such file or directory"):
        write_text_atomic(target, "x")


def test_check_output_on_a_full_disk_exits_2_and_keeps_the_previous_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], full_disk: None
) -> None:
    tracks = tmp_path / "t.csv"
    tracks.write_text(CSV)
    out = tmp_path / "verdicts.json"
    out.write_text('{"previous": true}\n')
    code = main(["check", str(tracks), "--as-of", "2026-03-02", "--format", "json",
                 "--output", str(out)])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err == f"exposure: cannot write {out}: No space left on device\n"
    assert out.read_text() == '{"previous": true}\n'
    assert _names(tmp_path) == ["t.csv", "verdicts.json"]


def test_ingest_output_on_a_full_disk_exits_2_and_keeps_the_previous_parquet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tracks = tmp_path / "t.csv"
    tracks.write_text(CSV)
    out = tmp_path / "fixes.parquet"
    assert main(["ingest", str(tracks), "--output", str(out)]) == 0
    before = out.read_bytes()
    capsys.readouterr()
    real_fdopen = os.fdopen
    monkeypatch.setattr(atomic.os, "fdopen",
                        lambda *a, **k: _FullDisk(real_fdopen(*a, **k), room=100))
    tracks.write_text(CSV + "351000001,2026-03-01T00:20:00Z,10.02,20.0,5.0\n")
    assert main(["ingest", str(tracks), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"exposure: {out}: cannot write the fixes table (")
    assert "No space left on device" in err and err.count("\n") == 1
    assert out.read_bytes() == before
    assert _names(tmp_path) == ["fixes.parquet", "t.csv"]
