"""The order of the input files does not change a screening: two receivers report one vessel at
one instant with positions rounded differently, and the fix kept is the same either way."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from desktop.cli import main
from desktop.core.ingest import ingest


def _tracks(decimals: int) -> str:
    """Two vessels drifting 50-150 m apart, slow, a report every 7 min for 4 h 33 min, the
    positions written with ``decimals`` decimals (as two receivers' exports differ)."""
    rows = ["mmsi,time,lat,lon,sog"]
    for mmsi, lat0, lon0 in ((351000001, 30.0, 125.0), (352000002, 30.001, 125.001)):
        for k in range(40):
            minute = 7 * k
            lat = lat0 + 0.0004 * math.sin(k * 1.7 + mmsi % 7)
            lon = lon0 + 0.0004 * math.cos(k * 2.3 + mmsi % 5)
            rows.append(f"{mmsi},2026-06-01T{minute // 60:02d}:{minute % 60:02d}:00Z,"
                        f"{lat:.{decimals}f},{lon:.{decimals}f},0.5")
    return "\n".join(rows) + "\n"


def _screen(capsys: pytest.CaptureFixture[str], *files: Path) -> dict:
    assert main(["check", *map(str, files), "--as-of", "2026-06-02", "--no-default-zones",
                 "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [i["path"] for i in doc.pop("inputs")] == [str(f) for f in files]
    return doc


def test_screening_a_then_b_and_b_then_a_gives_the_same_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(_tracks(5))
    b.write_text(_tracks(6))
    ab, ba = _screen(capsys, a, b), _screen(capsys, b, a)
    sts = [r for v in ab["vessels"] for r in v["reasons"] if r["kind"] == "sts_transfer"]
    assert len(sts) == 2  # the encounter is there, seen from both vessels
    assert ab == ba


def test_reports_of_one_instant_in_two_files_keep_the_first_file_by_path(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(_tracks(5))
    b.write_text(_tracks(6))
    ab, ba = ingest([a, b]), ingest([b, a])
    # the same rows; only the source column's category list follows the order given
    as_text = {"source": str}
    pd.testing.assert_frame_equal(ab.fixes.astype(as_text), ba.fixes.astype(as_text))
    assert ab.fixes["source"].unique().tolist() == ["a.csv"]  # a.csv sorts first: all its own
    assert [(r.path, r.fixes, r.rejected) for r in ba.reports] == [
        (str(b), 0, {"duplicate": 80}), (str(a), 80, {})]
