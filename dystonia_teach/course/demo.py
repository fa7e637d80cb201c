"""A deterministic generated class: demo data for the dashboard, tests and benchmarks.

Every plan is scored by the real engine, so scores and pitfalls are what the course would give.
Learners are ``demo-…`` ids (never real people); a weaker learner drops more recommended steps,
adds more wrong ones (some learners keep repeating their own favourite mistake) and improves
over attempts. With ``reasoning=True`` each attempt is also worked as a reasoning session, with
a certainty said beside most answers (a skilled learner surer of right answers than of wrong
ones, a weak one as sure of both), and saved with it, so that calibration can be shown. The
same seed always gives the same class.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from dystonia_teach import __version__
from dystonia_teach.casefiles.loader import list_cases, load_case
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.certainty import LEVELS
from dystonia_teach.core.engine import evaluate, recommended_actions
from dystonia_teach.core.errors import ActionError
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.reasoning import ReasoningSession
from dystonia_teach.core.results import Action, Assessment
from dystonia_teach.store import FRAME_COLUMNS, open_store
from dystonia_teach.store.base import AS_SUBMITTED

#: The diagnoses a demo learner names when wrong (a fixed list: the seeded demo class stays the
#: same when a course pack adds diagnoses).
GUESSES = ("radiculopathy_dystonia", "functional_dystonia", "isolated_dystonia",
           "dopa_responsive_dystonia", "parkinsonism_foot_dystonia", "polyneuropathy",
           "paroxysmal_exercise_induced_dyskinesia", "vascular_claudication", "wilson_disease",
           "myelopathy", "tarsal_tunnel", "other")

DEMO_PREFIX = "demo-"
_START = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class DemoAttempt:
    learner_id: str
    number: int
    submitted_at: datetime
    assessment: Assessment
    record: dict[str, object] | None = None  # the reasoning (``reasoning=True``)


def _plan(rng: random.Random, case: Case, slip: float, favourite: list[str]) -> list[Action]:
    """The recommended plan with steps dropped, wrong steps added and neighbours swapped."""
    kb = knowledge()
    plan = [a for a in recommended_actions(case) if rng.random() > slip * 0.3]
    wrong = [s for s in kb.steps if s not in {a.step for a in plan}]
    extras = [s for s in favourite if rng.random() < slip]
    extras += rng.sample(wrong, k=min(len(wrong), rng.choice((0, 1, 1, 2)))) if (
        rng.random() < slip) else []
    for step in dict.fromkeys(extras):
        if step in {a.step for a in plan}:
            continue
        dose = kb.steps[step].dose
        plan.insert(rng.randint(0, len(plan)), Action(step, dose.max_mg_per_day if dose else None))
    plan = [Action(a.step, a.dose_mg_per_day * 2) if a.dose_mg_per_day and rng.random() < slip * 0.3
            else a for a in plan]
    if len(plan) > 2 and rng.random() < slip:
        i = rng.randrange(len(plan) - 1)
        plan[i], plan[i + 1] = plan[i + 1], plan[i]
    return plan or recommended_actions(case)[:1]


def _sure(rng: random.Random, skill: float, likely_right: bool) -> str | None:
    """A certainty as a learner of ``skill`` would say it (none a quarter of the time)."""
    if rng.random() < 0.25:
        return None
    weights = (1 - skill, 1.0, 2 * skill) if likely_right else (skill, 1.0, 1.5 * (1 - skill))
    return rng.choices(LEVELS, weights)[0]


def _reasoning(case: Case, plan: list[Action], diagnosis: str, assessment: Assessment,
               rng: random.Random, skill: float) -> dict[str, object] | None:
    """The attempt worked as a reasoning session, with certainties; None when the workbench
    could not have made this plan (a test before examining) or judges it otherwise."""
    kb = knowledge()
    recommended = {a.step for a in recommended_actions(case)}
    session = ReasoningSession(case)
    try:
        for action in plan:
            sure = _sure(rng, skill, action.step in recommended)
            if kb.steps[action.step].reveals:
                session.order_test(action.step, priority=action.priority, certainty=sure,
                                   change="a result that would change the plan")
            else:
                session.add(action, certainty=sure)
        session.set_differential([diagnosis], certainty={
            diagnosis: _sure(rng, skill, diagnosis == case.diagnosis)})
    except ActionError:
        return None
    session.set_confidence(round(100 * skill) // 5 * 5)
    judged = session.submit().assessment
    if (judged.score, judged.pitfalls) != (assessment.score, assessment.pitfalls):
        return None
    return session.record()


def demo_attempts(learners: int = 30, cases: Sequence[str] | None = None, *, seed: int = 0,
                  max_attempts: int = 4, participation: float = 0.8,
                  reasoning: bool = False) -> Iterator[DemoAttempt]:
    """Yield the class's attempts, learner by learner (oldest first within a learner); with
    ``reasoning`` each with its reasoning record where the workbench could have made it."""
    rng = random.Random(seed)
    sure_rng = random.Random(f"{seed}-certainty")  # the plans stay those of the seed
    bank = [load_case(c) for c in (cases if cases is not None else list_cases())]
    mistakes = ["rigid_splinting", "bed_rest", "long_term_opioids", "botulinum_toxin",
                "deep_brain_stimulation", "anticholinergic_trial", "epidural_steroid_injection",
                "mri_lumbar_noncontrast", "decompressive_laminectomy"]
    for n in range(1, learners + 1):
        learner = f"{DEMO_PREFIX}{n:04d}"
        skill = rng.uniform(0.25, 0.97)
        favourite = rng.sample(mistakes, k=1) if skill < 0.6 else []
        clock = _START + timedelta(hours=rng.uniform(0, 72))
        for case in bank:
            if rng.random() > participation:
                continue
            tries = 1 + min(max_attempts - 1, int(rng.expovariate(skill * 2)))
            for number in range(1, tries + 1):
                slip = (1 - skill) * 0.6 ** (number - 1)
                plan = _plan(rng, case, slip, favourite)
                diagnosis = (case.diagnosis if rng.random() < skill + 0.1 * number
                             else rng.choice(GUESSES))
                clock += timedelta(minutes=rng.uniform(3, 240))
                assessment = evaluate(case, plan, diagnosis)
                record = (_reasoning(case, plan, diagnosis, assessment, sure_rng, skill)
                          if reasoning else None)
                yield DemoAttempt(learner, number, clock, assessment, record)


def demo_frame(learners: int = 30, cases: Sequence[str] | None = None, *,
               seed: int = 0, **options: float) -> pd.DataFrame:
    """The generated class as an attempts frame (the columns of ``store.to_frame()``)."""
    rows = [{
        "learner_id": a.learner_id,
        "case_id": a.assessment.case_id,
        "number": a.number,
        "submitted_at": a.submitted_at.isoformat(timespec="microseconds"),
        "score": float(a.assessment.score),
        "pitfalls": tuple(a.assessment.pitfalls),
        "graded": AS_SUBMITTED,
        "actions": tuple(x.as_data() for x in a.assessment.chosen),
        "working_diagnosis": a.assessment.working_diagnosis,
        "package_version": __version__,
    } for a in demo_attempts(learners, cases, seed=seed, **options)]
    frame = pd.DataFrame(rows, columns=[c for c in FRAME_COLUMNS if c != "attempt_id"])
    frame = frame.sort_values(["submitted_at", "learner_id"], kind="stable", ignore_index=True)
    frame.insert(0, "attempt_id", range(1, len(frame) + 1))
    return frame


def write_demo_store(path: Path | str | None = None, learners: int = 30, *, seed: int = 0,
                     reasoning: bool = False) -> str:
    """Save a generated class into a new SQLite store file (``path``, else a new temporary
    folder) and return its store URL; with ``reasoning`` the attempts carry their reasoning
    and certainties. Demo data only: learners are ``demo-…`` ids."""
    target = Path(tempfile.mkdtemp(prefix="dystonia-demo-")) / "demo.sqlite3" if (
        path is None) else Path(path)
    if target.exists():
        raise FileExistsError(f"{target} already exists; the demo class goes into a new file")
    with open_store(target) as store:
        for attempt in demo_attempts(learners, seed=seed, reasoning=reasoning):
            store.record(attempt.learner_id, attempt.assessment, attempt.record)
    return f"sqlite:///{target.resolve()}"
