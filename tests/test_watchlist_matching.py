"""Watch-list hits on hand-built vessels checked against the real OFAC SDN corpus list: IMO,
MMSI and name matches, the span of the matching identity, the 180-day window, and the CLI."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from screening_kit import Track, fixes_of, kp_zones, utc

from desktop.cli import main
from desktop.core.ingest.base import STATIC_COLUMNS
from desktop.core.model import EventKind, Verdict
from desktop.core.screening import ScreeningResult, ingest_result_of, screen
from desktop.core.watchlist import Watchlist, load_watchlist

AS_OF = utc("2026-07-01 00:00")
NO_PORTS = (np.zeros(0), np.zeros(0))
FIRST_FIX, LAST_FIX = "2026-06-01 00:00", "2026-06-02 00:00"


@pytest.fixture(scope="module")
def sdn(corpus: Path) -> Watchlist:
    return load_watchlist([corpus / "ofac_sdn" / "sdn.csv"])


def track(mmsi: int, lat: float) -> Track:
    """Hourly fixes under way in the East China Sea, 1 Jun 00:00 - 2 Jun 00:00 UTC."""
    return Track(mmsi).every(FIRST_FIX, LAST_FIX, 60, 123.0, lat, 10.0)


def statics(*rows: tuple[int, str | None, int | None, str | None]) -> pd.DataFrame:
    """Static records (mmsi, time, imo, name), the other columns empty."""
    n = len(rows)
    frame = pd.DataFrame({c: pd.Series([None] * n, dtype=object) for c in STATIC_COLUMNS})
    frame["mmsi"] = np.array([r[0] for r in rows], dtype="uint32")
    frame["time"] = pd.to_datetime([r[1] for r in rows], utc=True)
    frame["imo"] = pd.array([r[2] for r in rows], dtype="Int64")
    frame["name"] = [r[3] for r in rows]
    frame["source"] = "test"
    return frame


def run(
    tracks: list[Track],
    records: pd.DataFrame | None,
    watchlist: Watchlist | None,
    as_of=AS_OF,  # noqa: ANN001
    vessels: pd.DataFrame | None = None,
) -> ScreeningResult:
    source = ingest_result_of(fixes_of(*tracks), records, vessels)
    return screen(source, kp_zones(), as_of=as_of, known_ports=NO_PORTS, watchlist=watchlist)


def only_reason(result: ScreeningResult, mmsi: int) -> dict:
    [reason] = result.verdict_of(mmsi).reasons
    return reason.to_json()


def watch_reason(result: ScreeningResult, mmsi: int) -> dict:
    [reason] = [r for r in result.verdict_of(mmsi).reasons if r.event.kind == EventKind.WATCHLIST]
    return reason.to_json()


def test_imo_of_a_dprk_sdn_vessel_gives_review_with_a_watchlist_reason(sdn: Watchlist) -> None:
    result = run([track(412000001, 30.0)],
                 statics((412000001, "2026-06-01 06:00", 8660313, "SEA STAR")), sdn)
    v = result.verdict_of(412000001)
    assert v.verdict == Verdict.REVIEW and v.barred_until is None
    reason = only_reason(result, 412000001)
    summary = "IMO 8660313 is on the OFAC SDN list as CHON MA SAN (programme DPRK4, entry 23729)"
    assert {k: reason[k] for k in (
        "kind", "summary", "list", "entry", "sdn_name", "programs", "match", "matched_value",
        "sdn_imo", "start", "end", "in_window", "effect", "explanation")} == {
        "kind": "watchlist", "summary": summary, "list": "OFAC SDN", "entry": 23729,
        "sdn_name": "CHON MA SAN", "programs": ["DPRK4"], "match": "imo",
        "matched_value": 8660313, "sdn_imo": 8660313,
        # the vessel's only IMO: from its first fix to its last
        "start": "2026-06-01T00:00:00Z", "end": "2026-06-02T00:00:00Z",
        "in_window": True, "effect": "review", "explanation": summary + "."}
    json.dumps(reason)  # JSON-ready


def test_name_only_match_says_name_in_the_summary(sdn: Watchlist) -> None:
    result = run([track(412000002, 30.2)],
                 statics((412000002, "2026-06-01 06:00", None, "M/V Chon-Ma San")), sdn)
    assert result.verdict_of(412000002).verdict == Verdict.REVIEW
    reason = only_reason(result, 412000002)
    assert (reason["match"], reason["matched_value"], reason["name_kind"], reason["entry"]) == (
        "name", "M/V CHON-MA SAN", "name", 23729)
    assert reason["summary"] == (
        "Name M/V CHON-MA SAN matches the listed vessel CHON MA SAN on the OFAC SDN list "
        "(programme DPRK4, entry 23729): a name match only, weaker than an IMO or MMSI match; "
        "the listed IMO is 8660313")


def test_former_name_from_alt_csv_matches(sdn: Watchlist) -> None:
    result = run([track(412000003, 30.4)],
                 statics((412000003, "2026-06-01 06:00", None, "Shona")), sdn)
    reason = only_reason(result, 412000003)
    assert (reason["entry"], reason["name_kind"], reason["listed_name"]) == (
        15036, "former name", "SHONA")
    assert reason["summary"] == (
        "Name SHONA matches SHONA, a former name of ARTAVIL, on the OFAC SDN list "
        "(programme IRAN, entry 15036): a name match only, weaker than an IMO or MMSI match; "
        "the listed IMO is 9187629")


def test_name_match_of_a_vessel_sending_another_valid_imo_is_dropped(sdn: Watchlist) -> None:
    # 9074729 is a valid IMO number and not CHON MA SAN's 8660313: another hull
    result = run([track(412000004, 30.6)],
                 statics((412000004, "2026-06-01 06:00", 9074729, "CHON MA SAN")), sdn)
    assert result.verdict_of(412000004).verdict == Verdict.CLEAR
    assert not [e for e in result.events if e.kind == EventKind.WATCHLIST]


def test_name_match_of_a_vessel_sending_an_invalid_imo_is_kept_and_says_so(
    sdn: Watchlist,
) -> None:
    result = run([track(412000004, 30.6)],
                 statics((412000004, "2026-06-01 06:00", 9074728, "CHON MA SAN")), sdn)
    reason = only_reason(result, 412000004)
    assert reason["match"] == "name"
    assert reason["summary"].endswith(
        "; the listed IMO is 8660313, this vessel reported IMO 9074728 (check digit fails)")


def test_mmsi_on_the_list_matches_without_static_data(sdn: Watchlist) -> None:
    result = run([track(375311000, 30.8)], None, sdn)
    reason = only_reason(result, 375311000)
    assert (reason["match"], reason["matched_value"], reason["start"], reason["end"]) == (
        "mmsi", 375311000, "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z")
    assert reason["summary"] == (
        "MMSI 375311000 is on the OFAC SDN list as ST. VITAMIN (programmes UKRAINE-EO13661, "
        "CYBER2, ELECTION-EO13848, entry 27200)")


def test_vessel_with_no_match_is_unaffected(sdn: Watchlist) -> None:
    tracks = [track(412000005, 31.0)]
    records = statics((412000005, "2026-06-01 06:00", 9074729, "OCEAN BREEZE"))
    with_list, without = run(tracks, records, sdn), run(tracks, records, None)
    assert with_list.verdict_of(412000005) == without.verdict_of(412000005)
    assert with_list.verdict_of(412000005).verdict == Verdict.CLEAR
    assert with_list.verdict_of(412000005).reasons == ()
    assert "watchlist" not in without.to_json()
    assert with_list.to_json()["watchlist"]["vessels"] == 406


def test_imo_and_name_of_one_entry_give_one_event_with_the_name_as_also_matched(
    sdn: Watchlist,
) -> None:
    result = run([track(412000006, 31.2)],
                 statics((412000006, "2026-06-01 06:00", 8660313, "CHON MA SAN")), sdn)
    reason = only_reason(result, 412000006)
    assert (reason["match"], reason["also_matched"]) == (
        "imo", [{"match": "name", "value": "CHON MA SAN"}])


def test_span_is_the_time_the_matching_imo_was_used(sdn: Watchlist) -> None:
    records = statics(
        (412000007, "2026-06-01 00:30", 9074729, None),
        (412000007, "2026-06-01 12:00", 8660313, None),
    )
    result = run([track(412000007, 31.4)], records, sdn)
    kinds = sorted(str(r.event.kind) for r in result.verdict_of(412000007).reasons)
    assert kinds == ["identity_change", "watchlist"]
    reason = watch_reason(result, 412000007)
    # from the first record of the listed IMO to the last fix (it is the latest IMO)
    assert (reason["start"], reason["end"]) == ("2026-06-01T12:00:00Z", "2026-06-02T00:00:00Z")


def test_imo_first_reported_after_as_of_is_not_a_hit(sdn: Watchlist) -> None:
    records = statics(
        (412000007, "2026-06-01 00:30", 9074729, None),
        (412000007, "2026-06-01 12:00", 8660313, None),
    )
    result = run([track(412000007, 31.4)], records, sdn, as_of=utc("2026-06-01 11:59"))
    assert result.verdict_of(412000007).verdict == Verdict.CLEAR
    assert not [e for e in result.events if e.kind == EventKind.WATCHLIST]


def test_hit_ending_exactly_180_days_before_as_of_is_history(sdn: Watchlist) -> None:
    tracks = [track(412000001, 30.0)]
    records = statics((412000001, "2026-06-01 06:00", 8660313, None))
    end = utc(LAST_FIX)
    old = run(tracks, records, sdn, as_of=end + timedelta(days=180))
    assert old.verdict_of(412000001).verdict == Verdict.CLEAR
    assert (only_reason(old, 412000001)["in_window"], only_reason(old, 412000001)["effect"]) == (
        False, "none")
    assert only_reason(old, 412000001)["explanation"].endswith(
        "(more than 180 days ago, history).")
    recent = run(tracks, records, sdn, as_of=end + timedelta(days=180) - timedelta(seconds=1))
    assert recent.verdict_of(412000001).verdict == Verdict.REVIEW


def test_ais_name_cut_at_20_characters_matches_the_longer_listed_name(sdn: Watchlist) -> None:
    result = run([track(412000008, 31.6)],
                 statics((412000008, "2026-06-01 06:00", None, "JANG JA SAN CHONG NY")), sdn)
    reason = only_reason(result, 412000008)
    assert (reason["entry"], reason["truncated"]) == (17089, True)
    assert reason["summary"].startswith(
        "Name JANG JA SAN CHONG NY matches the first 20 characters of the listed vessel "
        "JANG JA SAN CHONG NYON HO on the OFAC SDN list (programme DPRK, entry 17089)")


def test_vessels_table_alone_names_a_vessel_built_in_memory(sdn: Watchlist) -> None:
    vessels = pd.DataFrame({"mmsi": np.array([412000009], dtype="uint32"),
                            "imo": pd.array([8132835], dtype="Int64"), "name": ["X"]})
    reason = only_reason(run([track(412000009, 31.8)], None, sdn, vessels=vessels), 412000009)
    assert (reason["match"], reason["entry"], reason["sdn_name"], reason["programs"]) == (
        "imo", 17084, "AM NOK GANG", ["DPRK"])
    assert (reason["start"], reason["end"]) == ("2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z")


def test_reapply_keeps_the_watchlist(sdn: Watchlist) -> None:
    result = run([track(412000001, 30.0)],
                 statics((412000001, "2026-06-01 06:00", 8660313, None)), sdn)
    again = result.reapply(utc("2026-08-01 00:00"))
    assert again.watchlist is sdn
    assert only_reason(again, 412000001)["match"] == "imo"


# --- exposure check --watchlist


@pytest.fixture(scope="module")
def tracks_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = ["mmsi,timestamp_utc,lat,lon,sog_kn,imo,name"]
    rows += [f"412000001,2026-06-01T0{h}:00:00Z,30.0,123.0,10.0,8660313,SEA STAR"
             for h in range(3)]
    rows += [f"412000005,2026-06-01T0{h}:00:00Z,31.0,123.0,10.0,9074729,OCEAN BREEZE"
             for h in range(3)]
    path = tmp_path_factory.mktemp("watch") / "tracks.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_check_json_contains_the_watchlist_reason(
    tracks_csv: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sdn_csv = corpus / "ofac_sdn" / "sdn.csv"
    code = main(["check", str(tracks_csv), "--as-of", "2026-07-01", "--format", "json",
                 "--watchlist", str(sdn_csv)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    doc = json.loads(out)
    verdicts = {v["mmsi"]: v for v in doc["vessels"]}
    assert verdicts[412000001]["verdict"] == "review"
    [reason] = verdicts[412000001]["reasons"]
    assert (reason["kind"], reason["match"], reason["entry"], reason["start"], reason["end"]) == (
        "watchlist", "imo", 23729, "2026-06-01T00:00:00Z", "2026-06-01T02:00:00Z")
    assert (verdicts[412000005]["verdict"], verdicts[412000005]["reasons"]) == ("clear", [])
    assert [f["kind"] for f in doc["watchlist"]["files"]] == ["sdn", "alt"]


def test_check_with_a_missing_watchlist_exits_2_with_one_line(
    tracks_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "sdn.csv"
    code = main(["check", str(tracks_csv), "--watchlist", str(missing)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == f"exposure: {missing}: watch list not found\n"


def test_check_with_a_track_file_as_watchlist_exits_2_with_the_reason(
    tracks_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", str(tracks_csv), "--watchlist", str(tracks_csv)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "not a watch list: its first row is not a header" in err
    assert "its rows have 7 columns" in err


def test_real_noaa_tanker_magus_is_the_listed_freedom_by_imo(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """NOAA's 3 Jan 2022 sample has MMSI 374208000 "MAGUS", IMO9018464; OFAC lists IMO 9018464
    as FREEDOM (entry 29485, VENEZUELA-EO13850), f.k.a. MAGUS in alt.csv."""
    source = corpus / "noaa_marinecadastre" / "AIS_2022_01_03_first99999.csv.gz"
    with gzip.open(source, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [r for r in reader if r[0] == "374208000"]
    assert {(r[7], r[8]) for r in rows} == {("MAGUS", "IMO9018464")} and len(rows) == 6
    times = sorted(r[1] for r in rows)
    part = tmp_path / "magus.csv"
    with part.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    code = main(["check", str(part), "--as-of", "2022-02-01", "--format", "json",
                 "--watchlist", str(corpus / "ofac_sdn")])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    [vessel] = json.loads(out)["vessels"]
    assert (vessel["mmsi"], vessel["imo"], vessel["verdict"]) == (374208000, 9018464, "review")
    [reason] = vessel["reasons"]
    assert reason["explanation"] == (
        "IMO 9018464 is on the OFAC SDN list as FREEDOM (programme VENEZUELA-EO13850, "
        "entry 29485).")
    assert reason["also_matched"] == [{"match": "name", "value": "MAGUS"}]
    assert (reason["start"], reason["end"]) == (times[0] + "Z", times[-1] + "Z")
