"""xAPI 1.0.3 statements of a class's attempts, for a learning record store (LRS).

Per learner and case: ``attempted`` at the first attempt; ``answered`` for every attempt (the
plan as the response, the score, success against the pass mark, the pitfall codes in the
context extensions); ``completed`` at the first attempt that reaches the pass mark. The score
travels in ``answered`` (ADL's ``scored`` would repeat each submission as a second statement).

The actor is an ``account`` (``homePage`` + the learner's id or pseudonym), never an e-mail
address. Statement ids are UUID5 of (activity base, learner, case, attempt id, verb), so a
re-sent export repeats its ids and an LRS stores each statement once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from dystonia_teach import __version__
from dystonia_teach.course.reports import case_title, check_frame, step_sequence

XAPI_VERSION = "1.0.3"
VERBS = {verb: f"http://adlnet.gov/expapi/verbs/{verb}"
         for verb in ("attempted", "answered", "completed")}
CASE_ACTIVITY_TYPE = "http://adlnet.gov/expapi/activities/simulation"
COURSE_ACTIVITY_TYPE = "http://adlnet.gov/expapi/activities/course"
DEFAULT_HOMEPAGE = "https://jupyterhub.invalid"
LANGUAGE = "en-US"


def activity_base(homepage: str) -> str:
    """The IRI under which the course's activities and extensions are named."""
    return f"{homepage.rstrip('/')}/dystonia-teach"


def extension_iri(base: str, name: str) -> str:
    return f"{base}/xapi/extensions/{name}"


def xapi_timestamp(text: str) -> str:
    """An ISO 8601 UTC timestamp with milliseconds and ``Z`` (naive times are taken as UTC)."""
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _case_activity(base: str, case_id: str) -> dict[str, Any]:
    return {"objectType": "Activity", "id": f"{base}/cases/{case_id}",
            "definition": {"name": {LANGUAGE: case_title(case_id)},
                           "type": CASE_ACTIVITY_TYPE}}


def statements(frame: pd.DataFrame, homepage: str = DEFAULT_HOMEPAGE,
               pass_mark: float = 0.8) -> list[dict[str, Any]]:
    """The xAPI statements of every attempt in ``frame``, oldest first."""
    check_frame(frame)
    base = activity_base(homepage)
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, base)
    course = {"objectType": "Activity", "id": base,
              "definition": {"name": {LANGUAGE: "Walking foot dystonia from lumbar "
                                                "radiculopathy"},
                             "type": COURSE_ACTIVITY_TYPE}}
    activities: dict[str, dict[str, Any]] = {}
    passed: set[tuple[str, str]] = set()
    out: list[dict[str, Any]] = []
    for row in frame.sort_values("attempt_id").itertuples(index=False):
        learner, case_id, attempt_id = str(row.learner_id), str(row.case_id), int(row.attempt_id)
        activity = activities.setdefault(case_id, _case_activity(base, case_id))
        score = float(row.score)
        success = score >= pass_mark
        result = {"score": {"scaled": round(score, 4), "raw": round(score, 4), "min": 0,
                            "max": 1},
                  "success": success, "completion": True}
        context = {
            "platform": "dystonia_teach", "language": LANGUAGE,
            "contextActivities": {"grouping": [course]},
            "extensions": {
                extension_iri(base, "pitfall-codes"): list(row.pitfalls),
                extension_iri(base, "attempt-number"): int(row.number),
                extension_iri(base, "package-version"): str(getattr(
                    row, "package_version", __version__) or __version__),
            },
        }

        key = f"{learner}|{case_id}|{attempt_id}"
        common = {"actor": {"objectType": "Agent",
                            "account": {"homePage": homepage, "name": learner}},
                  "object": activity, "context": context,
                  "timestamp": xapi_timestamp(row.submitted_at)}
        if int(row.number) == 1:
            out.append(_statement(namespace, "attempted", key, common))
        out.append(_statement(namespace, "answered", key, common, {
            **result, "response": "[,]".join(step_sequence(row.actions))}))
        if success and (learner, case_id) not in passed:
            passed.add((learner, case_id))
            out.append(_statement(namespace, "completed", key, common, result))
    return out


def _statement(namespace: uuid.UUID, verb: str, key: str, common: dict[str, Any],
               result: dict[str, Any] | None = None) -> dict[str, Any]:
    """One statement; its id is the UUID5 of the attempt's key and the verb."""
    made = {"id": str(uuid.uuid5(namespace, f"{key}|{verb}")), **common,
            "verb": {"id": VERBS[verb], "display": {LANGUAGE: verb}}}
    if result is not None:
        made["result"] = result
    return made
