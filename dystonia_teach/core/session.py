"""A learner's attempt at one case: the plain object the workbench widget is a thin shell over.

The session holds the case, the chosen actions in order and the working diagnosis; it reveals
staged text as the learner acts (examination after an assessment step, each result when its
test is ordered) and returns the engine's assessment on ``submit``.
"""

from __future__ import annotations

from dataclasses import dataclass

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.engine import ActionLike, evaluate, parse_action
from dystonia_teach.core.errors import ActionError, did_you_mean
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.results import Action, Assessment
from dystonia_teach.core.wording import with_subject


@dataclass(frozen=True)
class Result:
    """What ordering a test revealed."""

    step: str
    label: str
    report: str


class Session:
    """One attempt at one case."""

    def __init__(self, case: Case, earlier: tuple[str, ...] = ()) -> None:
        self.case = case
        #: Tests ordered at earlier visits: their results are known now (spec v3 §0.2).
        self.earlier = earlier
        self.actions: list[Action] = []
        self.working_diagnosis: str | None = None
        self.assessment: Assessment | None = None

    @property
    def chosen_steps(self) -> list[str]:
        return [a.step for a in self.actions]

    def add(self, action: ActionLike) -> Action:
        """Add a step (or ``{"step", "dose_mg_per_day"}``); a step already chosen is an error."""
        parsed = parse_action(action)
        if parsed.step in self.chosen_steps:
            step = knowledge().steps[parsed.step]
            raise ActionError(with_subject("{step} is already in your plan", step.label,
                                           step.plural))
        self.actions.append(parsed)
        self.assessment = None
        return parsed

    def undo(self) -> Action | None:
        """Remove the last step added; returns it (None when the plan is empty)."""
        self.assessment = None
        return self.actions.pop() if self.actions else None

    def reset(self) -> None:
        """Start the case again."""
        self.actions.clear()
        self.working_diagnosis = None
        self.assessment = None

    def set_diagnosis(self, diagnosis: str | None) -> None:
        diagnoses = knowledge().diagnoses
        if diagnosis is not None and (not isinstance(diagnosis, str)
                                      or diagnosis not in diagnoses):
            hint = did_you_mean(str(diagnosis), diagnoses)
            raise ActionError(f"unknown diagnosis {diagnosis!r}" + (f"; {hint}" if hint else ""))
        self.working_diagnosis = diagnosis
        self.assessment = None

    @property
    def examination_revealed(self) -> bool:
        steps = knowledge().steps
        return any(steps[a.step].phase == "assessment" for a in self.actions)

    def results(self) -> list[Result]:
        """The results of the tests ordered so far, in order."""
        steps = knowledge().steps
        out = []
        for action in self.actions:
            step = steps[action.step]
            if step.reveals:
                found = self.case.result(step.reveals)
                report = found.report if found else "No result is given for this test in this case."
                out.append(Result(step.id, step.label, report))
        return out

    def submit(self) -> Assessment:
        """Judge the current plan; the assessment is kept until the plan changes."""
        self.assessment = evaluate(self.case, self.actions, self.working_diagnosis,
                                   earlier=self.earlier)
        return self.assessment

    def restore(self, actions: list[ActionLike], working_diagnosis: str | None) -> None:
        """Replace the plan with a saved one (resume after a kernel restart)."""
        parsed = [parse_action(a) for a in actions]
        self.reset()
        self.actions.extend(parsed)
        self.set_diagnosis(working_diagnosis)
