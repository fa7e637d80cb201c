"""The attempt store: where learners' submissions are saved and read back.

One interface (:class:`~dystonia_teach.store.base.AttemptStore`), two backends chosen by a URL:
embedded SQLite (the laptop default, no server) and PostgreSQL (a class on a database server)::

    from dystonia_teach.store import open_store, current_learner
    with open_store() as store:           # $DYSTONIA_TEACH_STORE, else the laptop's SQLite file
        store.record(current_learner() or "my_nickname", assessment)

Imports only the core (and the migrations' SQL files).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from dystonia_teach.store.base import (
    FRAME_COLUMNS,
    Attempt,
    AttemptStore,
    CaseSummary,
    ProgressStoreError,
    current_learner,
    pseudonym,
    validate_learner_id,
)
from dystonia_teach.store.sqlite import ProgressStore

__all__ = ["FRAME_COLUMNS", "STORE_VAR", "Attempt", "AttemptStore", "CaseSummary",
           "ProgressStore", "ProgressStoreError", "current_learner", "open_store", "pseudonym",
           "validate_learner_id"]

STORE_VAR = "DYSTONIA_TEACH_STORE"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(url: str | os.PathLike[str] | None = None, *, read_only: bool = False,
               timeout: float = 10.0) -> AttemptStore:
    """Open the attempt store named by ``url``.

    ``postgresql://user@host/db`` opens PostgreSQL (needs the ``postgres`` extra);
    ``sqlite:///abs/path`` or a plain file path opens an SQLite file. None means
    ``$DYSTONIA_TEACH_STORE``, else the legacy ``$DYSTONIA_TEACH_PROGRESS`` path, else
    ``~/.dystonia_teach/progress.sqlite3``.
    """
    if url is None:
        url = os.environ.get(STORE_VAR, "").strip() or None
    if url is None:
        return ProgressStore(read_only=read_only, timeout=timeout)
    text = os.fspath(url)
    if text.startswith(_POSTGRES_SCHEMES):
        from dystonia_teach.store.postgres import PostgresStore

        return PostgresStore(text, read_only=read_only, timeout=timeout)
    if text.startswith("sqlite:"):
        parts = urlsplit(text)
        if parts.netloc or not parts.path:
            raise ProgressStoreError(f"{text!r} is not an SQLite store URL; write "
                                     "sqlite:///absolute/path/progress.sqlite3 (three slashes)")
        text = unquote(parts.path)
    elif "://" in text:
        raise ProgressStoreError(
            f"unknown store URL {text.split('://')[0]!r}://…; use postgresql://user@host/db, "
            "sqlite:///path/to/progress.sqlite3 or a file path (argument or $" + STORE_VAR + ")")
    return ProgressStore(Path(text), read_only=read_only, timeout=timeout)
