"""A clinical-reasoning session over one case: problem statement, ranked differential, justified
tests (routine or urgent), confidence, visits and a debrief, with an optional certainty (low,
medium, high) beside each diagnosis, test and plan step. Plain objects, no Jupyter; the
workbench is a shell.

Disclosure is progressive: the history is shown first, the examination once an examination
step is in the plan, and each test's result only after the learner has said which result
would change management. Nothing is judged before submission: ordering a test reveals its
result (or that the case gives none), never its value; the value comes with the feedback. A
plan is submitted with a committed differential and a confidence; a visit may be submitted
again, and the attempts are counted. A case with ``visits:`` is judged again at every visit on
the facts as they stand then. The judging lives in :mod:`dystonia_teach.core.reasoning_judge`;
the certainty-based marks, kept apart from the score, in :mod:`dystonia_teach.core.certainty`.
Usage::

    from dystonia_teach.core.reasoning import ReasoningSession
    s = ReasoningSession(load_case("early_uncomplicated"))
    s.history                                       # the presentation
    s.state_problem("46-year-old man, 3 weeks of right leg pain, toes curl when walking")
    s.add("history_red_flags"); s.add("neuro_exam"); s.examination   # now revealed
    s.place(0, "radiculopathy_dystonia", certainty="high")  # a draft, with a certainty
    s.place(3, "cauda_equina_syndrome")
    s.commit_differential()                         # or s.set_differential([...], must_not_miss=)
    test = s.order_test("emg_ncs", target="radiculopathy_dystonia", certainty="medium",
                        change="a normal study would argue against a root lesion")
    test.report                                     # the result, not judged
    s.order_test("mri_lumbar_noncontrast", priority="urgent", change="...")  # or "step!urgent"
    s.add({"step": "naproxen", "dose_mg_per_day": 1000}, certainty="low")
    s.set_confidence(70)                            # % sure of the leading diagnosis
    s.missing_for_submission()                      # () once differential and confidence set
    report = s.submit()                             # VisitReport: engine + reasoning feedback
    report.tests[0].value                           # "indicated", "reasonable" or "low value"
    report.certainty.total                          # certainty-based marks, apart from the score
    if s.has_next_visit: s.next_visit()             # facts change; plan judged again
    debrief = s.debrief("I anchored on ...")        # bias prompts + the saved reflection
    s.record()                                      # plain data for the progress store
    ReasoningSession.from_record(case, s.record())  # the same attempt, rebuilt
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.certainty import certainty_marks, check_certainty
from dystonia_teach.core.diagnoses import diagnosis_scripts
from dystonia_teach.core.engine import ActionLike, parse_action
from dystonia_teach.core.errors import ActionError, did_you_mean
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.reasoning_judge import (
    NO_RESULT,
    TOP,
    BiasPrompt,
    ConfidenceFeedback,
    Debrief,
    Differential,
    DifferentialFeedback,
    JudgedTest,
    OrderedTest,
    ProblemFeedback,
    VisitReport,
    bias_prompts,
    confidence_feedback,
    differential_feedback,
    judge_test,
    problem_feedback,
)
from dystonia_teach.core.reasoning_record import RECORD_FORMAT, RecordError, check_record
from dystonia_teach.core.results import Action
from dystonia_teach.core.session import Session
from dystonia_teach.core.visits import case_at_visit, visit_count
from dystonia_teach.core.wording import with_subject

#: The places of a differential being composed: three ranked, then the must-not-miss.
SLOTS = TOP + 1


@dataclass
class _Visit:
    """The learner's work at one visit; ``attempts`` counts its submissions, ``reports``
    keeps every one made in this session (the last is the current one until a change)."""

    case: Case
    plan: Session
    tests: list[OrderedTest] = field(default_factory=list)
    differentials: list[tuple[str, Differential]] = field(default_factory=list)
    report: VisitReport | None = None
    attempts: int = 0
    reports: list[VisitReport] = field(default_factory=list)
    #: The learner's certainty in each plan step (step id -> level), when said.
    step_certainty: dict[str, str] = field(default_factory=dict)


def _values(visit: _Visit) -> dict[str, str]:
    """Each test's judged value at the visit's current submission (none before it)."""
    return {t.step: t.value for t in (visit.report.tests if visit.report else ())}


def _test_record(test: OrderedTest, value: str | None) -> dict[str, object]:
    data: dict[str, object] = {"step": test.step, "target": test.target, "change": test.change,
                               "value": value, "priority": test.priority}
    if test.certainty:
        data["certainty"] = test.certainty
    return data


def _visit_record(index: int, v: _Visit, confidence: int | None) -> dict[str, object]:
    """One visit of :meth:`ReasoningSession.record` (``confidence``: the one not yet
    submitted, for the current visit)."""
    report = v.report
    data: dict[str, object] = {
        "visit": index, "week": v.case.course.symptom_weeks,
        "actions": [a.as_data() for a in v.plan.actions],
        "tests": [_test_record(t, _values(v).get(t.step)) for t in v.tests],
        "differentials": [{"stage": stage, **d.as_data()} for stage, d in v.differentials],
        "confidence": (report.confidence.confidence if report and report.confidence
                       else confidence),
        "score": report.assessment.score if report else None,
        "attempts": v.attempts}
    if v.step_certainty:
        data["step_certainty"] = dict(v.step_certainty)
    if report and report.certainty.responses:
        data["certainty_marks"] = [r.as_data() for r in report.certainty.responses]
    return data


class ReasoningSession:
    """One learner's reasoning through one case, visit by visit."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.problem_statement: str | None = None
        self.differential: Differential | None = None
        self.confidence: int | None = None
        self.reflection: str | None = None
        self.draft_differential: tuple[str | None, ...] = (None,) * SLOTS
        #: The certainty said for each place of the draft (None: not said).
        self.draft_certainty: tuple[str | None, ...] = (None,) * SLOTS
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
        return "examination" if self.examined else "history"

    @property
    def examined(self) -> bool:
        """Whether an examination step (an assessment step other than the history) is in
        this visit's plan: the examination findings are then revealed."""
        steps = knowledge().steps
        return any(steps[a.step].phase == "assessment" and steps[a.step].category != "history"
                   for a in self._current.plan.actions)

    @property
    def history_taken(self) -> bool:
        """Whether a history step is in this visit's plan."""
        steps = knowledge().steps
        return any(steps[a.step].category == "history" for a in self._current.plan.actions)

    @property
    def history(self) -> str:
        """What the patient tells you at this visit."""
        return self._current.case.stages.presentation

    @property
    def examination(self) -> str | None:
        """The examination, once an assessment step is in the plan (None before)."""
        return self._current.case.stages.examination if self.examined else None

    @property
    def tests(self) -> tuple[OrderedTest, ...]:
        """Tests ordered so far, at every visit, in order (results stay known)."""
        return tuple(t for v in self._visits for t in v.tests)

    @property
    def actions(self) -> tuple[Action, ...]:
        """The plan at this visit, tests included."""
        return tuple(self._current.plan.actions)

    @property
    def step_certainty(self) -> dict[str, str]:
        """The certainty said for each step of this visit's plan (step id -> level)."""
        return dict(self._current.step_certainty)

    @property
    def differential_history(self) -> tuple[tuple[int, str, Differential], ...]:
        """Every differential set, as (visit, stage when set, differential)."""
        return tuple((i, stage, d) for i, v in enumerate(self._visits)
                     for stage, d in v.differentials)

    @property
    def submitted(self) -> bool:
        return self._current.report is not None

    @property
    def attempts(self) -> int:
        """How many times this visit has been submitted."""
        return self._current.attempts

    @property
    def visit_reports(self) -> tuple[VisitReport, ...]:
        """Every submission at this visit in this session (a resumed one included), oldest
        first; the last stays readable after the work changes."""
        return tuple(self._current.reports)

    @property
    def previous_report(self) -> VisitReport | None:
        """The submission at this visit before the latest one made in this session."""
        reports = self._current.reports
        return reports[-2] if len(reports) > 1 else None

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
                         must_not_miss: str | None = None,
                         certainty: Mapping[str, str | None] | None = None) -> Differential:
        """Rank up to three diagnoses (leading first) and name one must-not-miss;
        ``certainty``: how sure the learner is that each belongs here (low, medium, high)."""
        scripts = diagnosis_scripts()
        ranked = tuple(ranked)
        said = {d: check_certainty(c) for d, c in (certainty or {}).items()}
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
        named = (*ranked, *(None,) * (TOP - len(ranked)), must_not_miss)
        self.differential = Differential(ranked, must_not_miss, tuple(
            (d, said[d]) for d in dict.fromkeys(named) if d and said.get(d)))
        self.draft_differential = named
        self.draft_certainty = tuple(said.get(d) if d else None for d in named)
        self._current.differentials.append((self.stage, self.differential))
        self._changed()
        return self.differential

    def place(self, slot: int, diagnosis: str | None, certainty: str | None = None) -> None:
        """Put ``diagnosis`` (None: empty) at ``slot`` of the differential being composed
        (0-2 ranked, 3 must-not-miss), with the learner's certainty that it belongs there
        (optional); recorded by :meth:`commit_differential`."""
        if not 0 <= slot < SLOTS:
            raise ActionError(f"a differential has places 1 to {TOP} and a must-not-miss")
        if diagnosis is not None and diagnosis not in diagnosis_scripts():
            raise ActionError(f"unknown diagnosis {diagnosis!r}")
        certainty = check_certainty(certainty) if diagnosis else None
        draft, sure = list(self.draft_differential), list(self.draft_certainty)
        draft[slot], sure[slot] = diagnosis, certainty
        self.draft_differential, self.draft_certainty = tuple(draft), tuple(sure)

    def clear_draft(self) -> None:
        """Empty the differential being composed."""
        self.draft_differential = self.draft_certainty = (None,) * SLOTS

    def commit_differential(self) -> Differential:
        """Record the differential being composed (ranked places in order, gaps closed)."""
        ranked = [d for d in self.draft_differential[:TOP] if d]
        said = {d: c for d, c in zip(self.draft_differential, self.draft_certainty,
                                     strict=True) if d and c}
        return self.set_differential(ranked, must_not_miss=self.draft_differential[TOP],
                                     certainty=said)

    def set_confidence(self, percent: int) -> None:
        """How sure (0-100 %) the learner is of the leading diagnosis."""
        if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
            raise ActionError(f"confidence is a whole percentage from 0 to 100, not {percent!r}")
        self.confidence = percent
        self._changed()

    def add(self, action: ActionLike, certainty: str | None = None) -> Action:
        """Add a step that is not a test (tests go through :meth:`order_test`), with the
        learner's certainty that it is right for this patient now (optional)."""
        parsed = parse_action(action)
        certainty = check_certainty(certainty)
        step = knowledge().steps[parsed.step]
        if step.reveals:
            raise ActionError(with_subject(
                "{step} is ordered as a test: say which result would change management "
                "(order_test) to order it", step.label, step.plural))
        added = self._current.plan.add(parsed)
        if certainty:
            self._current.step_certainty[added.step] = certainty
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
                self._current.step_certainty.pop(plan.actions[i].step, None)
                return plan.actions.pop(i)
        return None

    def order_test(self, step: str, *, change: str, target: str | None = None,
                   priority: str | None = None, certainty: str | None = None) -> OrderedTest:
        """Order a test: first say which result would change management (``change``) and,
        optionally, which diagnosis it confirms or excludes (``target``) and how sure you
        are that it is worth ordering now (``certainty``); its result is then revealed. The
        order is routine unless ``priority="urgent"`` (or ``step!urgent``). Nothing is
        judged here: the test's value comes with the feedback."""
        kb = knowledge()
        action = parse_action(step if priority is None else {"step": step, "priority": priority})
        certainty = check_certainty(certainty)
        test = kb.steps[action.step]
        if not test.reveals:
            raise ActionError(with_subject("{step} is not a test; add it to the plan instead",
                                           test.label, test.plural))
        if not self.examined:
            raise ActionError("examine the patient before ordering tests: choose an "
                              "examination under History and examination")
        if not change.strip():
            raise ActionError("before the result: which result would change management?")
        if target is not None and target not in diagnosis_scripts():
            raise ActionError(f"unknown diagnosis {target!r}")
        self._current.plan.add(action)
        found = self._current.case.result(test.reveals)
        ordered = OrderedTest(step=test.id, label=test.label, target=target,
                              change=" ".join(change.split()),
                              report=found.report if found else NO_RESULT, visit=self.visit,
                              priority=action.priority, certainty=certainty)
        self._current.tests.append(ordered)
        self._changed()
        return ordered

    def _changed(self) -> None:
        self._current.report = None

    # --- judgement --------------------------------------------------------------------------
    def missing_for_submission(self) -> tuple[str, ...]:
        """What must be recorded before this visit can be submitted (empty when ready)."""
        missing = []
        if self.differential is None:
            missing.append("a committed differential (at least your leading diagnosis)")
        if self.confidence is None:
            missing.append("your confidence in the leading diagnosis")
        return tuple(missing)

    def submit(self) -> VisitReport:
        """Judge this visit's plan and reasoning (kept until something changes); needs a
        committed differential and a confidence (:meth:`missing_for_submission`)."""
        missing = self.missing_for_submission()
        if missing:
            raise ActionError("before you submit, record " + " and ".join(missing))
        return self._judge()

    def _judge(self) -> VisitReport:
        v = self._current
        leading = self.differential.leading if self.differential else None
        working = leading or None  # one vocabulary: any diagnosis named is a working one
        v.plan.set_diagnosis(working)
        v.attempts += 1
        actions = list(v.plan.actions)
        position = {a.step: i for i, a in enumerate(actions)}
        assessment = v.plan.submit()
        tests = tuple(judge_test(v.case, actions[:position[t.step]], t, v.plan.earlier,
                                 actions[position[t.step]]) for t in v.tests)
        differential = self.differential or Differential(())
        v.report = VisitReport(
            visit=self.visit,
            week=v.case.course.symptom_weeks,
            assessment=assessment,
            problem=(problem_feedback(v.case, self.problem_statement)
                     if self.problem_statement else None),
            differential=(differential_feedback(v.case, self.differential,
                                                len(v.differentials))
                          if self.differential else None),
            tests=tests,
            confidence=(confidence_feedback(v.case, self.differential, self.confidence)
                        if self.differential and self.confidence is not None else None),
            attempt=v.attempts,
            certainty=certainty_marks(
                v.case, assessment, ranked=differential.ranked,
                must_not_miss=differential.must_not_miss,
                diagnosis_certainty=dict(differential.certainty),
                tests=[(t.step, t.label, t.value, t.certainty) for t in tests],
                step_certainty=v.step_certainty),
        )
        v.reports.append(v.report)
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
    def judged_tests(self) -> tuple[JudgedTest, ...]:
        """Every test as judged at its visit's latest submission."""
        return tuple(t for v in self._visits if v.report for t in v.report.tests)

    @property
    def reports(self) -> tuple[VisitReport, ...]:
        return tuple(v.report for v in self._visits if v.report is not None)

    def debrief(self, reflection: str = "") -> Debrief:
        """Bias prompts drawn from this attempt, with the learner's reflection kept."""
        if not self.submitted:
            raise ActionError("submit your plan before the debrief")
        self.reflection = reflection.strip()
        prompts = bias_prompts(self.case, self.judged_tests, self.differential_history,
                               self.differential, self.confidence, bool(self.visit))
        return Debrief(prompts, self.reflection, self.reports)

    def record(self) -> dict[str, object]:
        """The whole attempt as plain data (JSON-ready) for the progress store. Certainties
        appear only where said (a record without them reads as before), with each submitted
        visit's certainty-based marks (``certainty_marks``) for calibration across attempts."""
        record: dict[str, object] = {
            "format": RECORD_FORMAT,
            "case_id": self.case.id,
            "problem_statement": self.problem_statement,
            "differential": self.differential.as_data() if self.differential else None,
            "draft_differential": list(self.draft_differential),
            "confidence": self.confidence,
            "visits": [_visit_record(i, v, self.confidence if v is self._current else None)
                       for i, v in enumerate(self._visits)],
            "reflection": self.reflection,
        }
        if any(self.draft_certainty):
            record["draft_certainty"] = list(self.draft_certainty)
        return record

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
                    session.set_differential(d["ranked"], d.get("must_not_miss"),
                                             d.get("certainty"))

            flush()
            tests = {t["step"]: t for t in visit.get("tests", [])}
            said = visit.get("step_certainty") or {}
            for action in visit.get("actions", []):
                step = parse_action(action).step  # "step!urgent" is the step, ordered urgently
                if step in tests:
                    session.order_test(action, change=tests[step]["change"],
                                       target=tests[step].get("target"),
                                       certainty=tests[step].get("certainty"))
                else:
                    session.add(action, certainty=said.get(step))
                flush()
            for d in pending:
                session.set_differential(d["ranked"], d.get("must_not_miss"),
                                         d.get("certainty"))
            if visit.get("confidence") is not None:
                session.set_confidence(visit["confidence"])
            if visit.get("score") is not None:
                session._judge()  # as it was submitted (records before the guard included)
            current = session._current
            current.attempts = visit.get("attempts") or current.attempts
            if current.report is not None:  # numbered as it was saved
                current.report = current.reports[-1] = replace(current.report,
                                                               attempt=current.attempts)
        draft = record.get("draft_differential")
        if draft:
            sure = [*(record.get("draft_certainty") or ()), *(None,) * SLOTS]
            for slot, diagnosis in enumerate(draft[:SLOTS]):
                session.place(slot, diagnosis, sure[slot])
        if record.get("reflection") is not None and session.submitted:
            session.debrief(record["reflection"])
        return session


__all__ = ["NO_RESULT", "RECORD_FORMAT", "SLOTS", "TOP", "BiasPrompt", "ConfidenceFeedback",
           "Debrief", "Differential", "DifferentialFeedback", "JudgedTest", "OrderedTest",
           "ProblemFeedback", "ReasoningSession", "RecordError", "VisitReport"]
