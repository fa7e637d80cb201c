"""Saved progress: every submitted attempt in an embedded SQLite file, one row per attempt.

Learners are stored under a pseudonymous id only (never a name or e-mail address). The store
is safe for several notebooks or processes at once (WAL mode, a busy timeout, one short
``BEGIN IMMEDIATE`` transaction per write, retries with backoff). A damaged or foreign file is
refused and left byte-for-byte untouched, so an earlier attempt is never lost.

Path: the ``path`` argument, else ``$DYSTONIA_TEACH_PROGRESS``, else
``~/.dystonia_teach/progress.sqlite3``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from dystonia_teach.core.errors import DystoniaTeachError
from dystonia_teach.core.results import Assessment

ENV_VAR = "DYSTONIA_TEACH_PROGRESS"
SCHEMA_VERSION = 1
APPLICATION_ID = 0x44547072  # "DTpr": marks the file as a dystonia_teach progress store
_LEARNER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_BROKEN = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    learner_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    actions TEXT NOT NULL CHECK (json_valid(actions)),
    working_diagnosis TEXT,
    score REAL NOT NULL,
    pitfalls TEXT NOT NULL CHECK (json_valid(pitfalls)),
    schema_version INTEGER NOT NULL,
    package_version TEXT NOT NULL
    ) STRICT""",
    "CREATE INDEX IF NOT EXISTS attempts_by_learner ON attempts (learner_id, case_id, id)",
)
T = TypeVar("T")


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


class ProgressStoreError(DystoniaTeachError, RuntimeError):
    """The progress store cannot be opened, read or written; the message says what to do."""


@dataclass(frozen=True)
class Attempt:
    """One saved submission; ``number`` counts the learner's attempts at this case from 1."""

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


@dataclass(frozen=True)
class CaseSummary:
    """A learner's record on one case."""

    case_id: str
    attempts: int
    best_score: float
    latest_score: float
    last_submitted_at: str


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


def default_path() -> Path:
    """``$DYSTONIA_TEACH_PROGRESS`` if set, else ``~/.dystonia_teach/progress.sqlite3``."""
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else Path.home() / ".dystonia_teach" / "progress.sqlite3"


