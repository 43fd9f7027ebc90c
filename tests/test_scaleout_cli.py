"""`exposure check --archive ARCHIVE [--vessels LIST] --engine dask`: byte-identical JSON (and
CSV) to the local engine on real archives (the sample, the archive tests' two-receiver set, and
the same through moto's S3 server), progress on stderr, and one-line refusals (exit 2) for a
scheduler that does not answer, for a run that cannot finish and for arguments that cannot
run."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scaleout_kit import free_port

from desktop.cli import main
from desktop.core.archive import add_files
from tests.archive_kit import AS_OF as RECEIVERS_AS_OF
from tests.archive_kit import write_receivers
from tests.test_archive_s3 import BUCKET, endpoint  # noqa: F401  (moto's S3 server fixture)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_NMEA = ROOT / "sample_tracks" / "sample_2026.nmea.gz"
SAMPLE_AS_OF = "2026-11-01"
PROGRESS = re.compile(r"^dask: (\d+)/(\d+) tasks \(([a-zA-Z ]+)\)$")
BOKEH = importlib.util.find_spec("bokeh") is not None


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """name -> (archive folder, as-of date): the sample, and the two receivers' files."""
    base = tmp_path_factory.mktemp("archives")
    add_files(str(base / "sample"), [SAMPLE_NMEA])
    a, b = write_receivers(base / "in")
    add_files(str(base / "receivers"), [a, b])
    return {
        "sample": (str(base / "sample"), SAMPLE_AS_OF),
        "receivers": (str(base / "receivers"), RECEIVERS_AS_OF),
    }


def _check(capsys: pytest.CaptureFixture[str], out: Path, *argv: str) -> tuple[int, str]:
    code = main(["check", *argv, "--format", "json", "--output", str(out)])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("name", ["sample", "receivers"])
