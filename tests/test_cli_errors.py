"""The command line's one-line errors instead of tracebacks: an as-of outside the supported
range, a standard output that is full (/dev/full), closed, or a pipe whose reader went away."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.errors import ParameterError
from desktop.core.screening import normalise_as_of, parse_as_of

ROOT = Path(__file__).resolve().parents[1]
CSV = (
    "mmsi,time,lat,lon,sog\n"
    "351000001,2026-03-01T00:00:00Z,10.0,20.0,5.0\n"
    "351000001,2026-03-01T00:10:00Z,10.01,20.0,5.0\n"
)
RANGE = ("is outside the supported range 1678-01-01 to 2262-04-11 00:00 UTC (pandas' nanosecond "
         "times span 1677-09-21 to 2262-04-11; the rule needs room for its look-back windows)")


@pytest.fixture
def track(tmp_path: Path) -> Path:
    path = tmp_path / "t.csv"
    path.write_text(CSV)
    return path


@pytest.mark.parametrize("as_of", ["2300-01-01", "1600-01-01", "2262-04-11T00:00:01",
                                   "1677-12-31T23:59:59", "0001-01-01T00:00:00+05:00"])
def test_as_of_outside_the_nanosecond_range_exits_2_with_one_line(
    track: Path, capsys: pytest.CaptureFixture[str], as_of: str
) -> None:
    assert main(["check", str(track), "--as-of", as_of]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"exposure: as-of {as_of} {RANGE}\n")


@pytest.mark.parametrize("as_of", ["1678-01-01", "2262-04-11"])
def test_as_of_at_the_ends_of_the_range_screens(
    track: Path, capsys: pytest.CaptureFixture[str], as_of: str
) -> None:
    assert main(["check", str(track), "--as-of", as_of, "--format", "csv"]) == 0
    assert capsys.readouterr().err == ""


def test_normalise_as_of_refuses_dates_and_times_out_of_range() -> None:
    with pytest.raises(ParameterError, match=r"as-of 2262-04-12 is outside"):
        normalise_as_of(date(2262, 4, 12))
    # 1678-01-01 01:00 at +02:00 is 23:00 UTC the day before the range
    with pytest.raises(ParameterError, match=r"as-of 1678-01-01T01:00:00\+02:00 is outside"):
        normalise_as_of(datetime(1678, 1, 1, 1, tzinfo=timezone(timedelta(hours=2))))
    # 23:00 at -01:00 is the first instant of the range
    assert normalise_as_of(datetime(1677, 12, 31, 23, tzinfo=timezone(timedelta(hours=-1)))) == (
        datetime(1678, 1, 1, tzinfo=UTC))
    assert parse_as_of("2262-04-11") == date(2262, 4, 11)


def _exposure(*args: str, **popen: object) -> subprocess.Popen[bytes]:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "desktop", *args], env=env, cwd=ROOT,
                            stderr=subprocess.PIPE, **popen)  # type: ignore[call-overload]


def test_stdout_on_a_full_disk_exits_2_with_one_line(track: Path) -> None:
    with open("/dev/full", "wb") as full:
        proc = _exposure("check", str(track), "--as-of", "2026-03-02", stdout=full)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert err.decode() == "exposure: cannot write to standard output: No space left on device\n"


def test_closed_stdout_exits_2_with_one_line_unless_output_is_given(track: Path,
                                                                    tmp_path: Path) -> None:
    def closed_stdout() -> None:
        os.close(1)

    proc = _exposure("ingest", str(track), preexec_fn=closed_stdout)
    _, err = proc.communicate(timeout=120)
    assert (proc.returncode, err.decode()) == (
        2, "exposure: standard output is closed; give --output or redirect it\n")
    out = tmp_path / "v.csv"
    proc = _exposure("check", str(track), "--as-of", "2026-03-02", "--format", "csv",
                     "--output", str(out), preexec_fn=closed_stdout)
    _, err = proc.communicate(timeout=120)
    assert (proc.returncode, err.decode()) == (0, "")
    assert out.read_text().startswith("mmsi,imo,name,")


def test_a_reader_that_goes_away_ends_the_run_quietly(track: Path) -> None:
    proc = _exposure("check", str(track), "--as-of", "2026-03-02", "--format", "json",
                     stdout=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # like `| head -c 0`: nobody reads what follows
    err = proc.stderr.read() if proc.stderr else b""
    proc.wait(timeout=120)
    assert (proc.returncode, err) == (141, b"")
