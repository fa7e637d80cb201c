"""What the public store API accepts: an attempt the course could have judged, and learner text
that every backend can keep.

An attempt names a case of this course (the packaged cases or ``DYSTONIA_TEACH_CASES``), steps
and pitfall codes of the knowledge base and a score from 0 to 1. Learner text is kept as typed,
except NUL and lone surrogates, which no PostgreSQL text or JSON can hold: they become U+FFFD
(and the caller is told which fields changed). The caps match the database's checks
(``migrations/postgres/0004_class_guards.sql``), so a learner hears the limit before a save fails.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from dystonia_teach.casefiles.loader import case_path
from dystonia_teach.core.errors import DystoniaTeachError
from dystonia_teach.core.knowledge import knowledge

CASE_ID = re.compile(r"[a-z0-9][a-z0-9_-]{1,63}")
#: The database's caps on a reasoning record: JSON size, nesting depth, one text's length.
MAX_RECORD_BYTES, MAX_RECORD_DEPTH, MAX_TEXT = 200_000, 16, 20_000
REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class RefusedAttempt(DystoniaTeachError, ValueError):
    """An attempt or record the store will not save; the message names the field."""


def check_attempt(case_id: object, steps: Iterable[str], pitfalls: Iterable[str], score: object,
                  working_diagnosis: object) -> None:
    """Raise RefusedAttempt unless the values are those of a plan the course could judge."""
    if not isinstance(case_id, str) or not CASE_ID.fullmatch(case_id):
        raise RefusedAttempt(f"case id {case_id!r} is not a case id (lower-case letters, "
                             "digits, '_' and '-')")
    try:
        case_path(case_id)
    except DystoniaTeachError as exc:
        raise RefusedAttempt(f"case id {case_id!r} is not a case of this course ({exc})") from exc
    kb = knowledge()
    unknown = sorted({s for s in steps if s.split("!", 1)[0] not in kb.steps})
    if unknown:
        raise RefusedAttempt(f"the plan names steps the knowledge base does not have: "
                             f"{', '.join(map(repr, unknown))}")
    codes = sorted({c for c in pitfalls if c not in kb.findings})
    if codes:
        raise RefusedAttempt(f"pitfall codes not in the knowledge base: "
                             f"{', '.join(map(repr, codes))}")
    if (isinstance(score, bool) or not isinstance(score, int | float)
            or not math.isfinite(score) or not 0 <= score <= 1):
        raise RefusedAttempt(f"score {score!r} is not a number from 0 to 1")
    if working_diagnosis is not None and (not isinstance(working_diagnosis, str)
                                          or working_diagnosis not in kb.diagnoses):
        raise RefusedAttempt(f"working diagnosis {working_diagnosis!r} is not a diagnosis of "
                             "the course")


def storable(record: Mapping[str, Any]) -> tuple[Any, list[str]]:
    """``record`` with every unstorable character replaced, and the fields that changed.

    Raises RefusedAttempt (naming the field) for a text longer than ``MAX_TEXT`` characters or
    nesting deeper than ``MAX_RECORD_DEPTH``; walks level by level, so any depth is safe.
    """
    changed: list[str] = []
    root: dict[str, Any] = {}
    pending: list[tuple[Any, str, Any, Any, int]] = [(root, "record", "record", record, 0)]
    while pending:
        parent, key, field, value, depth = pending.pop()
        if isinstance(value, str):
            parent[key] = _text(value, field, changed)
        elif isinstance(value, Mapping | list | tuple):
            if depth >= MAX_RECORD_DEPTH:
                raise RefusedAttempt(f"{field} nests deeper than {MAX_RECORD_DEPTH} levels")
            if isinstance(value, Mapping):
                made: Any = {}
                for name, item in value.items():
                    clean = _text(str(name), f"{field} (a key)", changed)
                    made[clean] = None
                    pending.append((made, clean, f"{field}.{clean}", item, depth + 1))
            else:
                made = [None] * len(value)
                pending += [(made, i, f"{field}[{i}]", item, depth + 1)
                            for i, item in enumerate(value)]
            parent[key] = made
        else:
            parent[key] = value
    return root["record"], sorted(changed)


def _text(value: str, field: str, changed: list[str]) -> str:
    if len(value) > MAX_TEXT:
        raise RefusedAttempt(f"{field} is {len(value):,} characters long; the store keeps at "
                             f"most {MAX_TEXT:,} characters in one text")
    if _UNSTORABLE.search(value) is None:
        return value
    changed.append(field)
    return _UNSTORABLE.sub(REPLACEMENT, value)