def test_engine_dask_json_is_byte_identical_to_the_local_engine(
    name: str, archives: dict[str, tuple[str, str]], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    archive, as_of = archives[name]
    local, dask = tmp_path / "local.json", tmp_path / "dask.json"
    assert _check(capsys, local, "--archive", archive, "--as-of", as_of) == (0, "")
    code, err = _check(capsys, dask, "--archive", archive, "--as-of", as_of,
                       "--engine", "dask", "--workers", "2")
    assert code == 0
    assert dask.read_bytes() == local.read_bytes()
    lines = err.splitlines()
    if BOKEH:  # a cluster started here has a dashboard worth a link only with bokeh
        assert re.fullmatch(r"dask: dashboard http://127\.0\.0\.1:\d+/status", lines.pop(0))
    assert lines and all(PROGRESS.match(line) for line in lines), err
    done, total, stage = PROGRESS.match(lines[-1]).groups()
    assert (done, stage) == (total, "detectors")  # the last line says everything finished


def test_scheduler_that_does_not_answer_exits_2_with_one_line(
    archives: dict[str, tuple[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive, as_of = archives["receivers"]
    out = tmp_path / "out.json"
    port = free_port()
    code, err = _check(capsys, out, "--archive", archive, "--as-of", as_of, "--engine", "dask",
                       "--scheduler", f"tcp://127.0.0.1:{port}")
    assert code == 2
    assert err.startswith(f"exposure: the Dask scheduler tcp://127.0.0.1:{port} does not answer")
    assert err.count("\n") == 1
    assert not out.exists()  # no partial verdicts


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sample.nmea", "--engine", "dask"],
         "exposure: --engine dask screens an archive: give --archive ARCHIVE\n"),
        (["--archive", "A", "--workers", "2"],
         "exposure: --scheduler and --workers need --engine dask\n"),
        (["--archive", "A", "--engine", "dask", "--workers", "0"],
         "exposure: --workers 0: give at least 1\n"),
    ],
)
def test_engine_arguments_that_cannot_run_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", *argv]) == 2
    assert capsys.readouterr().err == message


def test_scheduler_and_workers_together_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "--archive", "A", "--engine", "dask", "--scheduler", "tcp://h:8786",
              "--workers", "2"])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_engine_dask_on_s3_is_byte_identical_to_the_local_engine(
    endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],  # noqa: F811
) -> None:
    """The workers read the archive from moto's S3 server themselves (they reach it through
    the environment the fixture set, as workers on other machines would through theirs)."""
    a, b = write_receivers(tmp_path / "in")
    url = f"s3://{BUCKET}/dask"
    add_files(url, [a, b], storage_options={"client_kwargs": {"endpoint_url": endpoint}})
    local, dask = tmp_path / "local.json", tmp_path / "dask.json"
    assert _check(capsys, local, "--archive", url, "--as-of", RECEIVERS_AS_OF) == (0, "")
    code, err = _check(capsys, dask, "--archive", url, "--as-of", RECEIVERS_AS_OF,
                       "--engine", "dask", "--workers", "2")
    assert code == 0, err
    assert dask.read_bytes() == local.read_bytes()
    assert b'"vessels": [\n    {' in local.read_bytes()  # the document holds verdicts


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of one 2-worker LocalCluster (processes) for the tests that name one."""
    from desktop.core.scaleout.engine import dask_client

    with dask_client(workers=2, timeout_s=60) as client:
        yield client.scheduler.address


# JIN HUI 6 by IMO (its STS counterpart 457100309 is not listed), GOLDEN BRIDGE by MMSI, SEA
# GRACE by name (the sample's "Ocean Glory" renamed), and a name the archive does not hold.
VESSELS = "name,imo,mmsi\nJIN HUI 6,9344100,\n,,356401700\nSEA GRACE,,\nNO SUCH SHIP,,\n"


def test_engine_dask_with_vessels_is_byte_identical_to_the_local_engine(
    scheduler: str, archives: dict[str, tuple[str, str]], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    archive, _ = archives["sample"]
    listed = tmp_path / "vessels.csv"
    listed.write_text(VESSELS, encoding="utf-8")
    local, dask = tmp_path / "local.json", tmp_path / "dask.json"
    argv = ["check", "--archive", archive, "--vessels", str(listed), "--as-of", "2026-09-15",
            "--format", "json"]
    missing = "exposure: name NO SUCH SHIP: not in the archive between 2025-09-19 and 2026-09-15"
    assert main([*argv, "--output", str(local)]) == 0
    assert capsys.readouterr().err.splitlines() == [missing]
    assert main([*argv, "--output", str(dask), "--engine", "dask", "--scheduler", scheduler]) == 0
    assert dask.read_bytes() == local.read_bytes()
    err = capsys.readouterr().err.splitlines()
    # a scheduler named by address: its dashboard, whatever this process has installed
    assert re.fullmatch(r"dask: dashboard http://[\d.]+:\d+/status", err[0])
    assert missing in err
    stages = [PROGRESS.match(line).group(3) for line in err if PROGRESS.match(line)]
    assert stages[0] == "finding the listed vessels"
    assert "finding the counterparts of the counterparts" in stages
    assert stages[-1] == "detectors"
    vessels = json.loads(local.read_text(encoding="utf-8"))["vessels"]
    # exactly the listed vessels, though their counterparts were screened too
    assert [(v["mmsi"], v["verdict"]) for v in vessels] == [
        (414000310, "barred"), (356401700, "review"), (370221000, "review")
    ]
    assert [(r["kind"], r["with_mmsi"]) for r in vessels[0]["reasons"]] == [
        ("sts_transfer", 457100309)
    ]


def test_run_that_cannot_finish_exits_2_naming_the_file_and_writes_nothing(
    scheduler: str, archives: dict[str, tuple[str, str]], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A task that raises (an archive file that is not Parquet) fails the whole run: exit 2,
    one line with the reason, and no verdicts, not even those of the days that were read."""
    source, as_of = archives["receivers"]
    archive = tmp_path / "broken"
    shutil.copytree(source, archive)
    [broken, *_] = sorted(archive.glob("fixes/day=*/*.parquet"))
    broken.write_bytes(b"not parquet")
    out = tmp_path / "out.json"
    code = main(["check", "--archive", str(archive), "--as-of", as_of, "--engine", "dask",
                 "--scheduler", scheduler, "--format", "json", "--output", str(out)])
    assert code == 2
    [last] = [line for line in capsys.readouterr().err.splitlines()
              if not line.startswith("dask: ")]
    assert last.startswith(f"exposure: {broken}: cannot read this archive file (")
    assert not out.exists()


