"""The attempt-store interface shared by every backend.

Learner-id validation, row shaping and the public methods live here once; a backend (SQLite,
PostgreSQL) only moves rows: it implements ``_insert``, ``_rows`` and ``close``. Learners are
stored under a learner id: a pseudonym typed or made by :func:`pseudonym`, or under a hub the
user name made safe by :func:`learner_id_for` (exports replace ids with pseudonyms by default).

Since schema 3 each attempt may carry the learner's reasoning (``ReasoningSession.record()``:
problem statement, differential, justified tests, confidence, reflection), checked on the way in
and out by :func:`~dystonia_teach.core.reasoning_record.check_record`; and each learner has at
most one *draft* per case, the unfinished work a reopened workbench offers to resume.

Since schema 4 a read never stops for one bad row: the row is skipped and listed in
:attr:`AttemptStore.needing_attention`, and :meth:`AttemptStore.quarantine` moves it aside;
grades record the digest of the case they judged.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import json
import os
import re
import unicodedata
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self

from dystonia_teach.core.errors import DystoniaTeachError
from dystonia_teach.core.reasoning_record import RecordError, check_record
from dystonia_teach.core.results import Assessment
from dystonia_teach.store.checks import (
    MAX_RECORD_BYTES,
    RefusedAttempt,
    check_attempt,
    storable,
)

if TYPE_CHECKING:
    import pandas as pd

HUB_USER_VAR = "JUPYTERHUB_USER"
STORE_VAR = "DYSTONIA_TEACH_STORE"  # the store's URL (or SQLite path)
_LEARNER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class ProgressStoreError(DystoniaTeachError, RuntimeError):
    """The attempt store cannot be opened, read or written; the message says what to do."""


class TextReplacedWarning(UserWarning):
    """Characters that no store can keep (NUL, a lone surrogate) were replaced by U+FFFD."""


@dataclass(frozen=True)
class RowProblem:
    """A saved row that reading tools skipped: which, whose, at which case, and why."""

    what: str  # e.g. "attempt 12"
    learner_id: str
    case_id: str
    problem: str

    def line(self) -> str:
        return (f"{self.what} (learner {self.learner_id!r}, case {self.case_id!r}): "
                f"{self.problem}")


@dataclass(frozen=True)
class Attempt:
    """One saved submission; ``number`` counts the learner's attempts at this case from 1;
    ``record`` is the reasoning saved with it (None for attempts saved before schema 3)."""

    id: int
    learner_id: str
    case_id: str
    number: int
    submitted_at: str
    actions: tuple[str | dict[str, Any], ...]
    working_diagnosis: str | None
    score: float
    pitfalls: tuple[str, ...]
    schema_version: int
    package_version: str
    record: Mapping[str, Any] | None = field(default=None, hash=False, repr=False)


@dataclass(frozen=True)
class Draft:
    """A learner's unfinished work at one case (a reasoning record), saved as they work."""

    learner_id: str
    case_id: str
    record: Mapping[str, Any] = field(hash=False, repr=False)
    saved_at: str


#: The columns of ``to_frame()`` (Attempt's fields; ``id`` becomes ``attempt_id``), and
#: ``graded``: where ``score`` and ``pitfalls`` come from (``AS_SUBMITTED`` or ``graded_label``);
#: ``case_digest``: the digest of the case the re-grade judged (None: not re-graded, or by an
#: older release).
FRAME_COLUMNS = ("attempt_id", "learner_id", "case_id", "number", "submitted_at", "score",
                 "pitfalls", "graded", "actions", "working_diagnosis", "package_version",
                 "case_digest")
#: The ``graded`` value of an attempt that no re-grading has scored: the score its learner's
#: program wrote, which a learner able to write to the store could have chosen.
AS_SUBMITTED = "as submitted"


@dataclass(frozen=True)
class CaseSummary:
    """A learner's record on one case."""

    case_id: str
    attempts: int
    best_score: float
    latest_score: float
    last_submitted_at: str


