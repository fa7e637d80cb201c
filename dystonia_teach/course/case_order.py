"""Which case a learner works next, as the workbench's "Next case" button asks, and which
cases the learner has finished (marked in the case picker).

:func:`next_case` is the one place the button asks. With the learner's attempts in a store it
takes the adaptive recommender's choice (:func:`dystonia_teach.course.recommend.
recommend_next_case`: the case testing the learner's riskiest pitfall, with the reason, read
through the store's API in plain Python so that a learner's kernel stays light);
without a store (a learner working without saving) it takes the first unfinished case after
the current one in the bank's order, wrapping round. A case is *finished* when an attempt
covers its last visit::

    choice = next_case(store, "owl_7", "early_uncomplicated", list_cases())
    choice.case_id, choice.reason
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from dystonia_teach.casefiles.loader import load_case
from dystonia_teach.core.errors import DystoniaTeachError
from dystonia_teach.core.visits import visit_count
from dystonia_teach.course.recommend import recommend_next_case
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


def next_unfinished(current: str, cases: Sequence[str],
                    finished: Iterable[str] = ()) -> NextCase | None:
    """The first case after ``current`` in ``cases`` (wrapping round) not in ``finished``;
    when every other case is finished, the one after ``current``. None: no other case."""
    position = cases.index(current) + 1 if current in cases else 0
    others = [c for c in [*cases[position:], *cases[:position]] if c != current]
    if not others:
        return None
    done = set(finished)
    for case_id in others:
        if case_id not in done:
            return NextCase(case_id, f"Case {cases.index(case_id) + 1} is the next case you "
                                     "have not finished.")
    return NextCase(others[0], f"You have finished every case; case "
                               f"{cases.index(others[0]) + 1} is next in the list.")


def next_case(store: AttemptStore | None, learner_id: str | None, current: str,
              cases: Sequence[str], finished: Iterable[str] = ()) -> NextCase | None:
    """The case to work after ``current`` among ``cases``, with the reason in one sentence
    (see the module docstring); ``finished`` adds cases finished but not saved. None when
    there is no other case."""
    others = [c for c in cases if c != current]
    if store is not None and learner_id and others:
        try:
            choice = recommend_next_case(store, learner_id, others)
            return NextCase(choice.case_id, choice.reason)
        except (DystoniaTeachError, ValueError):  # e.g. a case that no longer loads
            pass
    attempts = store.attempts(learner_id) if store is not None and learner_id else []
    return next_unfinished(current, cases, finished_cases(attempts) | set(finished))
