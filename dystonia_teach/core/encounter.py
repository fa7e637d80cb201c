"""Where the learner is in the encounter, and what is still needed: the stages of a visit in
the order a clinician works (problem, history, examination, differential with confidence,
tests, plan, submission, next visit, debrief), each with its state, read from a reasoning
session. Pure; the workbench's tracker shows it::

    stages = encounter_stages(session)
    next(s for s in stages if s.state == TO_DO)      # where the learner is now
"""

from __future__ import annotations

from dataclasses import dataclass

from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.reasoning import ReasoningSession

DONE, TO_DO, OPTIONAL, LATER, NOT_NEEDED = "done", "to do", "optional", "later", "not needed"


@dataclass(frozen=True)
class Stage:
    """One stage of the encounter: ``state`` is one of DONE, TO_DO, OPTIONAL, LATER (not
    possible yet) or NOT_NEEDED; ``note`` says what is needed, or what was done."""

    key: str
    label: str
    state: str
    note: str


def _plan_steps(session: ReasoningSession) -> list[str]:
    """This visit's steps that are neither an assessment nor an ordered test."""
    steps = knowledge().steps
    return [a.step for a in session.actions
            if steps[a.step].phase != "assessment" and not steps[a.step].reveals]


def encounter_stages(session: ReasoningSession) -> tuple[Stage, ...]:
    """The stages of the current visit, in order, with their state."""
    s = session
    missing = s.missing_for_submission()
    tests = [t for t in s.tests if t.visit == s.visit]
    plan = _plan_steps(s)
    last = not s.has_next_visit
    stages = [
        Stage("problem", "Problem statement", DONE if s.problem_statement else TO_DO,
              "written" if s.problem_statement else
              "summarise the patient in one line: who, how long, what, when"),
        Stage("history", "History", DONE if s.history_taken else TO_DO,
              "taken" if s.history_taken else "take the history (the red-flag screen)"),
        Stage("examination", "Examination", DONE if s.examined else TO_DO,
              "findings shown" if s.examined else "examine the patient to see the findings"),
        Stage("differential", "Differential and confidence",
              TO_DO if missing else DONE,
              "record " + " and ".join(missing) if missing else "recorded"),
        Stage("tests", "Tests", DONE if tests else OPTIONAL,
              f"{len(tests)} ordered" if tests else
              "order a test only if its result would change management"),
        Stage("plan", "Plan", DONE if plan else TO_DO,
              f"{len(plan)} {'step' if len(plan) == 1 else 'steps'}" if plan else
              "add treatment, referral and follow-up steps"),
        Stage("submit", "Submit", DONE if s.submitted else TO_DO if not missing else LATER,
              (f"submitted (attempt {s.attempts})" if s.submitted else
               "press Submit plan for feedback"
               + (f" (attempt {s.attempts + 1})" if s.attempts else "")
               if not missing else "after your differential and confidence")),
    ]
    if s.visit_count > 1:
        stages.append(Stage(
            "next_visit", "Next visit",
            DONE if last else TO_DO if s.submitted else LATER,
            f"this is the last visit ({s.visit + 1} of {s.visit_count})" if last else
            "press Next visit: the patient comes back" if s.submitted else
            f"after you submit this visit ({s.visit + 1} of {s.visit_count})"))
    debriefed = s.reflection is not None
    stages.append(Stage("debrief", "Debrief",
                        DONE if debriefed else TO_DO if s.submitted and last else
                        OPTIONAL if s.submitted else LATER,
                        "done" if debriefed else "reflect on your reasoning"
                        if s.submitted else "after you submit"))
    return tuple(stages)


def current_stage(stages: tuple[Stage, ...]) -> Stage | None:
    """The first stage still to do (None when everything is done)."""
    return next((stage for stage in stages if stage.state == TO_DO), None)