class ProgressStore:
    """Saved attempts in one SQLite file (see the module docstring for the guarantees).

    ``timeout`` is how long (seconds) one call waits for another writer before giving up with
    a :class:`ProgressStoreError`. With ``read_only=True`` the file must exist and its bytes
    are never modified (SQLite may add its empty ``-wal``/``-shm`` companions beside it);
    ``record`` is refused. Every open runs SQLite's ``quick_check``, so damage is found before
    anything is written.
    """

    def __init__(self, path: Path | str | None = None, *, timeout: float = 10.0,
                 read_only: bool = False) -> None:
        self.path = Path(path).expanduser() if path is not None else default_path()
        self.timeout = timeout
        self.read_only = read_only
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        if self.path.is_dir():
            raise ProgressStoreError(f"{self.path} is a folder; give the path of a file, "
                                     "e.g. progress.sqlite3 inside it")
        if read_only and not self.path.is_file():
            raise ProgressStoreError(f"no progress store at {self.path}; nothing was created "
                                     "(read-only). Check the path or $" + ENV_VAR)
        if not read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ProgressStoreError(
                    f"cannot create the folder for the progress store {self.path}: {exc}. "
                    f"Choose a writable path (argument or ${ENV_VAR})") from exc
        try:
            self._run(self._check, write=False)
            if not read_only:
                if self._run(_user_version, write=False) == 0:  # a new (empty) file
                    self._run(self._initialise, write=True)
                self._run(self._use_wal, write=False)
        except ProgressStoreError:
            self.close()  # leaves no side files next to a refused file
            raise

    # -- public API ------------------------------------------------------------------------

    def record(self, learner_id: str, assessment: Assessment) -> int:
        """Save one submission; returns the new attempt id."""
        from dystonia_teach import __version__

        validate_learner_id(learner_id)
        if self.read_only:
            raise ProgressStoreError(f"{self.path} was opened read-only; nothing was saved")
        row = (learner_id, assessment.case_id, datetime.now(UTC).isoformat(timespec="microseconds"),
               json.dumps([a.as_data() for a in assessment.chosen]), assessment.working_diagnosis,
               float(assessment.score), json.dumps(list(assessment.pitfalls)), SCHEMA_VERSION,
               __version__)

        def insert(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO attempts (learner_id, case_id, submitted_at, actions, "
                "working_diagnosis, score, pitfalls, schema_version, package_version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            return int(cursor.lastrowid or 0)

        return self._run(insert, write=True)

    def attempts(self, learner_id: str, case_id: str | None = None) -> list[Attempt]:
        """The learner's attempts (at one case, or at all), oldest first."""
        validate_learner_id(learner_id)
        where, params = "learner_id = ?", [learner_id]
        if case_id is not None:
            where, params = where + " AND case_id = ?", [*params, case_id]
        return self._run(lambda conn: self._select(conn, where, params), write=False)

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

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ProgressStore({str(self.path)!r}{', read_only=True' if self.read_only else ''})"

    # -- internals -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():  # a forked child needs its own
            mode = "ro" if self.read_only else "rwc"
            uri = f"{self.path.absolute().as_uri()}?mode={mode}"
            self._conn = sqlite3.connect(uri, uri=True, timeout=0, isolation_level=None,
                                         check_same_thread=False)
            self._pid = os.getpid()
            if not self.read_only:
                self._conn.execute("PRAGMA synchronous = FULL")  # a commit survives power loss
        return self._conn

    def _run(self, work: Callable[[sqlite3.Connection], T], *, write: bool) -> T:
        """Run ``work`` (in one BEGIN IMMEDIATE transaction when writing), retrying while the
        file is busy until ``timeout``; every sqlite3 error becomes a ProgressStoreError."""
        deadline = time.monotonic() + self.timeout
        delay = 0.005
        with self._lock:
            while True:
                try:
                    conn = self._connect()
                    remaining = max(0.0, deadline - time.monotonic())
                    conn.execute(f"PRAGMA busy_timeout = {int(remaining * 1000)}")
                    if not write:
                        return work(conn)
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        result = work(conn)
                        conn.execute("COMMIT")
                        return result
                    finally:
                        if conn.in_transaction:
                            conn.execute("ROLLBACK")
                except sqlite3.Error as exc:
                    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
                    if code not in _BUSY or time.monotonic() >= deadline:
                        raise self._explain(exc, code) from exc
                time.sleep(delay * random.uniform(0.5, 1.5))
                delay = min(delay * 2, 0.25)

    def _explain(self, exc: sqlite3.Error, code: int) -> ProgressStoreError:
        where = f"the progress store {self.path}"
        if code in _BUSY:
            return ProgressStoreError(
                f"{where} is locked by another program (waited {self.timeout:g} s). Nothing was "
                "saved by this call and earlier attempts are safe. Close other notebooks or "
                "programs using the file, then try again.")
        if code in _BROKEN:
            return ProgressStoreError(
                f"{where} is damaged or is not a database ({exc}). It was left unchanged. Move it "
                f"aside (e.g. rename it to {self.path.name}.damaged) and keep it: it may still "
                f"hold earlier attempts. A new store is then created at the same path; or "
                f"choose another path (argument or ${ENV_VAR}).")
        if code == sqlite3.SQLITE_READONLY:
            return ProgressStoreError(f"{where} cannot be written ({exc}); check its permissions "
                                      f"or choose another path (argument or ${ENV_VAR}).")
        return ProgressStoreError(f"{where} could not be used ({exc}). Check that the path is "
                                  f"a writable file, or choose another path (${ENV_VAR}).")

    def _check(self, conn: sqlite3.Connection) -> None:
        """Refuse a damaged file, another program's database or a newer schema (reads only)."""
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = _user_version(conn)
        tables = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
        if tables and app_id != APPLICATION_ID:
            raise ProgressStoreError(
                f"{self.path} is an SQLite database of another program (tables: "
                f"{', '.join(sorted(tables))}), not a dystonia_teach progress store. It was left "
                f"unchanged; choose another path (argument or ${ENV_VAR}).")
        if version > SCHEMA_VERSION:
            raise ProgressStoreError(
                f"{self.path} was written by a newer dystonia_teach (store schema {version}, "
                f"this version reads {SCHEMA_VERSION}). It was left unchanged; upgrade "
                "dystonia_teach to use it.")
        problems = [r[0] for r in conn.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise self._explain(sqlite3.DatabaseError("; ".join(problems[:3])),
                                sqlite3.SQLITE_CORRUPT)

    def _initialise(self, conn: sqlite3.Connection) -> None:
        if _user_version(conn) == 0:  # re-checked in the write lock: another process may have won
            self._check(conn)
            for statement in _SCHEMA:  # not executescript: it would COMMIT the transaction
                conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")  # may stay 'delete' on odd filesystems

    @staticmethod
    def _select(conn: sqlite3.Connection, where: str, params: list[str]) -> list[Attempt]:
        rows = conn.execute(
            "SELECT id, learner_id, case_id, number, submitted_at, actions, working_diagnosis, "
            "score, pitfalls, schema_version, package_version FROM (SELECT *, ROW_NUMBER() OVER "
            "(PARTITION BY learner_id, case_id ORDER BY id) AS number FROM attempts WHERE "
            f"{where}) ORDER BY id", params).fetchall()
        return [Attempt(r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5])), r[6], r[7],
                        tuple(json.loads(r[8])), r[9], r[10]) for r in rows]
