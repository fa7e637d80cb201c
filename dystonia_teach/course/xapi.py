"""xAPI 1.0.3 statements of a class's attempts, for a learning record store (LRS).

One statement per attempt: the learner ``completed`` the case (a virtual patient), with the
plan as the response, the score, success against the pass mark and, in the context
extensions, the pitfall codes and where the score comes from (``re-graded`` or ``as
submitted``). It follows the MedBiquitous Virtual Patient xAPI profile where it fits (see
``docs/xapi.md``): the case is an activity of type ``simulation``, the actor an ``account``
(``homePage`` + the learner's id or pseudonym, never an e-mail address), ``completed`` means
the learner reached the end of the case and says nothing of success, and every statement names
the profile's version as a ``category`` context activity.

A statement's id is a UUID5 of its whole content (sorted JSON, id left out), so the same
attempt with the same grade always has the same id and a changed grade a new one: an LRS given
the same statement twice keeps it once, and never sees one id with two contents (which a
conforming LRS refuses with 409). Each statement also fills a *slot*, its attempt, so that a
re-graded attempt's new statement can void the old one (``course.xapi_sync``).

Every IRI is valid whatever the stored ids hold: the home page must be an http(s) URL, and a
case id is percent-encoded as one path segment (``render.safe_text.iri_segment``).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from dystonia_teach import __version__
from dystonia_teach.course.reports import ReportError, case_title, check_frame, step_sequence
from dystonia_teach.render.safe_text import iri_segment
from dystonia_teach.store.base import AS_SUBMITTED

XAPI_VERSION = "1.0.3"
ADL_VERBS = "http://adlnet.gov/expapi/verbs"
COMPLETED = f"{ADL_VERBS}/completed"
VOIDED = f"{ADL_VERBS}/voided"
#: The virtual patient activity type of the MedBiquitous Virtual Patient profile.
CASE_ACTIVITY_TYPE = "http://adlnet.gov/expapi/activities/simulation"
#: The MedBiquitous Virtual Patient profile, version 1.0 (a ``category`` context activity).
VIRTUAL_PATIENT_PROFILE = "https://w3id.org/xapi/virtual-patient/v1.0"
DEFAULT_HOMEPAGE = "https://jupyterhub.invalid"
LANGUAGE = "en-US"
#: The ``score-source`` extension's values.
REGRADED, SUBMITTED = "re-graded", "as submitted"
#: The account that voids a statement whose attempt was re-graded or removed.
TOOL_ACCOUNT = "dystonia-teach"

_IRI_UNSAFE = re.compile(r"[\x00-\x20\x7f<>\"{}|\\^`]")


@dataclass(frozen=True, slots=True)
class Statement:
    """One attempt's statement: the ``slot`` it fills (a UUID of learner, case and attempt),
    the statement itself (``body``, its id first) and its JSON ``text``."""

    slot: str
    body: dict[str, Any]
    text: str

    @property
    def id(self) -> str:
        return str(self.body["id"])


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


def namespace(homepage: str) -> uuid.UUID:
    """The UUID namespace of the course's statement ids and slots."""
    return uuid.uuid5(uuid.NAMESPACE_URL, activity_base(homepage))


def extension_iri(base: str, name: str) -> str:
    return f"{base}/xapi/extensions/{name}"