@dataclass(frozen=True)
class Grade:
    """An attempt re-scored by batch re-grading, with the versions that scored it and the
    digest of the case it was judged on (``casefiles.digest.case_digest``)."""

    attempt_id: int
    score: float
    pitfalls: tuple[str, ...]
    package_version: str
    knowledge_version: str
    case_digest: str | None = None


def graded_label(package_version: str, knowledge_version: str) -> str:
    """The ``graded`` value of an attempt re-graded with these versions."""
    return f"re-graded with dystonia_teach {package_version}, knowledge {knowledge_version}"


@dataclass(frozen=True)
class NewAttempt:
    """The values a backend inserts for one submission (JSON fields already encoded)."""

    learner_id: str
    case_id: str
    submitted_at: datetime
    actions: str
    working_diagnosis: str | None
    score: float
    pitfalls: str
    package_version: str
    record: str | None = None


def validate_learner_id(learner_id: object) -> str:
    """Return ``learner_id`` if it is a pseudonym (1-64 of A-Z a-z 0-9 _ -); else ValueError."""
    rule = ("a learner id is a pseudonym of 1-64 letters, digits, '_' or '-' "
            "(never a real name or e-mail; pseudonym(name, course_salt) makes one)")
    if not isinstance(learner_id, str):
        raise ValueError(f"learner id {learner_id!r} is not text; {rule}")
    if "@" in learner_id:
        raise ValueError(f"learner id {learner_id!r} looks like an e-mail address; {rule}")
    if not _LEARNER_ID.fullmatch(learner_id):
        raise ValueError(f"learner id {learner_id!r} is not allowed; {rule}")
    return learner_id


def pseudonym(name: str, course_salt: str) -> str:
    """A stable learner id derived from a name or e-mail and a course salt (HMAC-SHA256).

    The same name and salt always give the same id; the name itself is never stored. Without
    the salt the id cannot be recomputed from a guessed name, so keep the salt to the course.
    """
    if not course_salt.strip():
        raise ValueError("pseudonym() needs the course salt your instructor gave you; "
                         "without it anyone could recompute the id from your name")
    normalised = " ".join(name.split()).casefold()
    if not normalised:
        raise ValueError("pseudonym() needs a non-empty name or e-mail address")
    digest = hmac.new(course_salt.encode(), normalised.encode(), hashlib.sha256).hexdigest()
    return f"learner-{digest[:16]}"


def learner_id_for(user_name: str) -> str:
    """The learner id of a hub or single-sign-on user name, stable and safe everywhere.

    A name that is already a learner id (letters, digits, ``_``, ``-``; at most 63 characters,
    not starting ``pg_``) is its own id. Any other (``jane.doe``, ``jd@uni.edu``, ``zoë``) becomes
    its letters and digits in ASCII, ``-`` between runs, then ``-`` and 10 hex digits of the
    SHA-256 of the name (Unicode NFC): ``jane-doe-1f0c…``. Distinct names get distinct ids.
    """
    name = unicodedata.normalize("NFC", user_name.strip())
    if not name:
        raise ValueError("an empty user name has no learner id")
    if _LEARNER_ID.fullmatch(name) and len(name) <= 63 and not name.startswith("pg_"):
        return name
    ascii_form = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    readable = "-".join(re.findall(r"[A-Za-z0-9]+", ascii_form))[:40] or "user"
    return f"{readable}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"


def current_learner() -> str | None:
    """The learner id of the JupyterHub user (``$JUPYTERHUB_USER``, through
    :func:`learner_id_for`) when running under a hub, else None.

    Under a hub the learner is who the hub logged in, never a typed nickname.
    """
    user = os.environ.get(HUB_USER_VAR, "").strip()
    return learner_id_for(user) if user else None


