"""Which case a learner should work next, and why, in one sentence.

:func:`next_case` is the one place the workbench's "Next case" button asks. This version is
simple and documented: the first unfinished case after the current one, in the bank's order
(wrapping round); once every case is finished, the case with the learner's lowest best score.
An adaptive recommender (a learner model over pitfalls) can replace its body without changing
the button. A case is *finished* when an attempt covers its last visit::

    choice = next_case(store, "owl_7", "early_uncomplicated", list_cases())
    choice.case_id, choice.reason
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from dystonia_teach.casefiles.loader import load_case
from dystonia_teach.core.errors import DystoniaTeachError
from dystonia_teach.core.visits import visit_count
from dystonia_teach.store import Attempt, AttemptStore


class NextCase(NamedTuple):
    case_id: str
    reason: str


def _visits(case_id: str) -> int:
    try:
        return visit_count(load_case(case_id))
    except DystoniaTeachError:
        return 1


def finished_cases(attempts: Iterable[Attempt]) -> set[str]:
    """Ids of the cases whose last visit an attempt covers (an attempt saved without its
    reasoning counts for a case of one visit)."""
    done = set()
    for attempt in attempts:
        visits = (attempt.record or {}).get("visits")
        covered = len(visits) if isinstance(visits, list) and visits else 1
        if covered >= _visits(attempt.case_id):
            done.add(attempt.case_id)
    return done


def next_case(store: AttemptStore | None, learner_id: str | None, current: str,
              cases: Sequence[str], finished: Iterable[str] = ()) -> NextCase | None:
    """The case to work after ``current`` among ``cases`` (in the bank's order), with the
    reason; ``finished`` adds cases finished but not saved. None when there is no other case."""
    attempts = store.attempts(learner_id) if store is not None and learner_id else []
    done = finished_cases(attempts) | set(finished) | {current}
    others = [*cases[cases.index(current) + 1:], *cases[:cases.index(current)]] \
        if current in cases else list(cases)
    for case_id in others:
        if case_id not in done:
            number = cases.index(case_id) + 1
            return NextCase(case_id, f"Case {number} is the next case you have not finished.")
    best: dict[str, float] = {}
    for attempt in attempts:
        best[attempt.case_id] = max(best.get(attempt.case_id, 0.0), attempt.score)
    scored = [c for c in others if c in best]
    if scored:
        weakest = min(scored, key=lambda c: best[c])
        return NextCase(weakest, f"You have finished every case; case {cases.index(weakest) + 1}"
                                 f" had your lowest best score ({round(best[weakest] * 100)}"
                                 "/100): try it again.")
    return NextCase(others[0], f"Case {cases.index(others[0]) + 1} is next in the list.") \
        if others else None