# A selection whose listed vessel goes silent for 24 h off Haeju (2 Sep 06:00 - 3 Sep 06:00,
# gap_min_h is 12 h), with three other ships heard within 50 km of where it went silent and
# none of where it reappeared: a listed one, its slow companion (read as a counterpart of the
# listed one) and a fast one that is neither listed nor near a listed vessel's slow fixes, so
# the selection never reads it. The local path counts only the vessels it read: 2, not 3.
SILENT, LISTED_NEAR, COUNTERPART, UNREAD = 211000001, 211000002, 211000003, 211000004
SILENT_FROM, SILENT_TO = (37.5, 124.5), (37.3, 124.6)  # (lat, lon)
LAT_PER_KM = 1 / 111.195  # degrees of latitude per km (mean earth radius)


def _rows(mmsi: int, first: str, last: str, lat: float, lon: float, sog_kn: float
          ) -> list[str]:  # fmt: skip
    """CSV rows of a vessel at (lat, lon) every 30 min from ``first`` to ``last`` (UTC)."""
    t = datetime.fromisoformat(first).replace(tzinfo=UTC)
    end = datetime.fromisoformat(last).replace(tzinfo=UTC)
    out = []
    while t <= end:
        out.append(f"{mmsi},{t:%Y-%m-%dT%H:%M:%SZ},{lat:.6f},{lon:.6f},{sog_kn},,")
        t += timedelta(minutes=30)
    return out


def test_engine_dask_with_vessels_counts_gap_neighbours_of_the_vessels_read_only(
    scheduler: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    north_30km = SILENT_FROM[0] + 30 * LAT_PER_KM  # 30 km from the start, 52 km from the end
    rows = [
        *_rows(SILENT, "2026-09-01 18:00", "2026-09-02 06:00", *SILENT_FROM, 10.0),
        *_rows(SILENT, "2026-09-03 06:00", "2026-09-03 12:00", *SILENT_TO, 10.0),
        # at 0.5 kn, 2 km apart (no transfer: that needs 500 m) for 6 h of the silence
        *_rows(LISTED_NEAR, "2026-09-02 08:00", "2026-09-02 14:00", north_30km, 124.5, 0.5),
        *_rows(COUNTERPART, "2026-09-02 08:00", "2026-09-02 14:00", north_30km, 124.52264, 0.5),
        # 20 km west of the start at 10 kn: within 50 km of both ends, but never read
        *_rows(UNREAD, "2026-09-02 10:00", "2026-09-02 12:00", SILENT_FROM[0], 124.27357, 10.0),
    ]
    source = tmp_path / "in" / "fixes.csv"
    source.parent.mkdir()
    source.write_text("mmsi,timestamp_utc,lat,lon,sog_kn,vessel_name,imo\n"
                      + "\n".join(rows) + "\n", encoding="utf-8")
    archive = tmp_path / "archive"
    add_files(str(archive), [source])
    listed = tmp_path / "vessels.txt"
    listed.write_text(f"{SILENT}\n{LISTED_NEAR}\n", encoding="utf-8")
    local, dask = tmp_path / "local.json", tmp_path / "dask.json"
    argv = ["check", "--archive", str(archive), "--vessels", str(listed), "--as-of",
            "2026-09-10", "--format", "json"]
    assert main([*argv, "--output", str(local)]) == 0
    assert main([*argv, "--output", str(dask), "--engine", "dask", "--scheduler", scheduler]) == 0
    capsys.readouterr()
    assert dask.read_bytes() == local.read_bytes()
    vessels = json.loads(local.read_text(encoding="utf-8"))["vessels"]
    assert sorted(v["mmsi"] for v in vessels) == [SILENT, LISTED_NEAR]
    [silent] = [v for v in vessels if v["mmsi"] == SILENT]
    [gap] = [r for r in silent["reasons"] if r["kind"] == "ais_gap"]
    assert (gap["start"], gap["end"]) == ("2026-09-02T06:00:00Z", "2026-09-03T06:00:00Z")
    # The listed ship and the counterpart near the start; the unread one, also near the end,
    # in neither (it would make these (3, 1, 3), as it did on Dask before the selection filter).
    assert (gap["others_heard_near_start"], gap["others_heard_near_end"],
            gap["others_heard_near"]) == (2, 0, 2)
