"""An analyst's decisions on flagged vessels: confirm or dismiss, with a note, kept as records.

A ``Review`` records one decision on one MMSI together with what the analyst was looking at
(the verdict, the ``as_of`` of the screening and its input files), so that a later report can
say that the decision applied to a verdict that has changed since (``Review.verdict_changed``).

``ReviewStore`` keeps the decisions in a SQLite database, ``reviews.sqlite``, in a folder the
caller chooses (the GUI passes the user data folder of platformdirs; tests pass a temporary
folder). DESIGN.md §10: the decisions are records, so

- every decision is one row, appended; rows are never updated or deleted (triggers refuse it),
  so each vessel's history stays (``history``). The *current* review of a vessel is its newest
  decision (by ``decided_at``, then by the order of recording); withdrawing a review
  (``remove``) appends a ``withdrawn`` row rather than deleting anything;
- the database runs in WAL mode with ``synchronous=FULL``: a decision reported as saved is on
  disk, and a process killed during a write leaves the database as it was before that write;
- every write is one ``BEGIN IMMEDIATE`` transaction under a busy timeout, retried when the
  database stays locked, and every read goes to the database: two app windows, or two users on
  a shared folder, see and keep each other's decisions;
- a ``reviews.json`` of earlier versions in the folder is imported once, in one transaction
  (all of it or nothing), recorded in the ``imports`` table so that it is never imported twice,
  and left on disk. A damaged ``reviews.json`` is not imported and not touched: the store opens
  without it and says why in ``import_problem`` (naming the file); a repaired file is imported
  on a later opening. Its decisions are history like any other: a decision made in the database
  since stays current if it is newer.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from numbers import Integral
from pathlib import Path
from typing import Any, Final, TypeVar

from desktop.core.errors import ExposureError
from desktop.core.model import Verdict, iso_utc
from desktop.core.textsafe import csv_cell

SCHEMA: Final = "exposure-reviews/1"  # the schema of the older reviews.json
FILE_NAME: Final = "reviews.json"
DB_NAME: Final = "reviews.sqlite"
DB_VERSION: Final = 1  # PRAGMA user_version of the database this module writes
CONFIRMED: Final = "confirmed"
DISMISSED: Final = "dismissed"
WITHDRAWN: Final = "withdrawn"  # a review taken back: the vessel has no current review
DECISIONS: Final = (CONFIRMED, DISMISSED)
RECORDED_DECISIONS: Final = (CONFIRMED, DISMISSED, WITHDRAWN)
BUSY_TIMEOUT_S: Final = 30.0  # how long one attempt waits for another writer's lock
WRITE_ATTEMPTS: Final = 5  # attempts of one write when the database stays locked
CSV_COLUMNS: Final = (
    "mmsi",
    "name",
    "decision",
    "note",
    "reviewer",
    "decided_at",
    "verdict_at_review",
    "as_of",
    "verdict_now",
    "barred_until_now",
)

_DDL: Final = (
    f"""CREATE TABLE IF NOT EXISTS decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        mmsi INTEGER NOT NULL CHECK (mmsi > 0),
        imo INTEGER,
        decision TEXT NOT NULL CHECK (decision IN ('{CONFIRMED}', '{DISMISSED}', '{WITHDRAWN}')),
        note TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        decided_at TEXT NOT NULL,  -- UTC, fixed width with microseconds: sorts as text
        verdict TEXT NOT NULL,     -- the verdict the decision applied to
        as_of TEXT NOT NULL,       -- the screening instant it applied to
        inputs TEXT NOT NULL,      -- JSON list of the screening's input files
        source TEXT NOT NULL       -- 'app', or the file it was imported from
    )""",
    "CREATE INDEX IF NOT EXISTS decisions_by_vessel ON decisions (mmsi, decided_at, id)",
    """CREATE TRIGGER IF NOT EXISTS decisions_are_never_updated BEFORE UPDATE ON decisions
    BEGIN SELECT RAISE(ABORT, 'review decisions are records: never updated'); END""",
    """CREATE TRIGGER IF NOT EXISTS decisions_are_never_deleted BEFORE DELETE ON decisions
    BEGIN SELECT RAISE(ABORT, 'review decisions are records: never deleted'); END""",
    """CREATE TABLE IF NOT EXISTS imports (
        name TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        decisions INTEGER NOT NULL,
        imported_at TEXT NOT NULL
    )""",
)
_COLUMNS: Final = "mmsi, imo, decision, note, reviewer, decided_at, verdict, as_of, inputs"

T = TypeVar("T")


class ReviewError(ExposureError):
    """A review is invalid, or the review store cannot be read or written (the message names it)."""


def _utc(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ReviewError(f"{what} must be a UTC-aware datetime, got {value!r}")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset is before 0001-01-01 UTC
        raise ReviewError(f"{what} {value.isoformat()} is out of the supported range") from None


def _positive_integer(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and int(value) > 0


@dataclass(frozen=True)
class Review:
    """One analyst decision on one vessel.

    ``decision`` is ``confirmed`` (the flag stands) or ``dismissed`` (a false alarm, the note says
    why); ``withdrawn`` appears only in a store's history (a review taken back). ``decided_at``
    is when the analyst decided; ``verdict_at_review``, ``as_of`` and ``inputs`` are the verdict
    shown, the screening instant and the screening's input files at that moment (times UTC).
    """

    mmsi: int
    decision: str
    note: str
    reviewer: str
    decided_at: datetime
    verdict_at_review: Verdict
    as_of: datetime
    imo: int | None = None
    inputs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _positive_integer(self.mmsi):
            raise ReviewError(f"review MMSI must be a positive integer, got {self.mmsi!r}")
        if self.imo is not None and not _positive_integer(self.imo):
            raise ReviewError(f"review IMO must be a positive integer or None, got {self.imo!r}")
        # numpy integers from a table become plain ints: the row and equality stay simple
        object.__setattr__(self, "mmsi", int(self.mmsi))
        object.__setattr__(self, "imo", None if self.imo is None else int(self.imo))
        if self.decision not in RECORDED_DECISIONS:
            raise ReviewError(
                f"review decision must be one of {', '.join(DECISIONS)}, got {self.decision!r}"
            )
        object.__setattr__(self, "decided_at", _utc(self.decided_at, "decided_at"))
        object.__setattr__(self, "as_of", _utc(self.as_of, "as_of"))
        try:
            object.__setattr__(self, "verdict_at_review", Verdict(self.verdict_at_review))
        except ValueError:
            raise ReviewError(
                f"verdict_at_review must be barred, review or clear, got {self.verdict_at_review!r}"
            ) from None
        object.__setattr__(self, "note", str(self.note))
        object.__setattr__(self, "reviewer", str(self.reviewer))
        object.__setattr__(self, "inputs", tuple(str(p) for p in self.inputs))

    def verdict_changed(self, verdict_now: Verdict | str) -> bool:
        """True when the vessel's verdict is now another than the one this decision applied to:
        the decision then stands for the old verdict only (show it so)."""
        return Verdict(verdict_now) != self.verdict_at_review

    def applies_to(self) -> str:
        """'barred as of 2026-11-28T00:00:00Z': the verdict and screening the decision was on."""
        return f"{self.verdict_at_review} as of {iso_utc(self.as_of)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "mmsi": self.mmsi,
            "decision": self.decision,
            "note": self.note,
            "reviewer": self.reviewer,
            "decided_at": iso_utc(self.decided_at),
            "verdict_at_review": str(self.verdict_at_review),
            "as_of": iso_utc(self.as_of),
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Review:
        """The inverse of ``to_json``; raises ``ReviewError`` naming the missing or bad field."""
        if not isinstance(obj, Mapping):
            raise ReviewError(f"a review must be a JSON object, got {type(obj).__name__}")
        missing = [k for k in ("mmsi", "decision", "decided_at", "verdict_at_review", "as_of")
                   if k not in obj]
        if missing:
            raise ReviewError(f"review lacks {', '.join(missing)}")
        return cls(
            mmsi=obj["mmsi"],
            decision=obj["decision"],
            note=str(obj.get("note") or ""),
            reviewer=str(obj.get("reviewer") or ""),
            decided_at=_parse_time(obj["decided_at"], "decided_at"),
            verdict_at_review=obj["verdict_at_review"],
            as_of=_parse_time(obj["as_of"], "as_of"),
        )


def _parse_time(text: Any, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ReviewError(f"{what} {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ReviewError(f"{what} {text!r} has no time zone")
    return _utc(moment, what)


def _db_time(moment: datetime) -> str:
    """Fixed width (``0001-01-01T00:00:00.000000Z``), so that text order is time order."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _from_db_time(text: str) -> datetime:
    return datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=UTC)


