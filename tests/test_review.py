"""The review store (DESIGN.md §10): decisions appended to SQLite and never changed, the history
kept, two writers at once and a killed writer losing nothing, the older reviews.json imported once
and a damaged one left alone; and the CSV export."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from desktop.core.model import Verdict
from desktop.core.review import (
    CSV_COLUMNS,
    Review,
    ReviewError,
    ReviewStore,
    reviews_csv_text,
)

ROOT = Path(__file__).resolve().parents[1]

DECIDED = datetime(2026, 11, 28, 9, 15, 30, tzinfo=UTC)
AS_OF = datetime(2026, 11, 28, tzinfo=UTC)


def _review(mmsi: int = 351000001, decision: str = "confirmed", note: str = "seen at Nampo"):
    return Review(mmsi=mmsi, decision=decision, note=note, reviewer="ana", decided_at=DECIDED,
                  verdict_at_review=Verdict.BARRED, as_of=AS_OF)


def test_store_round_trips_through_the_database(tmp_path):
    store = ReviewStore(tmp_path / "data")  # the folder is made when the store opens
    assert len(store) == 0
    store.put(_review())
    store.put(_review(445000003, "dismissed", 'fishing boat, "KP" flag is\nold data'))
    again = ReviewStore(tmp_path / "data")
    assert again.all() == [_review(), _review(445000003, "dismissed",
                                              'fishing boat, "KP" flag is\nold data')]
    assert again.get(351000001).note == "seen at Nampo"
    assert again.get(352000002) is None
    assert again.path == tmp_path / "data" / "reviews.sqlite"
    with sqlite3.connect(again.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        row = conn.execute("SELECT mmsi, imo, decision, note, reviewer, decided_at, verdict, "
                           "as_of, inputs, source FROM decisions ORDER BY id").fetchone()
    conn.close()
    assert row == (351000001, None, "confirmed", "seen at Nampo", "ana",
                   "2026-11-28T09:15:30.000000Z", "barred", "2026-11-28T00:00:00.000000Z", "[]",
                   "app")


def test_imo_and_the_screenings_inputs_are_recorded(tmp_path):
    review = Review(mmsi=351000001, imo=9000001, decision="confirmed", note="", reviewer="ana",
                    decided_at=DECIDED, verdict_at_review=Verdict.BARRED, as_of=AS_OF,
                    inputs=("a.nmea", "b.csv"))
    ReviewStore(tmp_path).put(review)
    assert ReviewStore(tmp_path).get(351000001) == review


def test_numpy_integers_from_a_table_are_taken_as_plain_integers():
    review = Review(mmsi=np.int64(351000001), imo=np.uint32(9000001), decision="confirmed",
                    note="", reviewer="", decided_at=DECIDED, verdict_at_review="barred",
                    as_of=AS_OF)
    assert (type(review.mmsi), type(review.imo)) == (int, int)
    assert review == Review(mmsi=351000001, imo=9000001, decision="confirmed", note="",
                            reviewer="", decided_at=DECIDED, verdict_at_review="barred",
                            as_of=AS_OF)
    with pytest.raises(ReviewError, match="MMSI must be a positive integer, got True"):
        Review(mmsi=True, decision="confirmed", note="", reviewer="", decided_at=DECIDED,
               verdict_at_review="barred", as_of=AS_OF)


def test_the_newest_decision_is_current_and_the_history_keeps_every_one(tmp_path):
    store = ReviewStore(tmp_path, clock=lambda: DECIDED + timedelta(hours=2))
    store.put(_review())
    store.put(replace(_review(decision="dismissed", note="wrong MMSI"),
                      decided_at=DECIDED + timedelta(hours=1)))
    assert [(r.decision, r.note) for r in ReviewStore(tmp_path).all()] == [
        ("dismissed", "wrong MMSI")]
    store.remove(351000001, reviewer="bo")
    assert ReviewStore(tmp_path).all() == []
    assert ReviewStore(tmp_path).get(351000001) is None
    assert [(r.decision, r.note, r.reviewer, r.decided_at.hour)
            for r in ReviewStore(tmp_path).history(351000001)] == [
        ("confirmed", "seen at Nampo", "ana", 9),
        ("dismissed", "wrong MMSI", "ana", 10),
        ("withdrawn", "", "bo", 11),
    ]
    store.remove(351000001)  # nothing current: nothing appended
    assert len(store.history()) == 3


def test_an_older_decision_recorded_later_stays_history(tmp_path):
    store = ReviewStore(tmp_path)
    store.put(replace(_review(note="newer"), decided_at=DECIDED + timedelta(days=1)))
    store.put(_review(note="older"))  # e.g. imported from another machine afterwards
    assert store.get(351000001).note == "newer"
    assert [r.note for r in store.history(351000001)] == ["older", "newer"]


def test_decisions_are_never_updated_or_deleted_in_the_database(tmp_path):
    store = ReviewStore(tmp_path)
    store.put(_review())
    conn = sqlite3.connect(store.path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="never updated"):
            conn.execute("UPDATE decisions SET note = 'changed'")
        with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
            conn.execute("DELETE FROM decisions")
    finally:
        conn.close()
    assert store.get(351000001).note == "seen at Nampo"


def test_a_decision_on_a_verdict_that_changed_since_applies_to_the_old_verdict():
    review = _review()
    assert review.verdict_changed(Verdict.CLEAR)
    assert not review.verdict_changed("barred")
    assert review.applies_to() == "barred as of 2026-11-28T00:00:00Z"


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


def test_corrupt_reviews_json_is_reported_by_name_left_alone_and_not_imported(tmp_path):
    path = tmp_path / "reviews.json"
    # 57 characters, cut inside an entry: the parser stops at column 58
    broken = '{"schema": "exposure-reviews/1", "reviews": [ {"mmsi": 1,'
    path.write_text(broken)
    store = ReviewStore(tmp_path)
    assert store.import_problem == (
        f"{path}: the review file is not valid JSON (line 1, column 58: Expecting property name "
        "enclosed in double quotes); it was left as it is; it was not imported"
    )
    assert path.read_text() == broken
    store.put(_review(445000003, note="made meanwhile"))  # the store works without it
    # repaired: imported at the next opening, the decision made meanwhile kept
    path.write_text(json.dumps({"schema": "exposure-reviews/1", "reviews": [_review().to_json()]}))
    again = ReviewStore(tmp_path)
    assert (again.import_problem, again.imported) == ("", 1)
    assert again.all() == [_review(), _review(445000003, note="made meanwhile")]


def test_bad_entry_is_reported_naming_the_file_and_the_entry_and_nothing_is_imported(tmp_path):
    path = tmp_path / "reviews.json"
    good = _review().to_json()
    path.write_text(json.dumps({"schema": "exposure-reviews/1",
                                "reviews": [good, good | {"decision": "perhaps"}]}))
    store = ReviewStore(tmp_path)
    assert "reviews.json: review 2: review decision must be one" in store.import_problem
    assert store.history() == []


def test_a_file_of_another_schema_is_not_imported(tmp_path):
    (tmp_path / "reviews.json").write_text('{"type": "FeatureCollection", "features": []}')
    assert "not a review file" in ReviewStore(tmp_path).import_problem


def test_reviews_json_nested_100000_deep_is_refused_cleanly(tmp_path):
    (tmp_path / "reviews.json").write_text("[" * 100_000 + "]" * 100_000)
    store = ReviewStore(tmp_path)
    assert store.import_problem == (
        f"{tmp_path / 'reviews.json'}: the review file is nested too deeply to be a review file; "
        "it was left as it is; it was not imported"
    )


def test_reviews_json_as_of_year_1_with_a_zone_offset_is_refused_cleanly(tmp_path):
    entry = _review().to_json() | {"as_of": "0001-01-01T00:00:00+05:00"}
    (tmp_path / "reviews.json").write_text(
        json.dumps({"schema": "exposure-reviews/1", "reviews": [entry]}))
    assert ReviewStore(tmp_path).import_problem == (
        f"{tmp_path / 'reviews.json'}: review 1: as_of 0001-01-01T00:00:00+05:00 is out of the "
        "supported range; the file was left as it is; it was not imported"
    )


def test_reviews_json_is_imported_once_kept_on_disk_and_duplicates_stay_history(tmp_path):
    path = tmp_path / "reviews.json"
    first = _review(note="first")
    later = replace(_review(note="later"), decided_at=DECIDED + timedelta(hours=1))
    text = json.dumps({"schema": "exposure-reviews/1",
                       "reviews": [later.to_json(), first.to_json(),
                                   _review(445000003, "dismissed", "").to_json()]})
    path.write_text(text)
    store = ReviewStore(tmp_path)
    assert (store.imported, store.import_problem) == (3, "")
    # the two decisions of one MMSI are both kept; the newer one is current
    assert [r.note for r in store.history(351000001)] == ["first", "later"]
    assert store.get(351000001).note == "later"
    store.remove(445000003)
    again = ReviewStore(tmp_path)  # not imported a second time
    assert again.imported == 0
    assert len(again.history()) == 4
    assert again.get(445000003) is None  # the withdrawal was not undone by a new import
    assert path.read_text() == text
    with sqlite3.connect(again.path) as conn:
        assert conn.execute("SELECT name, decisions FROM imports").fetchall() == [
            ("reviews.json", 3)]
    conn.close()


def test_the_store_leaves_no_temporary_files(tmp_path):
    store = ReviewStore(tmp_path)
    for i in range(5):
        store.put(_review(note=str(i)))
    store.remove(351000001)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reviews.sqlite"]


def test_a_file_that_is_not_a_database_is_refused_naming_it_and_left_alone(tmp_path):
    (tmp_path / "reviews.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(ReviewError, match=r"reviews\.sqlite: the review database cannot be used"):
        ReviewStore(tmp_path)
    assert (tmp_path / "reviews.sqlite").read_bytes() == b"not a database at all" * 100


def test_a_database_of_a_newer_version_is_refused(tmp_path):
    ReviewStore(tmp_path)
    with sqlite3.connect(tmp_path / "reviews.sqlite") as conn:
        conn.execute("PRAGMA user_version = 2")
    conn.close()
    with pytest.raises(ReviewError, match=r"made by a newer version of the program \(version 2\)"):
        ReviewStore(tmp_path)


def test_two_stores_on_one_folder_see_each_others_decisions(tmp_path):
    one, two = ReviewStore(tmp_path), ReviewStore(tmp_path)
    one.put(_review(351000001))
    two.put(_review(445000003))
    assert sorted(one.as_mapping()) == sorted(two.as_mapping()) == [351000001, 445000003]


_WRITER = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime
    from desktop.core.review import Review, ReviewStore
    folder, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    store = ReviewStore(folder)
    print("open", flush=True)
    for mmsi in range(first, first + count):
        store.put(Review(mmsi=mmsi, decision="confirmed", note=f"by {first}", reviewer="w",
                         decided_at=datetime(2026, 11, 28, tzinfo=UTC),
                         verdict_at_review="barred", as_of=datetime(2026, 11, 28, tzinfo=UTC)))
        print(mmsi, flush=True)  # reported only once put() has returned: committed
""")


