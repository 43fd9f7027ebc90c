"""`exposure --self-test` without Qt: is this installation whole, and does it screen right?

An IT department installs the bundle on a machine we never saw; these checks tell it, in one
line each, whether the bundled resources load, the bundled sample gives the verdicts its README
promises (``sample_tracks/README.md``, copied as data into ``selftest_expected_2026-11-01.csv``
beside this module, not beside the sample, where opening the folder would read it as tracks;
``tests/test_selftest.py`` keeps it equal to the README), and GDAL reads a
GeoPackage without a warning (a bundle that misses pyogrio's GDAL data prints some). The window
render and the worker process need Qt: ``desktop.gui.selftest`` adds those checks.

Each check returns a ``CheckResult``; a check that raises is a failure with the exception's text,
never a traceback that hides the other lines.
"""

from __future__ import annotations

import contextlib
import csv
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from desktop.core.errors import ResourceError

SAMPLE_AS_OF: Final = datetime(2026, 11, 1, tzinfo=UTC)
EXPECTED_FILE: Final = "selftest_expected_2026-11-01.csv"
# The sample vessel written to the GeoPackage: a direct Rajin caller, so the verdict read back
# from the GeoPackage is the one of the NMEA file (README: barred until 2027-03-16T18:00:00Z).
GPKG_MMSI: Final = 273318807


