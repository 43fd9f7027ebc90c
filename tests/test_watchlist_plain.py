"""Plain CSV watch lists (issue 11, item 4): the header tells the format and its aliases, each
bad row is counted with a message naming the file and the line, hits name the list and the
entry's reference, several lists are checked at once (CLI ``--watchlist`` repeated, arrivals
too), and the reader never crashes on any text (hypothesis)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_watchlist_matching import run, statics, track

from desktop.cli import main
from desktop.core.errors import InputError
from desktop.core.model import EventKind, Verdict
from desktop.core.screening import ScreeningResult
from desktop.core.watchlist import load_watchlist, read_plain, sniff

REPO = Path(__file__).resolve().parent.parent

# IMO numbers whose check digit holds (IMO Resolution A.1117(30)): 9*7+1*6+0*5+0*4+0*3+0*2 = 69
IMO_A, IMO_B, IMO_C = 9100009, 9100011, 9100023


def _write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def watch_reasons(result: ScreeningResult, mmsi: int) -> list[dict]:
    return [r.to_json() for r in result.verdict_of(mmsi).reasons
            if r.event.kind == EventKind.WATCHLIST]


@pytest.fixture
def un_list(tmp_path: Path) -> Path:
    """A list in the UN 1718 Committee's shape, headers as a spreadsheet writes them."""
    return _write(
        tmp_path / "un1718.csv",
        "Vessel Name,IMO Number,MMSI,Designation,Reference,Aliases",
        f"SEA RIDER,{IMO_A},,UN 1718,KPe.901,OCEAN RIDER;RIDER ONE",
        f"PINE GLORY,IMO {IMO_B},412000077,UN 1718,KPe.902,",
        ",,445000123,UN 1718,KPe.903,",
    )


# --- reading


def test_header_aliases_are_read_as_the_plain_format(un_list: Path) -> None:
    assert sniff(un_list) == "plain"
    entries, report = read_plain(un_list)
    assert [(e.name, e.imo, e.mmsi, e.list_name, e.reference, e.line, e.aliases)
            for e in entries] == [
        ("SEA RIDER", IMO_A, None, "UN 1718", "KPe.901", 2, ("OCEAN RIDER", "RIDER ONE")),
        ("PINE GLORY", IMO_B, 412000077, "UN 1718", "KPe.902", 3, ()),
        ("", None, 445000123, "UN 1718", "KPe.903", 4, ()),
    ]  # fmt: skip
    assert (report.kind, report.rows, report.accepted, report.vessels, report.bad) == (
        "plain", 3, 3, 3, {})
    assert report.lists == ["UN 1718"]


def test_list_name_defaults_to_the_file_name_and_source_is_a_list_alias(tmp_path: Path) -> None:
    path = _write(tmp_path / "inhouse.csv",
                  "imo,vessel_name,source,ref",
                  f"{IMO_A},FIRST,,A-1",
                  f"{IMO_B},SECOND,UK sanctions list,RUS0252")
    entries, _ = read_plain(path)
    assert [(e.list_name, e.reference) for e in entries] == [
        ("inhouse", "A-1"), ("UK sanctions list", "RUS0252")]
    assert load_watchlist([path]).name == "inhouse, UK sanctions list"


def test_rows_sharing_a_reference_are_one_entry_with_the_later_names_as_aliases(
    tmp_path: Path,
) -> None:
    # the UK list writes one row per name of a designated ship, under one group id
    path = _write(tmp_path / "uk.csv",
                  "Name,IMO number,Group ID,list",
                  f"MARINE HONOR,{IMO_A},15123,UK",
                  "HONOR STAR,,15123,UK")
    [entry], report = read_plain(path)
    assert (entry.name, entry.imo, entry.aliases, entry.reference) == (
        "MARINE HONOR", IMO_A, ("HONOR STAR",), "15123")
    assert (report.rows, report.accepted, report.vessels) == (2, 2, 1)


