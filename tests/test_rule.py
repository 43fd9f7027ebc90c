"""The 180-day rule on hand-built tracks at Nampo: window boundary, ongoing calls, history,
as_of truncation. Times are chosen so every expected instant can be checked by hand."""

from __future__ import annotations

from datetime import date, timedelta

from screening_kit import NAMPO, Track, east_of, fixes_of, kp_zones, utc

from desktop.core.model import EventKind, Verdict
from desktop.core.screening import screen_fixes

OUTSIDE = east_of(*NAMPO, 20_000)  # 20 km east of the port, outside every zone
VESSEL = 351000001


def nampo_call(mmsi: int = VESSEL) -> Track:
    """Arrives 30 Jun 2026 15:40:30, moored until it leaves; last fix inside 3 Jul 06:20:30."""
    t = Track(mmsi)
    t.at("2026-06-30 12:00", *OUTSIDE, sog=10.0)
    t.every("2026-06-30 15:40:30", "2026-07-03 06:20:30", 20, *NAMPO, sog=0.0)
    t.at("2026-07-03 09:00", *OUTSIDE, sog=10.0)
    return t


CALL_END = utc("2026-07-03 06:20:30")


def test_call_ended_exactly_180_days_before_as_of_is_clear() -> None:
    as_of = CALL_END + timedelta(days=180)
    result = screen_fixes(fixes_of(nampo_call()), kp_zones(), as_of=as_of)
    v = result.verdict_of(VESSEL)
    assert v.verdict == Verdict.CLEAR
    assert v.barred_until is None
    [reason] = [r for r in v.reasons if r.event.kind == EventKind.PORT_CALL]
    assert (reason.in_window, reason.bars) == (False, False)


def test_call_ended_179_days_23_h_59_min_before_as_of_is_barred_to_the_second() -> None:
    as_of = CALL_END + timedelta(days=180) - timedelta(minutes=1)
    result = screen_fixes(fixes_of(nampo_call()), kp_zones(), as_of=as_of)
    v = result.verdict_of(VESSEL)
    assert v.verdict == Verdict.BARRED
    assert v.barred_until == utc("2026-12-30 06:20:30")
    out = v.to_json()
    assert out["barred_until"] == "2026-12-30T06:20:30Z"
    call = out["reasons"][0]
    assert (call["kind"], call["zone"], call["locode"], call["country"]) == (
        "port_call", "Nampo", "KPNAM", "KP")
    assert (call["start"], call["end"]) == ("2026-06-30T15:40:30Z", "2026-07-03T06:20:30Z")
    assert call["ongoing"] is False and call["in_window"] is True
    assert call["explanation"] == (
        "Called at Nampo (KPNAM) from 30 Jun 2026 15:40:30 UTC to 3 Jul 2026 06:20:30 UTC; "
        "may not call at a US port before 30 Dec 2026 06:20:30 UTC."
    )


def test_call_in_progress_at_end_of_data_is_barred_and_ongoing() -> None:
    t = Track(VESSEL)
    t.at("2026-11-20 00:00", *OUTSIDE, sog=10.0)
    t.every("2026-11-20 03:00", "2026-11-25 03:00", 60, *NAMPO, sog=0.0)
    result = screen_fixes(fixes_of(t), kp_zones(), as_of=utc("2026-11-28 00:00"))
    v = result.verdict_of(VESSEL)
    assert v.verdict == Verdict.BARRED
    assert v.barred_until == utc("2026-11-25 03:00") + timedelta(days=180)
    call = v.to_json()["reasons"][0]
    assert call["kind"] == "port_call" and call["ongoing"] is True
    assert call["end"] == "2026-11-25T03:00:00Z"


def test_call_older_than_window_is_history_and_does_not_bar() -> None:
    result = screen_fixes(fixes_of(nampo_call()), kp_zones(), as_of=utc("2027-03-01 00:00"))
    v = result.verdict_of(VESSEL)
    assert v.verdict == Verdict.CLEAR
    [reason] = v.to_json()["reasons"]
    assert reason["kind"] == "port_call"
    assert reason["in_window"] is False and reason["bars"] is False
    assert "barred_until" not in reason
    assert reason["explanation"].endswith(
        "the 180 days ended on 30 Dec 2026 06:20:30 UTC, so it no longer bars (history).")


def test_events_after_as_of_are_ignored() -> None:
    # the call starts at 15:40:30 on 30 Jun; as_of the day before sees only the ship at sea
    result = screen_fixes(fixes_of(nampo_call()), kp_zones(), as_of=date(2026, 6, 30))
    v = result.verdict_of(VESSEL)
    assert v.verdict == Verdict.CLEAR
    assert v.reasons == ()
    assert result.events == []