@dataclass(frozen=True)
class CheckResult:
    """One line of the self-test: its name, whether it passed, and what it found."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


Check = Callable[[], str]  # returns the detail when it passes, raises when it fails


class CheckFailed(Exception):
    """A self-test check found something wrong (its message is the line's detail)."""


def run_check(name: str, check: Check) -> CheckResult:
    """Run one check; any exception is a failure with the exception's type and text."""
    try:
        return CheckResult(name, True, check())
    except Exception as exc:  # noqa: BLE001 -- every failure becomes one line, never a crash
        text = str(exc) if isinstance(exc, CheckFailed) else f"{type(exc).__name__}: {exc}"
        return CheckResult(name, False, one_line(text))


def one_line(text: str) -> str:
    """A message of several lines as one: its first and its last line (numpy's ImportError
    puts advice first and the cause, "Original error was: ...", last)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else text
    return f"{lines[0]} ... {lines[-1]}"


def check_resources() -> str:
    """Every bundled resource the app reads: zones, basemap, ports, anchorages, icon, guide."""
    from desktop.core.basemap import load_land
    from desktop.core.ports import anchorage_table, port_table
    from desktop.core.resources import resource_path, resources_root, user_guide_path
    from desktop.core.zones import default_zones

    zones = default_zones()
    land = load_land()
    ports = port_table()
    anchorages = anchorage_table()
    icon = resource_path("icons/exposure.png").read_bytes()
    if not icon.startswith(b"\x89PNG\r\n\x1a\n"):
        raise CheckFailed("icons/exposure.png is not a PNG")
    guide = user_guide_path().read_text(encoding="utf-8")
    if "Maritime Exposure Check" not in guide:
        raise CheckFailed(f"{user_guide_path()} is not the user guide")
    licences = sorted(p.name for p in resources_root().rglob("LICENSE-*.txt"))
    if not (len(zones) and len(land) and len(ports["name"]) and len(anchorages["s2id"])):
        raise CheckFailed("a bundled table is empty")
    return (f"{len(zones)} zones, {len(land)} land polygons, {len(ports['name'])} ports, "
            f"{len(anchorages['s2id'])} anchorages, icon, user guide, "
            f"{len(licences)} data licences")


def expected_verdicts(path: Path) -> dict[int, tuple[str, str]]:
    """MMSI -> (verdict, barred_until or "") from the expected table beside the sample."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {int(r["mmsi"]): (r["verdict"], r["barred_until"]) for r in rows}


def sample_files() -> tuple[Path, Path]:
    """The bundled sample and its expected table; ResourceError when either is missing."""
    from desktop.core.resources import sample_tracks

    sample = sample_tracks()
    if sample is None:
        raise ResourceError("the sample tracks are not installed")
    expected = Path(__file__).resolve().parent / EXPECTED_FILE
    if not expected.is_file():
        raise ResourceError(f"expected verdicts missing: {expected}")
    return sample, expected


def compare_verdicts(found: dict[int, tuple[str, str]],
                     expected: dict[int, tuple[str, str]]) -> list[str]:
    """The differences, one phrase each (empty when the tables agree)."""
    wrong = [f"{mmsi}: {found.get(mmsi, ('missing', ''))} expected {want}"
             for mmsi, want in sorted(expected.items()) if found.get(mmsi) != want]
    wrong += [f"{mmsi}: not in the expected table" for mmsi in sorted(found.keys() - expected)]
    return wrong


def _verdict_table(result: object) -> dict[int, tuple[str, str]]:
    from desktop.core.model import iso_utc

    return {v.mmsi: (str(v.verdict), iso_utc(v.barred_until) or "")
            for v in result.verdicts}  # type: ignore[attr-defined]


def check_sample() -> str:
    """Screen the bundled sample as of 2026-11-01 and compare with the README's table."""
    from desktop.core.screening import screen

    sample, expected_path = sample_files()
    expected = expected_verdicts(expected_path)
    found = _verdict_table(screen([sample], as_of=SAMPLE_AS_OF))
    wrong = compare_verdicts(found, expected)
    if wrong:
        raise CheckFailed(f"{len(wrong)} verdicts differ: " + "; ".join(wrong[:3]))
    counts = {v: sum(1 for f in found.values() if f[0] == v) for v in ("barred", "review")}
    return (f"{len(found)} vessels as expected on 2026-11-01 ({counts['barred']} barred, "
            f"{counts['review']} review)")


@contextlib.contextmanager
def captured_stderr() -> Iterator[list[str]]:
    """What is written to file descriptor 2 meanwhile, C libraries included (GDAL's warnings
    bypass ``sys.stderr``): the yielded list holds that text once the block has ended."""
    printed: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as out:
        os.dup2(out.fileno(), 2)
        try:
            yield printed
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            out.seek(0)
            printed.append(out.read())


def check_geopackage() -> str:
    """Write one sample vessel to a GeoPackage in a temporary folder, screen it from there:
    the verdict must be the NMEA file's, and GDAL must print nothing."""
    import logging
    import warnings

    import geopandas as gpd

    from desktop.core.ingest import ingest
    from desktop.core.screening import screen

    sample, expected_path = sample_files()
    want = expected_verdicts(expected_path)[GPKG_MMSI]
    fixes = ingest([sample]).fixes
    fixes = fixes[fixes["mmsi"] == GPKG_MMSI]
    frame = gpd.GeoDataFrame(
        fixes[["mmsi", "time", "sog_kn", "cog_deg", "heading_deg", "nav_status"]],
        geometry=gpd.points_from_xy(fixes["lon"], fixes["lat"]), crs="EPSG:4326",
    )
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    gdal_log = logging.getLogger("pyogrio")
    gdal_log.addHandler(handler)
    try:
        with (tempfile.TemporaryDirectory(prefix="exposure-selftest ") as folder,
              warnings.catch_warnings(record=True) as caught,
              captured_stderr() as printed):
            warnings.simplefilter("always")
            path = Path(folder) / "tracks.gpkg"
            frame.to_file(path, driver="GPKG", layer="fixes", engine="pyogrio")
            result = screen([path], as_of=SAMPLE_AS_OF)
        noise = "".join(printed).strip()
    finally:
        gdal_log.removeHandler(handler)
    report = result.ingest.reports[0]
    if report.format != "gpkg" or result.ingest.fixes.shape[0] != len(frame):
        raise CheckFailed(f"read {result.ingest.fixes.shape[0]} of {len(frame)} fixes as "
                          f"{report.format}")
    got = _verdict_table(result).get(GPKG_MMSI)
    if got != want:
        raise CheckFailed(f"{GPKG_MMSI} is {got} from the GeoPackage, expected {want}")
    said = [noise] if noise else []
    said += [str(w.message) for w in caught] + [r.getMessage() for r in records]
    if said:
        raise CheckFailed("GDAL or pyogrio said: " + " | ".join(s.splitlines()[0] for s in said))
    return f"{len(frame)} fixes written and read back, {want[0]} until {want[1]}, no warning"


CORE_CHECKS: Final[list[tuple[str, Check]]] = [
    ("resources", check_resources),
    ("sample verdicts", check_sample),
    ("GeoPackage", check_geopackage),
]


def run_core_checks() -> list[CheckResult]:
    """The checks that need no Qt, in order."""
    return [run_check(name, check) for name, check in CORE_CHECKS]
