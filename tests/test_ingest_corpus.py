"""Every real third-party file ingests, every line is counted, and the NOAA/AMSA facts hold.

Track files are the NMEA logs, the CSV exports and their .gz versions. Not track data, and
so not in TRACK_FILES: licences and README (skipped by folder expansion), gpsd's and libais's
expected decodes (``*.chk``, ``*.json``), AMSA's port polygons (``*.geojson``), and the OFAC
SDN list (``ofac_sdn/*.csv``), which is a CSV of sanctioned parties: it must still ingest
without an exception, and does, as zero fixes with every line counted as ``no_fix_columns``.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import CORPUS_TRACK_FILES

from desktop.core.fixes import bytes_per_fix, check_fixes
from desktop.core.ingest import IngestResult, ingest
from desktop.core.ingest.detect_format import expand_paths

pytestmark = pytest.mark.corpus

TRACK_FILES = CORPUS_TRACK_FILES
NOT_TRACK_CSV = ("ofac_sdn/alt.csv", "ofac_sdn/sdn.csv")
NOAA = "noaa_marinecadastre/AIS_2022_01_03_first99999.csv.gz"


def physical_lines(path: Path) -> int:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def test_track_file_list_is_every_file_folder_expansion_finds(corpus: Path) -> None:
    found = {p.relative_to(corpus).as_posix() for p in expand_paths([corpus])}
    assert found == set(TRACK_FILES) | set(NOT_TRACK_CSV)


@pytest.mark.parametrize("name", TRACK_FILES)
def test_corpus_file_ingests_with_every_line_counted(corpus: Path, name: str) -> None:
    path = corpus / name
    result = ingest([path])
    report = result.reports[0]
    assert report.lines == physical_lines(path)
    assert report.accepted_total + report.rejected_total == report.lines
    assert report.fixes == len(result.fixes) == report.accepted.get("fix", 0)
    check_fixes(result.fixes)
    assert not result.fixes.duplicated(["mmsi", "time"]).any()
    assert not any(note.startswith("line accounting") for note in report.notes)


@pytest.mark.parametrize("name", NOT_TRACK_CSV)
def test_sdn_list_is_not_track_data_but_ingests(corpus: Path, name: str) -> None:
    path = corpus / name
    report = ingest([path]).reports[0]
    lines = physical_lines(path)
    assert report.lines == lines
    assert report.accepted == {"header": 1}
    assert report.rejected == {"no_fix_columns": lines - 1}


def test_whole_corpus_in_one_call(corpus: Path) -> None:
    result = ingest([corpus])
    assert len(result.reports) == len(TRACK_FILES) + len(NOT_TRACK_CSV)
    for report in result.reports:
        assert report.accepted_total + report.rejected_total == report.lines, report.path
    assert sum(r.fixes for r in result.reports) == len(result.fixes)
    check_fixes(result.fixes)


# --- NOAA MarineCadastre ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def noaa_raw(corpus: Path) -> pd.DataFrame:
    """The upstream file read plainly, every cell as text, with its physical line numbers."""
    frame = pd.read_csv(corpus / NOAA, dtype=str, keep_default_na=False)
    frame["line"] = np.arange(2, len(frame) + 2)
    return frame


@pytest.fixture(scope="module")
def noaa(corpus: Path) -> IngestResult:
    return ingest([corpus / NOAA])


def test_noaa_rows_in_and_every_row_counted(noaa: IngestResult, noaa_raw: pd.DataFrame) -> None:
    report = noaa.reports[0]
    assert len(noaa_raw) == 99_999
    assert report.format == "csv-noaa"
    assert report.lines == 100_000
    assert report.accepted["header"] == 1
    assert report.accepted["fix"] + report.rejected_total == 99_999
    assert report.accepted["fix"] == len(noaa.fixes)


def _mmsi_kind(mmsi_text: pd.Series) -> pd.Series:
    """The MMSI rules written against the nine-digit text, independently of clean.py."""
    nine = mmsi_text.str.zfill(9)
    not_vessel = nine.str.match(r"^(00[2-7]|0[2-7]|111|99|97[024])") & (nine.str.len() == 9)
    number = mmsi_text.astype("int64")
    invalid = ~not_vessel & ((number < 100_000_000) | (number > 999_999_999))
    return pd.Series(np.select([not_vessel, invalid], ["not_a_vessel", "invalid_mmsi"], "vessel"))


def test_noaa_station_counts(noaa: IngestResult, noaa_raw: pd.DataFrame) -> None:
    kinds = _mmsi_kind(noaa_raw["MMSI"]).value_counts()
    report = noaa.reports[0]
    assert report.rejected["not_a_vessel"] == kinds["not_a_vessel"] == 109
    assert report.rejected["invalid_mmsi"] == kinds["invalid_mmsi"] == 32
    assert "invalid_position" not in report.rejected


def test_noaa_duplicate_mmsi_time_pairs_follow_the_policy(
    noaa: IngestResult, noaa_raw: pd.DataFrame
) -> None:
    """75 rows repeat an (MMSI, time) seen before, in 43 groups of 2 to 6 rows.

    Policy (clean.py): at most one fix per (mmsi, time). Rows at the same instant and place are
    ``duplicate``; reports at the same instant more than 60 s x 50 kn apart are judged by the
    jump filter (the one fitting the vessel's track is kept, the others flagged); of what is
    left at one instant, the first line is kept and the rest are ``duplicate``.
    """
    vessels = noaa_raw[_mmsi_kind(noaa_raw["MMSI"]).to_numpy() == "vessel"]
    in_groups = vessels[vessels.duplicated(["MMSI", "BaseDateTime"], keep=False)]
    groups = in_groups.groupby(["MMSI", "BaseDateTime"]).ngroups
    assert (len(in_groups), groups, len(in_groups) - groups) == (118, 43, 75)
    # One of the 75 repeats the whole row, three repeat the position.
    assert noaa_raw.drop(columns="line").duplicated().sum() == 1
    assert in_groups.duplicated(["MMSI", "BaseDateTime", "LAT", "LON"]).sum() == 3

    fixes = noaa.fixes
    assert not fixes.duplicated(["mmsi", "time"]).any()
    times = pd.to_datetime(in_groups["BaseDateTime"], utc=True)
    keys = pd.MultiIndex.from_arrays([in_groups["MMSI"].astype("int64"), times])
    fix_keys = pd.MultiIndex.from_arrays([fixes["mmsi"].astype("int64"), fixes["time"]])
    kept_groups = len(set(keys[keys.isin(fix_keys)]))
    flagged_rows = int(in_groups["line"].isin(noaa.flagged["line"]).sum())
    report = noaa.reports[0]
    # Every one of the 118 rows is kept (one per group), flagged, or a duplicate.
    assert (kept_groups, flagged_rows, report.rejected["duplicate"]) == (39, 37, 42)
    assert kept_groups + flagged_rows + report.rejected["duplicate"] == 118
    # Four groups lost every row to the jump filter: their MMSI is shared by two transmitters.
    assert groups - kept_groups == 4
    # Rows outside those groups are never duplicates.
    assert report.first_lines["duplicate"][0] in set(in_groups["line"])


def test_noaa_implausible_jumps_are_listed(noaa: IngestResult) -> None:
    flagged = noaa.flagged
    report = noaa.reports[0]
    assert report.rejected["implausible_jump"] == len(flagged) == 81
    assert (flagged["implied_speed_kn"] > 50.0).all()
    assert sorted(flagged["line"])[:5] == report.first_lines["implausible_jump"]
    # The flagged rows of one shared MMSI (CMA CGM MARCO POLO, 311000923) are the far ones.
    assert (flagged["mmsi"] == 311000923).sum() > 0


def test_noaa_imo_prefix_is_parsed(noaa: IngestResult, noaa_raw: pd.DataFrame) -> None:
    vessels = noaa.vessels.set_index("mmsi")
    assert vessels.loc[367379190, "imo"] == 8207721
    assert vessels.loc[367379190, "name"] == "EAGLE"
    assert vessels.loc[367379190, "callsign"] == "WTD4583"
    assert vessels.loc[367379190, "flag"] == "US"
    with_imo = noaa_raw[noaa_raw["IMO"].str.startswith("IMO")]
    assert len(with_imo) == 55_098
    statics = noaa.statics
    assert statics["imo"].dropna().between(1_000_000, 9_999_999).all()


def _matched(result: IngestResult, raw: pd.DataFrame) -> pd.DataFrame:
    """Each fix beside the upstream row it came from (joined on mmsi, time, lat, lon)."""
    upstream = raw.assign(
        mmsi=raw["MMSI"].astype("int64"),
        time=pd.to_datetime(raw["BaseDateTime"], utc=True).astype("datetime64[ns, UTC]"),
        lat=raw["LAT"].astype("float64"),
        lon=raw["LON"].astype("float64"),
    ).drop_duplicates(["mmsi", "time", "lat", "lon"])
    fixes = result.fixes.assign(mmsi=result.fixes["mmsi"].astype("int64"))
    return fixes.merge(upstream, on=["mmsi", "time", "lat", "lon"], how="left", validate="1:1")


def test_noaa_heading_511_is_missing(noaa: IngestResult, noaa_raw: pd.DataFrame) -> None:
    assert (noaa_raw["Heading"] == "511").sum() == 52_249
    eagle = noaa.fixes[noaa.fixes["mmsi"] == 367379190]
    assert len(eagle) == 20
    assert eagle["heading_deg"].isna().all()
    matched = _matched(noaa, noaa_raw)
    assert matched["Heading"].notna().all()
    assert (matched["heading_deg"].isna() == (matched["Heading"] == "511")).all()
    known = matched[matched["Heading"] != "511"]
    assert (known["heading_deg"].astype("int64") == known["Heading"].astype("int64")).all()


def test_noaa_status_blank_is_missing_and_codes_kept(
    noaa: IngestResult, noaa_raw: pd.DataFrame
) -> None:
    assert (noaa_raw["Status"] == "").sum() == 23_805
    matched = _matched(noaa, noaa_raw)
    assert (matched["nav_status"].isna() == (matched["Status"] == "")).all()
    coded = matched[matched["Status"] != ""]
    assert (coded["nav_status"].astype("int64") == coded["Status"].astype("int64")).all()
    assert int((matched["nav_status"] == 5).sum()) == int((matched["Status"] == "5").sum()) > 0


def test_noaa_fixes_table_is_compact(noaa: IngestResult) -> None:
    assert bytes_per_fix(noaa.fixes) <= 48.0
    check_fixes(noaa.fixes)
    assert noaa.fixes["source"].cat.categories.tolist() == [Path(NOAA).name]


def test_noaa_vessels_table(noaa: IngestResult) -> None:
    vessels = noaa.vessels
    assert vessels["mmsi"].is_unique
    assert vessels["fixes"].sum() == len(noaa.fixes)
    assert set(noaa.fixes["mmsi"]) <= set(vessels["mmsi"])
    assert (vessels["first_seen"] <= vessels["last_seen"]).all()


# --- AMSA one-boat CSV (generic aliases) -----------------------------------------------------


def test_amsa_one_boat_csv(corpus: Path) -> None:
    path = corpus / "amsa" / "503000530.csv"
    upstream = pd.read_csv(path)
    result = ingest([path])
    report = result.reports[0]
    assert report.format == "csv"
    assert len(upstream) == 1301
    assert report.lines == 1302
    assert report.accepted == {"header": 1, "fix": 1301}
    assert report.rejected == {}
    fixes = result.fixes
    assert fixes["mmsi"].unique().tolist() == [503000530]
    assert fixes["time"].iloc[0] == pd.Timestamp("2014-05-17T22:40:27Z")
    assert fixes["time"].iloc[-1] == pd.Timestamp(upstream["timestamp_utc"].max())
    assert fixes["lat"].iloc[0] == -33.835560
    assert fixes["lon"].iloc[0] == 151.174835
    assert fixes["sog_kn"].iloc[1] == pytest.approx(3.8)
    assert result.vessels["flag"].tolist() == ["AU"]
