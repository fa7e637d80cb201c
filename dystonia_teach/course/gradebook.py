"""The gradebook: one row per learner, best and last score and attempts per case, as a CSV an
LMS gradebook import accepts (an identifier column, then one numeric column per grade item).

Scores are the latest re-grades (``dystonia-teach grade``) where the store has them; the column
"attempts not re-graded" counts each learner's attempts whose score is as submitted.

Scores are percentages (0-100). A learner who never attempted a case gets an empty cell for its
scores (not a zero: "not attempted" and "scored 0" differ) and 0 attempts. Every text cell and
header goes through ``render.safe_text.csv_cell``: control characters (a carriage return or line
feed that would split a row for a naive importer) are written as visible escapes, and a cell a
spreadsheet would run as a formula (starting ``= + - @``) is prefixed with ``'`` (OWASP's advice
against CSV injection); learner ids may legitimately start with ``-``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from dystonia_teach.course.grading_status import not_regraded
from dystonia_teach.course.reports import check_frame
from dystonia_teach.render.files import write_file
from dystonia_teach.render.safe_text import csv_cell

ID_COLUMN = "learner"
#: Attempts (at the table's cases) whose score is as submitted: ``dystonia-teach grade`` not run.
NOT_REGRADED_COLUMN = "attempts not re-graded"


def gradebook(frame: pd.DataFrame, roster: Iterable[str] = (),
              cases: Iterable[str] | None = None) -> pd.DataFrame:
    """The gradebook table: learners (those in the frame, plus any ``roster`` ids with no
    attempt) by cases (those in the frame, or ``cases`` in that order)."""
    check_frame(frame)
    case_ids = list(cases) if cases is not None else sorted(frame["case_id"].unique())
    learners = sorted(set(frame["learner_id"]) | set(roster))
    ordered = frame.sort_values("attempt_id")
    grouped = ordered.groupby(["learner_id", "case_id"])["score"]
    stats = pd.DataFrame({"best": grouped.max(), "last": grouped.last(),
                          "attempts": grouped.size()})
    wide = stats.unstack("case_id").reindex(
        index=learners, columns=pd.MultiIndex.from_product([stats.columns, case_ids]))
    table = pd.DataFrame({ID_COLUMN: learners})
    for case_id in case_ids:
        table[f"{case_id} best (%)"] = (100 * wide["best", case_id]).round(1).to_numpy()
        table[f"{case_id} last (%)"] = (100 * wide["last", case_id]).round(1).to_numpy()
        table[f"{case_id} attempts"] = wide["attempts", case_id].fillna(0).astype(int).to_numpy()
    best = table[[f"{c} best (%)" for c in case_ids]]
    table["cases attempted"] = best.notna().sum(axis=1).astype(int)
    unchecked = frame[frame["case_id"].isin(case_ids) & not_regraded(frame)]
    table[NOT_REGRADED_COLUMN] = (unchecked.groupby("learner_id").size()
                                  .reindex(learners, fill_value=0).astype(int).to_numpy())
    table["mean best over all cases (%)"] = (best.fillna(0).mean(axis=1).round(1)
                                             if case_ids else float("nan"))
    return table


def neutralise(value: object) -> object:
    """``value`` safe as a CSV cell if it is text (``render.safe_text.csv_cell``)."""
    return csv_cell(value) if isinstance(value, str) else value


def safe_for_spreadsheets(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell and header neutralised against CSV injection."""
    out = table.rename(columns=neutralise)
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    return out


def write_csv(table: pd.DataFrame, path: Path | str) -> Path:
    """Write ``table`` as UTF-8 CSV (empty cells for missing scores), safe for spreadsheets,
    atomically (``render.files.write_file``: a failure leaves no half-written export)."""
    safe = safe_for_spreadsheets(table)
    return write_file(path, lambda out: safe.to_csv(out, index=False, na_rep=""))
