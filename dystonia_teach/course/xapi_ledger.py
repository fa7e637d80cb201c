"""The xAPI ledger: what each learning record store (LRS) has acknowledged, in an SQLite file.

Per LRS (its statements URL) and slot (an attempt): the id of the statement the LRS stored and
the id of its plain content (``xapi.Statement.id``: the statement as a fresh export makes it),
so a later run knows whether the attempt's grade changed; and the ids of stored statements
still to be voided (replaced by a re-grade, or their attempt removed from the store). Every
change is one transaction, made only after the LRS acknowledged the statements concerned.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dystonia_teach.core.errors import DystoniaTeachError

DEFAULT_LEDGER = Path.home() / ".dystonia_teach" / "xapi.sqlite3"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS stored (lrs TEXT NOT NULL, slot TEXT NOT NULL, "
    "content_id TEXT NOT NULL, statement_id TEXT NOT NULL, PRIMARY KEY (lrs, slot))",
    "CREATE TABLE IF NOT EXISTS to_void (lrs TEXT NOT NULL, statement_id TEXT NOT NULL, "
    "PRIMARY KEY (lrs, statement_id))",
)


class LedgerError(DystoniaTeachError, RuntimeError):
    """The ledger file cannot be used; the message names it and says why."""


@dataclass(frozen=True, slots=True)
class Stored:
    """What the LRS holds for one slot: the plain content's id and the stored statement's id
    (they differ when the statement replaced an earlier one)."""

    content_id: str
    statement_id: str


@dataclass(frozen=True, slots=True)
class Acknowledged:
    """A statement the LRS stored for ``slot``, and the statement it replaced (to void)."""

    slot: str
    content_id: str
    statement_id: str
    replaced: str | None = None


class XapiLedger:
    """The ledger file (created readable by its owner only)."""

    def __init__(self, path: Path | str = DEFAULT_LEDGER) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.path.touch(mode=0o600, exist_ok=True)
            self._db = sqlite3.connect(self.path)
            with self._db:
                for statement in _SCHEMA:
                    self._db.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"cannot use the xAPI ledger {self.path}: {exc} (give another "
                              "file with --ledger; a new file means every statement is sent "
                              "again)") from exc

    def stored(self, lrs: str) -> dict[str, Stored]:
        """Slot -> what ``lrs`` holds for it."""
        rows = self._db.execute("SELECT slot, content_id, statement_id FROM stored "
                                "WHERE lrs = ?", (lrs,))
        return {slot: Stored(content, statement) for slot, content, statement in rows}

    def to_void(self, lrs: str) -> list[str]:
        """Ids of statements ``lrs`` holds that are still to be voided."""
        return [row[0] for row in self._db.execute(
            "SELECT statement_id FROM to_void WHERE lrs = ? ORDER BY statement_id", (lrs,))]

    def acknowledge(self, lrs: str, acknowledged: Iterable[Acknowledged]) -> None:
        """Remember statements ``lrs`` stored; the ones they replaced are then to be voided."""
        rows = list(acknowledged)
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO stored VALUES (?, ?, ?, ?)",
                [(lrs, a.slot, a.content_id, a.statement_id) for a in rows])
            self._db.executemany("INSERT OR IGNORE INTO to_void VALUES (?, ?)",
                                 [(lrs, a.replaced) for a in rows if a.replaced])

    def withdraw(self, lrs: str, slots: Iterable[str]) -> None:
        """Slots whose attempt is gone: their stored statements are to be voided."""
        slots = list(slots)
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO to_void SELECT lrs, statement_id FROM stored "
                "WHERE lrs = ? AND slot = ?", [(lrs, s) for s in slots])
            self._db.executemany("DELETE FROM stored WHERE lrs = ? AND slot = ?",
                                 [(lrs, s) for s in slots])

    def voided(self, lrs: str, statement_ids: Iterable[str]) -> None:
        """Statements ``lrs`` acknowledged voiding statements for."""
        with self._db:
            self._db.executemany("DELETE FROM to_void WHERE lrs = ? AND statement_id = ?",
                                 [(lrs, i) for i in statement_ids])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> XapiLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