def test_each_bad_row_reason_is_counted_with_a_message_naming_file_and_line(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path / "mixed.csv",
        "imo,mmsi,name,list,reference",
        f"{IMO_A},,GOOD ONE,in-house,R1",  # 2: used
        f"{IMO_B},,TOO MANY,in-house,R2,extra",  # 3: wrong_columns
        ",,,in-house,R3",  # 4: no_identity
        "1234568,,,in-house,R4",  # 5: no_identity (the IMO's check digit fails)
        f"{IMO_C},,GOOD ONE,in-house,R1",  # 6: conflicting_entry (R1 has IMO_A)
        "1234568,12345,NAMED,in-house,R5",  # 7: used by name; IMO and MMSI listed
        '"' + "x" * 200_000 + '",,,,',  # 8: unreadable_row (over the csv field limit)
    )
    entries, report = read_plain(path)
    assert [(e.name, e.imo, e.mmsi, e.imo_invalid) for e in entries] == [
        ("GOOD ONE", IMO_A, None, None), ("NAMED", None, None, "1234568")]
    assert report.bad == {"wrong_columns": 1, "no_identity": 2, "conflicting_entry": 1,
                          "unreadable_row": 1}
    assert report.first_lines == {"wrong_columns": [3], "no_identity": [4, 5],
                                  "conflicting_entry": [6], "unreadable_row": [8]}
    assert (report.rows, report.accepted, report.bad_rows) == (7, 2, 5)
    assert report.invalid_imo == [{"entry": 7, "name": "NAMED", "imo": "1234568", "line": 7}]
    assert report.invalid_mmsi == [{"entry": 7, "name": "NAMED", "mmsi": "12345", "line": 7}]
    p = str(path)
    assert report.messages == [
        f"{p}: line 3: 6 fields, the header has 5; row not used",
        f"{p}: line 4: no usable IMO, MMSI or name; row not used",
        f"{p}: line 5: IMO '1234568' is not valid (7 digits, check digit); no usable IMO, MMSI "
        "or name; row not used",
        f"{p}: line 6: reference R1 of list in-house is on line 2 with IMO {IMO_A}; "
        "row not used",
        f"{p}: line 7: IMO '1234568' is not valid (7 digits, check digit); MMSI '12345' is not "
        "9 digits: not matched, the row's other identities are",
        f"{p}: line 8: the CSV reader could not read it; row not used",
    ]
    doc = load_watchlist([path]).to_json()
    assert doc["files"][0]["accepted"] == 2 and doc["files"][0]["messages"] == report.messages
    assert doc["lists"] == [{"list": "in-house", "vessels": 2}]


def test_messages_stop_at_50_per_file_and_the_counts_go_on(tmp_path: Path) -> None:
    rows = [f"1234568,SHIP {n}" for n in range(60)]
    entries, report = read_plain(_write(tmp_path / "many.csv", "imo,name", *rows))
    assert (len(entries), len(report.invalid_imo), len(report.messages)) == (60, 60, 50)
    assert report.messages[-1].startswith(f"{tmp_path / 'many.csv'}: line 51: IMO '1234568'")


def test_header_without_an_identity_column_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "notes.csv", "list,reference", "UN 1718,KPe.1")
    with pytest.raises(InputError, match=r"notes\.csv: not a watch list: its first row is not "
                       "a header naming an imo, mmsi or name column"):
        load_watchlist([path])


