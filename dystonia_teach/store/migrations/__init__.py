"""Forward migrations of the attempt store: numbered SQL files per dialect.

``sqlite/0002_grades.sql`` takes a store from schema 1 to 2. A backend applies every step above
the store's version, each with its version bookkeeping in one transaction (DDL is transactional
in both SQLite and PostgreSQL), and refuses a store newer than the last step.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from importlib.resources import files
from typing import Literal

Dialect = Literal["sqlite", "postgres"]


@dataclass(frozen=True)
class Migration:
    """One step: ``version`` is the schema version the store has after it."""

    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        """The step's SQL as single statements (SQLite's driver runs one at a time)."""
        found, pending = [], ""
        for line in self.sql.splitlines(keepends=True):
            pending += line
            if sqlite3.complete_statement(pending):
                found.append(pending.strip())
                pending = ""
        return [s for s in found if s.rstrip(";").strip()]


def migrations(dialect: Dialect) -> list[Migration]:
    """Every step for ``dialect``, in version order."""
    folder = files(__name__).joinpath(dialect)
    steps = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, name = entry.name.removesuffix(".sql").partition("_")
            steps.append(Migration(int(number), name, entry.read_text(encoding="utf-8")))
    return sorted(steps, key=lambda m: m.version)


def latest_version(dialect: Dialect = "sqlite") -> int:
    """The schema version this release writes."""
    return migrations(dialect)[-1].version


def pending(dialect: Dialect, current: int) -> list[Migration]:
    """The steps that take a store at version ``current`` to the latest."""
    return [m for m in migrations(dialect) if m.version > current]
