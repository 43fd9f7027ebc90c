"""`exposure ingest`: exit codes, the table and JSON outputs, and the --output Parquet file."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from desktop.cli import main
from desktop.core.fixes import FIX_COLUMNS, check_fixes
from desktop.core.ingest import ingest

CSV = (
    "mmsi,time,lat,lon,sog,heading\n"
    "351000001,2026-03-01T00:00:00Z,10.0,20.0,5.0,90\n"
    "351000001,2026-03-01T00:10:00Z,10.01,20.0,,\n"
    "2655000,2026-03-01T00:00:00Z,10.0,20.0,0,\n"
    "351000002,2026-03-01T00:05:00Z,91,181,0,\n"
    "351000002,2026-03-01T00:06:00Z,11.0,21.0,0.5,511\n"
)


@pytest.fixture
def track(tmp_path: Path) -> Path:
    path = tmp_path / "track.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_table_output_and_exit_0(track: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(track)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{track}  [csv]",
        "  lines 6  fixes 3  vessels 2  2026-03-01T00:00:00Z .. 2026-03-01T00:10:00Z",
        "  accepted: fix 3, header 1",
        "  rejected: invalid_position 1 (lines 5), not_a_vessel 1 (lines 4)",
        "total: 1 files  lines 6  fixes 3  vessels 2  flagged 0  "
        "2026-03-01T00:00:00Z .. 2026-03-01T00:10:00Z",
        "  rejected: invalid_position 1, not_a_vessel 1",
    ]


def test_missing_path_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.nmea"
    assert main(["ingest", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"exposure: {missing}: no such file or folder\n"


def test_no_files_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest"])
    assert exit_info.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_json_output_is_exact_and_deterministic(
    track: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", str(track), "--format", "json"]) == 0
    first = capsys.readouterr().out
    assert main(["ingest", str(track), "--format", "json"]) == 0
    assert capsys.readouterr().out == first
    doc = json.loads(first)
    assert doc == {
        "schema": "exposure-ingest/1",
        "inputs": [
            {
                "path": str(track),
                "format": "csv",
                "lines": 6,
                "fixes": 3,
                "vessels": 2,
                "time_min": "2026-03-01T00:00:00Z",
                "time_max": "2026-03-01T00:10:00Z",
                "accepted": {"fix": 3, "header": 1},
                "rejected": {"invalid_position": 1, "not_a_vessel": 1},
                "first_lines": {"invalid_position": [5], "not_a_vessel": [4]},
                "notes": [],
            }
        ],
        "totals": {
            "files": 1,
            "lines": 6,
            "fixes": 3,
            "vessels": 2,
            "flagged": 0,
            "time_min": "2026-03-01T00:00:00Z",
            "time_max": "2026-03-01T00:10:00Z",
            "accepted": {"fix": 3, "header": 1},
            "rejected": {"invalid_position": 1, "not_a_vessel": 1},
        },
    }


def test_output_parquet_round_trip(
    track: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fixes.parquet"
    assert main(["ingest", str(track), "--output", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote 3 fixes to {out}"
    written = pd.read_parquet(out)
    assert tuple(written.columns) == FIX_COLUMNS
    check_fixes(written)
    expected = ingest([track]).fixes
    pd.testing.assert_frame_equal(written, expected)
    assert written["heading_deg"].tolist() == [90, pd.NA, pd.NA]
    assert written["source"].tolist() == ["track.csv"] * 3


def test_output_to_unwritable_place_exits_2(
    track: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "no" / "such" / "dir" / "fixes.parquet"
    assert main(["ingest", str(track), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"exposure: {out}: cannot write the fixes table")
    assert err.count("\n") == 1


@pytest.mark.corpus
def test_ingest_of_the_corpus_exits_0_and_counts_add_up(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", str(corpus / "libais"), str(corpus / "amsa"), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for entry in doc["inputs"]:
        assert sum(entry["accepted"].values()) + sum(entry["rejected"].values()) == entry["lines"]
    assert doc["totals"]["lines"] == sum(entry["lines"] for entry in doc["inputs"])
    assert doc["totals"]["fixes"] == sum(entry["fixes"] for entry in doc["inputs"])
