"""An analyst's decisions on flagged vessels: confirm or dismiss, with a note, kept on disk.

A ``Review`` records one decision on one MMSI together with what the analyst was looking at
(the verdict and the ``as_of`` of the screening), so that a later report can say when the
verdict has changed since. ``ReviewStore`` keeps the newest review of each MMSI in one JSON file
(``reviews.json``) inside a folder the caller chooses (the GUI passes the user data folder of
platformdirs; tests pass a temporary folder).

Policy for the file, because an analyst's notes are the one thing here that cannot be
recomputed from the AIS data:
- every write goes to a temporary file in the same folder, is flushed to disk, and replaces the
  old file with ``os.replace`` (atomic on POSIX and Windows): a crash leaves the old or the new
  file, never half of one; the previous good file is kept beside it as ``reviews.json.bak``;
- a file that cannot be read (not JSON, wrong schema, a bad entry) is refused with a
  ``ReviewError`` naming the file and the entry; it is never rewritten or deleted by loading,
  so the user (or support) can repair it or fall back to the ``.bak``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from desktop.core.errors import ExposureError
from desktop.core.model import Verdict, iso_utc

SCHEMA: Final = "exposure-reviews/1"
FILE_NAME: Final = "reviews.json"
CONFIRMED: Final = "confirmed"
DISMISSED: Final = "dismissed"
DECISIONS: Final = (CONFIRMED, DISMISSED)
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


class ReviewError(ExposureError):
    """A review is invalid, or the review file cannot be read or written (the message names it)."""


def _utc(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ReviewError(f"{what} must be a UTC-aware datetime, got {value!r}")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Review:
    """One analyst decision on one vessel.

    ``decision`` is ``confirmed`` (the flag stands) or ``dismissed`` (a false alarm, the note says
    why). ``decided_at`` is when the analyst decided; ``verdict_at_review`` and ``as_of`` are the
    verdict shown and the screening instant at that moment (all times UTC).
    """

    mmsi: int
    decision: str
    note: str
    reviewer: str
    decided_at: datetime
    verdict_at_review: Verdict
    as_of: datetime

    def __post_init__(self) -> None:
        if isinstance(self.mmsi, bool) or not isinstance(self.mmsi, int) or self.mmsi <= 0:
            raise ReviewError(f"review MMSI must be a positive integer, got {self.mmsi!r}")
        if self.decision not in DECISIONS:
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
    return moment.astimezone(UTC)


def _atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ReviewStore:
    """The newest review of each MMSI, persisted in ``folder/reviews.json``.

    Opening reads the file (a missing file or folder is an empty store); ``put`` and ``remove``
    save at once. Raises ``ReviewError`` naming the file when it exists but cannot be read.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / FILE_NAME
        self.backup_path = self.folder / (FILE_NAME + ".bak")
        self._reviews: dict[int, Review] = self._load()

    def _load(self) -> dict[int, Review]:
        if not self.path.exists():
            return {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ReviewError(f"{self.path}: cannot read the review file ({exc})") from exc
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ReviewError(
                f"{self.path}: the review file is not valid JSON (line {exc.lineno}, column "
                f"{exc.colno}: {exc.msg}); it was left as it is"
            ) from exc
        if not isinstance(obj, dict) or obj.get("schema") != SCHEMA:
            raise ReviewError(
                f"{self.path}: not a review file (expected schema {SCHEMA!r}); "
                "it was left as it is"
            )
        entries = obj.get("reviews")
        if not isinstance(entries, list):
            raise ReviewError(f"{self.path}: 'reviews' must be a list; it was left as it is")
        reviews: dict[int, Review] = {}
        for i, entry in enumerate(entries):
            try:
                review = Review.from_json(entry)
            except ReviewError as exc:
                raise ReviewError(
                    f"{self.path}: review {i + 1}: {exc}; the file was left as it is"
                ) from exc
            reviews[review.mmsi] = review
        return reviews

    def get(self, mmsi: int) -> Review | None:
        return self._reviews.get(int(mmsi))

    def all(self) -> list[Review]:
        """Every review, by MMSI."""
        return [self._reviews[m] for m in sorted(self._reviews)]

    def as_mapping(self) -> dict[int, Review]:
        return dict(self._reviews)

    def __len__(self) -> int:
        return len(self._reviews)

    def put(self, review: Review) -> None:
        """Record ``review`` (replacing any earlier one of the same MMSI) and save."""
        updated = dict(self._reviews)
        updated[review.mmsi] = review
        self._save(updated)

    def remove(self, mmsi: int) -> None:
        """Forget the review of ``mmsi`` (nothing happens if there is none) and save."""
        if int(mmsi) not in self._reviews:
            return
        updated = dict(self._reviews)
        del updated[int(mmsi)]
        self._save(updated)

    def to_text(self, reviews: Mapping[int, Review] | None = None) -> str:
        """The file's content for ``reviews`` (default: the store's): sorted, deterministic."""
        source = self._reviews if reviews is None else reviews
        body = {"schema": SCHEMA, "reviews": [source[m].to_json() for m in sorted(source)]}
        return json.dumps(body, indent=2, ensure_ascii=False) + "\n"

    def _save(self, reviews: dict[int, Review]) -> None:
        text = self.to_text(reviews)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if self.path.exists():
                # The file on disk was read successfully when the store opened (or written by
                # this store): keep it as the fallback before replacing it.
                backup_tmp = self.folder / f".{FILE_NAME}.bak.tmp"
                shutil.copyfile(self.path, backup_tmp)
                os.replace(backup_tmp, self.backup_path)
            _atomic_write(self.path, text)
        except OSError as exc:
            raise ReviewError(f"{self.path}: cannot save the reviews ({exc})") from exc
        # Only once the file holds them: a failed save leaves memory and disk alike.
        self._reviews = reviews


def reviews_csv_text(reviews: Iterable[Review], result: Any = None) -> str:
    """Reviews as CSV (``CSV_COLUMNS``, by MMSI, ``\\n`` line ends).

    With ``result`` (a ``ScreeningResult``) the vessel's name and its verdict and barred-until
    in that screening are added, so that an export shows which decisions a new as-of changed.
    """
    verdicts = {} if result is None else {v.mmsi: v for v in result.verdicts}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for review in sorted(reviews, key=lambda r: r.mmsi):
        vessel = verdicts.get(review.mmsi)
        writer.writerow(
            [
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
        )
    return buffer.getvalue()
