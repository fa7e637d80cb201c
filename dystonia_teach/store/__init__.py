"""The attempt store: where learners' submissions are saved and read back.

One interface (:class:`~dystonia_teach.store.base.AttemptStore`), two backends chosen by a URL:
embedded SQLite (the laptop default, no server) and PostgreSQL (a class on a database server)::

    from dystonia_teach.store import open_store, current_learner
    learner = current_learner() or "my_nickname"
    with open_store() as store:           # $DYSTONIA_TEACH_STORE, else the laptop's SQLite file
        store.record(learner, assessment)                     # a plan's verdict, or with
        store.record(learner, report.assessment, session.record())   # its reasoning
        store.save_draft(learner, session.record())           # unfinished work, one per case

``dystonia_teach.store.replay`` turns a saved attempt back into its verdict and reasoning
session (``replay``) and a draft into a session to continue (``resume``). ``record`` refuses an
attempt the course could not have judged (``store.checks``); reads skip a row that cannot be
read and list it in ``store.needing_attention``; ``store.quarantine(attempt_id, reason)`` moves
it aside. Under JupyterHub the learner id is ``learner_id_for($JUPYTERHUB_USER)``.
Imports only the core and the case files (and the migrations' SQL files).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from dystonia_teach.store.base import (
    FRAME_COLUMNS,
    STORE_VAR,
    Attempt,
    AttemptStore,
    CaseSummary,
    Draft,
    Grade,
    ProgressStoreError,
    RowProblem,
    TextReplacedWarning,
    current_learner,
    learner_id_for,
    pseudonym,
    validate_learner_id,
)
from dystonia_teach.store.sqlite import ProgressStore

__all__ = ["FRAME_COLUMNS", "STORE_VAR", "Attempt", "AttemptStore", "CaseSummary", "Draft", "Grade",
           "ProgressStore", "ProgressStoreError", "RowProblem", "TextReplacedWarning",
           "current_learner", "learner_id_for", "open_store", "pseudonym", "upgrade",
           "upgrade_sql", "validate_learner_id"]

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def _resolve(url: str | os.PathLike[str] | None) -> str | Path | None:
    """A PostgreSQL URL (str), an SQLite path, or None for the default SQLite file."""
    if url is None:
        url = os.environ.get(STORE_VAR, "").strip() or None
    if url is None:
        return None
    text = os.fspath(url)
    if text.startswith(_POSTGRES_SCHEMES):
        return text
    if text.startswith("sqlite:"):
        parts = urlsplit(text)
        if parts.netloc or not parts.path:
            raise ProgressStoreError(f"{text!r} is not an SQLite store URL; write "
                                     "sqlite:///absolute/path/progress.sqlite3 (three slashes)")
        return Path(unquote(parts.path))
    if "://" in text:
        raise ProgressStoreError(
            f"unknown store URL {text.split('://')[0]!r}://…; use postgresql://user@host/db, "
            "sqlite:///path/to/progress.sqlite3 or a file path (argument or $" + STORE_VAR + ")")
    return Path(text)


def open_store(url: str | os.PathLike[str] | None = None, *, read_only: bool = False,
               timeout: float = 10.0) -> AttemptStore:
    """Open the attempt store named by ``url``.

    ``postgresql://user@host/db`` opens PostgreSQL (needs the ``postgres`` extra);
    ``sqlite:///abs/path`` or a plain file path opens an SQLite file. None means
    ``$DYSTONIA_TEACH_STORE``, else the legacy ``$DYSTONIA_TEACH_PROGRESS`` path, else
    ``~/.dystonia_teach/progress.sqlite3``.
    """
    target = _resolve(url)
    if isinstance(target, str):
        from dystonia_teach.store.postgres import PostgresStore

        return PostgresStore(target, read_only=read_only, timeout=timeout)
    return ProgressStore(target, read_only=read_only, timeout=timeout)


def upgrade_sql(url: str | os.PathLike[str] | None = None) -> str:
    """The SQL that ``upgrade(url)`` would run ("" when the store is current); runs nothing."""
    target = _resolve(url)
    if isinstance(target, str):
        from dystonia_teach.store import postgres

        return postgres.upgrade_sql(target)
    with ProgressStore(target, read_only=True) as store:
        return store.upgrade_sql()


def upgrade(url: str | os.PathLike[str] | None = None, *,
            wait: float = 30.0) -> tuple[int, int]:
    """Bring the store to this release's schema; returns (version before, version after).
    An SQLite store is first copied to ``<file>.v<N>-backup``; a PostgreSQL one waits at most
    ``wait`` seconds for sessions holding its tables (never making the class wait behind it)."""
    target = _resolve(url)
    if isinstance(target, str):
        from dystonia_teach.store import postgres

        return postgres.upgrade(target, wait=wait)
    before = 0
    if target is None or target.is_file():
        with ProgressStore(target, read_only=True) as store:
            before = store.schema_version()
    with ProgressStore(target) as store:
        return before, store.schema_version()
