"""Identity changes (DESIGN.md §3) from hand-made static records."""

from __future__ import annotations

import pandas as pd
from screening_kit import Track, fixes_of, utc

from desktop.core.detect.identity import detect_identity_changes
from desktop.core.model import EventKind, Verdict
from desktop.core.screening import screen_fixes


def statics(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "mmsi": [r[0] for r in rows],
            "time": pd.to_datetime([r[1] for r in rows], utc=True),
            "imo": pd.array([r[2] for r in rows], dtype="Int64"),
            "name": [r[3] for r in rows],
        }
    )


def test_alternating_names_give_one_event_per_distinct_change() -> None:
    rows = [
        (355000001, "2026-09-01 00:00", 9000001, "SEA STAR"),
        (355000001, "2026-09-02 00:00", 9000001, "Sea Star "),  # same name, other spelling
        (355000001, "2026-09-03 00:00", 9000001, "OCEAN PEARL"),
        (355000001, "2026-09-04 00:00", 9000001, "SEA STAR"),
        (355000001, "2026-09-05 00:00", 9000001, "OCEAN PEARL"),
    ]
    events = detect_identity_changes(statics(rows))
    got = [(e.start, e.end, e.details["from"], e.details["to"], e.details["count"]) for e in events]
    assert got == [
        (utc("2026-09-03 00:00"), utc("2026-09-05 00:00"), "SEA STAR", "OCEAN PEARL", 2),
        (utc("2026-09-04 00:00"), utc("2026-09-04 00:00"), "OCEAN PEARL", "SEA STAR", 1),
    ]


def test_one_imo_under_two_mmsis_flags_both() -> None:
    rows = [
        (355000001, "2026-09-01 00:00", 9000001, "SEA STAR"),
        (677000002, "2026-10-01 00:00", 9000001, "SEA STAR"),
        (677000002, "2026-10-02 00:00", 9000001, "SEA STAR"),
    ]
    events = detect_identity_changes(statics(rows))
    assert [(e.mmsi, e.details["field"], e.details["other_mmsi"]) for e in events] == [
        (355000001, "mmsi", [677000002]),
        (677000002, "mmsi", [355000001]),
    ]
    assert events[1].start == utc("2026-10-01 00:00") and events[1].end == utc("2026-10-02 00:00")


def test_imo_change_makes_the_vessel_review_and_old_change_is_history() -> None:
    rows = [
        (355000001, "2026-01-01 00:00", 9000001, "SEA STAR"),
        (355000001, "2026-02-01 00:00", 9000002, "SEA STAR"),
    ]
    t = Track(355000001).every("2026-01-01 00:00", "2026-01-01 02:00", 60, 130.0, 30.0, sog=12)
    result = screen_fixes(fixes_of(t), as_of=utc("2026-03-01 00:00"), statics=statics(rows))
    v = result.verdict_of(355000001)
    assert v.verdict == Verdict.REVIEW
    [reason] = v.reasons
    assert reason.event.kind == EventKind.IDENTITY_CHANGE
    assert reason.explanation == "Reported IMO 9000001, then 9000002."
    later = result.reapply(utc("2026-07-31 00:00")).verdict_of(355000001)
    assert later.verdict == Verdict.CLEAR and later.reasons[0].in_window is False


def test_static_records_after_as_of_or_without_time_are_ignored() -> None:
    rows = [
        (355000001, "2026-01-01 00:00", 9000001, "SEA STAR"),
        (355000001, "2026-04-01 00:00", 9000002, "SEA STAR"),
    ]
    frame = statics(rows)
    t = Track(355000001).every("2026-01-01 00:00", "2026-01-01 02:00", 60, 130.0, 30.0, sog=12)
    result = screen_fixes(fixes_of(t), as_of=utc("2026-03-01 00:00"), statics=frame)
    assert result.verdict_of(355000001).verdict == Verdict.CLEAR
    frame.loc[1, "time"] = pd.NaT
    assert detect_identity_changes(frame) == []


def test_shared_imo_span_runs_to_the_vessels_last_fix_while_that_imo_is_its_latest() -> None:
    # CSV readers keep only the static rows where values change: one row in January, but the
    # vessel sailed under that identity until its last fix in June
    rows = [
        (352322000, "2026-01-10 00:00", 9063225, "HAI PENG"),
        (671322300, "2026-06-25 00:00", 9063225, "HAI PENG 1"),
    ]
    last_seen = {352322000: pd.Timestamp("2026-06-20 00:00", tz="UTC")}
    events = detect_identity_changes(statics(rows), last_seen)
    assert [(e.mmsi, e.start, e.end) for e in events] == [
        (352322000, utc("2026-01-10 00:00"), utc("2026-06-20 00:00")),
        (671322300, utc("2026-06-25 00:00"), utc("2026-06-25 00:00")),
    ]
    old = Track(352322000).every("2026-01-10 00:00", "2026-06-20 00:00", 1440, 122.0, 36.0, sog=12)
    result = screen_fixes(fixes_of(old), as_of=utc("2026-11-28 00:00"), statics=statics(rows))
    assert result.verdict_of(352322000).verdict == Verdict.REVIEW  # 161 days: in the window