def _writer(folder: Path, first: int, count: int) -> subprocess.Popen[str]:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", _WRITER, str(folder), str(first), str(count)],
                            stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def test_two_processes_writing_200_decisions_each_at_once_lose_none(tmp_path):
    ReviewStore(tmp_path)  # created first, so that both start writing at once
    writers = [_writer(tmp_path, 100_000_001, 200), _writer(tmp_path, 200_000_001, 200)]
    outputs = [w.communicate(timeout=300)[0].split() for w in writers]
    assert [w.returncode for w in writers] == [0, 0]
    assert [len(out) for out in outputs] == [201, 201]
    history = ReviewStore(tmp_path).history()
    assert len(history) == 400
    assert sorted(r.mmsi for r in history) == (
        list(range(100_000_001, 100_000_201)) + list(range(200_000_001, 200_000_201)))


def test_sigkill_during_writes_keeps_every_decision_reported_as_saved(tmp_path):
    ReviewStore(tmp_path)
    writer = _writer(tmp_path, 300_000_001, 100_000)
    assert writer.stdout is not None
    assert writer.stdout.readline() == "open\n"
    reported = [int(writer.stdout.readline()) for _ in range(50)]
    writer.send_signal(signal.SIGKILL)  # in the middle of further writes
    rest = writer.communicate(timeout=60)[0].split()
    reported += [int(m) for m in rest]
    assert writer.returncode == -signal.SIGKILL
    store = ReviewStore(tmp_path)
    stored = [r.mmsi for r in store.history()]
    # every decision reported as saved is there; at most the one in flight besides
    assert stored[: len(reported)] == reported
    assert len(stored) - len(reported) in (0, 1)
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_reviews_csv_has_one_row_per_review_by_mmsi():
    text = reviews_csv_text([_review(445000003, "dismissed", 'old, "KP" flag'), _review()])
    lines = text.split("\n")
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert lines[1] == ("351000001,,confirmed,seen at Nampo,ana,2026-11-28T09:15:30Z,barred,"
                        "2026-11-28T00:00:00Z,,")
    assert lines[2] == ('445000003,,dismissed,"old, ""KP"" flag",ana,2026-11-28T09:15:30Z,barred,'
                        "2026-11-28T00:00:00Z,,")
    assert lines[3:] == [""]


def test_reviews_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas():
    text = reviews_csv_text([_review(note='=HYPERLINK("http://x","y")'),
                             _review(445000003, note="-1+2"), _review(445000004, note="-12.5"),
                             _review(445000005, note="@SUM(A1)")])
    notes = [row[3] for row in csv.reader(io.StringIO(text))][1:]
    assert notes == ['\'=HYPERLINK("http://x","y")', "'-1+2", "-12.5", "'@SUM(A1)"]
