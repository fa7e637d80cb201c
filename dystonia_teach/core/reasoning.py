"""A clinical-reasoning session over one case: problem statement, ranked differential, justified
tests, confidence, visits and a debrief. Plain objects, no Jupyter; the workbench is a shell.

Disclosure is progressive: the history is shown first, the examination once an assessment
step is in the plan, and each test's result only after the learner has said which result
would change management. A case with ``visits:`` is judged again at every visit on the
facts as they stand then. Usage::

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

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.diagnoses import (
    DifferentialEntry,
    derived_differential,
    diagnosis_label,
    diagnosis_scripts,
    explain,
)
from dystonia_teach.core.engine import ActionLike, evaluate, parse_action
from dystonia_teach.core.errors import ActionError, did_you_mean
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.results import Action, Assessment
from dystonia_teach.core.session import Session
from dystonia_teach.core.visits import case_at_visit, visit_count
from dystonia_teach.core.vocabulary import DIAGNOSES

TOP = 3
CONFIDENT = 70
UNSURE = 40
LONG_PROBLEM_WORDS = 40


@dataclass(frozen=True)
class Differential:
    """The learner's ranked differential: up to three diagnoses, leading first, and one
    must-not-miss diagnosis."""

    ranked: tuple[str, ...]
    must_not_miss: str | None = None

    @property
    def leading(self) -> str | None:
        return self.ranked[0] if self.ranked else None

    def as_data(self) -> dict[str, object]:
        return {"ranked": list(self.ranked), "must_not_miss": self.must_not_miss}


@dataclass(frozen=True)
class OrderedTest:
    """A test ordered with its justification, its value as judged, then its result.

    Show ``report`` at once; show ``value``, ``verdict`` and ``target_note`` with the feedback
    after submission, since they reveal what the derived pathway holds.
    """

    step: str
    label: str
    target: str | None
    change: str
    value: str  # "indicated", "reasonable" or "low value"
    verdict: str
    target_note: str
    report: str
    visit: int


@dataclass(frozen=True)
class ProblemFeedback:
    """The learner's problem statement beside one built from the facts."""

    text: str
    model: str
    included: tuple[str, ...]
    missing: tuple[str, ...]
    too_long: bool


@dataclass(frozen=True)
class DifferentialFeedback:
    """The learner's differential compared with the one derived from the facts."""

    ranked: tuple[str, ...]
    must_not_miss: str | None
    leading_correct: bool
    diagnosis_rank: int | None  # 1-based place of the case's diagnosis, None if not listed
    derived: tuple[DifferentialEntry, ...]
    missed: tuple[str, ...]  # derived diagnoses (labels) not in the learner's list
    against_facts: tuple[str, ...]  # learner's picks the facts speak against (labels)
    must_not_miss_note: str
    scripts: tuple[DifferentialEntry, ...]  # every diagnosis named on either side
    revised: int  # how many times the differential was set in this visit


@dataclass(frozen=True)
class ConfidenceFeedback:
    confidence: int
    correct: bool
    verdict: str  # "well calibrated", "underconfident", "confidently wrong", ...
    message: str
    brier: float


@dataclass(frozen=True)
class VisitReport:
    """Everything judged at one visit."""

    visit: int
    week: float
    assessment: Assessment
    problem: ProblemFeedback | None
    differential: DifferentialFeedback | None
    tests: tuple[OrderedTest, ...]
    confidence: ConfidenceFeedback | None


@dataclass(frozen=True)
class BiasPrompt:
    name: str
    question: str
    observation: str  # what in this attempt suggests it ("" when nothing does)


