"""xAPI 1.0.3 statements of a class's attempts, for a learning record store (LRS).

Per learner and case: ``attempted`` at the first attempt; ``answered`` for every attempt (the
plan as the response, the score, success against the pass mark, the pitfall codes in the
context extensions, with where the score comes from: a re-grade or as submitted);
``completed`` at the first attempt that reaches the pass mark. The score
travels in ``answered`` (ADL's ``scored`` would repeat each submission as a second statement).

The actor is an ``account`` (``homePage`` + the learner's id or pseudonym), never an e-mail
address. Statement ids are UUID5 of (activity base, learner, case, attempt id, verb), so a
re-sent export repeats its ids and an LRS stores each statement once. Every IRI is valid
whatever the stored ids hold: the home page must be an http(s) URL, and a case id is
percent-encoded as one path segment (``render.safe_text.iri_segment``).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from dystonia_teach import __version__
from dystonia_teach.course.reports import ReportError, case_title, check_frame, step_sequence
from dystonia_teach.render.safe_text import iri_segment
from dystonia_teach.store.base import AS_SUBMITTED

XAPI_VERSION = "1.0.3"
VERBS = {verb: f"http://adlnet.gov/expapi/verbs/{verb}"
         for verb in ("attempted", "answered", "completed")}
CASE_ACTIVITY_TYPE = "http://adlnet.gov/expapi/activities/simulation"
DEFAULT_HOMEPAGE = "https://jupyterhub.invalid"
LANGUAGE = "en-US"


_IRI_UNSAFE = re.compile(r"[\x00-\x20\x7f<>\"{}|\\^`]")


def check_homepage(homepage: str) -> str:
    """``homepage`` if it is an http(s) URL with a host and nothing an IRI may not hold; else
    a ReportError saying what to give."""
    try:
        parts = urlsplit(homepage)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid or _IRI_UNSAFE.search(homepage):
        raise ReportError(f"the home page {homepage!r} is not an http(s) URL such as "
                          "https://hub.example.edu (no spaces or control characters)")
    return homepage


def activity_base(homepage: str) -> str:
    """The IRI under which the course's activities and extensions are named."""
    return f"{check_homepage(homepage).rstrip('/')}/dystonia-teach"


def extension_iri(base: str, name: str) -> str:
    return f"{base}/xapi/extensions/{name}"


def xapi_timestamp(text: str) -> str:
    """An ISO 8601 UTC timestamp with milliseconds and ``Z`` (naive times are taken as UTC)."""
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _case_activity(base: str, case_id: str) -> dict[str, Any]:
    return {"objectType": "Activity", "id": f"{base}/cases/{iri_segment(case_id)}",
            "definition": {"name": {LANGUAGE: case_title(case_id)},
                           "type": CASE_ACTIVITY_TYPE}}


def _timestamps(submitted_at: pd.Series) -> list[str]:
    """``xapi_timestamp`` of a whole column at once."""
    moments = pd.to_datetime(submitted_at, utc=True, format="ISO8601")
    return [f"{t[:23]}Z" for t in moments.dt.strftime("%Y-%m-%dT%H:%M:%S.%f")]


def statements(frame: pd.DataFrame, homepage: str = DEFAULT_HOMEPAGE,
               pass_mark: float = 0.8) -> list[dict[str, Any]]:
    """The xAPI statements of every attempt in ``frame``, oldest first.

    Shared parts (verbs, activities, the course grouping) are the same objects in every
    statement: serialise the list, do not mutate its statements.
    """
    check_frame(frame)
    base = activity_base(homepage)
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, base)
    grouping = {"grouping": [{"objectType": "Activity", "id": base}]}
    verbs = {verb: {"id": iri, "display": {LANGUAGE: verb}} for verb, iri in VERBS.items()}
    pitfalls_key, number_key, version_key, graded_key = (
        extension_iri(base, name) for name in ("pitfall-codes", "attempt-number",
                                               "package-version", "score-source"))
    activities: dict[str, dict[str, Any]] = {}
    actors: dict[str, dict[str, Any]] = {}
    passed: set[tuple[str, str]] = set()
    ordered = frame.sort_values("attempt_id")
    versions = (ordered["package_version"] if "package_version" in ordered
                else pd.Series(__version__, index=ordered.index)).fillna(__version__)
    graded = (ordered["graded"] if "graded" in ordered
              else pd.Series(AS_SUBMITTED, index=ordered.index)).fillna(AS_SUBMITTED)
    out: list[dict[str, Any]] = []

    def statement(verb: str, key: str, common: dict[str, Any],
                  result: dict[str, Any] | None = None) -> None:
        made = {"id": str(uuid.uuid5(namespace, f"{key}|{verb}")), **common,
                "verb": verbs[verb]}
        if result is not None:
            made["result"] = result
        out.append(made)

    for learner, case_id, attempt_id, number, score, pitfalls, actions, version, source, when \
            in zip(ordered["learner_id"], ordered["case_id"], ordered["attempt_id"],
                   ordered["number"], ordered["score"], ordered["pitfalls"], ordered["actions"],
                   versions, graded, _timestamps(ordered["submitted_at"]), strict=True):
        if case_id not in activities:
            activities[case_id] = _case_activity(base, case_id)
        if learner not in actors:
            actors[learner] = {"objectType": "Agent",
                               "account": {"homePage": homepage, "name": learner}}
        score = float(score)
        success = score >= pass_mark
        result = {"score": {"scaled": round(score, 4), "raw": round(score, 4), "min": 0,
                            "max": 1}, "success": success, "completion": True}
        common = {"actor": actors[learner], "object": activities[case_id], "timestamp": when,
                  "context": {"platform": "dystonia_teach", "language": LANGUAGE,
                              "contextActivities": grouping,
                              "extensions": {pitfalls_key: list(pitfalls),
                                             number_key: int(number),
                                             version_key: str(version),
                                             graded_key: str(source)}}}
        key = f"{learner}|{case_id}|{int(attempt_id)}"
        if int(number) == 1:
            statement("attempted", key, common)
        statement("answered", key, common,
                  {**result, "response": "[,]".join(step_sequence(actions))})
        if success and (learner, case_id) not in passed:
            passed.add((learner, case_id))
            statement("completed", key, common, result)
    return out
