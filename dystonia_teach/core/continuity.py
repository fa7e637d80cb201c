"""At a later visit, how the case's story goes on compared with the learner's plan.

A follow-up visit is written in advance (``visits:`` in the case file): the patient took the
care and had the operation its author chose. When the learner's plan at the visit before chose
otherwise, the learner is told so instead of reading as if their plan had been followed::

    continuity_note(case, 1, plan_at_visit_1)  # "... the patient had microdiscectomy, ..."
"""

from __future__ import annotations

from collections.abc import Iterable

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.results import Action
from dystonia_teach.core.visits import case_at_visit

#: Step categories whose choice the story of a later visit must follow or contradict openly.
_DONE_TO_THE_PATIENT = ("procedure", "injection")


def _labels(steps: Iterable[str]) -> str:
    names = [knowledge().steps[s].label.lower() for s in steps]
    return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]


def continuity_note(case: Case, visit: int, previous_plan: Iterable[Action]) -> str:
    """What the story of ``visit`` (1 or later) assumes that the plan chosen at the visit
    before did not: an operation or injection not chosen, one chosen but not done, and care
    given that the plan left out. Empty when the story follows the plan (or at visit 0)."""
    if visit <= 0:
        return ""
    steps = knowledge().steps
    story = case.visits[visit - 1]
    chosen = [a.step for a in previous_plan]
    done = {story.operation} if story.operation not in (None, "none") else set()
    earlier = case_at_visit(case, visit - 1).course.conservative_care  # given before that visit
    given = [s for s in (story.conservative_care or ()) if s not in earlier]
    parts = []
    if done - set(chosen):
        parts.append(f"the patient had {_labels(sorted(done - set(chosen)))}, which your plan "
                     "did not include")
    planned = [s for s in chosen if steps[s].category in _DONE_TO_THE_PATIENT and s not in done]
    if planned:
        parts.append(f"the patient did not have the {_labels(planned)} of your plan")
    left_out = [s for s in given if s not in chosen]
    if left_out:
        parts.append(f"the patient had {_labels(left_out)}, which your plan did not include")
    if not parts:
        return ""
    return "The case goes on as it was written, not as your plan would have it: " + \
        "; ".join(parts) + "."
