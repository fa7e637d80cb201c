"""The embedded backend: every attempt in one SQLite file (the laptop default, no server).

Safe for several notebooks or processes at once: WAL mode, a busy timeout, one short
``BEGIN IMMEDIATE`` transaction per write, retries with backoff. Opening checks, creates and
upgrades the file in one such transaction, so a process never sees another's half-made store.
A damaged or foreign file, a newer schema or an attempts table of the wrong shape is refused and
left byte-for-byte untouched. A read-only open reads a snapshot and leaves no side files.

Path: the ``path`` argument, else ``$DYSTONIA_TEACH_PROGRESS``, else
``~/.dystonia_teach/progress.sqlite3``.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from dystonia_teach.store.base import (
    STORE_VAR,
    Attempt,
    AttemptStore,
    CaseSummary,
    Grade,
    NewAttempt,
    ProgressStoreError,
    pseudonym,
    validate_learner_id,
)
from dystonia_teach.store.migrations import Migration, latest_version, pending

__all__ = ["ENV_VAR", "SCHEMA_VERSION", "Attempt", "CaseSummary", "ProgressStore",
           "ProgressStoreError", "default_path", "pseudonym", "validate_learner_id"]

ENV_VAR = "DYSTONIA_TEACH_PROGRESS"
SCHEMA_VERSION = latest_version("sqlite")
APPLICATION_ID = 0x44547072  # "DTpr": marks the file as a dystonia_teach progress store
_SQLITE_HEADER = b"SQLite format 3\x00"
_ROW_PROBLEMS = ("CHECK constraint failed", "NULL value in")  # quick_check's words for them
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_BROKEN = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
#: The attempts columns every schema version has, with their declared types.
_ATTEMPT_COLUMNS = {"id": "INTEGER", "learner_id": "TEXT", "case_id": "TEXT",
                    "submitted_at": "TEXT", "actions": "TEXT", "working_diagnosis": "TEXT",
                    "score": "REAL", "pitfalls": "TEXT", "schema_version": "INTEGER",
                    "package_version": "TEXT"}
T = TypeVar("T")
Mode = Literal["read", "write", "plain"]


def _numbered(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows ordered by id, each with its number (from 1) among the rows of its learner and case
    inserted after the case id: ROW_NUMBER() OVER (PARTITION BY learner_id, case_id ORDER BY
    id), counted here because SQLite's window sorts cost more than the whole read."""
    counts: dict[tuple[Any, Any], int] = {}
    out = []
    for row in rows:
        key = (row[1], row[2])
        number = counts[key] = counts.get(key, 0) + 1
        out.append((row[0], row[1], row[2], number, *row[3:]))
    return out


def _alive(pid: str) -> bool:
    """Whether a process with this id (text) runs on this machine."""
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def default_path() -> Path:
    """``$DYSTONIA_TEACH_PROGRESS`` if set, else ``~/.dystonia_teach/progress.sqlite3``."""
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else Path.home() / ".dystonia_teach" / "progress.sqlite3"


def _snapshot(path: Path) -> sqlite3.Connection | None:
    """An in-memory copy of an idle store (no ``-wal`` beside it), so reading it creates no
    side files; None while a writer is active (then SQLite's own read-only mode is used)."""
    wal = Path(f"{path}-wal")
    before = path.stat()
    if wal.exists():
        return None
    data = bytearray(path.read_bytes())
    after = path.stat()
    if wal.exists() or (before.st_mtime_ns, before.st_size) != (after.st_mtime_ns, after.st_size):
        return None
    if data[:16] == b"SQLite format 3\x00" and data[18:20] == b"\x02\x02":
        data[18:20] = b"\x01\x01"  # a WAL-mode image reads as a rollback-journal one in memory
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    conn.deserialize(bytes(data))
    return conn


