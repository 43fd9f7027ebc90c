"""Gap evidence with a vessel selection (``check --archive A --vessels LIST``): the other ships
heard near a listed vessel's gap are counted among every vessel of the archive (DESIGN.md §8,
"the whole archive as context"), not only among the vessels the selection reads.

The listed vessel goes silent for 48 h (2 Sep 06:00 - 4 Sep 06:00, three UTC days) at 37.5 N
124.5 E and reappears 55.7 km south, at 37.0 N. Every other ship moves at 10 kn, so none is a
transfer or in-port counterpart: the selection reads the listed vessel alone.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from desktop.cli import main
from desktop.core.archive import add_files, load_for_screening
from desktop.core.archive.read import ArchiveNeighbours, VesselList
from desktop.core.detect.gap_evidence import GapEnds, count_neighbours, fixes_source
from desktop.core.detect.geo import time_ns, to_ns

SILENT = 211000011
START_ONLY, END_ONLY, AFTER, FAR = 211000012, 211000013, 211000014, 211000015
FROM, TO = (37.5, 124.5), (37.0, 124.5)  # (lat, lon)
LAT_PER_KM = 1 / 111.195  # degrees of latitude per km (mean earth radius)
AS_OF = "2026-09-10"


def _rows(mmsi: int, first: str, last: str, lat: float, lon: float) -> list[str]:
    """CSV rows of a vessel at (lat, lon) at 10 kn every 30 min from ``first`` to ``last``."""
    t = datetime.fromisoformat(first).replace(tzinfo=UTC)
    end = datetime.fromisoformat(last).replace(tzinfo=UTC)
    out = []
    while t <= end:
        out.append(f"{mmsi},{t:%Y-%m-%dT%H:%M:%SZ},{lat:.6f},{lon:.6f},10.0,,")
        t += timedelta(minutes=30)
    return out


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("gap_evidence")
    rows = [
        *_rows(SILENT, "2026-09-01 18:00", "2026-09-02 06:00", *FROM),
        *_rows(SILENT, "2026-09-04 06:00", "2026-09-04 12:00", *TO),
        # 20 km north of where it went silent (75.6 km from where it reappeared), on the
        # middle day of the silence
        *_rows(START_ONLY, "2026-09-03 10:00", "2026-09-03 11:00", FROM[0] + 20 * LAT_PER_KM,
               FROM[1]),
        # 20 km south of where it reappeared, on the last day of the silence, 2 h before it ends
        *_rows(END_ONLY, "2026-09-04 03:00", "2026-09-04 04:00", TO[0] - 20 * LAT_PER_KM,
               TO[1]),
        # at the very place it went silent, but only after it reappeared: not during
        *_rows(AFTER, "2026-09-04 07:00", "2026-09-04 08:00", *FROM),
        # 60 km north of where it went silent during the silence: too far
        *_rows(FAR, "2026-09-02 12:00", "2026-09-02 13:00", FROM[0] + 60 * LAT_PER_KM,
               FROM[1]),
    ]
    source = base / "in" / "fixes.csv"
    source.parent.mkdir()
    source.write_text("mmsi,timestamp_utc,lat,lon,sog_kn,vessel_name,imo\n"
                      + "\n".join(rows) + "\n", encoding="utf-8")
    add_files(str(base / "ais"), [source])
    return base / "ais"


def _vessels(archive: Path, out: Path, *argv: str) -> dict[int, dict]:
    assert main(["check", "--archive", str(archive), "--as-of", AS_OF, "--format", "json",
                 "--output", str(out), *argv]) == 0  # fmt: skip
    return {v["mmsi"]: v for v in json.loads(out.read_text(encoding="utf-8"))["vessels"]}


def test_the_selection_reads_the_listed_vessel_alone(archive: Path) -> None:
    data = load_for_screening(str(archive), date(2026, 9, 10), 180, VesselList(mmsis={SILENT}))
    assert sorted(set(data.fixes["mmsi"].tolist())) == [SILENT]
    assert data.neighbours is not None
    assert load_for_screening(str(archive), date(2026, 9, 10), 180).neighbours is None


def test_with_vessels_a_gap_counts_ships_never_read_as_the_whole_archive_does(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    listed = tmp_path / "vessels.txt"
    listed.write_text(f"{SILENT}\n", encoding="utf-8")
    selected = _vessels(archive, tmp_path / "selected.json", "--vessels", str(listed))
    whole = _vessels(archive, tmp_path / "whole.json")
    capsys.readouterr()
    assert sorted(selected) == [SILENT]
    assert sorted(whole) == [SILENT, START_ONLY, END_ONLY, AFTER, FAR]
    [gap] = [r for r in selected[SILENT]["reasons"] if r["kind"] == "ais_gap"]
    assert (gap["start"], gap["end"]) == ("2026-09-02T06:00:00Z", "2026-09-04T06:00:00Z")
    assert (gap["others_heard_near_start"], gap["others_heard_near_end"],
            gap["others_heard_near"]) == (1, 1, 2)  # fmt: skip
    assert selected[SILENT] == whole[SILENT]


def _ends(positions: list[tuple[float, float]]) -> GapEnds:
    """One gap per (lat, lon) of SILENT, silent 2 Sep 00:00 - 5 Sep 00:00 at both ends there."""
    n = len(positions)
    lat = np.array([[p[0], p[0]] for p in positions], dtype="float64")
    lon = np.array([[p[1], p[1]] for p in positions], dtype="float64")
    t0 = to_ns(datetime(2026, 9, 2, tzinfo=UTC))
    t1 = to_ns(datetime(2026, 9, 5, tzinfo=UTC))
    return GapEnds(np.full(n, SILENT, dtype="int64"), np.full(n, t0, dtype="int64"),
                   np.full(n, t1, dtype="int64"), lon, lat)  # fmt: skip


@pytest.mark.parametrize("n_gaps", [1, 32, 33])  # up to 64 ends: a box per end; 66: one box
def test_archive_neighbours_count_as_all_the_archive_fixes_in_memory(
    archive: Path, n_gaps: int
) -> None:
    # gaps every 5 km north and south of the start: each hears a different set of the ships
    positions = [(FROM[0] + (k - n_gaps // 2) * 5 * LAT_PER_KM, FROM[1]) for k in range(n_gaps)]
    ends = _ends(positions)
    data = load_for_screening(str(archive), date(2026, 9, 10), 180)
    fixes = data.fixes
    expected = count_neighbours(
        fixes_source(fixes["mmsi"].to_numpy(), time_ns(fixes), fixes["lon"].to_numpy(),
                     fixes["lat"].to_numpy())(ends), n_gaps,
    )
    source = ArchiveNeighbours(str(archive), *data.days)
    got = count_neighbours(list(source(ends)), n_gaps)
    assert got.tolist() == expected.tolist()
    # at the start, silent 2-5 Sep: START_ONLY and AFTER (now during the silence), not FAR
    assert expected[n_gaps // 2].tolist() == [2, 2, 2]