def _text_tuple(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{what} is not a list of step or pitfall codes")
    return tuple(value)


def _actions(value: object) -> tuple[str | dict[str, Any], ...]:
    if not isinstance(value, list):
        raise TypeError("actions is not a list")
    for item in value:
        dosed = (isinstance(item, dict) and isinstance(item.get("step"), str)
                 and set(item) <= {"step", "dose_mg_per_day"})
        if not (isinstance(item, str) or dosed):
            raise TypeError(f"actions holds {item!r}, neither a step id nor a dosed step")
    return tuple(value)


_SCAN = json.JSONDecoder().scan_once  # the C scanner json.loads runs, without its layers


def _decoded(value: object) -> object:
    """JSON text decoded; a value that is not text (PostgreSQL's jsonb) as it is."""
    if type(value) is str:  # the fast path for a whole document with no surrounding space
        try:
            found, end = _SCAN(value, 0)
            if end == len(value):
                return found
        except (StopIteration, ValueError):
            pass  # json.loads below raises the error with its message
    return json.loads(value) if isinstance(value, str | bytes) else value


@contextmanager
def _bulk_read() -> Iterator[None]:
    """No cyclic garbage collection while rows become attempts: they make no cycles, and the
    collector's passes over a growing heap of new objects cost a third of a large read."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _timestamp(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return str(value)


class AttemptStore(ABC):
    """Saved attempts; the public methods are the same for every backend.

    Subclasses implement ``_insert`` (one new row, returns its id), ``_rows`` (raw rows in
    :class:`Attempt` field order, oldest first), the record and draft primitives and ``close``;
    ``location`` names the store in messages (never a password).
    """

    location: str = "the attempt store"
    read_only: bool = False

    # -- backend primitives ----------------------------------------------------------------

    @abstractmethod
    def _insert(self, attempt: NewAttempt) -> int:
        """Save one attempt in one transaction; return its server-generated id."""

    @abstractmethod
    def _rows(self, learner_id: str | None, case_id: str | None,
              records: bool = True) -> list[tuple[Any, ...]]:
        """Rows (id, learner_id, case_id, number, submitted_at, actions, working_diagnosis,
        score, pitfalls, schema_version, package_version, record), oldest first; None = any;
        ``records=False``: the record is not read (None)."""

    @abstractmethod
    def _update_record(self, learner_id: str, attempt_id: int, record: str) -> bool:
        """Replace one attempt's record (JSON text); False if the learner has no such attempt."""

    @abstractmethod
    def _write_draft(self, learner_id: str, case_id: str, record: str | None) -> None:
        """Insert or replace the learner's draft at the case (JSON text); None deletes it."""

    @abstractmethod
    def _draft_row(self, learner_id: str, case_id: str) -> tuple[Any, ...] | None:
        """The draft's row (record, saved_at), or None."""

    @abstractmethod
    def _write_grades(self, grades: list[Grade]) -> None:
        """Insert or replace these grades in one transaction."""

    @abstractmethod
    def _grade_rows(self) -> list[tuple[Any, ...]]:
        """Rows (attempt_id, score, pitfalls, package_version, knowledge_version,
        case_digest)."""

    @abstractmethod
    def _remove_attempt(self, attempt_id: int, reason: str,
                        delete: bool) -> tuple[str, str] | None:
        """In one transaction: keep the attempt's row in ``quarantine`` (unless ``delete``),
        then delete it and its grade; its (learner id, case id), or None if there is none."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection; the object may not be used afterwards."""

    # -- public API ------------------------------------------------------------------------

    def record(self, learner_id: str, assessment: Assessment,
               reasoning: Mapping[str, Any] | None = None) -> int:
        """Save one submission, with the learner's reasoning (``ReasoningSession.record()``)
        when given; returns the new attempt id.

        Refused (ProgressStoreError, nothing saved) unless the case is one of the course's, the
        steps and pitfall codes are the knowledge base's and the score is from 0 to 1.
        """
        from dystonia_teach import __version__

        validate_learner_id(learner_id)
        self._writable()
        actions = [a.as_data() for a in assessment.chosen]
        try:
            check_attempt(assessment.case_id, [a.step for a in assessment.chosen],
                          assessment.pitfalls, assessment.score, assessment.working_diagnosis)
        except RefusedAttempt as exc:
            raise ProgressStoreError(f"{self.location} did not save this attempt: {exc}. "
                                     "Nothing was saved.") from exc
        return self._insert(NewAttempt(
            learner_id=learner_id, case_id=assessment.case_id, submitted_at=datetime.now(UTC),
            actions=json.dumps(actions), working_diagnosis=assessment.working_diagnosis,
            score=float(assessment.score), pitfalls=json.dumps(list(assessment.pitfalls)),
            package_version=__version__,
            record=None if reasoning is None else self._encode(reasoning, assessment.case_id)))

    def save_reasoning(self, learner_id: str, attempt_id: int,
                       reasoning: Mapping[str, Any]) -> None:
        """Replace the reasoning saved with one of the learner's attempts (e.g. after the
        debrief's reflection); the attempt's plan and score are never changed."""
        validate_learner_id(learner_id)
        self._writable()
        found = [a for a in self.attempts(learner_id) if a.id == attempt_id]
        if not found:
            raise ProgressStoreError(f"{self.location} has no attempt {attempt_id} of "
                                     f"{learner_id!r}; nothing was saved")
        if not self._update_record(learner_id, attempt_id,
                                   self._encode(reasoning, found[0].case_id)):
            raise ProgressStoreError(f"{self.location} did not save the reasoning of attempt "
                                     f"{attempt_id}; nothing was changed")

    def save_draft(self, learner_id: str, reasoning: Mapping[str, Any]) -> None:
        """Keep the learner's unfinished work at a case (replacing their earlier draft)."""
        validate_learner_id(learner_id)
        self._writable()
        encoded = self._encode(reasoning, None)
        self._write_draft(learner_id, str(reasoning["case_id"]), encoded)

    def discard_draft(self, learner_id: str, case_id: str) -> None:
        """Forget the learner's draft at ``case_id`` (nothing happens if there is none)."""
        validate_learner_id(learner_id)
        self._writable()
        self._write_draft(learner_id, case_id, None)

    def draft(self, learner_id: str, case_id: str) -> Draft | None:
        """The learner's unfinished work at ``case_id``, or None."""
        validate_learner_id(learner_id)
        row = self._draft_row(learner_id, case_id)
        if row is None:
            return None
        try:
            record = check_record(_decoded(row[0]), case_id=case_id)
        except (RecordError, TypeError, ValueError, RecursionError) as exc:
            raise ProgressStoreError(
                f"{self.location}: the draft of {learner_id!r} at {case_id!r} is not a saved "
                f"reasoning record ({exc}). Nothing was changed.") from exc
        return Draft(learner_id, case_id, record, _timestamp(row[1]))

    def attempts(self, learner_id: str, case_id: str | None = None) -> list[Attempt]:
        """The learner's attempts (at one case, or at all), oldest first; a row that cannot be
        read is a ProgressStoreError naming it (the learner's own view says so)."""
        validate_learner_id(learner_id)
        with _bulk_read():
            return self._shaped(self._rows(learner_id, case_id), skip=False)

    def all_attempts(self, case_id: str | None = None, *,
                     records: bool = True) -> list[Attempt]:
        """Every learner's attempts (the instructor view), oldest first; with
        ``records=False`` without their reasoning records (``record`` None: class tools never
        load learners' free text). On PostgreSQL the database shows a learner's connection only
        that learner's own rows. A row that cannot be read is skipped and listed in
        :attr:`needing_attention`."""
        with _bulk_read():
            return self._shaped(self._rows(None, case_id, records))

    @property
    def needing_attention(self) -> list[RowProblem]:
        """The rows skipped by this store's reads so far (``dystonia-teach store quarantine``
        moves such a row aside)."""
        return list(self._problems().values())

    def _problems(self) -> dict[str, RowProblem]:
        """The skipped rows by what they are ("attempt 12"), kept for the store's life."""
        return self.__dict__.setdefault("_row_problems", {})

    def latest(self, learner_id: str, case_id: str) -> Attempt | None:
        """The learner's most recent attempt at ``case_id`` (to resume it), or None."""
        found = self.attempts(learner_id, case_id)
        return found[-1] if found else None

    def summary(self, learner_id: str) -> list[CaseSummary]:
        """Per case (sorted by id): number of attempts, best and latest score."""
        by_case: dict[str, list[Attempt]] = {}
        for attempt in self.attempts(learner_id):
            by_case.setdefault(attempt.case_id, []).append(attempt)
        return [CaseSummary(case_id, len(rows), max(r.score for r in rows), rows[-1].score,
                            rows[-1].submitted_at) for case_id, rows in sorted(by_case.items())]

    def record_grades(self, grades: list[Grade]) -> None:
        """Save re-grades (replacing an attempt's earlier one), all or none."""
        self._writable()
        self._write_grades(grades)

    def grades(self) -> dict[int, Grade]:
        """The latest re-grade of each re-graded attempt, by attempt id (none when this
        connection may not read grades, e.g. a learner's on PostgreSQL); a grade row that
        cannot be read is skipped and listed in :attr:`needing_attention`."""
        found = {}
        for row in self._grade_rows():
            try:
                attempt_id, score, pitfalls, package_version, knowledge_version, digest = row
                grade = Grade(int(attempt_id), float(score),
                              _text_tuple(_decoded(pitfalls), "pitfalls"), str(package_version),
                              str(knowledge_version), None if digest is None else str(digest))
            except (TypeError, ValueError, RecursionError) as exc:
                what = f"grade of attempt {row[0] if row else '?'}"
                self._problems()[what] = RowProblem(what, "?", "?", _plain(exc))
                continue
            found[grade.attempt_id] = grade
        return found

    def to_frame(self, *, salt: str | None = None) -> pd.DataFrame:
        """Every visible attempt, one row each (columns: ``FRAME_COLUMNS``).

        An attempt's ``score`` and ``pitfalls`` are those of its latest re-grade
        (``dystonia-teach grade``) when it has one, else those saved with it; ``graded`` says
        which (``graded_label(...)`` or ``AS_SUBMITTED``). With ``salt`` the learner ids are
        replaced by ``pseudonym(learner_id, salt)``, for exports that leave the course; the
        salt itself is never part of the frame. Learners' reasoning records are not read (the
        frame has none, and their size never weighs on a class report). Rows that cannot be
        read are left out and listed in :attr:`needing_attention`.
        """
        import pandas as pd

        grades = self.grades()
        labels: dict[tuple[str, str], str] = {}
        rows = []
        for a in self.all_attempts(records=False):
            learner = pseudonym(a.learner_id, salt) if salt is not None else a.learner_id
            score, pitfalls, graded, digest = a.score, a.pitfalls, AS_SUBMITTED, None
            grade = grades.get(a.id)
            if grade is not None:
                versions = (grade.package_version, grade.knowledge_version)
                if versions not in labels:
                    labels[versions] = graded_label(*versions)
                score, pitfalls, graded = grade.score, grade.pitfalls, labels[versions]
                digest = grade.case_digest
            rows.append((a.id, learner, a.case_id, a.number, a.submitted_at, score, pitfalls,
                         graded, a.actions, a.working_diagnosis, a.package_version, digest))
        return pd.DataFrame.from_records(rows, columns=list(FRAME_COLUMNS))

    def quarantine(self, attempt_id: int, reason: str, *, delete: bool = False) -> RowProblem:
        """Move one attempt (and its grade) out of the attempts table, keeping the row as it
        was saved in the ``quarantine`` table, or with ``delete`` drop it; all or nothing.
        Returns what was moved; ProgressStoreError if there is no such attempt."""
        self._writable()
        found = self._remove_attempt(int(attempt_id), reason, delete)
        if found is None:
            raise ProgressStoreError(f"{self.location} has no attempt {attempt_id} (or this "
                                     "connection may not see it); nothing was changed")
        learner_id, case_id = found
        self._problems().pop(f"attempt {attempt_id}", None)
        return RowProblem(f"attempt {attempt_id}", learner_id, case_id,
                          "deleted" if delete else "moved to the quarantine table")

    def _writable(self) -> None:
        if self.read_only:
            raise ProgressStoreError(f"{self.location} was opened read-only; nothing was saved")

    def _encode(self, reasoning: Mapping[str, Any], case_id: str | None) -> str:
        """The record as JSON text, refused (ProgressStoreError) if of the wrong shape or too
        large; characters no store can keep are replaced (a TextReplacedWarning names them)."""
        try:
            record, changed = storable(check_record(reasoning, case_id=case_id))
            text = json.dumps(record)
        except (RecordError, RefusedAttempt, TypeError, ValueError, RecursionError) as exc:
            raise ProgressStoreError(f"{self.location}: the reasoning to save is not a "
                                     f"reasoning record the store keeps ({_plain(exc)}); nothing "
                                     "was saved, and your work is still on screen") from exc
        if len(text) > MAX_RECORD_BYTES:
            raise ProgressStoreError(
                f"{self.location}: your reasoning is {len(text):,} characters long; the store "
                f"keeps at most {MAX_RECORD_BYTES:,}. Nothing was saved, and your work is still "
                "on screen: shorten the longest texts and save again.")
        if changed:
            warnings.warn(TextReplacedWarning(
                f"some characters in your text cannot be saved (a NUL or an unpaired surrogate) "
                f"and were saved as \ufffd instead: {', '.join(changed)}"),
                stacklevel=3)
        return text

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- row shaping -----------------------------------------------------------------------

    def _shaped(self, rows: list[tuple[Any, ...]], *, skip: bool = True) -> list[Attempt]:
        """Attempts from raw rows (a pitfall list repeated across rows is decoded once); a row
        of the wrong shape is skipped and listed in :attr:`needing_attention`, or with
        ``skip=False`` is a ProgressStoreError naming it."""
        known: dict[str, tuple[str, ...]] = {}
        shaped = []
        for row in rows:
            try:
                shaped.append(self._shape(row, known))
            except (TypeError, ValueError, RecursionError) as exc:
                what = f"attempt {row[0] if row else '?'}"
                if not skip:
                    raise ProgressStoreError(
                        f"{self.location}: {what} is not a saved attempt of the expected shape "
                        f"({_plain(exc)}). Nothing was changed; the file may have been edited "
                        "by another program.") from exc
                learner, case = (_plain(row[1]), _plain(row[2])) if len(row) > 2 else ("?", "?")
                self._problems()[what] = RowProblem(what, learner, case, _plain(exc))
        return shaped

    def _shape(self, row: tuple[Any, ...],
               known: dict[str, tuple[str, ...]] | None = None) -> Attempt:
        """An Attempt from a raw row (TypeError or ValueError if it has the wrong shape).
        ``known``: pitfall lists (JSON text) already decoded, filled as rows are shaped."""
        (id_, learner_id, case_id, number, submitted_at, actions, working_diagnosis, score,
         pitfalls, schema_version, package_version, record) = row
        codes = known.get(pitfalls) if known is not None and type(pitfalls) is str else None
        if codes is None:
            codes = _text_tuple(_decoded(pitfalls), "pitfalls")
            if known is not None and type(pitfalls) is str:
                known[pitfalls] = codes
        return Attempt(int(id_), str(learner_id), str(case_id), int(number),
                       _timestamp(submitted_at), _actions(_decoded(actions)),
                       None if working_diagnosis is None else str(working_diagnosis),
                       float(score), codes, int(schema_version), str(package_version),
                       None if record is None
                       else check_record(_decoded(record), case_id=str(case_id)))


def _plain(value: object, limit: int = 200) -> str:
    """A short one-line text of ``value`` for a message (an exception's message, a row's id)."""
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"
