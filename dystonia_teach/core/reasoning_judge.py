"""Judging a learner's reasoning: the problem statement, the differential against the one the
facts support, the confidence, and the bias prompts of the debrief. Pure functions of the case
and the learner's answers, with the plain result types the session returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.certainty import CertaintyMarks
from dystonia_teach.core.diagnoses import (
    DifferentialEntry,
    acceptable_leads,
    derived_differential,
    diagnosis_label,
    diagnosis_scripts,
    explain,
)
from dystonia_teach.core.engine import evaluate
from dystonia_teach.core.kb_model import split_option
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.problem_statement import ProblemFeedback, check_problem
from dystonia_teach.core.results import Action, Assessment
from dystonia_teach.core.wording import with_subject

TOP = 3
CONFIDENT = 70
UNSURE = 40


@dataclass(frozen=True)
class Differential:
    """The learner's ranked differential: up to three diagnoses, leading first, one
    must-not-miss diagnosis, and how sure the learner is of each (optional)."""

    ranked: tuple[str, ...]
    must_not_miss: str | None = None
    #: The learner's certainty that each diagnosis belongs here: (diagnosis, level) pairs.
    certainty: tuple[tuple[str, str], ...] = ()

    @property
    def leading(self) -> str | None:
        return self.ranked[0] if self.ranked else None

    def certainty_of(self, diagnosis: str) -> str | None:
        return dict(self.certainty).get(diagnosis)

    def as_data(self) -> dict[str, object]:
        data: dict[str, object] = {"ranked": list(self.ranked),
                                   "must_not_miss": self.must_not_miss}
        if self.certainty:
            data["certainty"] = dict(self.certainty)
        return data


@dataclass(frozen=True)
class OrderedTest:
    """A test ordered with its justification, its priority ("routine" or "urgent"), the
    learner's certainty that it is worth ordering (low, medium, high or None), and its result
    (shown at once).

    Ordering judges nothing: whether the test was indicated comes with the feedback, after
    submission, as a :class:`JudgedTest` in :attr:`VisitReport.tests`.
    """

    step: str
    label: str
    target: str | None
    change: str
    report: str
    visit: int
    priority: str = field(default="routine", kw_only=True)
    certainty: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class JudgedTest(OrderedTest):
    """An ordered test with its value as judged at submission."""

    value: str  # "indicated", "reasonable" or "low value"
    verdict: str
    target_note: str


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
    tests: tuple[JudgedTest, ...]
    confidence: ConfidenceFeedback | None
    attempt: int = 1  # the how-many-th submission at this visit
    #: Certainty-based marks of the responses given a certainty (kept apart from the score).
    certainty: CertaintyMarks = field(default_factory=CertaintyMarks)


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
    operation = case.course.operation
    label = knowledge().steps[operation].label if operation != "none" else ""
    after = f", after {label[:1].lower()}{label[1:]}" if label else ""
    return (f"{case.patient.age}-year-old {person} with {_weeks(case.course.symptom_weeks)} of "
            f"{where} on {triggers}{found}{after}{red}.")


def problem_feedback(case: Case, text: str) -> ProblemFeedback:
    """The statement checked against the facts (shorthand understood, wrong facts named),
    beside the model statement."""
    return check_problem(case, text, model_problem_statement(case))


#: Said instead of a result when the case gives none (neutral: not a judgement of the test).
NO_RESULT = "This case gives no result for this test."


def judge_test(case: Case, before: Sequence[Action], test: OrderedTest,
               earlier: Sequence[Action | str] = (), order: Action | None = None) -> JudgedTest:
    """``test`` with its value: the engine's finding on it, given the steps chosen before it
    and the tests of earlier visits (an indicated test, a reasonable one, or low value with
    the reason); ``order`` is the test as placed in the plan, else the test at its priority."""
    action = order or Action(test.step, priority=test.priority)
    every = evaluate(case, [*before, action], earlier=earlier).findings
    findings = [f for f in every if f.step == action.step]
    if not findings:  # judged through another step: a routine MRI for the urgent one is
        # named by the missed red flag
        seen = set(evaluate(case, list(before), earlier=earlier).findings)
        findings = [f for f in every if f.pitfall and f not in seen]
    by_code = {f.code: f for f in reversed(findings)}  # the first finding of each code
    if "appropriate_step" in by_code:
        value, verdict = "indicated", by_code["appropriate_step"].summary + "."
    elif "acceptable_step" in by_code:
        value, verdict = "reasonable", by_code["acceptable_step"].summary + "."
    else:  # the worst pitfall (a caution is a point beside its value), else the worst
        worst = next((f for f in findings if f.pitfall), findings[0] if findings else None)
        summary = worst.summary if worst else "It is not part of the plan here"
        value, verdict = "low value", f"Low-value test: {summary}."
    return JudgedTest(**vars(test), value=value, verdict=verdict,
                      target_note=target_note(test.step, test.target))


def target_note(step: str, target: str | None) -> str:
    """Whether ``step`` helps to confirm or exclude the diagnosis the learner named."""
    if target is None:
        return ""
    script = diagnosis_scripts()[target]
    steps = knowledge().steps
    test = steps[step]
    does = with_subject("{step} does", test.label, test.plural)  # "X does", "Xs do"
    tests = {_unaliased(s): s for s in script.tests}  # urgent_mri is an urgent MRI
    if _unaliased(step) in tests:
        return f"{does} help to confirm or exclude {script.label.lower()}."
    helpful = [steps[s].label for s in tests.values() if steps[s].reveals]
    also = f" Tests that do: {', '.join(helpful)}." if helpful else (
        " The history and examination do that best.")
    return f"{does} not separate {script.label.lower()} from the alternatives.{also}"


def _unaliased(step: str) -> str:
    """The step an alias stands for (``urgent_mri`` -> ``mri_lumbar_noncontrast``)."""
    alias = knowledge().steps[step].alias_of
    return split_option(alias)[0] if alias else step


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
        leading_correct=differential.leading in acceptable_leads(case),
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
    ranked_urgent = [d for d in differential.ranked if scripts[d].must_not_miss]
    pick = differential.must_not_miss or (ranked_urgent[0] if ranked_urgent else None)
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
    leading = differential.leading
    correct = leading in acceptable_leads(case)
    brier = round((confidence / 100 - (1.0 if correct else 0.0)) ** 2, 3)
    cause = ("" if leading == case.diagnosis else
             f" {diagnosis_label(leading)} leads because it must be acted on today; what "
             f"causes it here is {diagnosis_label(case.diagnosis).lower()}.")
    if correct and confidence >= CONFIDENT:
        verdict, message = "well calibrated", "Right, and sure of it." + cause
    elif correct and confidence < UNSURE:
        verdict, message = "underconfident", (
            "Right, but unsure: the facts support it more than you thought." + cause)
    elif correct:
        verdict, message = "reasonably calibrated", "Right, with moderate certainty." + cause
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


def bias_prompts(case: Case, tests: tuple[JudgedTest, ...],
                 history: tuple[tuple[int, str, Differential], ...],
                 differential: Differential | None, confidence: int | None,
                 later_visit: bool) -> tuple[BiasPrompt, ...]:
    """Anchoring on the MRI and premature closure, each with what in this attempt suggests it
    (``history``: every differential set, as (visit, stage, differential))."""
    steps = knowledge().steps
    imaging = [t for t in tests if steps[t.step].reveals in _IMAGING]
    leading = differential.leading if differential else None
    right = leading in acceptable_leads(case)
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
    unchanged = bool(history) and len({d.ranked for _, _, d in history}) == 1
    closure = ""
    if unchanged and not right and (tests or later_visit):
        closure = "You never changed your differential as new results and visits came in."
    elif unchanged and history[0][1] == "history" and (tests or later_visit):
        closure = "You settled your differential before examining and never revisited it."
    elif differential and len(differential.ranked) < TOP:
        closure = f"You ranked fewer than {TOP} diagnoses."
    elif (confidence or 0) >= CONFIDENT and not right:
        closure = "You were very sure of a leading diagnosis that was not right."
    return (
        BiasPrompt("Anchoring on the MRI",
                   "Did the scan decide your diagnosis, or did the history and examination? "
                   "Did the lesion match the level and side of the signs?", anchoring),
        BiasPrompt("Premature closure",
                   "Did you stop looking once one diagnosis fitted? Which finding would have "
                   "made you reconsider, and did you look for it?", closure),
    )
