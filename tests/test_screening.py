"""``screen``: as_of handling, progress and cancel, reapply, empty input, paths vs ingest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from screening_kit import NAMPO, Track, east_of, fixes_of, kp_zones, utc

from desktop.core.errors import Cancelled, ParameterError
from desktop.core.fixes import empty_fixes
from desktop.core.ingest import ingest
from desktop.core.model import Verdict
from desktop.core.screening import (
    ingest_result_of,
    normalise_as_of,
    parse_as_of,
    screen,
    screen_fixes,
)

VESSEL = 351000001


def call_track() -> Track:
    t = Track(VESSEL)
    t.at("2026-06-30 12:00", *east_of(*NAMPO, 20_000), sog=10.0)
    t.every("2026-06-30 16:00", "2026-07-01 16:00", 60, *NAMPO, sog=0.0)
    t.at("2026-07-01 19:00", *east_of(*NAMPO, 20_000), sog=10.0)
    return t


def test_as_of_forms() -> None:
    assert normalise_as_of(date(2026, 11, 28)) == utc("2026-11-28 00:00")
    nine = timezone(timedelta(hours=9))
    assert normalise_as_of(datetime(2026, 11, 28, 9, 0, tzinfo=nine)) == utc("2026-11-28 00:00")
    assert parse_as_of("2026-11-28") == date(2026, 11, 28)
    assert parse_as_of("2026-11-28T06:30:00Z") == utc("2026-11-28 06:30")
    assert parse_as_of("2026-11-28T06:30") == utc("2026-11-28 06:30")  # no zone: UTC
    before = datetime.now(UTC)
    assert before <= normalise_as_of(None) <= datetime.now(UTC)


def test_naive_datetime_as_of_is_refused() -> None:
    with pytest.raises(ParameterError, match="no time zone"):
        screen_fixes(fixes_of(call_track()), kp_zones(), as_of=datetime(2026, 11, 28))  # noqa: DTZ001


def test_progress_reaches_one_and_cancel_raises() -> None:
    seen: list[tuple[float, str]] = []
    source = ingest_result_of(fixes_of(call_track()))
    screen(source, kp_zones(), as_of=utc("2026-11-28 00:00"),
           progress=lambda f, what: seen.append((f, what)), known_ports=None)
    assert seen[0][0] == 0.0 and seen[-1] == (1.0, "done")
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)
    with pytest.raises(Cancelled):
        screen(source, kp_zones(), as_of=utc("2026-11-28 00:00"), cancel=lambda: True)


def test_reapply_screens_the_same_data_at_another_as_of() -> None:
    result = screen_fixes(fixes_of(call_track()), kp_zones(), as_of=utc("2026-11-28 00:00"))
    assert result.verdict_of(VESSEL).verdict == Verdict.BARRED
    later = result.reapply(date(2027, 1, 1))
    assert later.ingest is result.ingest and later.zones is result.zones
    assert later.as_of == utc("2027-01-01 00:00")
    assert later.verdict_of(VESSEL).verdict == Verdict.CLEAR


def test_empty_fixes_give_no_verdicts() -> None:
    result = screen_fixes(empty_fixes(), kp_zones(), as_of=utc("2026-11-28 00:00"))
    assert (result.events, result.verdicts) == ([], [])
    assert result.to_json()["vessels"] == []


def test_paths_and_ingest_result_give_the_same_json(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    rows = ["mmsi,timestamp_utc,lat,lon,sog_kn"]
    for moment, lon, lat, sog, _ in call_track().rows:
        rows.append(f"{VESSEL},{moment:%Y-%m-%dT%H:%M:%SZ},{lat},{lon},{sog}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    as_of = utc("2026-11-28 00:00")
    from_paths = screen([path], kp_zones(), as_of=as_of)
    from_ingest = screen(ingest([path]), kp_zones(), as_of=as_of)
    assert from_paths.to_json() == from_ingest.to_json()
    assert from_paths.verdict_of(VESSEL).barred_until == utc("2026-07-01 16:00") + timedelta(
        days=180)
