"""A clinical-reasoning session over one case: problem statement, ranked differential, justified
tests, confidence, visits and a debrief. Plain objects, no Jupyter; the workbench is a shell.

Disclosure is progressive: the history is shown first, the examination once an assessment
step is in the plan, and each test's result only after the learner has said which result
would change management. A case with ``visits:`` is judged again at every visit on the
facts as they stand then. The judging lives in :mod:`dystonia_teach.core.reasoning_judge`.
Usage::

    from dystonia_teach.core.reasoning import ReasoningSession
    s = ReasoningSession(load_case("early_uncomplicated"))
    s.history                                       # the presentation
    s.state_problem("46-year-old man, 3 weeks of right leg pain, toes curl when walking")
    s.add("history_red_flags"); s.add("neuro_exam"); s.examination   # now revealed
    s.set_differential(["radiculopathy_dystonia", "isolated_dystonia", "functional_dystonia"],
                       must_not_miss="cauda_equina_syndrome")
    test = s.order_test("emg_ncs", target="radiculopathy_dystonia",
                        change="a normal study would argue against a root lesion")
    test.value, test.verdict, test.report           # judged, then the result
    s.add({"step": "naproxen", "dose_mg_per_day": 1000})
    s.set_confidence(70)                            # % sure of the leading diagnosis
    report = s.submit()                             # VisitReport: engine + reasoning feedback
    if s.has_next_visit: s.next_visit()             # facts change; plan judged again
    debrief = s.debrief("I anchored on ...")        # bias prompts + the saved reflection
    s.record()                                      # plain data for the progress store
    ReasoningSession.from_record(case, s.record())  # the same attempt, rebuilt
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.diagnoses import diagnosis_scripts
from dystonia_teach.core.engine import ActionLike, evaluate, parse_action
from dystonia_teach.core.errors import ActionError, did_you_mean
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.reasoning_judge import (
    TOP,
    BiasPrompt,
    ConfidenceFeedback,
    Debrief,
    Differential,
    DifferentialFeedback,
    OrderedTest,
    ProblemFeedback,
    VisitReport,
    bias_prompts,
    confidence_feedback,
    differential_feedback,
    problem_feedback,
)
from dystonia_teach.core.reasoning_record import RECORD_FORMAT, RecordError, check_record
from dystonia_teach.core.results import Action
from dystonia_teach.core.session import Session
from dystonia_teach.core.visits import case_at_visit, visit_count
from dystonia_teach.core.vocabulary import DIAGNOSES
from dystonia_teach.core.wording import with_subject


@dataclass
class _Visit:
    """The learner's work at one visit."""

    case: Case
    plan: Session
    tests: list[OrderedTest] = field(default_factory=list)
    differentials: list[tuple[str, Differential]] = field(default_factory=list)
    report: VisitReport | None = None


