"""CSV, Parquet, GeoParquet and GeoPackage readers on files written by the tests."""

from __future__ import annotations

import gzip
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from desktop.core.fixes import check_fixes
from desktop.core.ingest import ingest

DMA_HEADER = (
    "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,"
    "IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,"
    "Destination,ETA,Data source type,A,B,C,D"
)
DMA_ROWS = [
    # dd/mm/yyyy: 02/03/2024 is the 2nd of March.
    "02/03/2024 00:00:00,Class A,219000001,55.5,12.5,Under way using engine,0,10.2,45.0,44,"
    "9123456,OXAB2,DANA,Cargo,,20,100,GPS,5.0,AARHUS,,AIS,80,20,10,10",
    "02/03/2024 00:01:00,Class A,219000001,55.502,12.503,Moored,0,0.0,45.0,511,"
    "9123456,OXAB2,DANA,Cargo,,20,100,GPS,5.0,AARHUS,,AIS,80,20,10,10",
    "02/03/2024 00:00:30,Class B,219000002,91.0,181.0,Unknown value,,,,,"
    "Unknown,Unknown,,Undefined,,,,Undefined,,Unknown,,AIS,,,,",
    "02/03/2024 00:00:40,Base Station,2190068,55.7,12.6,Unknown value,,,,,"
    "Unknown,Unknown,,Undefined,,,,Surveyed,,Unknown,,AIS,,,,",
    "02/03/2024 00:02:00,Class A,219000003,55.9,11.0,At anchor,0,0.1,,,"
    "8000001,OXCD3,TANKY,Tanker,,30,180,GPS,9.0,,,AIS,150,30,15,15",
    "02/03/2024 00:03:00,Class A,219000003,55.9,11.0,Restricted maneuverability,0,0.1,,,"
    "8000001,OXCD3,TANKY,Tanker,,30,180,GPS,9.0,,,AIS,150,30,15,15",
]
T = pd.Timestamp("2024-03-02T00:00:00Z")


def test_dma_csv(tmp_path: Path) -> None:
    path = tmp_path / "aisdk-2024-03-02.csv"
    path.write_text("\n".join([DMA_HEADER, *DMA_ROWS]) + "\n", encoding="utf-8")
    result = ingest([path])
    report = result.reports[0]
    assert report.format == "csv-dma"
    assert report.lines == 7
    assert report.accepted == {"header": 1, "fix": 4}
    assert report.rejected == {"invalid_position": 1, "not_a_vessel": 1}
    assert report.first_lines == {"invalid_position": [4], "not_a_vessel": [5]}
    fixes = result.fixes
    check_fixes(fixes)
    assert fixes["mmsi"].tolist() == [219000001, 219000001, 219000003, 219000003]
    assert fixes["time"].tolist() == [T, T + pd.Timedelta(minutes=1), T + pd.Timedelta(minutes=2),
                                      T + pd.Timedelta(minutes=3)]  # fmt: skip
    assert fixes["nav_status"].tolist() == [0, 5, 1, 3]
    assert fixes["heading_deg"].tolist()[:2] == [44, pd.NA]
    assert fixes["sog_kn"].tolist()[0] == pytest.approx(10.2)
    assert np.isnan(fixes["cog_deg"].iloc[2])
    vessels = result.vessels.set_index("mmsi")
    first = vessels.loc[219000001, ["imo", "name", "callsign", "ship_type", "destination"]]
    assert first.tolist() == [9123456, "DANA", "OXAB2", 70, "AARHUS"]
    third = vessels.loc[219000003, ["ship_type", "length_m", "width_m"]]
    assert third.tolist() == [80, 180.0, 30.0]
    assert vessels.loc[219000003, "destination"] is None
    # The vessel whose only row had no position and only "Unknown" static cells gave nothing.
    assert 219000002 not in vessels.index