def test_date_as_of_means_midnight_utc_and_cuts_a_call_into_an_ongoing_one() -> None:
    t = Track(VESSEL)
    t.at("2026-11-27 18:00", *OUTSIDE, sog=10.0)
    t.every("2026-11-27 20:00", "2026-11-28 10:00", 60, *NAMPO, sog=0.0)
    t.at("2026-11-28 12:00", *OUTSIDE, sog=10.0)
    result = screen_fixes(fixes_of(t), kp_zones(), as_of=date(2026, 11, 28))
    assert result.as_of == utc("2026-11-28 00:00")
    v = result.verdict_of(VESSEL)
    assert v.verdict == Verdict.BARRED
    call = v.to_json()["reasons"][0]
    # fixes at 20:00 ... 00:00 are on or before as_of: a 4 h stop, still in port
    assert (call["start"], call["end"], call["ongoing"]) == (
        "2026-11-27T20:00:00Z", "2026-11-28T00:00:00Z", True)
    assert v.barred_until == utc("2027-05-27 00:00")
    # the whole call, seen a day later
    later = result.reapply(date(2026, 11, 29)).verdict_of(VESSEL)
    assert later.to_json()["reasons"][0]["end"] == "2026-11-28T10:00:00Z"
    assert later.barred_until == utc("2027-05-27 10:00")


def test_vessel_with_nothing_found_is_clear_without_reasons() -> None:
    t = Track(VESSEL).every("2026-11-01 00:00", "2026-11-02 00:00", 60, *OUTSIDE, sog=12.0)
    v = screen_fixes(fixes_of(t), kp_zones(), as_of=utc("2026-11-28 00:00")).verdict_of(VESSEL)
    assert (v.verdict, v.barred_until, v.reasons) == (Verdict.CLEAR, None, ())


def test_kp_flag_is_review_with_mid_445() -> None:
    t = Track(445000123).every("2026-11-01 00:00", "2026-11-01 02:00", 60, *OUTSIDE, sog=12.0)
    v = screen_fixes(fixes_of(t), kp_zones(), as_of=utc("2026-11-28 00:00")).verdict_of(445000123)
    assert v.verdict == Verdict.REVIEW
    assert v.flag == "KP"
    [reason] = v.to_json()["reasons"]
    assert (reason["kind"], reason["mid"], reason["in_window"]) == ("kp_flag", 445, True)


def test_verdicts_sorted_barred_review_clear_then_mmsi() -> None:
    clear = Track(351000009).every("2026-11-01 00:00", "2026-11-01 02:00", 60, *OUTSIDE, sog=12)
    review = Track(445000001).every("2026-11-01 00:00", "2026-11-01 02:00", 60, *OUTSIDE, sog=12)
    result = screen_fixes(
        fixes_of(clear, review, nampo_call(351000005)), kp_zones(), as_of=utc("2026-11-28 00:00")
    )
    assert [(v.mmsi, str(v.verdict)) for v in result.verdicts] == [
        (351000005, "barred"), (445000001, "review"), (351000009, "clear")]


def test_transit_through_kp_waters_is_review_with_waters_presence() -> None:
    # kp_zones() has a KP territorial-sea strip at lon 124.9-125.2, lat 38.3-38.9
    t = Track(VESSEL)
    t.at("2026-10-01 00:00", 124.5, 38.6, sog=11.0)
    t.at("2026-10-01 01:00", 125.0, 38.6, sog=11.0)
    t.at("2026-10-01 02:00", 125.1, 38.6, sog=11.0)
    t.at("2026-10-01 03:00", 125.5, 38.6, sog=11.0)
    v = screen_fixes(fixes_of(t), kp_zones(), as_of=utc("2026-11-28 00:00")).verdict_of(VESSEL)
    assert v.verdict == Verdict.REVIEW
    [reason] = v.to_json()["reasons"]
    assert (reason["kind"], reason["zone"], reason["country"]) == (
        "waters_presence", "KP territorial sea", "KP")
    assert (reason["start"], reason["end"], reason["fixes"]) == (
        "2026-10-01T01:00:00Z", "2026-10-01T02:00:00Z", 2)


def test_sts_with_a_kp_flagged_vessel_is_sts_with_review() -> None:
    sea = (124.0, 36.0)
    kp, other = Track(445000777), Track(VESSEL)
    kp.every("2026-10-01 00:00", "2026-10-01 04:00", 10, *sea, sog=0.2)
    other.every("2026-10-01 00:00", "2026-10-01 04:00", 10, *east_of(*sea, 200), sog=0.2)
    result = screen_fixes(fixes_of(kp, other), kp_zones(), as_of=utc("2026-11-28 00:00"))
    v = result.verdict_of(VESSEL)
    assert v.verdict == Verdict.REVIEW
    [reason] = v.to_json()["reasons"]
    assert (reason["kind"], reason["with_mmsi"]) == ("sts_with_review", 445000777)
    assert reason["counterpart_review"]["kind"] == "kp_flag"
