"""Coverage (DESIGN.md §2) on hand-built tracks: first/last fix at or before as_of, silent_h,
covered_fraction, current/stale at the boundary, data_end and its warning, and the words of a
stale clear in the table, the CSV and the JSON. Coverage never changes a verdict."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import numpy as np
from screening_kit import NAMPO, Track, fixes_of, kp_zones, utc

from desktop.core.coverage import NO_FIX, coverage_sentence, data_end_warning
from desktop.core.export import headline
from desktop.core.model import CoverageStatus, Verdict
from desktop.core.output import CSV_COLUMNS, to_csv_text, to_json_text, to_table_text
from desktop.core.params import ScreeningParams
from desktop.core.screening import screen_fixes

NO_PORTS = (np.zeros(0), np.zeros(0))
SEA = (123.0, 35.0)  # Yellow Sea, far from every zone


def _screen(*tracks: Track, as_of: str, **params: float):
    return screen_fixes(fixes_of(*tracks), kp_zones(), ScreeningParams(**params), utc(as_of),
                        known_ports=NO_PORTS)


def test_silent_exactly_stale_after_h_is_stale_one_second_less_is_current() -> None:
    quiet = Track(412000001).at("2026-07-01 00:00", *SEA, 10.0)
    heard = Track(412000002).at("2026-07-01 00:00:01", *SEA, 10.0)
    result = _screen(quiet, heard, as_of="2026-07-02 00:00")
    quiet_cov = result.verdict_of(412000001).coverage
    heard_cov = result.verdict_of(412000002).coverage
    assert quiet_cov is not None and heard_cov is not None
    assert (quiet_cov.silent_h, quiet_cov.status) == (24.0, CoverageStatus.STALE)
    assert heard_cov.silent_h == 24.0 - 1 / 3600
    assert heard_cov.status == CoverageStatus.CURRENT


def test_last_fix_after_as_of_is_not_seen() -> None:
    track = (Track(412000003).at("2026-07-01 10:00", *SEA, 10.0)
             .at("2026-07-01 12:00", *SEA, 10.0).at("2026-07-01 20:00", *SEA, 10.0))
    result = _screen(track, as_of="2026-07-01 15:00")
    cov = result.verdict_of(412000003).coverage
    assert cov is not None
    assert (cov.first_fix, cov.last_fix, cov.silent_h) == (
        utc("2026-07-01 10:00"), utc("2026-07-01 12:00"), 3.0)
    assert cov.status == CoverageStatus.CURRENT
    assert result.data_end == utc("2026-07-01 12:00")


def test_vessel_with_every_fix_after_as_of_has_no_fix_and_is_a_stale_clear() -> None:
    early = Track(412000004).at("2026-07-01 10:00", *SEA, 10.0)
    late = Track(412000005).at("2026-07-03 10:00", *SEA, 10.0)
    result = _screen(early, late, as_of="2026-07-01 12:00")
    vessel = result.verdict_of(412000005)
    assert (vessel.verdict, vessel.coverage) == (Verdict.CLEAR, NO_FIX)
    assert vessel.to_json()["coverage"] == {
        "first_fix": None, "last_fix": None, "silent_h": None, "covered_fraction": 0.0,
        "status": "stale"}


def test_covered_fraction_counts_half_gap_min_h_around_each_fix_inside_the_window() -> None:
    # Window of 1 day [1 Jul 00:00, 2 Jul 00:00], gap_min_h 12 (6 h either side of a fix):
    # 30 Jun 20:00 covers 00:00-02:00 of the window; 10:00 and 12:00 cover 04:00-18:00;
    # 23:00 covers 17:00-24:00 (new: 18:00-24:00). 2 + 14 + 6 = 22 h of 24; the 14 h silence
    # 20:00-10:00 leaves exactly 14 - 12 = 2 h uncovered.
    track = (Track(412000006).at("2026-06-30 20:00", *SEA, 10.0)
             .at("2026-07-01 10:00", *SEA, 10.0).at("2026-07-01 12:00", *SEA, 10.0)
             .at("2026-07-01 23:00", *SEA, 10.0))
    result = _screen(track, as_of="2026-07-02 00:00", window_days=1.0)
    cov = result.verdict_of(412000006).coverage
    assert cov is not None
    assert cov.covered_fraction == 22 / 24
    assert cov.first_fix == utc("2026-06-30 20:00")


def test_covered_fraction_is_one_for_fixes_never_gap_min_h_apart_and_a_fix_at_as_of() -> None:
    track = Track(412000007).every("2026-06-30 18:00", "2026-07-02 00:00", 600, *SEA, 10.0)
    result = _screen(track, as_of="2026-07-02 00:00", window_days=1.0)
    cov = result.verdict_of(412000007).coverage
    assert cov is not None
    assert (cov.covered_fraction, cov.silent_h) == (1.0, 0.0)


def test_coverage_never_changes_a_verdict_a_stale_barred_stays_barred() -> None:
    lon, lat = NAMPO
    caller = (Track(351000001).at("2026-07-01 00:00", lon + 0.3, lat, 10.0)
              .every("2026-07-01 04:00", "2026-07-02 04:00", 60, lon, lat, 0.0)
              .at("2026-07-02 08:00", lon + 0.3, lat, 10.0))
    result = _screen(caller, as_of="2026-11-01 00:00")
    vessel = result.verdict_of(351000001)
    assert vessel.verdict == Verdict.BARRED
    assert vessel.barred_until == utc("2026-07-02 04:00") + timedelta(days=180)
    assert vessel.coverage is not None and vessel.coverage.stale


def test_stale_clear_is_said_in_words_in_table_csv_json_and_headline() -> None:
    # DESIGN.md §2's own example: last fix 16 May 2026, as_of 196 days later.
    track = Track(412000008).at("2026-05-16 08:30", *SEA, 10.0)
    result = _screen(track, as_of="2026-11-28 00:00")
    vessel = result.verdict_of(412000008)
    sentence = ("No AIS since 16 May 2026 (196 days before the as-of date): a North Korean call "
                "since then cannot be ruled out from this data.")
    assert coverage_sentence(vessel.coverage, result.as_of, 180) == (
        sentence + " Its fixes cover 0.0% of the 180-day window.")
    assert headline(vessel) == "CLEAR, BUT STALE: nothing found, but no AIS since 16 May 2026"
    lines = to_table_text(result).splitlines()
    assert lines[1] == ("Warning: The data ends 16 May 2026, 196 days before the as-of date: "
                        "verdicts reflect nothing after that.")
    assert lines[3].split()[:6] == ["VERDICT", "BARRED", "UNTIL", "MMSI", "NAME", "LAST"]
    assert lines[4] == (
        f"clear    -                     412000008  -                     2026-05-16 08:30 stale"
        f"  {sentence}")
    [row] = list(csv.DictReader(io.StringIO(to_csv_text(result))))
    assert list(row) == list(CSV_COLUMNS)
    assert {k: row[k] for k in CSV_COLUMNS[-5:]} == {
        "first_fix": "2026-05-16T08:30:00Z", "last_fix": "2026-05-16T08:30:00Z",
        "silent_h": "4695.5", "covered_fraction": "0", "coverage": "stale"}
    doc = json.loads(to_json_text(result))
    assert doc["data_end"] == "2026-05-16T08:30:00Z"
    assert doc["vessels"][0]["coverage"] == {
        "first_fix": "2026-05-16T08:30:00Z", "last_fix": "2026-05-16T08:30:00Z",
        "silent_h": 4695.5, "covered_fraction": 0.0, "status": "stale"}


def test_current_clear_keeps_the_plain_headline_and_says_when_last_heard() -> None:
    track = Track(412000009).every("2026-10-31 12:00", "2026-10-31 22:00", 60, *SEA, 10.0)
    result = _screen(track, as_of="2026-11-01 00:00")
    vessel = result.verdict_of(412000009)
    assert headline(vessel) == "CLEAR: nothing in the window bars this vessel or calls for review"
    # 12:00 - 6 h to 22:00 + 6 h (clipped at as_of): 18 h of the 180-day window
    assert coverage_sentence(vessel.coverage, result.as_of, 180) == (
        "Last AIS 31 Oct 2026 22:00 UTC, 2 h before the as-of date. Its fixes cover 0.4% of the "
        "180-day window.")
    assert vessel.coverage is not None and vessel.coverage.covered_fraction == 18 / (180 * 24)
    assert result.warning is None


def test_warning_when_data_end_exactly_stale_after_h_before_as_of_not_one_second_less() -> None:
    end = utc("2026-07-01 00:00")
    assert data_end_warning(end, end + timedelta(hours=24), 24.0) == (
        "The data ends 1 Jul 2026, 24 h before the as-of date: verdicts reflect nothing after "
        "that.")
    assert data_end_warning(end, end + timedelta(hours=24) - timedelta(seconds=1), 24.0) is None
    assert data_end_warning(None, end, 24.0) == (
        "No fix at or before the as-of date: verdicts reflect no data.")
    track = Track(412000010).at("2026-07-01 00:00", *SEA, 10.0)
    assert _screen(track, as_of="2026-07-01 23:59:59").warning is None
    assert _screen(track, as_of="2026-07-02 00:00").warning is not None


def test_stale_after_h_is_a_parameter_recorded_in_the_output() -> None:
    track = Track(412000011).at("2026-07-01 00:00", *SEA, 10.0)
    result = _screen(track, as_of="2026-07-01 06:00", stale_after_h=6.0)
    assert result.to_json()["parameters"]["stale_after_h"] == 6.0
    cov = result.verdict_of(412000011).coverage
    assert cov is not None and cov.status == CoverageStatus.STALE