def test_noaa_rows_written_in_the_test(tmp_path: Path) -> None:
    path = tmp_path / "AIS_2022_01_03.csv"
    path.write_text(
        "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
        "Length,Width,Draft,Cargo,TransceiverClass\n"
        "367379190,2022-01-03T00:00:00,30.3706,-88.56408,0.0,336.2,511,EAGLE,IMO8207721,WTD4583,"
        "31,0,28,11,3.3,52,A\n"
        "338148873,2022-01-03T00:00:00,33.60716,-117.91483,0.0,280.0,511,CAZADOR,,,37,,14,,,,B\n"
        "366899260,2022-01-03T00:00:03,34.12723,-119.44421,17.9,51.5,52,ISLAND ADVENTURE,,"
        "WDG9106,60,0,19,7,,60,A\n",
        encoding="utf-8",
    )
    result = ingest([path])
    assert result.reports[0].format == "csv-noaa"
    fixes = result.fixes.set_index("mmsi")
    assert fixes.loc[367379190, "heading_deg"] is pd.NA
    assert fixes.loc[366899260, "heading_deg"] == 52
    assert fixes.loc[338148873, "nav_status"] is pd.NA  # blank Status
    assert fixes.loc[367379190, "nav_status"] == 0
    assert fixes.loc[338148873, "time"] == pd.Timestamp("2022-01-03T00:00:00Z")  # naive = UTC
    vessels = result.vessels.set_index("mmsi")
    assert vessels.loc[367379190, "imo"] == 8207721
    assert vessels.loc[338148873, "width_m"] != vessels.loc[338148873, "width_m"]  # NaN


def test_generic_csv_maps_headers_case_insensitively(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Vessel_Name,MMSI,Timestamp,Latitude,Longitude,Speed,Course,True_Heading,Status\n"
        "ALPHA,351000001,2026-01-01T00:00:00+01:00,1.5,2.5,3.5,4.5,5,moored\n"
        "ALPHA,351000001,2026-01-01 00:30:00,1.5,2.5,,,,\n",
        encoding="utf-8",
    )
    result = ingest([path])
    fixes = result.fixes
    assert result.reports[0].format == "csv"
    # +01:00 is converted to UTC; a naive time is UTC.
    assert fixes["time"].tolist() == [pd.Timestamp("2025-12-31T23:00:00Z"),
                                      pd.Timestamp("2026-01-01T00:30:00Z")]  # fmt: skip
    assert fixes[["lat", "lon"]].iloc[0].tolist() == [1.5, 2.5]
    assert fixes["sog_kn"].iloc[0] == pytest.approx(3.5)
    assert fixes["cog_deg"].iloc[0] == pytest.approx(4.5)
    assert fixes["heading_deg"].iloc[0] == 5
    assert fixes["nav_status"].iloc[0] == 5
    assert result.vessels["name"].tolist() == ["ALPHA"]


def test_epoch_seconds_and_milliseconds(tmp_path: Path) -> None:
    path = tmp_path / "epoch.csv"
    path.write_text(
        "mmsi,time,lat,lon\n351000001,1700000000,1,2\n351000001,1700000060000,1,2\n",
        encoding="utf-8",
    )
    fixes = ingest([path]).fixes
    assert fixes["time"].tolist() == [pd.Timestamp(1_700_000_000, unit="s", tz="UTC"),
                                      pd.Timestamp(1_700_000_060, unit="s", tz="UTC")]  # fmt: skip


def test_physical_line_numbers_with_blank_and_short_rows(tmp_path: Path) -> None:
    path = tmp_path / "messy.csv"
    path.write_bytes(
        b"mmsi,time,lat,lon\r\n"  # 1 header
        b"351000001,2026-01-01T00:00:00Z,1,2\r\n"  # 2
        b"\r\n"  # 3 blank
        b"351000001,2026-01-01T00:10:00Z\r\n"  # 4 too few fields
        b"351000001,2026-01-01T00:20:00Z,1,2,9,9\r\n"  # 5 too many fields
        b"351000001,2026-01-01T00:30:00Z,1,x\r\n"  # 6 bad lon
        b"351000001,2026-01-01T00:40:00Z,1,2"  # 7, no final newline
    )
    report = ingest([path]).reports[0]
    assert report.lines == 7
    assert report.accepted == {"header": 1, "blank": 1, "fix": 2}
    assert report.rejected == {"bad_value": 3}
    assert report.first_lines == {"bad_value": [4, 5, 6]}


def test_csv_without_fix_columns_rejects_every_line(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("name,age,city\nann,3,x\nbob,4,y\n", encoding="utf-8")
    report = ingest([path]).reports[0]
    assert report.format == "csv"
    assert report.accepted == {"header": 1}
    assert report.rejected == {"no_fix_columns": 2}
    assert report.notes == [
        "header (line 1) names no column for mmsi, time, lat, lon: not a track table"
    ]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "MMSI": [351000001, 351000001, 351000002],
            "BaseDateTime": pd.to_datetime(
                ["2026-01-01T00:00:00", "2026-01-01T00:10:00", "2026-01-01T00:05:00"]
            ),
            "LAT": [1.0, 1.01, 91.0],
            "LON": [2.0, 2.0, 181.0],
            "SOG": [5.0, 5.0, 0.0],
            "VesselName": ["ALPHA", "ALPHA", "BRAVO"],
        }
    )


