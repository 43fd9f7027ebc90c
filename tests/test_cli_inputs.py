"""What `exposure` says about its inputs (issue #12, item 15): a warning on stderr naming
every file that gave no fix, and a one-line summary of the inputs in the table output."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from desktop.cli import main

GOOD = ("mmsi,time,lat,lon\n412000001,2026-11-01T00:00:00Z,37.5,124.5\n"
        "412000001,2026-11-01T01:00:00Z,37.5,124.6\nnot,a,row\n")  # fmt: skip


def test_check_warns_on_stderr_naming_each_file_with_no_fixes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    nested = tmp_path / "twice.csv.gz"
    inner = gzip.compress(GOOD.encode(), mtime=0)  # read once: binary, lines end at CR or LF
    nested.write_bytes(gzip.compress(inner, mtime=0))
    inner_lines = len(re.findall(rb"\r\n|\r|\n", inner)) + (inner[-1:] not in (b"\n", b"\r"))
    binary = tmp_path / "photo.bin"
    binary.write_bytes(b"\x00\x01\t\x02\t\x03\n\xff\xfe\x00\n\x07")  # tabs, NULs: 3 lines
    code = main(["check", str(good), str(nested), str(binary), "--as-of", "2026-11-28"])
    out, err = capsys.readouterr()
    assert code == 0
    assert err.splitlines() == [
        f"exposure: warning: {nested}: no fixes read (unknown, {inner_lines} lines; "
        f"not_ais {inner_lines})",
        f"exposure: warning: {binary}: no fixes read (unknown, 3 lines; not_ais 3)",
    ]
    total = 4 + inner_lines + 3
    assert out.splitlines()[1] == (
        f"Inputs: 3 files, {total} lines, 2 fixes, {total - 3} rejected")


def test_ingest_warns_for_a_utf16_file_only_when_it_gives_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    read = tmp_path / "u16.csv"
    read.write_bytes(GOOD.encode("utf-16"))
    code = main(["ingest", str(read)])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert f"{read}  [csv]" in out
    assert "  lines 4  fixes 2  vessels 1" in out.splitlines()[1]


def test_table_summary_counts_one_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    assert main(["check", str(good), "--as-of", "2026-11-28"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines()[1] == "Inputs: 1 file, 4 lines, 2 fixes, 1 rejected"