def with_id(space: uuid.UUID, content: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """``content`` with its id (UUID5 of its sorted JSON) first, and the statement's JSON."""
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    made = str(uuid.uuid5(space, text))
    return {"id": made, **content}, f'{{"id":"{made}",{text[1:]}'


def _timestamps(submitted_at: pd.Series) -> list[str]:
    """ISO 8601 UTC timestamps with milliseconds and ``Z`` (naive times are taken as UTC)."""
    moments = pd.to_datetime(submitted_at, utc=True, format="ISO8601")
    return [f"{t[:23]}Z" for t in moments.dt.strftime("%Y-%m-%dT%H:%M:%S.%f")]


def class_statements(frame: pd.DataFrame, homepage: str = DEFAULT_HOMEPAGE,
                     pass_mark: float = 0.8) -> list[Statement]:
    """One statement per attempt in ``frame``, oldest first.

    Shared parts (verb, activities, actors, context activities) are the same objects in every
    statement: serialise them, do not mutate them.
    """
    check_frame(frame)
    base = activity_base(homepage)
    space = uuid.uuid5(uuid.NAMESPACE_URL, base)
    verb = {"id": COMPLETED, "display": {LANGUAGE: "completed"}}
    activities_context = {"grouping": [{"objectType": "Activity", "id": base}],
                          "category": [{"objectType": "Activity",
                                        "id": VIRTUAL_PATIENT_PROFILE}]}
    pitfalls_key, number_key, version_key, source_key = (
        extension_iri(base, name) for name in ("pitfall-codes", "attempt-number",
                                               "package-version", "score-source"))
    activities: dict[str, dict[str, Any]] = {}
    actors: dict[str, dict[str, Any]] = {}
    ordered = frame.sort_values("attempt_id")
    versions = (ordered["package_version"] if "package_version" in ordered
                else pd.Series(__version__, index=ordered.index)).fillna(__version__)
    graded = (ordered["graded"] if "graded" in ordered
              else pd.Series(AS_SUBMITTED, index=ordered.index)).fillna(AS_SUBMITTED)
    out: list[Statement] = []
    for learner, case_id, attempt_id, number, score, pitfalls, actions, version, source, when \
            in zip(*(ordered[c].tolist() for c in ("learner_id", "case_id", "attempt_id",
                                                   "number", "score", "pitfalls", "actions")),
                   versions.tolist(), graded.tolist(), _timestamps(ordered["submitted_at"]),
                   strict=True):
        if case_id not in activities:
            activities[case_id] = {
                "objectType": "Activity", "id": f"{base}/cases/{iri_segment(case_id)}",
                "definition": {"name": {LANGUAGE: case_title(case_id)},
                               "type": CASE_ACTIVITY_TYPE}}
        if learner not in actors:
            actors[learner] = {"objectType": "Agent",
                               "account": {"homePage": homepage, "name": learner}}
        score = round(float(score), 4)
        content = {
            "actor": actors[learner], "verb": verb, "object": activities[case_id],
            "result": {"score": {"scaled": score, "raw": score, "min": 0, "max": 1},
                       "success": score >= pass_mark, "completion": True,
                       "response": "[,]".join(step_sequence(actions))},
            "context": {"platform": "dystonia_teach", "language": LANGUAGE,
                        "contextActivities": activities_context,
                        "extensions": {pitfalls_key: list(pitfalls), number_key: int(number),
                                       version_key: str(version),
                                       source_key: SUBMITTED if source == AS_SUBMITTED
                                       else REGRADED}},
            "timestamp": when}
        body, text = with_id(space, content)
        slot = str(uuid.uuid5(space, f"{learner}|{case_id}|{int(attempt_id)}"))
        out.append(Statement(slot, body, text))
    return out


def statements(frame: pd.DataFrame, homepage: str = DEFAULT_HOMEPAGE,
               pass_mark: float = 0.8) -> list[dict[str, Any]]:
    """The xAPI statements of every attempt in ``frame``, oldest first."""
    return [s.body for s in class_statements(frame, homepage, pass_mark)]


def statements_json(made: list[Statement]) -> str:
    """The statements as one JSON array (each serialised once, when it was made)."""
    return f"[{','.join(s.text for s in made)}]"


def replacing(statement: Statement, previous_id: str, homepage: str) -> Statement:
    """``statement`` naming the statement it replaces as its context ``statement`` (so content
    that returns to an earlier grade still gets an id of its own), with the id that follows."""
    content = {k: v for k, v in statement.body.items() if k != "id"}
    content["context"] = {**content["context"],
                          "statement": {"objectType": "StatementRef", "id": previous_id}}
    body, text = with_id(namespace(homepage), content)
    return Statement(statement.slot, body, text)


def voiding(target_id: str, homepage: str) -> dict[str, Any]:
    """The statement that voids statement ``target_id`` (xAPI 1.0.3 Data 2.3.2): verb
    ``voided``, object a ``StatementRef``, made by the course tool's account. It has no
    timestamp (the LRS sets it), so voiding the same statement again repeats it exactly."""
    content = {"actor": {"objectType": "Agent", "name": "dystonia_teach",
                         "account": {"homePage": homepage, "name": TOOL_ACCOUNT}},
               "verb": {"id": VOIDED, "display": {LANGUAGE: "voided"}},
               "object": {"objectType": "StatementRef", "id": target_id}}
    return with_id(namespace(homepage), content)[0]
