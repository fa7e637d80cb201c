"""Gradebooks an LMS imports as they are: Canvas's and Moodle's CSV import layouts, one column
per assignment (:mod:`~dystonia_teach.course.assignments`), learners named by their LMS ids.

- **Canvas** (Grades > Import): the header ``Student, ID, SIS User ID, SIS Login ID, Section``,
  then one column per assignment, named ``Title (Canvas assignment id)`` to fill that assignment
  or ``Title`` to match it by title (a title Canvas does not know creates an assignment); a
  ``Points Possible`` row first. Canvas finds each student by ID, else SIS User ID, else SIS
  Login ID, else name. An empty cell changes nothing.
- **Moodle** (Grades > Import > CSV file): one learner identifier column, named as Moodle's
  "Map to" choice (``Username``, ``ID number`` or ``Email address``) so that Moodle selects the
  mapping itself, a ``Full name`` column Moodle ignores, and one column per assignment named
  ``<grade item> (Real)``, which Moodle 4.1 and later map to the grade item of that name (the
  name Moodle's grader report shows, e.g. ``External tool: Week 1``; earlier versions ask). An
  empty cell is no grade.

Learners are named through an id map (a roster CSV: ``learner`` = the hub user / store learner
id, and ``name, email, lms_user_id, sis_user_id, login_id, section``), written from the LTI
launches by ``dystonia-teach lti roster`` or by hand. Only scores re-graded by this release are
exported; a pending score's cell is left empty.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dystonia_teach.core.errors import DystoniaTeachError, Issue
from dystonia_teach.course.assignments import Assignment
from dystonia_teach.course.lti_claims import IDENTITY_FIELDS

if TYPE_CHECKING:
    import pandas as pd

CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_ROW = "Points Possible"
#: Moodle's "Map to" choices (in the order Moodle prefers them) and the id map field of each.
MOODLE_IDENTIFIERS = (("Username", "login_id"), ("ID number", "sis_user_id"),
                      ("Email address", "email"))
MOODLE_NAME = "Full name"
LEARNER_FIELD = "learner"

IdMap = dict[str, dict[str, str]]  # learner id -> identity fields


class IdMapError(DystoniaTeachError, ValueError):
    """The roster (id map) file has problems; each issue names its file, line and field."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