def test_a_track_file_with_an_mmsi_column_is_not_taken_for_a_list(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", "mmsi,name,lat,lon", "412000001,X,30.0,123.0")
    with pytest.raises(InputError, match=r"t\.csv: not a watch list"):
        load_watchlist([path])


def test_header_only_list_has_no_vessels_and_no_bad_rows(tmp_path: Path) -> None:
    wl = load_watchlist([_write(tmp_path / "empty.csv", "imo,name")])
    assert (len(wl), wl.bad_rows(), wl.reports[0].rows) == (0, 0, 0)


# --- matching


def test_imo_hit_names_the_list_and_the_reference(un_list: Path) -> None:
    wl = load_watchlist([un_list])
    result = run([track(412000101, 30.0)],
                 statics((412000101, "2026-06-01 06:00", IMO_A, "SOMETHING ELSE")), wl)
    assert result.verdict_of(412000101).verdict == Verdict.REVIEW
    [reason] = watch_reasons(result, 412000101)
    summary = f"IMO {IMO_A} is on the UN 1718 list as SEA RIDER (reference KPe.901)"
    assert {k: reason[k] for k in ("summary", "list", "entry", "reference", "sdn_name",
                                   "programs", "match", "matched_value", "sdn_imo", "file",
                                   "line", "start", "end")} == {
        "summary": summary, "list": "UN 1718", "entry": 2, "reference": "KPe.901",
        "sdn_name": "SEA RIDER", "programs": [], "match": "imo", "matched_value": IMO_A,
        "sdn_imo": IMO_A, "file": str(un_list), "line": 2,
        "start": "2026-06-01T00:00:00Z", "end": "2026-06-02T00:00:00Z"}  # fmt: skip


def test_mmsi_hit_of_an_entry_with_no_name(un_list: Path) -> None:
    result = run([track(445000123, 30.0)], None, load_watchlist([un_list]))
    [reason] = watch_reasons(result, 445000123)
    assert (reason["match"], reason["reference"], reason["summary"]) == (
        "mmsi", "KPe.903",
        "MMSI 445000123 is on the UN 1718 list as an entry with no name (reference KPe.903)")


def test_name_and_alias_hits_say_name_only(un_list: Path) -> None:
    wl = load_watchlist([un_list])
    result = run([track(412000102, 30.0), track(412000103, 30.5)],
                 statics((412000102, "2026-06-01 06:00", None, "Pine Glory"),
                         (412000103, "2026-06-01 06:00", None, "RIDER ONE")), wl)
    [by_name] = watch_reasons(result, 412000102)
    assert by_name["summary"] == (
        "Name PINE GLORY matches the listed vessel PINE GLORY on the UN 1718 list "
        f"(reference KPe.902): a name match only, weaker than an IMO or MMSI match; "
        f"the listed IMO is {IMO_B}")
    [by_alias] = watch_reasons(result, 412000103)
    assert (by_alias["name_kind"], by_alias["listed_name"], by_alias["reference"]) == (
        "alias", "RIDER ONE", "KPe.901")
    assert by_alias["summary"].startswith(
        "Name RIDER ONE matches RIDER ONE, an alias of SEA RIDER, on the UN 1718 list "
        "(reference KPe.901)")


def test_entry_with_no_reference_is_named_by_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "ours.csv", "IMO,name", f"{IMO_C},BLUE HERON")
    result = run([track(412000104, 30.0)],
                 statics((412000104, "2026-06-01 06:00", IMO_C, None)), load_watchlist([path]))
    [reason] = watch_reasons(result, 412000104)
    assert (reason["list"], reason["reference"], reason["summary"]) == (
        "ours", None, f"IMO {IMO_C} is on the ours list as BLUE HERON (line 2 of ours.csv)")


def test_two_lists_naming_one_vessel_give_one_reason_each(
    un_list: Path, tmp_path: Path, corpus: Path
) -> None:
    # IMO 8660313 is CHON MA SAN on the OFAC SDN list (programme DPRK4, entry 23729)
    ours = _write(tmp_path / "inhouse.csv", "imo,name,reference",
                  "8660313,CHON MA SAN,IH-7", f"{IMO_A},SEA RIDER,IH-8")
    wl = load_watchlist([corpus / "ofac_sdn" / "sdn.csv", un_list, ours])
    assert wl.name == "OFAC SDN, UN 1718, inhouse"
    result = run([track(412000105, 30.0), track(412000106, 30.5)],
                 statics((412000105, "2026-06-01 06:00", 8660313, None),
                         (412000106, "2026-06-01 06:00", IMO_A, None)), wl)
    assert sorted((r["list"], r["reference"]) for r in watch_reasons(result, 412000105)) == [
        ("OFAC SDN", "23729"), ("inhouse", "IH-7")]
    assert sorted((r["list"], r["reference"]) for r in watch_reasons(result, 412000106)) == [
        ("UN 1718", "KPe.901"), ("inhouse", "IH-8")]
    counts = {d["list"]: d["vessels"] for d in wl.to_json()["lists"]}
    assert (counts["UN 1718"], counts["inhouse"]) == (3, 2)


def test_two_files_of_one_list_keep_their_entries_apart(tmp_path: Path) -> None:
    # both entries are line 2 of a file of list "team": the file tells them apart
    a = _write(tmp_path / "a.csv", "imo,name,list", f"{IMO_A},ALPHA,team")
    b = _write(tmp_path / "b.csv", "imo,name,list", f"{IMO_A},ALPHA TWO,team")
    result = run([track(412000107, 30.0)],
                 statics((412000107, "2026-06-01 06:00", IMO_A, None)), load_watchlist([a, b]))
    assert [(r["file"], r["sdn_name"]) for r in watch_reasons(result, 412000107)] == [
        (str(a), "ALPHA"), (str(b), "ALPHA TWO")]


