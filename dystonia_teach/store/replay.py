"""Saved attempts made visible again: a stored attempt rebuilt into the verdict, flowchart input
and (when its reasoning was saved) the reasoning session it came from; and a draft resumed.

The engine is deterministic, so an attempt is judged again rather than stored judged::

    shown = replay(case, attempt)     # Submission: label, case at that visit, assessment, ...
    shown.session                     # the reasoning, rebuilt read-only (None before schema 3)
    session = resume(case, draft)     # a ReasoningSession to continue working in
"""

from __future__ import annotations

from dataclasses import dataclass

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.engine import evaluate
from dystonia_teach.core.errors import DystoniaTeachError
from dystonia_teach.core.reasoning import ReasoningSession, VisitReport
from dystonia_teach.core.results import Assessment
from dystonia_teach.core.visits import case_at_visit, visit_count
from dystonia_teach.store.base import Attempt, Draft, ProgressStoreError

#: Said instead of the reasoning when a saved record cannot be replayed by this version.
NOT_REBUILT = ("Your reasoning for this attempt could not be shown again with this version of "
               "the course; its plan and feedback are below.")


@dataclass(frozen=True)
class Submission:
    """One judged plan that can be shown again: its label, the case as it stood, the verdict,
    the reasoning report and session (when known), and its id in the store once saved."""

    label: str
    case: Case
    assessment: Assessment
    report: VisitReport | None = None
    attempt_id: int | None = None
    session: ReasoningSession | None = None
    note: str = ""  # e.g. NOT_REBUILT


def attempt_label(attempt: Attempt) -> str:
    """"Attempt 2 (2026-11-30 17:02 UTC, score 0.85)"."""
    when = attempt.submitted_at[:16].replace("T", " ")
    return f"Attempt {attempt.number} ({when} UTC, score {attempt.score:.2f})"


def _by_verdict(case: Case, attempt: Attempt) -> tuple[Case, Assessment]:
    """The attempt judged at the visit whose verdict matches the saved one (attempts saved
    without their reasoning do not say which visit they were)."""
    judged = []
    for index in range(visit_count(case)):
        at_visit = case_at_visit(case, index)
        assessment = evaluate(at_visit, list(attempt.actions),
                              working_diagnosis=attempt.working_diagnosis)
        judged.append((at_visit, assessment))
        if (round(assessment.score, 6) == round(attempt.score, 6)
                and tuple(assessment.pitfalls) == tuple(attempt.pitfalls)):
            return at_visit, assessment
    return judged[0]


def replay(case: Case, attempt: Attempt) -> Submission:
    """A saved attempt judged again; with its saved reasoning, the whole session is rebuilt and
    the attempt is shown with its reasoning report at the visit it was submitted."""
    label = attempt_label(attempt)
    if attempt.record is not None:
        try:
            session = ReasoningSession.from_record(case, attempt.record)
        except (DystoniaTeachError, KeyError) as exc:  # e.g. a step this version lacks
            at_visit, assessment = _by_verdict(case, attempt)
            return Submission(label, at_visit, assessment, attempt_id=attempt.id,
                              note=f"{NOT_REBUILT} ({exc})")
        if session.submitted:
            report = session.reports[-1]
            return Submission(label, case_at_visit(case, session.visit), report.assessment,
                              report, attempt.id, session)
    at_visit, assessment = _by_verdict(case, attempt)
    return Submission(label, at_visit, assessment, attempt_id=attempt.id)


def resume(case: Case, draft: Draft) -> ReasoningSession:
    """The session a draft was saved from, to continue working; a draft this version cannot
    replay is a ProgressStoreError (the draft itself is kept)."""
    try:
        return ReasoningSession.from_record(case, draft.record)
    except (DystoniaTeachError, KeyError) as exc:
        raise ProgressStoreError(
            f"your unfinished work on this case could not be resumed with this version of the "
            f"course ({exc}); it is kept, and you can start the case afresh") from exc