def read_roster(path: Path | str) -> IdMap:
    """A class list: one learner id a line, or a CSV whose header has a ``learner`` column and
    any of the identity fields (:data:`~dystonia_teach.course.lti_claims.IDENTITY_FIELDS`)."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise IdMapError([Issue(file, None, "", "unreadable_file", str(exc))]) from exc
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if LEARNER_FIELD not in [cell.strip() for cell in first.split(",")]:
        return {line.strip(): dict.fromkeys(IDENTITY_FIELDS, "") for line in lines
                if line.strip()}
    rows = csv.DictReader(lines)
    issues = [Issue(file, 1, name, "unknown_field", f"unknown column {name!r}",
                    f"columns: {LEARNER_FIELD}, {', '.join(IDENTITY_FIELDS)}")
              for name in rows.fieldnames or [] if name not in (LEARNER_FIELD, *IDENTITY_FIELDS)]
    found: IdMap = {}
    for row in rows:
        line = rows.line_num
        learner = _unguarded((row.get(LEARNER_FIELD) or "").strip())
        problem = _learner_problem(learner, found)
        if problem:
            issues.append(Issue(file, line, LEARNER_FIELD, "invalid_value", problem))
            continue
        found[learner] = {key: (row.get(key) or "").strip() for key in IDENTITY_FIELDS}
    if issues:
        raise IdMapError(issues)
    return found


def _unguarded(learner: str) -> str:
    """A learner id as stored: without the ``'`` the spreadsheet guard put before an id that
    starts with ``-`` (a learner id never has a ``'``)."""
    return learner[1:] if learner[:2] in ("'-", "'=", "'+", "'@") else learner


def _learner_problem(learner: str, seen: Mapping[str, object]) -> str:
    if not learner:
        return "no learner id (the hub user name the attempts are stored under)"
    if learner in seen:
        return f"learner {learner!r} is listed twice"
    return ""


def write_roster(id_map: IdMap, path: Path | str) -> Path:
    """Write the id map as a roster CSV (through the shared, spreadsheet-safe writer)."""
    import pandas as pd

    from dystonia_teach.course.gradebook import write_csv

    table = pd.DataFrame([{LEARNER_FIELD: learner, **fields}
                          for learner, fields in sorted(id_map.items())],
                         columns=[LEARNER_FIELD, *IDENTITY_FIELDS])
    return write_csv(table, path)


@dataclass
class LmsGradebook:
    """A gradebook table for one LMS, and what it had to leave out."""

    table: pd.DataFrame
    learners: int
    not_in_roster: list[str] = field(default_factory=list)  # learners with scores, no LMS id
    pending: int = 0  # cells left empty: scores not re-graded by this release
    notes: list[str] = field(default_factory=list)


def canvas_gradebook(scores: pd.DataFrame, assignments: Sequence[Assignment],
                     id_map: IdMap) -> LmsGradebook:
    """Canvas's gradebook import layout (see the module docstring)."""
    import pandas as pd

    columns = [f"{a.title} ({a.canvas_assignment_id})" if a.canvas_assignment_id else a.title
               for a in assignments]
    book = _grid(scores, assignments, columns, id_map)
    learners = list(book.table.index)
    fields = dict(zip(CANVAS_IDENTITY, ("name", "lms_user_id", "sis_user_id", "login_id",
                                        "section"), strict=True))
    identity = pd.DataFrame({column: [id_map[x][key] for x in learners]
                             for column, key in fields.items()})
    points = pd.DataFrame([{"Student": CANVAS_POINTS_ROW, **dict.fromkeys(CANVAS_IDENTITY[1:], ""),
                            **dict.fromkeys(columns, 100.0)}])
    rows = pd.concat([identity, book.table.reset_index(drop=True)], axis=1)
    book.table = pd.concat([points, rows], ignore_index=True)
    unmatched = [x for x in learners if not any(id_map[x][key] for key in fields.values())]
    if unmatched:
        book.notes.append(f"{len(unmatched)} learners have no name or LMS id in the roster: "
                          "Canvas cannot match their rows")
    return book


def moodle_gradebook(scores: pd.DataFrame, assignments: Sequence[Assignment],
                     id_map: IdMap) -> LmsGradebook:
    """Moodle's grade import layout (see the module docstring)."""
    columns = [f"{a.moodle_grade_item or a.title} (Real)" for a in assignments]
    book = _grid(scores, assignments, columns, id_map)
    learners = list(book.table.index)
    header, key = next(((h, k) for h, k in MOODLE_IDENTIFIERS
                        if learners and all(id_map[x][k] for x in learners)),
                       max(MOODLE_IDENTIFIERS,
                           key=lambda hk: sum(bool(id_map[x][hk[1]]) for x in learners)))
    unnamed = [x for x in learners if not id_map[x][key]]
    if unnamed:
        book.notes.append(f"{len(unnamed)} learners have no {header.lower()} in the roster: "
                          f"Moodle skips their rows ({', '.join(unnamed[:5])}"
                          f"{', …' if len(unnamed) > 5 else ''})")
    book.table.insert(0, header, [id_map[x][key] for x in learners])
    book.table.insert(1, MOODLE_NAME, [id_map[x]["name"] for x in learners])
    book.table = book.table.reset_index(drop=True)
    return book


def _grid(scores: pd.DataFrame, assignments: Sequence[Assignment], columns: list[str],
          id_map: IdMap) -> LmsGradebook:
    """Learners of the id map (rows, sorted) by assignments (columns): posted-ready scores,
    empty where the learner has not started or the score is pending."""
    import pandas as pd

    if len(set(columns)) < len(columns):
        raise ValueError("two assignments would share an LMS column name: give them "
                         "different titles")
    learners = sorted(id_map)
    ids = [a.id for a in assignments]
    ready = scores[~scores["pending"].astype(bool)]
    wide = (ready.pivot(index="learner_id", columns="assignment_id", values="score")
            .reindex(index=learners, columns=ids) if len(ready)
            else pd.DataFrame(float("nan"), index=learners, columns=ids))
    wide.columns = columns
    wide.index.name = None
    known = set(id_map)
    scored = set(scores["learner_id"])
    pending = scores[scores["pending"].astype(bool) & scores["learner_id"].isin(known)]
    return LmsGradebook(pd.DataFrame(wide), len(learners),
                        sorted(scored - known), len(pending))
