"""The review store: round trip, atomic writes, a corrupt file refused with its name and kept,
and the CSV export."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta, timezone

import pytest

import desktop.core.review as review_module
from desktop.core.errors import ExposureError
from desktop.core.model import Verdict
from desktop.core.review import (
    CSV_COLUMNS,
    Review,
    ReviewError,
    ReviewStore,
    reviews_csv_text,
)

DECIDED = datetime(2026, 11, 28, 9, 15, 30, tzinfo=UTC)
AS_OF = datetime(2026, 11, 28, tzinfo=UTC)


def _review(mmsi: int = 351000001, decision: str = "confirmed", note: str = "seen at Nampo"):
    return Review(mmsi=mmsi, decision=decision, note=note, reviewer="ana", decided_at=DECIDED,
                  verdict_at_review=Verdict.BARRED, as_of=AS_OF)


def test_store_round_trips_through_the_file(tmp_path):
    store = ReviewStore(tmp_path / "data")  # the folder is made on the first save
    assert len(store) == 0
    store.put(_review())
    store.put(_review(445000003, "dismissed", 'fishing boat, "KP" flag is\nold data'))
    again = ReviewStore(tmp_path / "data")
    assert again.all() == [_review(), _review(445000003, "dismissed",
                                              'fishing boat, "KP" flag is\nold data')]
    assert again.get(351000001).note == "seen at Nampo"
    assert again.get(352000002) is None
    on_disk = json.loads((tmp_path / "data" / "reviews.json").read_text())
    assert on_disk["schema"] == "exposure-reviews/1"
    assert on_disk["reviews"][0] == {
        "mmsi": 351000001, "decision": "confirmed", "note": "seen at Nampo", "reviewer": "ana",
        "decided_at": "2026-11-28T09:15:30Z", "verdict_at_review": "barred",
        "as_of": "2026-11-28T00:00:00Z",
    }


def test_a_new_decision_replaces_the_old_one_and_remove_forgets_it(tmp_path):
    store = ReviewStore(tmp_path)
    store.put(_review())
    store.put(_review(decision="dismissed", note="wrong MMSI"))
    assert [(r.decision, r.note) for r in ReviewStore(tmp_path).all()] == [
        ("dismissed", "wrong MMSI")]
    store.remove(351000001)
    assert ReviewStore(tmp_path).all() == []


def test_times_are_kept_in_utc():
    seoul = timezone(timedelta(hours=9))
    r = Review(mmsi=1, decision="confirmed", note="", reviewer="", verdict_at_review="review",
               decided_at=datetime(2026, 11, 28, 18, 15, 30, tzinfo=seoul), as_of=AS_OF)
    assert r.decided_at == DECIDED and r.decided_at.tzinfo == UTC
    assert r.verdict_at_review is Verdict.REVIEW


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"decision": "maybe"}, "decision must be one of confirmed, dismissed"),
        ({"decided_at": datetime(2026, 11, 28)},  # noqa: DTZ001 -- naive on purpose
         "decided_at must be a UTC-aware datetime"),
        ({"verdict_at_review": "fine"}, "verdict_at_review must be barred, review or clear"),
        ({"mmsi": 0}, "MMSI must be a positive integer"),
    ],
)
def test_invalid_review_is_refused(changes, message):
    fields = {"mmsi": 1, "decision": "confirmed", "note": "", "reviewer": "",
              "decided_at": DECIDED, "verdict_at_review": Verdict.BARRED, "as_of": AS_OF}
    with pytest.raises(ReviewError, match=message):
        Review(**(fields | changes))


def test_corrupt_file_is_refused_naming_it_and_left_untouched(tmp_path):
    path = tmp_path / "reviews.json"
    # 57 characters, cut inside an entry: the parser stops at column 58
    broken = '{"schema": "exposure-reviews/1", "reviews": [ {"mmsi": 1,'
    path.write_text(broken)
    with pytest.raises(ExposureError) as info:
        ReviewStore(tmp_path)
    assert isinstance(info.value, ReviewError)
    assert str(info.value) == (
        f"{path}: the review file is not valid JSON (line 1, column 58: Expecting property name "
        "enclosed in double quotes); it was left as it is"
    )
    assert path.read_text() == broken


def test_bad_entry_is_refused_naming_the_file_and_the_entry(tmp_path):
    path = tmp_path / "reviews.json"
    good = _review().to_json()
    path.write_text(json.dumps({"schema": "exposure-reviews/1",
                                "reviews": [good, good | {"decision": "perhaps"}]}))
    with pytest.raises(ReviewError, match=r"reviews\.json: review 2: review decision must be one"):
        ReviewStore(tmp_path)


def test_a_file_of_another_schema_is_refused(tmp_path):
    (tmp_path / "reviews.json").write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(ReviewError, match="not a review file"):
        ReviewStore(tmp_path)


def test_save_keeps_the_previous_good_file_as_backup(tmp_path):
    store = ReviewStore(tmp_path)
    store.put(_review(note="first"))
    first = (tmp_path / "reviews.json").read_text()
    store.put(_review(note="second"))
    assert (tmp_path / "reviews.json.bak").read_text() == first
    assert ReviewStore(tmp_path).get(351000001).note == "second"


def test_write_goes_through_a_temporary_file_and_os_replace(tmp_path, monkeypatch):
    store = ReviewStore(tmp_path)
    store.put(_review(note="kept"))
    before = (tmp_path / "reviews.json").read_text()
    calls = []
    real_replace = os.replace

    def failing_replace(src, dst):
        calls.append((os.path.basename(src), os.path.basename(dst)))
        if os.path.basename(dst) == "reviews.json":
            # the new content is complete in the temporary file when it replaces the old one
            assert json.loads(open(src).read())["reviews"][0]["note"] == "lost"
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(review_module.os, "replace", failing_replace)
    with pytest.raises(ReviewError, match=r"reviews\.json: cannot save the reviews \(disk full\)"):
        store.put(_review(note="lost"))
    assert calls[-1][1] == "reviews.json" and calls[-1][0].startswith(".reviews.json.")
    assert (tmp_path / "reviews.json").read_text() == before  # the old file is whole
    assert store.get(351000001).note == "kept"  # memory agrees with the disk
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reviews.json", "reviews.json.bak"]


def test_reviews_csv_has_one_row_per_review_by_mmsi():
    text = reviews_csv_text([_review(445000003, "dismissed", 'old, "KP" flag'), _review()])
    lines = text.split("\n")
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert lines[1] == ("351000001,,confirmed,seen at Nampo,ana,2026-11-28T09:15:30Z,barred,"
                        "2026-11-28T00:00:00Z,,")
    assert lines[2] == ('445000003,,dismissed,"old, ""KP"" flag",ana,2026-11-28T09:15:30Z,barred,'
                        "2026-11-28T00:00:00Z,,")
    assert lines[3:] == [""]
