"""`exposure check --archive ARCHIVE --engine dask`: byte-identical JSON to the local engine on
real archives (the sample, the archive tests' two-receiver set, and the same through moto's S3
server), progress on stderr, and one-line refusals (exit 2) for a scheduler that does not
answer and for arguments that cannot run."""

from __future__ import annotations

import re
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
    if lines and lines[0].startswith("dask: dashboard "):  # when bokeh is installed
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
        (["--archive", "A", "--engine", "dask", "--vessels", "list.txt"],
         "exposure: --vessels is not available with --engine dask: use --engine local\n"),
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