class ProgressStore(AttemptStore):
    """Saved attempts in one SQLite file (see the module docstring for the guarantees).

    ``timeout`` is how long (seconds) one call waits for another writer before giving up with
    a :class:`ProgressStoreError`. With ``read_only=True`` the file must exist and is never
    modified (no side files either); ``record`` is refused. Every open runs SQLite's
    ``quick_check``, so damage is found before anything is written. An older store is upgraded
    on a writable open, after a backup copy beside it.
    """

    def __init__(self, path: Path | str | None = None, *, timeout: float = 10.0,
                 read_only: bool = False) -> None:
        self.path = Path(path).expanduser() if path is not None else default_path()
        self.location = f"the progress store {self.path}"
        self.timeout = timeout
        self.read_only = read_only
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._stat: tuple[int, int, bool] | None = None
        if self.path.is_dir():
            raise ProgressStoreError(f"{self.path} is a folder; give the path of a file, "
                                     "e.g. progress.sqlite3 inside it")
        if read_only and not self.path.is_file():
            raise ProgressStoreError(f"no progress store at {self.path}; nothing was created "
                                     "(read-only). Check the path or $" + STORE_VAR)
        self._refuse_foreign_file()
        if not read_only:
            self._create_private()
        try:
            version = self._run(self._check)  # refuses a file it must not touch
            if not read_only:
                if version < SCHEMA_VERSION:  # new or older: create or upgrade
                    self._backup_before_upgrade()
                    self._run(self._prepare, mode="write")  # checks again, under the lock
                self._run(self._use_wal, mode="plain")
        except ProgressStoreError:
            self.close()  # leaves no side files next to a refused file
            raise

    def _refuse_foreign_file(self) -> None:
        """Refuse, untouched, a file that is not an SQLite database (SQLite would take a file
        shorter than its header for an empty database and overwrite it); an empty file is a
        store not created yet, which only a writable open may create."""
        try:
            with self.path.open("rb") as handle:
                head = handle.read(len(_SQLITE_HEADER))
        except FileNotFoundError:
            return
        except OSError as exc:
            raise ProgressStoreError(f"{self.location} could not be read ({exc}). Check the "
                                     "path and its permissions.") from exc
        if not head and self.read_only:
            raise ProgressStoreError(
                f"{self.path} is an empty file (0 bytes): no attempts were ever saved in it. "
                "Nothing was read; check the path (argument or $" + STORE_VAR + ").")
        if head and head != _SQLITE_HEADER:  # (e.g. one byte, which SQLite would overwrite)
            raise self._explain(sqlite3.DatabaseError("it does not start like an SQLite file"),
                                sqlite3.SQLITE_NOTADB)

    def _create_private(self) -> None:
        """Make the store's folder (0700 when new) and the file itself readable by its owner
        only (0600) before SQLite creates it; its side files take the same mode."""
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(handle)
        except FileExistsError:
            pass  # made by another process (or already a store)
        except OSError as exc:
            raise ProgressStoreError(
                f"cannot create the progress store {self.path}: {exc}. "
                f"Choose a writable path (argument or ${STORE_VAR})") from exc

    def schema_version(self) -> int:
        """The store's schema version (``PRAGMA user_version``)."""
        return self._run(_user_version, mode="read")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __repr__(self) -> str:
        return f"ProgressStore({str(self.path)!r}{', read_only=True' if self.read_only else ''})"

    # -- backend primitives ----------------------------------------------------------------

    def _insert(self, attempt: NewAttempt) -> int:
        row = (attempt.learner_id, attempt.case_id,
               attempt.submitted_at.isoformat(timespec="microseconds"), attempt.actions,
               attempt.working_diagnosis, attempt.score, attempt.pitfalls, SCHEMA_VERSION,
               attempt.package_version, attempt.record)

        def insert(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO attempts (learner_id, case_id, submitted_at, actions, "
                "working_diagnosis, score, pitfalls, schema_version, package_version, record) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            return int(cursor.lastrowid or 0)

        return self._run(insert, mode="write")

    def _rows(self, learner_id: str | None, case_id: str | None,
              records: bool = True) -> list[tuple[Any, ...]]:
        where = " AND ".join(f"{name} = ?" for name, value in
                             (("learner_id", learner_id), ("case_id", case_id))
                             if value is not None) or "1"
        params = [v for v in (learner_id, case_id) if v is not None]

        def rows(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            record = "record" if records and _user_version(conn) >= 3 else "NULL"  # older stores
            return conn.execute(
                "SELECT id, learner_id, case_id, submitted_at, actions, working_diagnosis, "
                f"score, pitfalls, schema_version, package_version, {record} FROM attempts "
                f"WHERE {where} ORDER BY id", params).fetchall()

        return _numbered(self._run(rows, mode="read"))

    def _update_record(self, learner_id: str, attempt_id: int, record: str) -> bool:
        return self._run(lambda conn: conn.execute(
            "UPDATE attempts SET record = ? WHERE id = ? AND learner_id = ?",
            (record, attempt_id, learner_id)).rowcount == 1, mode="write")

    def _write_draft(self, learner_id: str, case_id: str, record: str | None) -> None:
        if record is None:
            self._run(lambda conn: conn.execute(
                "DELETE FROM drafts WHERE learner_id = ? AND case_id = ?",
                (learner_id, case_id)), mode="write")
            return
        saved_at = datetime.now(UTC).isoformat(timespec="microseconds")
        self._run(lambda conn: conn.execute(
            "INSERT OR REPLACE INTO drafts (learner_id, case_id, record, saved_at) "
            "VALUES (?, ?, ?, ?)", (learner_id, case_id, record, saved_at)), mode="write")

    def _draft_row(self, learner_id: str, case_id: str) -> tuple[Any, ...] | None:
        def row(conn: sqlite3.Connection) -> tuple[Any, ...] | None:
            if _user_version(conn) < 3:  # an older store opened read-only has no drafts
                return None
            return conn.execute("SELECT record, saved_at FROM drafts WHERE learner_id = ? "
                                "AND case_id = ?", (learner_id, case_id)).fetchone()

        return self._run(row, mode="read")

    def _write_grades(self, grades: list[Grade]) -> None:
        graded_at = datetime.now(UTC).isoformat(timespec="microseconds")
        texts: dict[tuple[str, ...], str] = {}  # few distinct pitfall lists: encode each once
        for g in grades:
            if g.pitfalls not in texts:
                texts[g.pitfalls] = json.dumps(list(g.pitfalls))
        rows = [(g.attempt_id, g.score, texts[g.pitfalls], g.package_version,
                 g.knowledge_version, graded_at, g.case_digest) for g in grades]
        self._run(lambda conn: conn.executemany(
            "INSERT OR REPLACE INTO grades (attempt_id, score, pitfalls, package_version, "
            "knowledge_version, graded_at, case_digest) VALUES (?, ?, ?, ?, ?, ?, ?)", rows),
            mode="write")

    def _grade_rows(self) -> list[tuple[Any, ...]]:
        def rows(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            version = _user_version(conn)
            if version < 2:  # an older store opened read-only has no grades
                return []
            digest = "case_digest" if version >= 4 else "NULL"
            return conn.execute("SELECT attempt_id, score, pitfalls, package_version, "
                                f"knowledge_version, {digest} FROM grades "
                                "ORDER BY attempt_id").fetchall()

        return self._run(rows, mode="read")

    def _remove_attempt(self, attempt_id: int, reason: str,
                        delete: bool) -> tuple[str, str] | None:
        def remove(conn: sqlite3.Connection) -> tuple[str, str] | None:
            found = conn.execute("SELECT learner_id, case_id, json_object('id', id, "
                                 "'learner_id', learner_id, 'case_id', case_id, 'submitted_at', "
                                 "submitted_at, 'actions', actions, 'working_diagnosis', "
                                 "working_diagnosis, 'score', score, 'pitfalls', pitfalls, "
                                 "'schema_version', schema_version, 'package_version', "
                                 "package_version, 'record', record) FROM attempts WHERE id = ?",
                                 (attempt_id,)).fetchone()
            if found is None:
                return None
            if not delete:
                conn.execute("INSERT OR REPLACE INTO quarantine (attempt_id, learner_id, "
                             "case_id, saved_row, reason, quarantined_at, quarantined_by) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (attempt_id, str(found[0]), str(found[1]), found[2], reason,
                              datetime.now(UTC).isoformat(timespec="microseconds"),
                              os.environ.get("USER", "")))
            conn.execute("DELETE FROM grades WHERE attempt_id = ?", (attempt_id,))
            conn.execute("DELETE FROM attempts WHERE id = ?", (attempt_id,))
            return str(found[0]), str(found[1])

        return self._run(remove, mode="write")

    # -- opening: check, create, upgrade ---------------------------------------------------

    def _check(self, conn: sqlite3.Connection) -> int:
        """Refuse a damaged file, another program's database, a newer schema or an attempts
        table of the wrong shape (reads only); return the schema version (0: a new file)."""
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = _user_version(conn)
        tables = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
        if not tables and app_id == 0 and version == 0:
            return 0
        if app_id != APPLICATION_ID:
            raise ProgressStoreError(
                f"{self.path} is an SQLite database of another program (tables: "
                f"{', '.join(sorted(tables)) or 'none'}), not a dystonia_teach progress store. "
                f"It was left unchanged; choose another path (argument or ${STORE_VAR}).")
        if version > SCHEMA_VERSION:
            raise ProgressStoreError(
                f"{self.path} was written by a newer dystonia_teach (store schema {version}, "
                f"this version reads up to {SCHEMA_VERSION}). It was left unchanged; upgrade "
                "dystonia_teach (pip install -U dystonia-teach) to use it.")
        problems = [r[0] for r in conn.execute("PRAGMA quick_check")
                    if not r[0].startswith(_ROW_PROBLEMS)]  # a bad row is skipped when read
        if problems not in (["ok"], []):
            raise self._explain(sqlite3.DatabaseError("; ".join(problems[:3])),
                                sqlite3.SQLITE_CORRUPT)
        columns = {r[1]: r[2].upper() for r in conn.execute("PRAGMA table_info(attempts)")}
        wrong = {k: v for k, v in _ATTEMPT_COLUMNS.items() if columns.get(k) != v}
        if wrong:
            raise ProgressStoreError(
                f"{self.path}: its attempts table does not have the expected columns (missing "
                f"or of another type: {', '.join(sorted(wrong))}). It was left unchanged; "
                f"choose another path (argument or ${STORE_VAR}).")
        return version

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """In one write transaction: check, then create or upgrade to SCHEMA_VERSION."""
        for step in pending("sqlite", self._check(conn)):
            self._apply(conn, step)

    @staticmethod
    def _apply(conn: sqlite3.Connection, step: Migration) -> None:
        for statement in step.statements():  # not executescript: it would COMMIT
            conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {int(step.version)}")

    def _backup_before_upgrade(self) -> None:
        """Copy an older store to ``<name>.v<N>-backup`` (WAL-safe) before upgrading it. The
        copy is made as ``<name>.v<N>-backup.partial-<pid>`` and renamed when complete; a
        partial copy left by a killed upgrade is removed by the next one."""
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return
        for stale in self.path.parent.glob(f"{self.path.name}.v*-backup.partial-*"):
            if not _alive(stale.name.rpartition("-")[2]):
                stale.unlink(missing_ok=True)
        app_id, version = self._run(lambda conn: conn.execute(
            "SELECT * FROM pragma_application_id, pragma_user_version").fetchone(), mode="read")
        target = self.path.with_name(f"{self.path.name}.v{version}-backup")
        if app_id != APPLICATION_ID or not 0 < version < SCHEMA_VERSION or target.exists():
            return
        partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
        try:
            os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
            with sqlite3.connect(partial) as copy:
                self._run(lambda conn: conn.backup(copy), mode="plain")
            copy.close()
            os.replace(partial, target)
        except (OSError, sqlite3.Error) as exc:
            raise ProgressStoreError(
                f"{self.location} was not upgraded: its backup copy {target.name} could not be "
                f"written ({exc}). Nothing was changed; free some disk space and try "
                "again.") from exc
        finally:
            partial.unlink(missing_ok=True)

    def upgrade_sql(self) -> str:
        """The SQL an upgrade of this store would run (nothing is run)."""
        steps = pending("sqlite", self._run(_user_version, mode="read"))
        return "\n".join(f"-- {s.version:04d}_{s.name}\n{s.sql.strip()}\n"
                         f"PRAGMA user_version = {s.version};" for s in steps)

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")  # may stay 'delete' on odd filesystems

    # -- connections and errors ------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            return self._connect_read_only()
        if self._conn is None or self._pid != os.getpid():  # a forked child needs its own
            uri = f"{self.path.absolute().as_uri()}?mode=rwc"
            self._conn = sqlite3.connect(uri, uri=True, timeout=0, isolation_level=None,
                                         check_same_thread=False)
            self._pid = os.getpid()
            self._conn.execute("PRAGMA synchronous = FULL")  # a commit survives power loss
        return self._conn

    def _connect_read_only(self) -> sqlite3.Connection:
        """A snapshot, renewed whenever the file changed; SQLite's read-only mode while a
        writer is active (its side files exist then anyway)."""
        stat = self.path.stat()
        current = (stat.st_mtime_ns, stat.st_size, Path(f"{self.path}-wal").exists())
        if self._conn is not None and self._pid == os.getpid() and self._stat == current:
            return self._conn
        if self._conn is not None:
            self._conn.close()
        snapshot = _snapshot(self.path)
        self._stat = current if snapshot is not None else None
        if snapshot is None:  # closed after each call (see _run), so the writer's last close
            uri = f"{self.path.absolute().as_uri()}?mode=ro"  # can remove its side files
            snapshot = sqlite3.connect(uri, uri=True, timeout=0, isolation_level=None,
                                       check_same_thread=False)
        self._conn, self._pid = snapshot, os.getpid()
        return snapshot

    def _run(self, work: Callable[[sqlite3.Connection], T], mode: Mode = "read") -> T:
        """Run ``work`` in one transaction (``BEGIN IMMEDIATE`` to write, a consistent read
        otherwise; none when ``plain``), retrying while the file is busy until ``timeout``;
        every sqlite3 error becomes a ProgressStoreError."""
        with self._lock:
            try:
                return self._retry(work, mode)
            finally:
                if self.read_only and self._stat is None and self._conn is not None:
                    self._conn.close()  # a connection to the file itself: never kept open
                    self._conn = None

    def _retry(self, work: Callable[[sqlite3.Connection], T], mode: Mode) -> T:
        deadline = time.monotonic() + self.timeout
        delay = 0.005
        while True:
            try:
                conn = self._connect()
                remaining = max(0.0, deadline - time.monotonic())
                conn.execute(f"PRAGMA busy_timeout = {int(remaining * 1000)}")
                if mode == "plain":
                    return work(conn)
                conn.execute("BEGIN IMMEDIATE" if mode == "write" else "BEGIN")
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
            except OSError as exc:
                raise ProgressStoreError(f"{self.location} could not be read ({exc}). "
                                         "Check the path and its permissions.") from exc
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 0.25)

    def _explain(self, exc: sqlite3.Error, code: int) -> ProgressStoreError:
        where = self.location
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
                f"choose another path (argument or ${STORE_VAR}).")
        if code == sqlite3.SQLITE_READONLY:
            return ProgressStoreError(f"{where} cannot be written ({exc}); check its permissions "
                                      f"or choose another path (argument or ${STORE_VAR}).")
        return ProgressStoreError(f"{where} could not be used ({exc}). Check that the path is "
                                  f"a writable file, or choose another path (${STORE_VAR}).")
