"""`exposure arrivals LIST --archive ARCHIVE` gives the same lines as `exposure arrivals LIST
FILES` on the same data: each arrival screened as of its ETA, reading only the listed vessels
with the whole archive as context (DESIGN.md §8, §9); with `--engine dask` (a 2-worker
LocalCluster, one for the module) byte for byte the same JSON and CSV."""

from __future__ import annotations

import json
from collections.abc import Iterator
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


# --- on a Dask cluster ------------------------------------------------------------------------

# One ETA for every line (each distinct ETA is a screening of its own): matched by IMO, MMSI
# and name, an IMO reported under two MMSIs, a vessel not in the data, a row with no usable ETA.
ONE_ETA = """Vessel name,IMO number,MMSI,ETA (UTC),Port
JIN HUI 6,9344100,,2026-09-15,USLGB
SEA PIONEER,9123453,,2026-09-15,USLAX
GOLDEN BRIDGE,,356401700,2026-09-15,USSEA
Ocean Glory,,,2026-09-15,USTIW
HAI PENG,9063225,,2026-09-15,USPDX
MORNING STAR,9074729,,2026-09-15,USLAX
XIN HAI 21,9451018,,next Tuesday,USLAX
"""


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of one 2-worker LocalCluster (processes) for the module."""
    from desktop.core.scaleout.engine import dask_client

    with dask_client(workers=2, timeout_s=60) as client:
        yield client.scheduler.address


@pytest.fixture(scope="module")
def sample_archive(tmp_path_factory: pytest.TempPathFactory) -> str:
    archive = tmp_path_factory.mktemp("ais") / "sample"
    add_files(str(archive), [TRACKS])
    return str(archive)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_arrivals_on_dask_are_byte_identical_to_the_local_engine(
    fmt: str, scheduler: str, sample_archive: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    listed = tmp_path / "arrivals.csv"
    listed.write_text(ONE_ETA, encoding="utf-8")
    local, dask = tmp_path / f"local.{fmt}", tmp_path / f"dask.{fmt}"
    argv = ["arrivals", str(listed), "--archive", sample_archive, "--format", fmt]
    assert main([*argv, "--output", str(local)]) == 0
    assert main([*argv, "--output", str(dask), "--engine", "dask", "--scheduler", scheduler]) == 0
    assert dask.read_bytes() == local.read_bytes()
    err = capsys.readouterr().err.splitlines()
    assert "dask: screening as of 2026-09-15T00:00:00Z" in err  # the one ETA, said once
    assert err.count("dask: screening as of 2026-09-15T00:00:00Z") == 1
    if fmt == "json":
        document = json.loads(local.read_text(encoding="utf-8"))
        assert document["counts"] == {"barred": 2, "review": 3, "clear": 0, "no_data": 1,
                                      "unusable": 1}
        # the data's own end, read past the ETA (the ETA's day is read whole)
        assert document["data_end"] == "2026-09-15T23:54:11Z"
        jin_hui = document["arrivals"][0]
        assert (jin_hui["verdict"], jin_hui["match"]["mmsi"]) == ("barred", 414000310)
        # its counterpart is not listed: found in the archive as context
        assert [(r["kind"], r["with_mmsi"]) for r in jin_hui["vessel"]["reasons"]] == [
            ("sts_transfer", 457100309)
        ]
        assert document["arrivals"][4]["match"]["note"] == (
            "also reported by MMSI 352322000; MMSI 671322300 was heard last"
        )
        assert document["arrivals"][5]["note"] == (
            "no AIS for IMO 9074729 or name 'MORNING STAR' in the data"
        )
