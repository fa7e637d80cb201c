"""Assignments: the groups of cases an LMS grades as one column, and each learner's score on them.

An instructor lists them in a YAML file (``--assignments FILE``); without one, every case is an
assignment of its own::

    week_1:                                   # the assignment's id (letters, digits, _ and -)
      title: Week 1, first visits             # the LMS column's name
      cases: [early_uncomplicated, progressive_foot_drop]
      canvas_assignment_id: 1234              # optional: the Canvas assignment to fill
      moodle_grade_item: "External tool: Week 1, first visits"   # optional: Moodle's item name

A learner's score on an assignment is the mean, over its cases, of their best re-graded score at
each case (a case not tried counts 0), as a percentage. Only scores that ``dystonia-teach grade``
produced with this release count: while any of the learner's attempts at the assignment's cases
is not re-graded, the score is *pending* and is neither posted nor exported to an LMS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dystonia_teach.casefiles.loader import list_cases
from dystonia_teach.casefiles.yamlio import YamlDocument, read_yaml_file
from dystonia_teach.core.errors import DystoniaTeachError, Issue
from dystonia_teach.course.grading_status import current_label

if TYPE_CHECKING:
    import pandas as pd

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_FIELDS = {"title": str, "cases": list, "canvas_assignment_id": int, "moodle_grade_item": str}
#: Columns of :func:`assignment_scores`.
SCORE_COLUMNS = ("learner_id", "assignment_id", "score", "cases_attempted", "cases", "pending")


@dataclass(frozen=True)
class Assignment:
    """A group of cases graded as one LMS column."""

    id: str
    title: str
    cases: tuple[str, ...]
    canvas_assignment_id: int | None = None
    moodle_grade_item: str | None = None


class AssignmentsError(DystoniaTeachError, ValueError):
    """The assignments file has problems; ``issues`` lists each with its file, line and field."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


def one_per_case(case_ids: Iterable[str]) -> list[Assignment]:
    """Each case an assignment of its own, titled with the case's (neutral) title, followed by
    its id where two cases share a title."""
    from collections import Counter

    from dystonia_teach.course.reports import case_title

    titles = {case_id: case_title(case_id) for case_id in case_ids}
    shared = {title for title, n in Counter(titles.values()).items() if n > 1}
    return [Assignment(case_id, f"{title} [{case_id}]" if title in shared else title, (case_id,))
            for case_id, title in titles.items()]


def load_assignments(path: Path | str) -> list[Assignment]:
    """The assignments of a YAML file, in file order; AssignmentsError lists every problem."""
    doc = read_yaml_file(Path(path))
    if doc.issues:
        raise AssignmentsError(doc.issues)
    known = set(list_cases())
    found, issues = [], []
    titles: dict[str, str] = {}
    for assignment_id, body in doc.data.items():
        assignment = _assignment(doc, str(assignment_id), body, known, issues)
        if assignment is None:
            continue
        if assignment.title in titles:
            issues.append(doc.issue([assignment.id, "title"], "invalid_value",
                                    f"assignment {titles[assignment.title]!r} has this title "
                                    "too: the LMS would see one column"))
        titles.setdefault(assignment.title, assignment.id)
        found.append(assignment)
    if not found and not issues:
        issues.append(Issue(doc.file, None, "", "missing_field", "no assignment is listed"))
    if issues:
        raise AssignmentsError(issues)
    return found


def _assignment(doc: YamlDocument, assignment_id: str, body: Any, known: set[str],
                issues: list[Issue]) -> Assignment | None:
    before = len(issues)
    if not _ID.fullmatch(assignment_id):
        issues.append(doc.issue([assignment_id], "invalid_value",
                                f"assignment id {assignment_id!r} is not 1-64 letters, digits, "
                                "'_' or '-'"))
    if not isinstance(body, dict):
        issues.append(doc.issue([assignment_id], "wrong_type", "an assignment is a mapping of "
                                "title, cases and optional LMS names"))
        return None
    for key, value in body.items():
        where = [assignment_id, key]
        if key not in _FIELDS:
            issues.append(doc.issue(where, "unknown_field", f"unknown field {key!r}",
                                    f"fields: {', '.join(_FIELDS)}"))
        elif not isinstance(value, _FIELDS[key]) or isinstance(value, bool) or value == "":
            issues.append(doc.issue(where, "wrong_type",
                                    f"{key} must be a {_FIELDS[key].__name__}, not {value!r}"))
    for key in ("title", "cases"):
        if key not in body:
            issues.append(doc.issue([assignment_id], "missing_field", f"{key} is missing"))
    cases = body.get("cases") if isinstance(body.get("cases"), list) else []
    for index, case_id in enumerate(cases):
        if case_id not in known:
            issues.append(doc.issue([assignment_id, "cases", index], "invalid_value",
                                    f"no case with id {case_id!r}",
                                    "cases come from cases/ and $DYSTONIA_TEACH_CASES"))
        elif cases.index(case_id) != index:
            issues.append(doc.issue([assignment_id, "cases", index], "invalid_value",
                                    f"case {case_id!r} is listed twice"))
    if "cases" in body and not cases and isinstance(body["cases"], list):
        issues.append(doc.issue([assignment_id, "cases"], "invalid_value", "no case is listed"))
    if len(issues) > before:
        return None
    return Assignment(assignment_id, body["title"], tuple(cases),
                      body.get("canvas_assignment_id"), body.get("moodle_grade_item"))


def assignment_scores(frame: pd.DataFrame, assignments: Iterable[Assignment],
                      current: str | None = None) -> pd.DataFrame:
    """One row per learner and assignment the learner has started (:data:`SCORE_COLUMNS`):
    ``score`` in percent (one decimal), ``pending`` when an attempt at one of its cases was not
    re-graded by this release (``current``: the ``graded`` label that counts)."""
    import pandas as pd

    label = current or current_label()
    graded = frame["graded"] if "graded" in frame.columns else pd.Series("", index=frame.index)
    per_case = (frame.assign(pending=graded != label)
                .groupby(["learner_id", "case_id"], sort=False)
                .agg(best=("score", "max"), pending=("pending", "any"))
                .reset_index())
    parts = []
    for assignment in assignments:
        rows = per_case[per_case["case_id"].isin(assignment.cases)]
        if rows.empty:
            continue
        by_learner = rows.groupby("learner_id", sort=True).agg(
            total=("best", "sum"), cases_attempted=("case_id", "size"), pending=("pending", "any"))
        parts.append(pd.DataFrame({
            "learner_id": by_learner.index,
            "assignment_id": assignment.id,
            "score": (100 * by_learner["total"] / len(assignment.cases)).round(1).to_numpy(),
            "cases_attempted": by_learner["cases_attempted"].to_numpy(),
            "cases": len(assignment.cases),
            "pending": by_learner["pending"].to_numpy()}))
    if not parts:
        return pd.DataFrame({column: [] for column in SCORE_COLUMNS})
    return pd.concat(parts, ignore_index=True)