def _row(review: Review, source: str) -> tuple[Any, ...]:
    return (
        review.mmsi, review.imo, review.decision, review.note, review.reviewer,
        _db_time(review.decided_at), str(review.verdict_at_review), _db_time(review.as_of),
        json.dumps(list(review.inputs), ensure_ascii=False), source,
    )


def _review_of(row: tuple[Any, ...]) -> Review:
    mmsi, imo, decision, note, reviewer, decided_at, verdict, as_of, inputs = row
    return Review(
        mmsi=int(mmsi), imo=None if imo is None else int(imo), decision=decision, note=note,
        reviewer=reviewer, decided_at=_from_db_time(decided_at), verdict_at_review=verdict,
        as_of=_from_db_time(as_of), inputs=tuple(json.loads(inputs)),
    )


def read_reviews_json(path: Path) -> tuple[list[Review], str]:
    """Every review of an older ``reviews.json`` (in file order, duplicates of one MMSI kept) and
    the file's SHA-256. Raises ``ReviewError`` naming the file when any of it is unusable."""
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewError(f"{path}: cannot read the review file ({exc})") from exc
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReviewError(
            f"{path}: the review file is not valid JSON (line {exc.lineno}, column "
            f"{exc.colno}: {exc.msg}); it was left as it is"
        ) from exc
    except RecursionError:
        raise ReviewError(
            f"{path}: the review file is nested too deeply to be a review file; "
            "it was left as it is"
        ) from None
    if not isinstance(obj, dict) or obj.get("schema") != SCHEMA:
        raise ReviewError(
            f"{path}: not a review file (expected schema {SCHEMA!r}); it was left as it is"
        )
    entries = obj.get("reviews")
    if not isinstance(entries, list):
        raise ReviewError(f"{path}: 'reviews' must be a list; it was left as it is")
    reviews: list[Review] = []
    for i, entry in enumerate(entries):
        try:
            reviews.append(Review.from_json(entry))
        except ReviewError as exc:
            raise ReviewError(f"{path}: review {i + 1}: {exc}; the file was left as it is") from exc
    return reviews, hashlib.sha256(data).hexdigest()


