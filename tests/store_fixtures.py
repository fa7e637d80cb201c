"""Store fixtures: ``store`` runs a test once per backend (SQLite, and PostgreSQL on a real
server started once per session by ``pg_server``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dystonia_teach.store import AttemptStore, open_store


@pytest.fixture(params=["sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AttemptStore]:
    """A fresh, empty store of each backend."""
    with open_store(tmp_path / "progress.sqlite3") as opened:
        yield opened