class ReasoningSession:
    """One learner's reasoning through one case, visit by visit."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.problem_statement: str | None = None
        self.differential: Differential | None = None
        self.confidence: int | None = None
        self.reflection: str | None = None
        self._visits: list[_Visit] = [self._open(0)]

    def _open(self, index: int) -> _Visit:
        visit_case = case_at_visit(self.case, index)
        earlier = tuple(t.step for v in getattr(self, "_visits", ()) for t in v.tests)
        return _Visit(visit_case, Session(visit_case, earlier))

    # --- where the learner is -------------------------------------------------------------
    @property
    def _current(self) -> _Visit:
        return self._visits[-1]

    @property
    def visit(self) -> int:
        """The current visit, 0 for the first."""
        return len(self._visits) - 1

    @property
    def visit_count(self) -> int:
        return visit_count(self.case)

    @property
    def has_next_visit(self) -> bool:
        return self.visit + 1 < self.visit_count

    @property
    def week(self) -> float:
        return self._current.case.course.symptom_weeks

    @property
    def stage(self) -> str:
        """"history", "examination" (examination revealed) or "tests" (a test ordered)."""
        if self._current.tests:
            return "tests"
        return "examination" if self._current.plan.examination_revealed else "history"

    @property
    def history(self) -> str:
        """What the patient tells you at this visit."""
        return self._current.case.stages.presentation

    @property
    def examination(self) -> str | None:
        """The examination, once an assessment step is in the plan (None before)."""
        return (self._current.case.stages.examination
                if self._current.plan.examination_revealed else None)

    @property
    def tests(self) -> tuple[OrderedTest, ...]:
        """Tests ordered so far, at every visit, in order (results stay known)."""
        return tuple(t for v in self._visits for t in v.tests)

    @property
    def actions(self) -> tuple[Action, ...]:
        """The plan at this visit, tests included."""
        return tuple(self._current.plan.actions)

    @property
    def differential_history(self) -> tuple[tuple[int, str, Differential], ...]:
        """Every differential set, as (visit, stage when set, differential)."""
        return tuple((i, stage, d) for i, v in enumerate(self._visits)
                     for stage, d in v.differentials)

    @property
    def submitted(self) -> bool:
        return self._current.report is not None

    def offered_steps(self) -> list[tuple[str, str]]:
        """(step id, label) of every step a learner may choose, in catalogue order."""
        return [(s.id, s.label) for s in knowledge().steps.values()]

    # --- the learner's work ---------------------------------------------------------------
    def state_problem(self, text: str) -> None:
        """The one-line problem statement (may be rewritten at any time)."""
        if not text.strip():
            raise ActionError("write the problem statement in one line")
        self.problem_statement = " ".join(text.split())
        self._changed()

    def set_differential(self, ranked: list[str] | tuple[str, ...],
                         must_not_miss: str | None = None) -> Differential:
        """Rank up to three diagnoses (leading first) and name one must-not-miss."""
        scripts = diagnosis_scripts()
        ranked = tuple(ranked)
        for d in (*ranked, *([must_not_miss] if must_not_miss else [])):
            if d not in scripts:
                hint = did_you_mean(d, scripts)
                raise ActionError(f"unknown diagnosis {d!r}" + (f"; {hint}" if hint else ""))
        if not ranked:
            raise ActionError("name at least one diagnosis, the most likely first")
        if len(ranked) > TOP:
            raise ActionError(f"rank at most {TOP} diagnoses; name the most likely first")
        if len(set(ranked)) != len(ranked):
            raise ActionError("each diagnosis may appear once in the ranking")
        self.differential = Differential(ranked, must_not_miss)
        self._current.differentials.append((self.stage, self.differential))
        self._changed()
        return self.differential

    def set_confidence(self, percent: int) -> None:
        """How sure (0-100 %) the learner is of the leading diagnosis."""
        if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
            raise ActionError(f"confidence is a whole percentage from 0 to 100, not {percent!r}")
        self.confidence = percent
        self._changed()

    def add(self, action: ActionLike) -> Action:
        """Add a step that is not a test (tests go through :meth:`order_test`)."""
        parsed = parse_action(action)
        step = knowledge().steps[parsed.step]
        if step.reveals:
            raise ActionError(with_subject(
                "{step} is ordered as a test: say which result would change management "
                "(order_test) to order it", step.label, step.plural))
        added = self._current.plan.add(parsed)
        self._changed()
        return added

    def undo(self) -> Action | None:
        """Remove the last step that is not a test (an ordered test's result stays known)."""
        plan = self._current.plan
        ordered = {t.step for t in self._current.tests}
        for i in range(len(plan.actions) - 1, -1, -1):
            if plan.actions[i].step not in ordered:
                self._changed()
                plan.assessment = None
                return plan.actions.pop(i)
        return None

    def order_test(self, step: str, *, change: str, target: str | None = None) -> OrderedTest:
        """Order a test: first say which result would change management (``change``) and,
        optionally, which diagnosis it confirms or excludes (``target``); the test's value is
        judged, then its result revealed."""
        kb = knowledge()
        action = parse_action(step)
        test = kb.steps[action.step]
        if not test.reveals:
            raise ActionError(with_subject("{step} is not a test; add it to the plan instead",
                                           test.label, test.plural))
        if not self._current.plan.examination_revealed:
            raise ActionError("take the history and examine the patient before ordering tests")
        if not change.strip():
            raise ActionError("before the result: which result would change management?")
        if target is not None and target not in diagnosis_scripts():
            raise ActionError(f"unknown diagnosis {target!r}")
        value, verdict = self._judge_test(action)
        self._current.plan.add(action)
        found = self._current.case.result(test.reveals)
        ordered = OrderedTest(
            step=test.id, label=test.label, target=target, change=" ".join(change.split()),
            value=value, verdict=verdict, target_note=self._target_note(test.id, target),
            report=found.report if found else "No result is given for this test in this case.",
            visit=self.visit)
        self._current.tests.append(ordered)
        self._changed()
        return ordered

    def _judge_test(self, action: Action) -> tuple[str, str]:
        case, before = self._current.case, self._current.plan.actions
        known = self._current.plan.earlier
        every = evaluate(case, [*before, action], earlier=known).findings
        findings = [f for f in every if f.step == action.step]
        if not findings:  # judged through another step: a routine MRI for the urgent one is
            # named by the missed red flag
            earlier = set(evaluate(case, list(before), earlier=known).findings)
            findings = [f for f in every if f.pitfall and f not in earlier]
        by_code = {f.code: f for f in reversed(findings)}  # the first finding of each code
        if "appropriate_step" in by_code:
            return "indicated", by_code["appropriate_step"].summary + "."
        if "acceptable_step" in by_code:
            return "reasonable", by_code["acceptable_step"].summary + "."
        # the worst pitfall (a caution on the step is a point beside its value), else the worst
        worst = next((f for f in findings if f.pitfall), findings[0] if findings else None)
        summary = worst.summary if worst else "It is not part of the plan here"
        return "low value", f"Low-value test: {summary}."

    @staticmethod
    def _target_note(step: str, target: str | None) -> str:
        if target is None:
            return ""
        script = diagnosis_scripts()[target]
        test = knowledge().steps[step]
        does = with_subject("{step} does", test.label, test.plural)  # "X does", "Xs do"
        if step in script.tests:
            return f"{does} help to confirm or exclude {script.label.lower()}."
        helpful = [knowledge().steps[s].label for s in script.tests
                   if knowledge().steps[s].reveals]
        also = f" Tests that do: {', '.join(helpful)}." if helpful else (
            " The history and examination do that best.")
        return f"{does} not separate {script.label.lower()} from the alternatives.{also}"

    def _changed(self) -> None:
        self._current.report = None

    # --- judgement --------------------------------------------------------------------------
    def submit(self) -> VisitReport:
        """Judge this visit's plan and reasoning (kept until something changes)."""
        v = self._current
        leading = self.differential.leading if self.differential else None
        working = (leading if leading in DIAGNOSES else "other") if leading else None
        v.plan.set_diagnosis(working)
        v.report = VisitReport(
            visit=self.visit,
            week=v.case.course.symptom_weeks,
            assessment=v.plan.submit(),
            problem=(problem_feedback(v.case, self.problem_statement)
                     if self.problem_statement else None),
            differential=(differential_feedback(v.case, self.differential,
                                                len(v.differentials))
                          if self.differential else None),
            tests=tuple(v.tests),
            confidence=(confidence_feedback(v.case, self.differential, self.confidence)
                        if self.differential and self.confidence is not None else None),
        )
        return v.report

    def next_visit(self) -> str:
        """Move to the next visit (after submitting this one); returns its history."""
        if not self.submitted:
            raise ActionError("submit your plan for this visit first")
        if not self.has_next_visit:
            raise ActionError("this case has no further visit")
        self._visits.append(self._open(self.visit + 1))
        self.confidence = None
        return self.history

    @property
    def reports(self) -> tuple[VisitReport, ...]:
        return tuple(v.report for v in self._visits if v.report is not None)

    def debrief(self, reflection: str = "") -> Debrief:
        """Bias prompts drawn from this attempt, with the learner's reflection kept."""
        if not self.submitted:
            raise ActionError("submit your plan before the debrief")
        self.reflection = reflection.strip()
        prompts = bias_prompts(self.case, self.tests, self.differential_history,
                               self.differential, self.confidence, bool(self.visit))
        return Debrief(prompts, self.reflection, self.reports)

    def record(self) -> dict[str, object]:
        """The whole attempt as plain data (JSON-ready) for the progress store."""
        return {
            "format": RECORD_FORMAT,
            "case_id": self.case.id,
            "problem_statement": self.problem_statement,
            "differential": self.differential.as_data() if self.differential else None,
            "confidence": self.confidence,
            "visits": [
                {"visit": i, "week": v.case.course.symptom_weeks,
                 "actions": [a.as_data() for a in v.plan.actions],
                 "tests": [{"step": t.step, "target": t.target, "change": t.change,
                            "value": t.value} for t in v.tests],
                 "differentials": [{"stage": stage, **d.as_data()} for stage, d in v.differentials],
                 "confidence": (v.report.confidence.confidence
                                if v.report and v.report.confidence else
                                self.confidence if v is self._current else None),
                 "score": v.report.assessment.score if v.report else None}
                for i, v in enumerate(self._visits)],
            "reflection": self.reflection,
        }

    @classmethod
    def from_record(cls, case: Case, record: Mapping[str, Any]) -> ReasoningSession:
        """Rebuild a session from :meth:`record` (resume after a kernel restart): each visit's
        steps, tests and differentials are replayed in order and judged again. A record of the
        wrong shape is a :class:`RecordError` naming the field."""
        check_record(record, case_id=case.id)
        session = cls(case)
        if record.get("problem_statement"):
            session.state_problem(record["problem_statement"])
        for i, visit in enumerate(record.get("visits", [])):
            if i:
                session.next_visit()
            pending = list(visit.get("differentials", []))

            def flush(pending: list[Any] = pending) -> None:
                while pending and pending[0]["stage"] == session.stage:
                    d = pending.pop(0)
                    session.set_differential(d["ranked"], d.get("must_not_miss"))

            flush()
            tests = {t["step"]: t for t in visit.get("tests", [])}
            for action in visit.get("actions", []):
                step = action if isinstance(action, str) else action["step"]
                if step in tests:
                    session.order_test(step, change=tests[step]["change"],
                                       target=tests[step].get("target"))
                else:
                    session.add(action)
                flush()
            for d in pending:
                session.set_differential(d["ranked"], d.get("must_not_miss"))
            if visit.get("confidence") is not None:
                session.set_confidence(visit["confidence"])
            if visit.get("score") is not None:
                session.submit()
        if record.get("reflection") is not None and session.submitted:
            session.debrief(record["reflection"])
        return session


__all__ = ["RECORD_FORMAT", "TOP", "BiasPrompt", "ConfidenceFeedback", "Debrief", "Differential",
           "DifferentialFeedback", "OrderedTest", "ProblemFeedback", "ReasoningSession",
           "RecordError", "VisitReport"]
