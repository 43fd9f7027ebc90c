"""The one-hop STS clause (DESIGN.md §1) on hand-built tracks.

A (413000001) calls at Nampo from 1 Jun 2026 00:00 to 3 Jun 2026 00:00 UTC. At sea, 300 km
from any port: B meets A on 10 Jun 10:00-14:00 (after the call), D meets A on 20 May (before
the call), C meets B on 1 Jul (the counterpart's counterpart). Every meeting: 300 m apart,
0.3 kn, fixes on the 10-minute grid, so each STS runs exactly from its first to its last fix.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from screening_kit import NAMPO, Track, east_of, fixes_of, kp_zones, north_of, utc

from desktop.core.model import Verdict
from desktop.core.screening import screen_fixes

A, B, C, D = 413000001, 636000002, 538000003, 477000004
SEA = (124.0, 36.0)
SEA2 = (123.5, 35.5)
AS_OF = utc("2026-11-28 00:00")


def meet(one: Track, two: Track, start: str, end: str, where: tuple[float, float]) -> None:
    one.every(start, end, 10, *where, sog=0.3)
    two.every(start, end, 10, *east_of(*where, 300), sog=0.3)


def scenario() -> list[Track]:
    a, b, c, d = Track(A), Track(B), Track(C), Track(D)
    meet(a, d, "2026-05-20 08:00", "2026-05-20 12:00", SEA)
    a.every("2026-06-01 00:00", "2026-06-03 00:00", 60, *NAMPO, sog=0.0)
    a.at("2026-06-03 02:00", *east_of(*NAMPO, 30_000), sog=11.0)
    meet(a, b, "2026-06-10 10:00", "2026-06-10 14:00", SEA)
    meet(b, c, "2026-07-01 06:00", "2026-07-01 09:00", SEA2)
    return [a, b, c, d]


def screened(as_of=AS_OF, tracks=None):  # noqa: ANN001, ANN201
    return screen_fixes(fixes_of(*(tracks or scenario())), kp_zones(), as_of=as_of)


def test_sts_after_counterparts_kp_call_bars_until_sts_end_plus_window() -> None:
    v = screened().verdict_of(B)
    assert v.verdict == Verdict.BARRED
    assert v.barred_until == utc("2026-06-10 14:00") + timedelta(days=180)
    sts = [r.to_json() for r in v.reasons
           if r.event.kind == "sts_transfer" and r.event.with_mmsi == A]
    assert len(sts) == 1
    assert sts[0]["bars"] is True and sts[0]["effect"] == "bars"
    assert sts[0]["barred_until"] == "2026-12-07T14:00:00Z"
    assert sts[0]["port_call"] == {
        "mmsi": A, "zone": "Nampo", "locode": "KPNAM", "country": "KP",
        "start": "2026-06-01T00:00:00Z", "end": "2026-06-03T00:00:00Z", "ongoing": False,
    }
    assert sts[0]["explanation"] == (
        "Ship-to-ship transfer with MMSI 413000001 from 10 Jun 2026 10:00 UTC to "
        "10 Jun 2026 14:00 UTC, 7 days after that vessel's call at Nampo (KPNAM) "
        "(1 Jun 2026 00:00 UTC to 3 Jun 2026 00:00 UTC); may not call at a US port before "
        "7 Dec 2026 14:00 UTC."
    )


def test_the_calling_vessel_is_barred_by_its_own_call() -> None:
    v = screened().verdict_of(A)
    assert v.verdict == Verdict.BARRED
    assert v.barred_until == utc("2026-06-03 00:00") + timedelta(days=180)


def test_sts_before_the_counterparts_call_is_clear() -> None:
    v = screened().verdict_of(D)
    assert v.verdict == Verdict.CLEAR
    # Listed for the analyst (DESIGN §2: every event), with no effect on the verdict.
    [reason] = [r.to_json() for r in v.reasons]
    assert (reason["kind"], reason["with_mmsi"], reason["effect"]) == ("sts_transfer", A, "none")
    assert reason["explanation"].endswith("no effect on the verdict.")


def test_sts_with_a_clean_vessel_is_listed_without_effect() -> None:
    v = screened().verdict_of(B)
    [reason] = [r for r in v.reasons if r.event.with_mmsi == C]
    assert (reason.event.kind, reason.effect, reason.in_window) == ("sts_transfer", "none", True)


def test_counterparts_counterpart_is_review_only() -> None:
    v = screened().verdict_of(C)
    assert v.verdict == Verdict.REVIEW
    assert v.barred_until is None
    [reason] = [r.to_json() for r in v.reasons]
    assert reason["kind"] == "sts_with_review"
    assert reason["with_mmsi"] == B and reason["bars"] is False and reason["in_window"] is True
    assert reason["counterpart_sts"]["with_mmsi"] == A
    assert reason["counterpart_sts"]["port_call"]["zone"] == "Nampo"


def test_sts_exposure_expired_180_days_after_sts_end_is_clear() -> None:
    a, b, _c, _d = scenario()
    b.rows = [r for r in b.rows if r[0] < utc("2026-06-11 00:00")]  # without C (and B's gap)
    result = screened(as_of=utc("2026-12-07 14:00"), tracks=[a, b])
    v = result.verdict_of(B)
    assert v.verdict == Verdict.CLEAR
    [sts] = [r for r in v.reasons if r.event.kind == "sts_transfer"]
    assert (sts.in_window, sts.bars) == (False, False)
    one_second_earlier = result.reapply(utc("2026-12-07 13:59:59")).verdict_of(B)
    assert one_second_earlier.verdict == Verdict.BARRED


def test_sts_more_than_window_after_counterparts_call_is_not_exposure() -> None:
    a, b = Track(A), Track(B)
    a.every("2026-01-01 00:00", "2026-01-02 00:00", 60, *NAMPO, sog=0.0)
    a.at("2026-01-02 02:00", *east_of(*NAMPO, 30_000), sog=11.0)
    # tracked all along (no AIS gap that would put A under review)
    a.every("2026-01-02 06:00", "2026-06-30 18:00", 360, *SEA2, sog=11.0)
    meet(a, b, "2026-07-01 00:00", "2026-07-01 04:00", SEA)  # 180 days after 2 Jan 00:00
    v = screened(as_of=utc("2026-08-01 00:00"), tracks=[a, b]).verdict_of(B)
    assert v.verdict == Verdict.CLEAR
    assert [(r.event.kind, r.effect) for r in v.reasons] == [("sts_transfer", "none")]


def test_encounter_in_port_with_exposed_vessel_is_review_not_barred() -> None:
    a, b = Track(A), Track(B)
    a.every("2026-06-01 00:00", "2026-06-03 00:00", 60, *NAMPO, sog=0.0)
    a.at("2026-06-03 02:00", *east_of(*NAMPO, 30_000), sog=11.0)
    port = north_of(*SEA, 2_000)
    meet(a, b, "2026-06-10 10:00", "2026-06-10 14:00", SEA)
    result = screen_fixes(
        fixes_of(a, b), kp_zones(), as_of=AS_OF,
        known_ports=(np.array([port[0]]), np.array([port[1]])),
    )
    v = result.verdict_of(B)
    assert v.verdict == Verdict.REVIEW
    [reason] = [r.to_json() for r in v.reasons]
    assert reason["kind"] == "encounter_in_port" and reason["with_mmsi"] == A
    assert reason["port_call"]["locode"] == "KPNAM"


def test_encounter_in_port_with_clean_vessel_is_listed_without_effect() -> None:
    b, c = Track(B), Track(C)
    port = north_of(*SEA, 2_000)
    meet(b, c, "2026-06-10 10:00", "2026-06-10 14:00", SEA)
    result = screen_fixes(
        fixes_of(b, c), kp_zones(), as_of=AS_OF,
        known_ports=(np.array([port[0]]), np.array([port[1]])),
    )
    for mmsi, other in ((B, C), (C, B)):
        v = result.verdict_of(mmsi)
        assert v.verdict == Verdict.CLEAR
        [reason] = [r.to_json() for r in v.reasons]
        assert (reason["kind"], reason["with_mmsi"], reason["effect"]) == (
            "encounter_in_port", other, "none")