@dataclass(frozen=True)
class Debrief:
    prompts: tuple[BiasPrompt, ...]
    reflection: str
    reports: tuple[VisitReport, ...]


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
        return _Visit(visit_case, Session(visit_case))

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
        if knowledge().steps[parsed.step].reveals:
            raise ActionError(f"{knowledge().steps[parsed.step].label} is a test: say which "
                              "result would change management (order_test) to order it")
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
            raise ActionError(f"{test.label} is not a test; add it to the plan instead")
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
        plan = [*self._current.plan.actions, action]
        findings = [f for f in evaluate(self._current.case, plan).findings
                    if f.step == action.step]
        codes = {f.code for f in findings}
        if "appropriate_step" in codes:
            return "indicated", findings[0].summary + "."
        if "acceptable_step" in codes:
            return "reasonable", findings[0].summary + "."
        worst = findings[0].summary if findings else "It is not part of the plan here"
        return "low value", f"Low-value test: {worst}."

    @staticmethod
    def _target_note(step: str, target: str | None) -> str:
        if target is None:
            return ""
        script = diagnosis_scripts()[target]
        label = knowledge().steps[step].label
        if step in script.tests:
            return f"{label} does help to confirm or exclude {script.label.lower()}."
        helpful = [knowledge().steps[s].label for s in script.tests
                   if knowledge().steps[s].reveals]
        also = f" Tests that do: {', '.join(helpful)}." if helpful else (
            " The history and examination do that best.")
        return f"{label} does not separate {script.label.lower()} from the alternatives.{also}"

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
        return Debrief(bias_prompts(self), self.reflection, self.reports)

    def record(self) -> dict[str, object]:
        """The whole attempt as plain data (JSON-ready) for the progress store."""
        return {
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
        steps, tests and differentials are replayed in order and judged again."""
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


# --- feedback builders (pure functions of the case and the learner's answers) --------------

_POSTURE = {"inversion": ("foot", "turning in"), "eversion": ("foot", "turning out"),
            "plantar_flexion": ("foot", "pointing down"), "dorsiflexion": ("foot", "pulling up"),
            "toe_clawing": ("toes", "curling"), "toe_extension": ("toes", "lifting"),
            "striatal_toe": ("big toe", "rising")}
_TRIGGER = {"walking": "walking", "standing": "standing", "walking_forward_only": "walking",
            "running": "running", "stairs": "stairs", "after_minutes_walking": "walking"}


def _weeks(n: float) -> str:
    return f"{n:g} week" + ("" if n == 1 else "s")


def model_problem_statement(case: Case) -> str:
    """A one-line problem statement built from the facts (what a good one contains)."""
    person = {"female": "woman", "male": "man"}.get(case.patient.sex, "person")
    if case.patient.age < 18:
        person = {"female": "girl", "male": "boy"}.get(case.patient.sex, "child")
    d = case.dystonia
    part, doing = _POSTURE[d.postures[0]]
    where = f"{part} {doing} in both feet" if d.foot == "both" else f"{d.foot} {part} {doing}"
    triggers = " and ".join(dict.fromkeys(_TRIGGER[t] for t in d.triggers))
    signs = []
    if case.radicular.root != "none":
        signs.append(f"{case.radicular.root} root signs")
    signs += [s.replace("_", " ") for s in (*case.other_signs, *case.functional_signs)][:3]
    red = (", red flags: " + ", ".join(r.replace("_", " ") for r in case.red_flags)
           if case.red_flags else ", no red flags")
    found = f", with {', '.join(signs)}" if signs else ""
    return (f"{case.patient.age}-year-old {person} with {_weeks(case.course.symptom_weeks)} of "
            f"{where} on {triggers}{found}{red}.")


def problem_feedback(case: Case, text: str) -> ProblemFeedback:
    """Which of the essentials (age, sex, time course, trigger, side) the statement names."""
    low = text.lower()
    checks = {
        "age": str(case.patient.age) in low or "year" in low,
        "sex": bool(re.search(r"\b(man|woman|male|female|boy|girl|m|f)\b", low)),
        "time course": bool(re.search(r"\b(week|month|day|year|acute|chronic)", low)),
        "what brings it on": bool(re.search(r"walk|stand|run|stair|gait", low)),
        "side": bool(re.search(r"\b(left|right|both|bilateral)\b", low)),
    }
    return ProblemFeedback(
        text=text, model=model_problem_statement(case),
        included=tuple(k for k, ok in checks.items() if ok),
        missing=tuple(k for k, ok in checks.items() if not ok),
        too_long=len(text.split()) > LONG_PROBLEM_WORDS)


def differential_feedback(case: Case, differential: Differential,
                          revised: int = 1) -> DifferentialFeedback:
    """Compare a ranked differential with the one derived from the case's facts."""
    derived = tuple(derived_differential(case))
    derived_ids = [e.diagnosis for e in derived]
    ranked = differential.ranked
    against = tuple(diagnosis_label(d) for d in ranked
                    if explain(case, d).support < 0 and d != case.diagnosis)
    missed = tuple(e.label for e in derived[:TOP] if e.diagnosis not in ranked)
    named = list(dict.fromkeys([*ranked, *([differential.must_not_miss]
                                           if differential.must_not_miss else []),
                                case.diagnosis, *derived_ids[:TOP]]))
    return DifferentialFeedback(
        ranked=ranked,
        must_not_miss=differential.must_not_miss,
        leading_correct=differential.leading == case.diagnosis,
        diagnosis_rank=ranked.index(case.diagnosis) + 1 if case.diagnosis in ranked else None,
        derived=derived,
        missed=missed,
        against_facts=against,
        must_not_miss_note=_must_not_miss_note(case, differential),
        scripts=tuple(explain(case, d) for d in named),
        revised=revised,
    )


def _must_not_miss_note(case: Case, differential: Differential) -> str:
    scripts = diagnosis_scripts()
    present = [e for e in derived_differential(case) if e.must_not_miss]
    named = {*differential.ranked, differential.must_not_miss}
    missed = [e.label for e in present if e.diagnosis not in named]
    if missed:
        return (f"Missed: the facts point to {', '.join(missed).lower()}, which must not be "
                "missed and needs action today.")
    pick = differential.must_not_miss
    if pick is None:
        return "No must-not-miss diagnosis was named: always name the one you must exclude."
    if not scripts[pick].must_not_miss:
        urgent = ", ".join(d.label.lower() for d in scripts.values() if d.must_not_miss)
        return (f"{scripts[pick].label} is not an emergency; must-not-miss diagnoses here "
                f"are {urgent}.")
    if present:
        return f"Right: {scripts[pick].label.lower()} is present and must not be missed."
    return (f"Good: {scripts[pick].label.lower()} is worth excluding; the facts here do not "
            "point to it.")


def confidence_feedback(case: Case, differential: Differential,
                        confidence: int) -> ConfidenceFeedback:
    """Certainty-weighted feedback on the leading diagnosis (with its Brier score)."""
    correct = differential.leading == case.diagnosis
    brier = round((confidence / 100 - (1.0 if correct else 0.0)) ** 2, 3)
    if correct and confidence >= CONFIDENT:
        verdict, message = "well calibrated", "Right, and sure of it."
    elif correct and confidence < UNSURE:
        verdict, message = "underconfident", (
            "Right, but unsure: the facts support it more than you thought.")
    elif correct:
        verdict, message = "reasonably calibrated", "Right, with moderate certainty."
    elif confidence >= CONFIDENT:
        verdict, message = "confidently wrong", (
            f"Confidently wrong: you were {confidence}% sure, but the leading diagnosis is "
            f"{diagnosis_label(case.diagnosis).lower()}. Ask what would have made you doubt it.")
    elif confidence < UNSURE:
        verdict, message = "appropriately unsure", (
            "Wrong, but you knew you were unsure: the leading diagnosis is "
            f"{diagnosis_label(case.diagnosis).lower()}.")
    else:
        verdict, message = "wrong, moderately sure", (
            f"Wrong at {confidence}%: the leading diagnosis is "
            f"{diagnosis_label(case.diagnosis).lower()}.")
    return ConfidenceFeedback(confidence, correct, verdict, message, brier)


_IMAGING = frozenset({"imaging"})


def bias_prompts(session: ReasoningSession) -> tuple[BiasPrompt, ...]:
    """Anchoring on the MRI and premature closure, each with what in this attempt suggests it."""
    case = session.case
    steps = knowledge().steps
    imaging = [t for t in session.tests if steps[t.step].reveals in _IMAGING]
    leading = session.differential.leading if session.differential else None
    anchoring = ""
    lesion = case.investigations.imaging
    if imaging and lesion is not None and lesion.lesion == "compressive":
        if case.diagnosis != "radiculopathy_dystonia" or not lesion.concordant:
            anchoring = ("The scan showed a compressive lesion that does not explain the "
                         "picture: it does not match the examination or the diagnosis.")
        elif any(t.value == "low value" for t in imaging):
            anchoring = "You ordered a scan that could not yet change management."
    if not anchoring and imaging and leading == "radiculopathy_dystonia" != case.diagnosis:
        anchoring = "After the scan you kept a spinal cause in the lead against the other facts."
    history = session.differential_history
    unchanged = bool(history) and len({d.ranked for _, _, d in history}) == 1
    closure = ""
    if unchanged and leading != case.diagnosis and (session.tests or session.visit):
        closure = "You never changed your differential as new results and visits came in."
    elif unchanged and history[0][1] == "history" and (session.tests or session.visit):
        closure = "You settled your differential before examining and never revisited it."
    elif session.differential and len(session.differential.ranked) < TOP:
        closure = f"You ranked fewer than {TOP} diagnoses."
    elif (session.confidence or 0) >= CONFIDENT and leading != case.diagnosis:
        closure = "You were very sure of a leading diagnosis that was not right."
    return (
        BiasPrompt("Anchoring on the MRI",
                   "Did the scan decide your diagnosis, or did the history and examination? "
                   "Did the lesion match the level and side of the signs?", anchoring),
        BiasPrompt("Premature closure",
                   "Did you stop looking once one diagnosis fitted? Which finding would have "
                   "made you reconsider, and did you look for it?", closure),
    )