# --- command line: --watchlist repeated


@pytest.fixture
def tracks_csv(tmp_path: Path) -> Path:
    rows = ["mmsi,timestamp_utc,lat,lon,sog_kn,imo,name"]
    rows += [f"412000201,2026-06-01T0{h}:00:00Z,30.0,123.0,10.0,{IMO_A},SEA STAR"
             for h in range(3)]
    return _write(tmp_path / "tracks.csv", *rows)


def test_check_reads_several_watchlists(
    tracks_csv: Path, un_list: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ours = _write(tmp_path / "inhouse.csv", "imo,name,reference", f"{IMO_A},SEA STAR,IH-1")
    code = main(["check", str(tracks_csv), "--as-of", "2026-07-01", "--format", "json",
                 "--watchlist", str(un_list), "--watchlist", str(ours)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    doc = json.loads(out)
    [vessel] = doc["vessels"]
    assert [(r["list"], r["reference"], r["match"]) for r in vessel["reasons"]] == [
        ("UN 1718", "KPe.901", "imo"), ("inhouse", "IH-1", "imo")]
    assert doc["watchlist"]["lists"] == [{"list": "UN 1718", "vessels": 3},
                                         {"list": "inhouse", "vessels": 1}]


def test_check_tells_bad_rows_on_stderr_and_goes_on(
    tracks_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ours = _write(tmp_path / "inhouse.csv", "imo,name", f"{IMO_A},SEA STAR", "1234568,")
    code = main(["check", str(tracks_csv), "--as-of", "2026-07-01", "--format", "json",
                 "--watchlist", str(ours)])
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["vessels"][0]["verdict"] == "review"
    assert err == (f"exposure: watch list {ours}: 1 of 2 rows not used (no_identity 1)\n"
                   f"exposure: watch list {ours}: line 3: IMO '1234568' is not valid (7 "
                   "digits, check digit); no usable IMO, MMSI or name; row not used\n")


def test_arrivals_reads_several_watchlists(
    tracks_csv: Path, un_list: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ours = _write(tmp_path / "inhouse.csv", "imo,name,reference", f"{IMO_A},SEA STAR,IH-1")
    arrivals = _write(tmp_path / "arrivals.csv", "mmsi,eta", "412000201,2026-07-01T00:00:00Z")
    code = main(["arrivals", str(arrivals), str(tracks_csv), "--format", "json",
                 "--watchlist", str(un_list), "--watchlist", str(ours)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    [line] = json.loads(out)["arrivals"]
    assert line["verdict"] == "review"
    assert [(r["list"], r["reference"]) for r in line["vessel"]["reasons"]] == [
        ("UN 1718", "KPe.901"), ("inhouse", "IH-1")]


def test_sample_inhouse_list_names_sample_vessels() -> None:
    wl = load_watchlist([REPO / "resources" / "watchlists" / "inhouse_demo.csv"])
    assert (len(wl), wl.bad_rows(), wl.name) == (2, 0, "in-house demo")
    assert [(e.name, e.imo, e.mmsi, e.reference) for e in wl.entries] == [
        ("CHOL BONG", 8581165, None, "DEMO-001"), ("HANBIT", None, 441112012, "DEMO-002")]


# --- property: any text is read without a crash, every data row counted once


cells = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
digits = st.integers(0, 10**10).map(str)
row = st.lists(st.one_of(cells, digits, st.sampled_from(
    [str(IMO_A), "445000123", "IMO 9100011", "", "UN 1718"])), min_size=0, max_size=7)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, max_size=12), quote=st.booleans())
def test_plain_reader_counts_every_row_once_and_never_crashes(
    rows: list[list[str]], quote: bool
) -> None:
    header = "imo,mmsi,name,list,reference"
    sep = "\n"
    body = [",".join(f'"{c}"' if quote else c for c in r) for r in rows]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "any.csv"
        path.write_text(header + sep + sep.join(body), encoding="utf-8")
        entries, report = read_plain(path)
    assert report.accepted + report.bad_rows == report.rows
    assert report.vessels == len(entries) <= report.accepted
