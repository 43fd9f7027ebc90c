"""HTML report and GeoJSON of a small screened result (the GUI tests' hand-made tracks at Nampo):
exact verdicts, times, explanations, escaping, feature counts and coordinates."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from test_gui_support import AS_OF, BARRED, CLEAR, REVIEW, fixes, zones

from desktop.core.errors import ParameterError
from desktop.core.export import to_geojson, to_geojson_text, to_html_report
from desktop.core.ingest.result import FileReport
from desktop.core.model import Verdict
from desktop.core.output import OUTSIDE_AIS
from desktop.core.review import Review
from desktop.core.screening import ingest_result_of, screen

NO_PORTS = (np.zeros(0), np.zeros(0))
CALL_EXPLANATION = (
    "Called at Nampo (KPNAM) from 3 Jul 2026 01:50 UTC to 3 Jul 2026 06:20 UTC; "
    "may not call at a US port before 30 Dec 2026 06:20 UTC."
)
FLAG_EXPLANATION = "Flag of North Korea (MMSI MID 445)."


def _result(as_of: datetime = AS_OF):
    vessels = pd.DataFrame(
        {
            "mmsi": pd.Series([BARRED, REVIEW], dtype="uint32"),
            "imo": pd.Series([9000001, None], dtype="Int64"),
            "name": ["A<B&C", "KP 'ONE'"],
            "callsign": ["X\"Y", None],
        }
    )
    report = FileReport(
        path="/data/<odd>&name.nmea", format="nmea", lines=200, fixes=190,
        rejected={"bad_checksum": 7, "no_timestamp": 3, "duplicate": 0},
    )
    ingested = ingest_result_of(fixes(), vessels=vessels, reports=[report])
    return screen(ingested, zones(), as_of=as_of, known_ports=NO_PORTS)


@pytest.fixture(scope="module")
def result():
    return _result()


def _text(html_text: str) -> str:
    """The visible text: tags dropped (entities kept)."""
    return re.sub(r"<[^>]+>", "", html_text)


def test_result_is_what_the_tests_expect(result):
    assert [(v.mmsi, v.verdict) for v in result.verdicts] == [
        (BARRED, Verdict.BARRED), (REVIEW, Verdict.REVIEW), (CLEAR, Verdict.CLEAR)]
    assert result.verdicts[0].name == "A<B&C"


def test_html_report_has_verdict_barred_until_explanations_and_outside_ais(result):
    text = to_html_report(result)
    assert text.startswith("<!DOCTYPE html>")
    assert "BARRED until 30 Dec 2026 06:20 UTC" in text
    assert "<td>2026-12-30T06:20:00Z</td>" in text  # barred until in the identity table
    assert ("<td>port call</td><td>2026-07-03 01:50</td><td>2026-07-03 06:20</td>"
            "<td>Nampo (KPNAM), KP</td><td>38.71071° N, 125.38571° E</td><td>yes</td>"
            "<td>bars the vessel until 2026-12-30 06:20 UTC</td></tr>") in text
    assert f"<td colspan='7' class='explanation'>{CALL_EXPLANATION}</td>" in text
    assert FLAG_EXPLANATION in text
    assert "REVIEW: not barred, but an analyst should look" in text
    # the clear vessel's last fix is 1 Sep 2026 09:50, 88 days before as_of: a stale clear
    assert "CLEAR, BUT STALE: nothing found, but no AIS since 1 Sep 2026" in text
    assert ("<b>Coverage:</b> No AIS since 1 Sep 2026 (88 days before the as-of date): a North "
            "Korean call since then cannot be ruled out from this data. Its fixes cover 0.5% of "
            "the 180-day window.") in text
    assert ("<b>Warning:</b> The data ends 1 Oct 2026, 58 days before the as-of date: verdicts "
            "reflect nothing after that.") in text
    assert text.count(OUTSIDE_AIS) == 1 + 3  # once at the top, once per vessel
    assert "Screening as of <b>28 Nov 2026 00:00 UTC</b>" in text
    assert "window 180 days, from 1 Jun 2026 00:00 UTC to 28 Nov 2026 00:00 UTC" in text
    assert "3 of 3 vessels in this report: 1 barred, 1 review, 1 clear." in text
    assert ("<td>kp flag</td><td>2026-10-01 00:00</td><td>2026-10-01 09:50</td><td></td>"
            "<td></td><td>yes</td><td>calls for review</td></tr>") in text


def test_html_report_escapes_every_string_from_the_data(result):
    text = to_html_report(result)
    assert "A&lt;B&amp;C" in text
    assert "A<B&C" not in text
    assert "X&quot;Y" in text
    assert "KP &#x27;ONE&#x27;" in text
    assert "/data/&lt;odd&gt;&amp;name.nmea" in text
    assert "<odd>" not in text


def test_html_report_lists_inputs_rejections_and_every_parameter(result):
    text = to_html_report(result)
    assert ("<td>nmea</td><td class='num'>200</td><td class='num'>190</td>"
            "<td>bad_checksum 7, no_timestamp 3</td>") in text
    for name in result.params.as_dict():
        assert f"<td>{name}</td>" in text
    assert "<td>window_days</td><td class='num'>180</td>" in text
    assert "<td>sts_max_distance_m</td><td class='num'>500</td>" in text


def test_html_report_of_one_vessel_has_only_that_vessel(result):
    text = to_html_report(result, [REVIEW])
    assert FLAG_EXPLANATION in text
    assert CALL_EXPLANATION not in text
    assert "1 of 3 vessels in this report: 0 barred, 1 review, 0 clear." in text
    assert "Summary" not in text


def test_html_report_refuses_an_unknown_mmsi(result):
    with pytest.raises(ParameterError, match="MMSI 123456789 not in this screening"):
        to_html_report(result, [123456789])


def test_html_report_shows_the_review_and_a_changed_verdict(result):
    review = Review(
        mmsi=BARRED, decision="confirmed", note="Seen <at> Nampo & left", reviewer="ana",
        decided_at=datetime(2026, 11, 27, 9, 30, tzinfo=UTC), verdict_at_review=Verdict.REVIEW,
        as_of=datetime(2026, 11, 27, tzinfo=UTC),
    )
    text = to_html_report(result, [BARRED], reviews={BARRED: review})
    assert ("Analyst review: confirmed</b> by ana on 2026-11-27T09:30:00Z, when the verdict was "
            "review as of 2026-11-27T00:00:00Z.") in text
    assert "Note: Seen &lt;at&gt; Nampo &amp; left" in text
    assert "The verdict has changed since the review (now barred)." in text
    assert "Analyst review: none recorded." in to_html_report(result, [REVIEW])


def test_html_report_embeds_the_map_as_a_data_uri_and_links_nothing_outside(result):
    png = b"\x89PNG\r\n\x1a\nfake"
    text = to_html_report(result, map_png=png)
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    assert f"src='{uri}'" in text
    assert "http://" not in text and "https://" not in text
    assert "<script" not in text
    sources = re.findall(r"(?:src|href)='([^']*)'", text)
    assert all(s.startswith(("data:", "#")) for s in sources)


def test_html_report_is_deterministic():
    assert to_html_report(_result()) == to_html_report(_result())


def test_geojson_has_one_track_per_vessel_and_one_point_per_reason(result):
    collection = to_geojson(result)
    features = collection["features"]
    assert collection["type"] == "FeatureCollection"
    assert len(features) == 3 + 2  # 3 tracks, a port call and a KP flag
    tracks = [f for f in features if f["properties"]["feature"] == "track"]
    assert [f["properties"]["mmsi"] for f in tracks] == [BARRED, REVIEW, CLEAR]
    barred = tracks[0]
    assert barred["geometry"]["type"] == "LineString"
    coords = barred["geometry"]["coordinates"]
    assert len(coords) == 70
    assert coords[0] == [124.6, 38.2] and coords[-1] == [124.6, 38.2]
    assert coords[30] == [125.4, 38.72]  # stopped in Nampo
    assert barred["properties"] == {
        "feature": "track", "mmsi": BARRED, "imo": 9000001, "name": "A<B&C", "flag": "PA",
        "verdict": "barred", "barred_until": "2026-12-30T06:20:00Z", "fixes": 70,
        "start": "2026-07-02T22:20:00Z", "end": "2026-07-03T09:50:00Z",
        "coverage": "stale",
        "coverage_note": "No AIS since 3 Jul 2026 (148 days before the as-of date): a North "
                         "Korean call since then cannot be ruled out from this data. Its fixes "
                         "cover 0.5% of the 180-day window.",
    }
    clear = tracks[2]["geometry"]["coordinates"]
    assert len(clear) == 60 and clear[0] == [122.0, 35.0] and clear[-1] == [124.0, 36.0]


def test_geojson_event_points_carry_kind_times_zone_effect_and_explanation(result):
    events = [f for f in to_geojson(result)["features"] if f["properties"]["feature"] == "event"]
    call, flag = events
    assert call["geometry"] == {"type": "Point", "coordinates": [125.385714, 38.710714]}
    assert call["properties"] == {
        "feature": "event", "mmsi": BARRED, "kind": "port_call",
        "start": "2026-07-03T01:50:00Z", "end": "2026-07-03T06:20:00Z", "ongoing": False,
        "zone": "Nampo", "locode": "KPNAM", "country": "KP", "with_mmsi": None,
        "in_window": True, "effect": "bars", "barred_until": "2026-12-30T06:20:00Z",
        "explanation": CALL_EXPLANATION,
    }
    assert flag["geometry"] is None  # a flag has no position
    assert flag["properties"]["kind"] == "kp_flag"
    assert flag["properties"]["effect"] == "review"
    assert flag["properties"]["explanation"] == FLAG_EXPLANATION


def test_geojson_tracks_end_at_as_of():
    # 2026-09-01 05:00: the clear vessel (from 09-01 00:00, every 10 min) has 31 fixes so far,
    # the KP-flagged one (from 10-01) none yet.
    early = _result(datetime(2026, 9, 1, 5, 0, tzinfo=UTC))
    tracks = {f["properties"]["mmsi"]: f for f in to_geojson(early)["features"]
              if f["properties"]["feature"] == "track"}
    assert len(tracks[CLEAR]["geometry"]["coordinates"]) == 31
    assert tracks[CLEAR]["properties"]["end"] == "2026-09-01T05:00:00Z"
    assert tracks[REVIEW]["geometry"] is None
    assert tracks[REVIEW]["properties"]["fixes"] == 0


def test_geojson_of_selected_vessels_and_text_is_deterministic_json(result):
    collection = to_geojson(result, [CLEAR])
    assert len(collection["features"]) == 1
    text = to_geojson_text(result)
    assert json.loads(text) == to_geojson(result)
    assert text == to_geojson_text(result)
