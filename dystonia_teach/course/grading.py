"""Batch re-grading: re-score every stored attempt with the current engine and knowledge base.

The derived pathway is computed once per case, identical plans are judged once and cases are
judged in parallel processes, so a class's history re-grades in seconds (a notebook autograder
re-executing each submission takes seconds per student). Each grade records the package and
knowledge versions that produced it and the digest of the case it was judged on. A stored row
that cannot be read is left out and named; the worker processes die with the command.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections import defaultdict
from collections.abc import Hashable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from dystonia_teach.casefiles.digest import case_digest
from dystonia_teach.casefiles.loader import load_case
from dystonia_teach.core.engine import evaluate
from dystonia_teach.core.errors import DystoniaTeachError
from dystonia_teach.course.grading_status import knowledge_version
from dystonia_teach.store.base import AttemptStore, Grade


@dataclass
class GradeReport:
    """What a re-grading run did."""

    package_version: str
    knowledge_version: str
    attempts: int = 0
    regraded: int = 0
    changed: int = 0
    distinct_plans: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # case id or attempt -> why

    def lines(self) -> list[str]:
        out = [f"Re-graded {self.regraded} of {self.attempts} attempts ({self.distinct_plans} "
               f"distinct plans) with dystonia_teach {self.package_version}, knowledge "
               f"{self.knowledge_version}: {self.changed} scores changed."]
        out += [f"Not re-graded: {what}: {why}" for what, why in self.skipped.items()]
        return out


def regrade(store: AttemptStore, *, progress: bool | None = None,
            workers: int | None = None) -> GradeReport:
    """Re-score every attempt ``store`` shows and save the grades (all in one transaction).

    ``progress``: a tqdm bar on stderr (None: only when stderr is a terminal). ``workers``:
    processes judging cases in parallel (default: one per CPU for large stores). Attempts whose
    case is gone or whose plan names a step that no longer exists are listed, not graded.
    """
    from dystonia_teach import __version__

    report = GradeReport(__version__, knowledge_version())
    by_case: dict[str, list[Plan]] = defaultdict(list)
    for a in store.all_attempts(records=False):
        by_case[a.case_id].append((a.id, a.actions, a.working_diagnosis, a.score))
    report.attempts = sum(len(rows) for rows in by_case.values())
    if workers is None:
        workers = min(os.cpu_count() or 1, len(by_case)) if report.attempts > 5000 else 1
    grades: list[Grade] = []
    jobs = [(case_id, rows, report.package_version, report.knowledge_version)
            for case_id, rows in sorted(by_case.items(), key=lambda item: -len(item[1]))]
    with tqdm(total=report.attempts, unit="attempt", file=sys.stderr, desc="re-grading",
              disable=None if progress is None else not progress) as bar:
        if workers <= 1:
            results: Iterable[CaseResult] = map(_grade_case, jobs)
            for result in results:
                _merge(report, grades, result)
                bar.update(result.attempts)
        else:  # fork: the workers share the loaded knowledge base, nothing is re-imported
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=context, initializer=_die_with_parent,
                                     initargs=(os.getpid(),)) as pool:
                for result in pool.map(_grade_case, jobs):
                    _merge(report, grades, result)
                    bar.update(result.attempts)
    store.record_grades(grades)
    report.regraded = len(grades)
    for problem in store.needing_attention:
        report.skipped[problem.what] = (f"the stored row cannot be read ({problem.problem}); "
                                        "see dystonia-teach store quarantine")
    return report


def _die_with_parent(parent: int) -> None:
    """In a worker (forked, so in the command's process group): be killed with SIGKILL when
    the command dies, however it dies (Linux), and leave at once if it already has."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


Plan = tuple[int, tuple[str | dict[str, Any], ...], str | None, float]


@dataclass
class CaseResult:
    """One case's grades (from a worker)."""

    attempts: int
    grades: list[Grade]
    skipped: dict[str, str]
    changed: int
    distinct_plans: int


def _merge(report: GradeReport, grades: list[Grade], result: CaseResult) -> None:
    grades += result.grades
    report.skipped.update(result.skipped)
    report.changed += result.changed
    report.distinct_plans += result.distinct_plans


def _grade_case(job: tuple[str, list[Plan], str, str]) -> CaseResult:
    """Judge one case's attempts: its pathway derived once, each distinct plan judged once."""
    case_id, rows, package_version, kb_version = job
    result = CaseResult(len(rows), [], {}, 0, 0)
    try:
        case = load_case(case_id)
    except DystoniaTeachError as exc:
        result.skipped[f"case {case_id} ({len(rows)} attempts)"] = str(exc)
        return result
    digest = case_digest(case)
    judged: dict[Hashable, tuple[float, tuple[str, ...]] | str] = {}
    for attempt_id, actions, diagnosis, old_score in rows:
        plan = _plan_key(actions, diagnosis)
        if plan not in judged:
            try:
                assessment = evaluate(case, actions, diagnosis)  # pathway derived once per case
                judged[plan] = (assessment.score, assessment.pitfalls)
            except DystoniaTeachError as exc:  # e.g. a step removed from the knowledge base
                judged[plan] = str(exc)
        outcome = judged[plan]
        if isinstance(outcome, str):
            result.skipped[f"attempt {attempt_id}"] = outcome
            continue
        score, pitfalls = outcome
        result.changed += score != old_score
        result.grades.append(Grade(attempt_id, score, pitfalls, package_version, kb_version,
                                   digest))
    result.distinct_plans = len(judged)
    return result


def _plan_key(actions: tuple[str | dict[str, Any], ...], diagnosis: str | None) -> Hashable:
    """A key that is equal for two plans only when they are judged alike: a step id as itself,
    a dosed step by the repr of its sorted items (so 1000 and 1000.0, 1 and True, -0.0 and 0.0
    stay apart); cheaper than encoding every plan as JSON."""
    return diagnosis, tuple(
        action if type(action) is str else ("dosed", repr(sorted(action.items())))
        for action in actions)
