"""The bundled demo scenario (sample_tracks/): reproducible, and screened as its README says.

- ``generate.py`` rewrites the committed files byte for byte (fixed seed, gzip without mtime);
- ``exposure check`` on the NMEA file gives, for every vessel, the verdict and ``barred_until``
  of the README's machine-readable table (as of the README's date), and the reason kind the
  table's ``why`` column names first is among the vessel's in-window reasons;
- the NMEA and the CSV versions of the same traffic give identical verdicts.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.model import EventKind

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_tracks"
NMEA = SAMPLE / "sample_2026.nmea.gz"
CSV = SAMPLE / "sample_2026.csv.gz"
GENERATED = ("sample_2026.nmea.gz", "sample_2026.csv.gz", "README.md")
REASON_KINDS = {str(k) for k in EventKind}


def _readme_as_of() -> str:
    text = (SAMPLE / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^## Expected verdicts as of (\S+)$", text, re.MULTILINE)
    assert found, "README.md lacks the '## Expected verdicts as of <ISO time>' heading"
    return found.group(1)


def _readme_table() -> dict[int, dict[str, str]]:
    """The table whose header is ``mmsi | name | expected verdict | barred until | why``."""
    rows: dict[int, dict[str, str]] = {}
    header: list[str] | None = None
    for line in (SAMPLE / "README.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = None if rows else header
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[:5] == ["mmsi", "name", "expected verdict", "barred until", "why"]:
            header = cells
            continue
        if header is None or set(cells[0]) <= {"-", ":"}:
            continue
        row = dict(zip(header, cells, strict=True))
        rows[int(row["mmsi"])] = row
    return rows


def _check_json(path: Path, out: Path, as_of: str) -> dict:
    code = main(["check", str(path), "--format", "json", "--output", str(out), "--as-of", as_of])
    assert code == 0
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def nmea_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("nmea") / "check.json"
    return _check_json(NMEA, out, _readme_as_of())


@pytest.fixture(scope="module")
def csv_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("csv") / "check.json"
    return _check_json(CSV, out, _readme_as_of())


@pytest.mark.slow
def test_generate_rewrites_the_committed_files_byte_for_byte(tmp_path: Path) -> None:
    # -B: no __pycache__ next to the sample (the app reads that folder).
    subprocess.run([sys.executable, "-B", str(SAMPLE / "generate.py"), str(tmp_path)],
                   check=True, capture_output=True, timeout=600)
    for name in GENERATED:
        committed = hashlib.sha256((SAMPLE / name).read_bytes()).hexdigest()
        regenerated = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        assert regenerated == committed, f"{name} differs from what generate.py writes"


def test_readme_table_lists_at_least_40_vessels_with_every_verdict() -> None:
    table = _readme_table()
    assert len(table) >= 40
    verdicts = {row["expected verdict"] for row in table.values()}
    assert verdicts == {"barred", "review", "clear"}
    for row in table.values():
        barred = row["expected verdict"] == "barred"
        assert (row["barred until"] != "-") == barred, row


@pytest.mark.slow
def test_nmea_sample_verdicts_match_the_readme_table(nmea_report: dict) -> None:
    table = _readme_table()
    got = {v["mmsi"]: v for v in nmea_report["vessels"]}
    assert nmea_report["as_of"] == _readme_as_of()
    assert set(got) == set(table)
    wrong = {
        mmsi: (row["expected verdict"], row["barred until"],
               got[mmsi]["verdict"], got[mmsi]["barred_until"] or "-")
        for mmsi, row in table.items()
        if (row["expected verdict"], row["barred until"])
        != (got[mmsi]["verdict"], got[mmsi]["barred_until"] or "-")
    }
    assert wrong == {}, "expected (verdict, until) vs exposure check (verdict, until)"
    for mmsi, row in table.items():
        assert got[mmsi]["name"] == row["name"]


@pytest.mark.slow
def test_nmea_sample_gives_the_reason_the_readme_names(nmea_report: dict) -> None:
    table = _readme_table()
    got = {v["mmsi"]: v for v in nmea_report["vessels"]}
    missing = {}
    for mmsi, row in table.items():
        kind = re.split(r"[\s:(]", row["why"], maxsplit=1)[0]
        if row["expected verdict"] == "clear" or kind not in REASON_KINDS:
            continue
        kinds = {r["kind"] for r in got[mmsi]["reasons"] if r["in_window"]}
        if kind not in kinds:
            missing[mmsi] = (kind, sorted(kinds))
    assert missing == {}


@pytest.mark.slow
def test_nmea_sample_has_one_ongoing_call_barred_from_its_last_fix(nmea_report: dict) -> None:
    ongoing = [
        (v["mmsi"], r["end"], v["barred_until"])
        for v in nmea_report["vessels"] for r in v["reasons"]
        if r["kind"] == "port_call" and r["ongoing"]
    ]
    assert [m for m, _, _ in ongoing] == [677012308]
    _, end, until = ongoing[0]
    last_fix = datetime.fromisoformat(end)
    assert datetime.fromisoformat(until) == last_fix + timedelta(days=180)
    assert last_fix.date().isoformat() == "2026-10-31"


@pytest.mark.slow
def test_nmea_and_csv_samples_give_identical_verdicts(nmea_report: dict, csv_report: dict) -> None:
    def verdicts(report: dict) -> dict[int, tuple]:
        return {v["mmsi"]: (v["verdict"], v["barred_until"]) for v in report["vessels"]}

    assert nmea_report["inputs"][0]["fixes"] == csv_report["inputs"][0]["fixes"]
    assert nmea_report["inputs"][0]["rejected"] == csv_report["inputs"][0]["rejected"] == {}
    nmea, csv = verdicts(nmea_report), verdicts(csv_report)
    assert {m: (nmea[m], csv.get(m)) for m in nmea if nmea[m] != csv.get(m)} == {}
    assert set(csv) == set(nmea)


@pytest.mark.slow
def test_sample_folder_with_both_formats_gives_the_nmea_verdicts(
    nmea_report: dict, tmp_path: Path
) -> None:
    # The folder holds both files: the second one's fixes are all duplicates of the first's.
    folder = _check_json(SAMPLE, tmp_path / "folder.json", _readme_as_of())
    fixes = {Path(i["path"]).name: (i["fixes"], i["rejected"]) for i in folder["inputs"]}
    n = nmea_report["inputs"][0]["fixes"]
    assert fixes == {"sample_2026.csv.gz": (n, {}), "sample_2026.nmea.gz": (0, {"duplicate": n})}

    def verdicts(report: dict) -> dict[int, tuple]:
        return {v["mmsi"]: (v["verdict"], v["barred_until"]) for v in report["vessels"]}

    assert verdicts(folder) == verdicts(nmea_report)


# -- issue 11: the three vessels that show reachability by sea and loitering --------------------

SEOHAE_DAWN, HAI_LANG_5, SILVER_TIDE = 440224400, 413625500, 636126600
EAST_COAST = {"Wonsan", "Hungnam", "Chaho", "Sinpo", "Riwon", "Tanchon", "Kimchaek (Songjin)",
              "Odaejin", "Chongjin", "Rajin (Najin)", "Sonbong"}


def _vessel(report: dict, mmsi: int) -> dict:
    [vessel] = [v for v in report["vessels"] if v["mmsi"] == mmsi]
    return vessel


@pytest.mark.slow
def test_yellow_sea_gap_lists_no_east_coast_port_that_a_straight_line_would_reach(
    nmea_report: dict,
) -> None:
    from desktop.core.detect.geo import METRES_PER_NM, nearest_on_geometry_m
    from desktop.core.zones import default_zones

    [gap] = [r for r in _vessel(nmea_report, SEOHAE_DAWN)["reasons"] if r["kind"] == "ais_gap"]
    assert (gap["start"], gap["end"], gap["gap_h"], gap["effect"]) == (
        "2026-08-24T19:21:42Z", "2026-08-26T09:56:16Z", 38.58, "review")
    reachable = [r["zone"] for r in gap["reachable"]]
    assert reachable[0] == "Haeju"
    assert set(reachable).isdisjoint(EAST_COAST)
    # ... while by great circle (across the peninsula) Wonsan fits in the gap's budget
    zones = default_zones()
    [wonsan] = [g for g, name in zip(zones.geometries, zones.frame["name"], strict=True)
                if name == "Wonsan"]
    legs_m = [nearest_on_geometry_m(wonsan, [gap[end]["lon"]], [gap[end]["lat"]])[0]
              for end in ("before", "after")]
    straight_nm = sum(legs_m) / METRES_PER_NM
    assert straight_nm < gap["budget_nm"] == 563.6


@pytest.mark.slow
def test_loiterer_near_kp_waters_is_review_and_the_one_far_away_is_clear(
    nmea_report: dict,
) -> None:
    near, far = _vessel(nmea_report, HAI_LANG_5), _vessel(nmea_report, SILVER_TIDE)
    assert [(r["kind"], r["start"], r["end"], r["effect"], r["kp_waters_distance_nm"])
            for r in near["reasons"]] == [
        ("loitering", "2026-09-28T04:00:00Z", "2026-09-28T11:00:00Z", "review", 22.48)]
    assert near["verdict"] == "review"
    assert [(r["kind"], r["start"], r["end"], r["effect"], r["kp_waters_distance_nm"])
            for r in far["reasons"]] == [
        ("loitering", "2026-07-15T10:00:00Z", "2026-07-15T19:00:00Z", "none", 302.78)]
    assert far["verdict"] == "clear"
    # no other vessel of the sample loiters: every STS wait is an STS candidate instead
    loiterers = {v["mmsi"] for v in nmea_report["vessels"]
                 if any(r["kind"] == "loitering" for r in v["reasons"])}
    assert loiterers == {HAI_LANG_5, SILVER_TIDE}
