"""Reading the OFAC SDN list (legacy CSV): facts counted from the corpus files themselves with
the csv module, exact entries, aliases from alt.csv, and the bad-data policy on small files."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from desktop.core.errors import InputError
from desktop.core.watchlist import (
    Watchlist,
    imo_is_valid,
    load_watchlist,
    name_key,
    read_sdn,
)


@pytest.fixture(scope="module")
def sdn_dir(corpus: Path) -> Path:
    return corpus / "ofac_sdn"


@pytest.fixture(scope="module")
def sdn(sdn_dir: Path) -> Watchlist:
    return load_watchlist([sdn_dir / "sdn.csv"])


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [row for row in csv.reader(fh) if len(row) > 1]


def test_vessel_and_dprk_counts_match_the_readme_and_an_independent_count(
    sdn: Watchlist, sdn_dir: Path
) -> None:
    rows = _csv_rows(sdn_dir / "sdn.csv")
    vessels = [r for r in rows if r[2].strip() == "vessel"]
    dprk = [r for r in vessels if any(p.startswith("DPRK") for p in r[3].split("] ["))]
    assert (len(vessels), len(dprk)) == (406, 106)  # corpus README
    assert len(sdn) == 406
    assert sdn.programme_count("DPRK") == 106
    assert {e.entry for e in sdn.entries} == {int(r[0]) for r in vessels}
    exact = {p: sum(p in e.programs for e in sdn.entries) for p in ("DPRK", "DPRK3", "DPRK4")}
    assert exact == {"DPRK": 30, "DPRK3": 11, "DPRK4": 65}  # 30 + 11 + 65 = 106
    # a prefix counts IRAN-EO13871 and IRAN-EO13876 too
    assert (sum("IRAN" in e.programs for e in sdn.entries), sdn.programme_count("IRAN")) == (
        199, 201)


def test_report_counts_rows_other_types_and_the_one_invalid_imo(sdn: Watchlist) -> None:
    first, second = sdn.reports
    assert (first.kind, first.lines, first.rows, first.vessels, first.other_types) == (
        "sdn", 8976, 8976, 406, 8976 - 406)
    assert first.bad == {}  # the trailing DOS EOF byte (0x1A) is not a row
    # BONU 5 (LIBYA3) is listed with "IMO 15411": 5 digits, not an IMO number
    assert first.invalid_imo == [{"entry": 23424, "name": "BONU 5", "imo": "15411", "line": 6028}]
    assert sdn.entry(23424).imo is None and sdn.entry(23424).imo_invalid == "15411"
    assert second.kind == "alt" and second.path.endswith("alt.csv")


def test_every_other_listed_imo_has_a_valid_check_digit(sdn: Watchlist, sdn_dir: Path) -> None:
    remarks = [r[11] for r in _csv_rows(sdn_dir / "sdn.csv") if r[2].strip() == "vessel"]
    listed = [m for text in remarks for m in re.findall(r"Identification (?:IMO )?(\d+)", text)]
    assert len(listed) == 401
    assert sorted(e.imo for e in sdn.entries if e.imo is not None) == sorted(
        int(m) for m in listed if m != "15411")
    assert len(sdn.by_imo) == 400


def test_chon_ma_san_parsed_exactly(sdn: Watchlist) -> None:
    e = sdn.entry(23729)
    assert (e.name, e.programs, e.imo, e.mmsi, e.callsign, e.line) == (
        "CHON MA SAN", ("DPRK4",), 8660313, None, None, 6196)
    assert e.flag == "Democratic People's Republic of Korea"
    assert e.programs_text() == "programme DPRK4"


def test_artavil_has_imo_mmsi_callsign_and_former_names_from_remarks_and_alt(
    sdn: Watchlist,
) -> None:
    e = sdn.entry(15036)
    assert (e.name, e.programs, e.imo, e.mmsi, e.callsign, e.vessel_type) == (
        "ARTAVIL", ("IRAN",), 9187629, 572469210, "T2EU4", "Crude/Oil Products Tanker")
    # "f.k.a. 'ALPHA'" is only in the remarks; ABADAN and SHONA only in alt.csv (lines 5028-9)
    assert e.former_names == ("ALPHA", "ABADAN", "SHONA")
    assert e.aliases == ()


def test_dprk_aliases_and_former_names_from_alt_csv(sdn: Watchlist, sdn_dir: Path) -> None:
    assert sdn.entry(17084).aliases == ("AP ROK GANG",)  # AM NOK GANG, alt.csv line 6313
    assert (sdn.entry(17084).imo, sdn.entry(17084).programs) == (8132835, ("DPRK",))
    assert sdn.entry(27408).former_names == ("ASIA BRIDGE 2",)  # ASIA BRIDGE, line 10404
    vessel_numbers = {e.entry for e in sdn.entries}
    alt_rows = [r for r in _csv_rows(sdn_dir / "alt.csv") if int(r[0]) in vessel_numbers]
    assert len(alt_rows) == 180
    assert sdn.reports[1].names == 180
    assert sdn.reports[1].other_types == 11910 - 180


def test_programmes_split_and_mmsi_without_imo(sdn: Watchlist) -> None:
    e = sdn.entry(27200)
    assert (e.name, e.imo, e.mmsi, e.owner) == (
        "ST. VITAMIN", None, 375311000, "Beratex Group Limited")
    assert e.programs == ("UKRAINE-EO13661", "CYBER2", "ELECTION-EO13848")


def test_registration_number_without_the_word_imo_is_read(sdn: Watchlist) -> None:
    # RYONG GUN BONG: "Vessel Registration Identification 8606173." (no "IMO")
    assert sdn.entry(17104).imo == 8606173


def test_folder_reads_sdn_and_alt(sdn_dir: Path, sdn: Watchlist) -> None:
    folder = load_watchlist([sdn_dir])
    assert len(folder) == 406 and [r.kind for r in folder.reports] == ["sdn", "alt"]
    assert folder.entry(15036) == sdn.entry(15036)


def test_imo_check_digit() -> None:
    assert imo_is_valid(9074729)  # IMO's own example: 9*7+0*6+7*5+4*4+7*3+2*2 = 139
    assert not imo_is_valid(9074728)
    assert not imo_is_valid(9216507)  # sums to 119: the check digit would be 9
    assert not imo_is_valid(15411)


def test_name_key_ignores_case_spaces_punctuation_and_mv_prefix() -> None:
    assert name_key("M/V Chon-Ma San") == name_key("CHON MA SAN") == "CHONMASAN"
    assert name_key("MV. St. Vitamin") == "STVITAMIN"
    assert name_key("MVP STAR") == "MVPSTAR"  # not a prefix
    assert name_key("  ") == "" and name_key(None) == ""


SDN_LINES = [
    '100,"GOOD SHIP","vessel","DPRK3",-0- ,"HMAB1",-0- ,-0- ,-0- ,-0- ,-0- ,'
    '"Vessel Registration Identification IMO 9074729; MMSI 445123456."',
    '101,"SOMEONE","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
    '102,"SHORT ROW","vessel"',
    'x7,"BAD NUMBER","vessel","DPRK",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
    '103,"BAD CHECK","vessel","DPRK",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    '"Vessel Registration Identification IMO 9074728; MMSI 12345."',
    '104,-0- ,"vessel","DPRK",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
    '105,"M/V SEA HORSE","vessel","IRAN] [SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    "\"a.k.a. 'HORSE ONE'; f.k.a. 'OLD HORSE'.\"",
]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n\x1a").encode("utf-8"))
    return path


def test_bad_rows_are_counted_with_line_numbers_never_raised(tmp_path: Path) -> None:
    entries, numbers, report = read_sdn(_write(tmp_path / "sdn.csv", SDN_LINES))
    assert [e.entry for e in entries] == [100, 103, 105]
    assert numbers == {100, 101, 103, 104, 105}
    assert (report.lines, report.rows, report.vessels, report.other_types) == (7, 5, 3, 1)
    assert report.bad == {"wrong_columns": 1, "bad_entry_number": 1, "no_name": 1}
    assert report.first_lines == {"wrong_columns": [3], "bad_entry_number": [4], "no_name": [6]}
    assert report.invalid_imo == [{"entry": 103, "name": "BAD CHECK", "imo": "9074728",
                                   "line": 5}]
    assert report.invalid_mmsi == [{"entry": 103, "name": "BAD CHECK", "mmsi": "12345",
                                    "line": 5}]
    good, horse = entries[0], entries[2]
    assert (good.imo, good.mmsi, good.callsign, good.programs) == (
        9074729, 445123456, "HMAB1", ("DPRK3",))
    assert (horse.programs, horse.aliases, horse.former_names) == (
        ("IRAN", "SDGT"), ("HORSE ONE",), ("OLD HORSE",))


def test_alt_file_links_by_entry_number_and_counts_unknown_entries(tmp_path: Path) -> None:
    _write(tmp_path / "sdn.csv", SDN_LINES)
    _write(tmp_path / "alt.csv", [
        '100,1,"fka","FORMER GOOD",-0- ',
        '100,2,"aka","GOOD ALIAS",-0- ',
        '101,3,"aka","SOMEONE ELSE",-0- ',
        '999,4,"aka","NOBODY",-0- ',
        '105,5,"f.k.a.","OLD HORSE",-0- ',
    ])
    wl = load_watchlist([tmp_path / "sdn.csv"])  # alt.csv beside it is read too
    assert wl.entry(100).former_names == ("FORMER GOOD",)
    assert wl.entry(100).aliases == ("GOOD ALIAS",)
    assert wl.entry(105).former_names == ("OLD HORSE",)  # remarks and alt.csv: once
    alt = wl.reports[1]
    assert (alt.rows, alt.names, alt.other_types, alt.bad, alt.first_lines) == (
        5, 3, 1, {"unknown_entry": 1}, {"unknown_entry": [4]})
    assert [r.entry.entry for r in wl.by_name["FORMERGOOD"]] == [100]
    assert [r.kind for r in wl.by_name["SEAHORSE"]] == ["name"]  # "M/V" dropped


def test_missing_watchlist_raises_input_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.csv: watch list not found"):
        load_watchlist([tmp_path / "nope.csv"])


def test_folder_without_sdn_csv_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="folder has no sdn.csv"):
        load_watchlist([tmp_path])


def test_file_that_is_not_sdn_format_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "tracks.csv"
    path.write_text("mmsi,timestamp_utc,lat,lon\n1,2,3,4\n", encoding="utf-8")
    with pytest.raises(InputError, match="rows have 4 columns"):
        load_watchlist([path])
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty file"):
        load_watchlist([empty])


def test_twelve_columns_without_any_entry_number_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "sdn.csv", [",".join(["a"] * 12)] * 3)
    with pytest.raises(InputError, match="no row has an entry number"):
        load_watchlist([path])


def test_alt_file_alone_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "alt.csv", ['100,1,"fka","X",-0- '])
    with pytest.raises(InputError, match="aliases without an SDN list"):
        load_watchlist([path])


def test_same_list_twice_keeps_each_entry_once(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    a = _write(tmp_path / "a" / "sdn.csv", SDN_LINES)
    b = _write(tmp_path / "b.csv", SDN_LINES)
    wl = load_watchlist([a, b])
    assert [e.entry for e in wl.entries] == [100, 103, 105]
    assert wl.reports[1].bad["duplicate_entry"] == 3 and wl.reports[1].vessels == 0


def test_unreadable_file_raises_input_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "sdn.csv", SDN_LINES)

    def refuse(name: object, flags: int, *args: object) -> int:
        raise PermissionError(13, "Permission denied", str(name))

    # chmod 000 does not stop root (CI containers run as root): the refusal is simulated
    monkeypatch.setattr("desktop.core.files.os.open", refuse)
    with pytest.raises(InputError, match=rf"{path}: cannot read the watch list \(Permission"):
        load_watchlist([path])


def test_a_header_row_is_skipped_not_counted(tmp_path: Path) -> None:
    header = "ent_num,SDN_Name,SDN_Type,Program,Title,Call_Sign,Vess_type,Tonnage,GRT," \
             "Vess_flag,Vess_owner,Remarks"
    entries, _, report = read_sdn(_write(tmp_path / "sdn.csv", [header, SDN_LINES[0]]))
    assert [e.entry for e in entries] == [100] and report.bad == {} and report.rows == 1