class ReviewStore:
    """The analyst's decisions in ``folder/reviews.sqlite`` (see the module docstring).

    Opening creates the folder and the database if needed and imports an older
    ``folder/reviews.json`` once. Raises ``ReviewError`` naming the database when it cannot be
    opened (not a database, made by a newer version, no permission); it is left as it is.
    """

    def __init__(self, folder: str | Path, clock: Callable[[], datetime] | None = None) -> None:
        self.folder = Path(folder)
        self.path = self.folder / DB_NAME
        self.json_path = self.folder / FILE_NAME
        self.clock = clock or (lambda: datetime.now(UTC))
        self.import_problem = ""  # why reviews.json was not imported ('' when it was, or none)
        self.imported = 0  # decisions imported from reviews.json by this opening
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ReviewError(f"{self.folder}: cannot create the review folder ({exc})") from exc
        self._write(self._create)
        self._wal()
        self._import_json()

    # -- the database ---------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # One connection per operation: nothing stays open between decisions, so another
        # window's writes are always seen and no file handle outlives its use.
        try:
            with closing(
                sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            ) as conn:
                conn.execute("PRAGMA synchronous=FULL")
                yield conn
        except sqlite3.Error as exc:
            raise ReviewError(f"{self.path}: the review database cannot be used ({exc})") from exc

    def _write(self, action: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``action`` in one immediate transaction; retried while the database is locked."""

        def transaction() -> T:
            with self._connection() as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = action(conn)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                return result

        return self._retry(transaction)

    def _retry(self, attempt_once: Callable[[], T]) -> T:
        # The busy timeout covers the usual wait for another writer; a lock held longer (a slow
        # shared folder, a WAL recovery) gets a few more attempts before it is reported.
        for attempt in range(WRITE_ATTEMPTS):
            try:
                return attempt_once()
            except ReviewError as exc:
                locked = isinstance(exc.__cause__, sqlite3.OperationalError) and (
                    "locked" in str(exc.__cause__) or "busy" in str(exc.__cause__)
                )
                if not locked or attempt == WRITE_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _create(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > DB_VERSION:
            raise ReviewError(
                f"{self.path}: the review database was made by a newer version of the program "
                f"(version {version}); it was left as it is"
            )
        for statement in _DDL:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version={DB_VERSION}")

    def _wal(self) -> None:
        def switch() -> str:
            with self._connection() as conn:
                return str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0])

        # Outside any transaction (SQLite's rule); it stays set in the file once done.
        mode = self._retry(switch)
        if mode.lower() != "wal":
            raise ReviewError(f"{self.path}: the review database cannot use WAL mode ({mode})")

    def _import_json(self) -> None:
        if not self.json_path.exists():
            return
        with self._connection() as conn:
            done = conn.execute(
                "SELECT 1 FROM imports WHERE name = ?", (FILE_NAME,)
            ).fetchone()
        if done:
            return
        try:
            reviews, sha256 = read_reviews_json(self.json_path)
        except ReviewError as exc:
            self.import_problem = f"{exc}; it was not imported"
            return

        def insert(conn: sqlite3.Connection) -> int:
            # Checked again inside the transaction: another window may have imported it since.
            if conn.execute("SELECT 1 FROM imports WHERE name = ?", (FILE_NAME,)).fetchone():
                return 0
            conn.executemany(
                f"INSERT INTO decisions ({_COLUMNS}, source) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [_row(review, FILE_NAME) for review in reviews],
            )
            conn.execute(
                "INSERT INTO imports (name, sha256, decisions, imported_at) VALUES (?,?,?,?)",
                (FILE_NAME, sha256, len(reviews), _db_time(self.clock())),
            )
            return len(reviews)

        self.imported = self._write(insert)

    def _select(self, sql: str, params: tuple[Any, ...] = ()) -> list[Review]:
        def read() -> list[Any]:
            with self._connection() as conn:
                return conn.execute(sql, params).fetchall()

        return [_review_of(tuple(row)) for row in self._retry(read)]

    # -- the public API -------------------------------------------------------------------

    def put(self, review: Review) -> None:
        """Record ``review`` (it becomes the vessel's current review if it is its newest)."""
        self._write(
            lambda conn: conn.execute(
                f"INSERT INTO decisions ({_COLUMNS}, source) VALUES (?,?,?,?,?,?,?,?,?,?)",
                _row(review, "app"),
            )
        )

    def remove(self, mmsi: int, reviewer: str = "", note: str = "") -> None:
        """Withdraw the current review of ``mmsi`` (nothing happens if there is none): a
        ``withdrawn`` row is appended; the earlier decisions stay in the history."""

        def withdraw(conn: sqlite3.Connection) -> None:
            # Read and append in one transaction: another window's decision made in between
            # would otherwise be the one withdrawn without anyone seeing it.
            rows = conn.execute(self._current_sql("WHERE mmsi = ?"), (int(mmsi),)).fetchall()
            if not rows:
                return
            current = _review_of(tuple(rows[0]))
            withdrawn = Review(
                mmsi=current.mmsi, imo=current.imo, decision=WITHDRAWN, note=note,
                reviewer=reviewer, decided_at=max(self.clock(), current.decided_at),
                verdict_at_review=current.verdict_at_review, as_of=current.as_of,
                inputs=current.inputs,
            )
            conn.execute(
                f"INSERT INTO decisions ({_COLUMNS}, source) VALUES (?,?,?,?,?,?,?,?,?,?)",
                _row(withdrawn, "app"),
            )

        self._write(withdraw)

    def history(self, mmsi: int | None = None) -> list[Review]:
        """Every decision recorded (of ``mmsi``, or of all vessels by MMSI), oldest first,
        ``withdrawn`` rows included."""
        order = "ORDER BY mmsi, decided_at, id"
        if mmsi is None:
            return self._select(f"SELECT {_COLUMNS} FROM decisions {order}")
        return self._select(
            f"SELECT {_COLUMNS} FROM decisions WHERE mmsi = ? {order}", (int(mmsi),)
        )

    @staticmethod
    def _current_sql(where: str) -> str:
        """The newest decision of each vessel (``where`` picks the rows), unless withdrawn."""
        return (
            f"SELECT {_COLUMNS} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY mmsi "
            f"ORDER BY decided_at DESC, id DESC) AS newest FROM decisions {where}) "
            f"WHERE newest = 1 AND decision != '{WITHDRAWN}' ORDER BY mmsi"
        )

    def _current(self, mmsi: int | None = None) -> list[Review]:
        if mmsi is None:
            return self._select(self._current_sql(""))
        return self._select(self._current_sql("WHERE mmsi = ?"), (int(mmsi),))

    def get(self, mmsi: int) -> Review | None:
        """The current review of ``mmsi``: its newest decision, None if none or withdrawn."""
        found = self._current(int(mmsi))
        return found[0] if found else None

    def all(self) -> list[Review]:
        """The current review of every reviewed vessel, by MMSI."""
        return self._current()

    def as_mapping(self) -> dict[int, Review]:
        return {review.mmsi: review for review in self._current()}

    def __len__(self) -> int:
        return len(self._current())


def reviews_csv_text(reviews: Iterable[Review], result: Any = None) -> str:
    """Reviews as CSV (``CSV_COLUMNS``, by MMSI, ``\\n`` line ends).

    With ``result`` (a ``ScreeningResult``) the vessel's name and its verdict and barred-until
    in that screening are added, so that an export shows which decisions a new as-of changed.
    Cells that a spreadsheet would run as a formula (a note starting with ``=``) are neutralised.
    """
    verdicts = {} if result is None else {v.mmsi: v for v in result.verdicts}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for review in sorted(reviews, key=lambda r: r.mmsi):
        vessel = verdicts.get(review.mmsi)
        row: list[object] = [
            review.mmsi,
            "" if vessel is None else vessel.name or "",
            review.decision,
            review.note,
            review.reviewer,
            iso_utc(review.decided_at),
            str(review.verdict_at_review),
            iso_utc(review.as_of),
            "" if vessel is None else str(vessel.verdict),
            "" if vessel is None else iso_utc(vessel.barred_until) or "",
        ]
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()