def test_parquet_table(tmp_path: Path) -> None:
    path = tmp_path / "fixes.parquet"
    _frame().to_parquet(path)
    result = ingest([path])
    report = result.reports[0]
    assert report.format == "parquet"
    assert report.lines == 3
    assert report.rejected == {"invalid_position": 1}
    assert report.first_lines == {"invalid_position": [3]}
    assert result.fixes["time"].tolist() == [pd.Timestamp("2026-01-01T00:00:00Z"),
                                             pd.Timestamp("2026-01-01T00:10:00Z")]  # fmt: skip
    assert result.vessels["name"].tolist() == ["ALPHA", "BRAVO"]


def _geo() -> gpd.GeoDataFrame:
    frame = _frame().drop(columns=["LAT", "LON"])
    geometry = [Point(2.0, 1.0), Point(2.0, 1.01), None]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def test_geoparquet_points(tmp_path: Path) -> None:
    path = tmp_path / "fixes.parquet"
    _geo().to_parquet(path)
    result = ingest([path])
    report = result.reports[0]
    assert report.format == "geoparquet"
    assert report.rejected == {"invalid_position": 1}
    assert result.fixes[["lon", "lat"]].to_numpy().tolist() == [[2.0, 1.0], [2.0, 1.01]]


def test_geopackage_points_in_another_crs(tmp_path: Path) -> None:
    path = tmp_path / "fixes.gpkg"
    _geo().to_crs(3857).to_file(path, driver="GPKG")
    result = ingest([path])
    report = result.reports[0]
    assert report.format == "gpkg"
    assert report.lines == 3
    assert report.rejected == {"invalid_position": 1}
    assert result.fixes["lon"].tolist() == pytest.approx([2.0, 2.0])
    assert result.fixes["lat"].tolist() == pytest.approx([1.0, 1.01])
    # GeoPackage stores datetimes to the millisecond; naive ones are read as UTC.
    assert result.fixes["time"].iloc[1] == pd.Timestamp("2026-01-01T00:10:00Z")


def test_corrupt_parquet_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 64)
    report = ingest([path]).reports[0]
    assert report.format == "parquet"
    assert report.lines == 0
    assert report.notes and report.notes[0].startswith("cannot read as parquet")


def test_junk_cell_far_down_a_large_file_costs_one_row(tmp_path: Path) -> None:
    # A junk MMSI 200,000 rows down (beyond the parser's first 4 MB block, from which older
    # pyarrow versions infer column types) must reject that row only, not the file.
    n = 200_000
    rows = [f"{351000000 + i % 50},{1_700_000_000 + 60 * (i // 50)},10.0,20.0" for i in range(n)]
    rows[n - 10] = "abc,1700000000,10.0,20.0"
    path = tmp_path / "big.csv"
    path.write_text("mmsi,time,lat,lon\n" + "\n".join(rows) + "\n", encoding="utf-8")
    report = ingest([path]).reports[0]
    assert report.rejected == {"bad_value": 1}
    assert report.first_lines == {"bad_value": [n - 10 + 2]}
    assert report.accepted == {"header": 1, "fix": n - 1}


def test_gzipped_parquet(tmp_path: Path) -> None:
    plain = tmp_path / "fixes.parquet"
    _frame().to_parquet(plain)
    packed = tmp_path / "fixes.parquet.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    result = ingest([packed])
    report = result.reports[0]
    assert (report.path, report.format, report.lines) == (str(packed), "parquet", 3)
    assert len(result.fixes) == 2


def test_latin1_row_with_wrong_field_count_is_counted_on_its_line(tmp_path: Path) -> None:
    # Found by tests/test_properties.py: a non-UTF-8 byte in a malformed row made pyarrow's
    # invalid-row handler fail, and the row could not be placed on its line.
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        b"mmsi,time,lat,lon\n"
        b"351000001,2026-03-01T00:00:00Z,38.7,125.4\n"
        b"\x95bad,row\n"
        b"351000001,2026-03-01T01:00:00Z,38.8,125.5\n"
    )
    [report] = ingest([path]).reports
    assert report.lines == 4
    assert report.rejected == {"bad_value": 1}
    assert report.first_lines == {"bad_value": [3]}
    assert report.fixes == 2
