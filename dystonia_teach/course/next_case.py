"""The next case for a learner: the one that tests their riskiest pitfall, with the reason.

Each pitfall's risk is its severity (scoring.yaml's points) times the learner's estimated
chance of making it (``course.learner_model``). A case is a candidate for a pitfall when its
facts make the pitfall possible and the learner has not worked it yet, or has worked it at
least a day ago and the pitfall is due again. The case whose riskiest candidate pitfall is the
riskiest wins; ties go to a new case, then to the case testing the most risk in all::

    from dystonia_teach.course.next_case import recommend_next_case
    with open_store() as store:
        choice = recommend_next_case(store, learner)
    choice.case_id, choice.reason   # "You made “…” in 2 of 3 chances; this case tests it again."
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from dystonia_teach.casefiles.loader import list_cases, load_case
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.pitfall_chances import possible_pitfalls
from dystonia_teach.course.chances import possible_at, possible_table
from dystonia_teach.course.learner_model import (
    MIN_PRIOR_LEARNERS,
    RETRY_DAYS,
    BetaPrior,
    LearnerState,
    class_prior,
    class_record,
    learner_state,
    review_days,
    severity_weights,
)
from dystonia_teach.store.base import AttemptStore, validate_learner_id


@dataclass(frozen=True)
class Recommendation:
    """The case to work next and why, in one sentence; the pitfall it tests with the learner's
    record on it (``made`` of ``chances``) and estimate; ``again``: a case worked before."""

    case_id: str
    reason: str
    pitfall: str | None = None
    made: int = 0
    chances: int = 0
    estimate: float | None = None
    again: bool = False


def choose(possible: np.ndarray, weights: np.ndarray, state: LearnerState,
           now: float) -> tuple[int, int] | None:
    """(case, pitfall) indices of the choice; ``possible`` is cases x codes, times in days.
    None when no case is a candidate for any pitfall with a risk above zero."""
    due = np.isnan(state.last_chance) | (now >= state.last_chance
                                         + review_days(state.streak))
    unseen = np.isnan(state.last_attempt)
    rested = ~unseen & (now - np.nan_to_num(state.last_attempt, nan=now) >= RETRY_DAYS)
    eligible = possible & (unseen[:, None] | (rested[:, None] & due[None, :]))
    risk = np.where(eligible, (weights * state.estimate)[None, :], 0.0)
    best = risk.max(axis=1, initial=0.0)
    candidates = np.flatnonzero(best > 0)
    if not len(candidates):
        return None
    total = risk.sum(axis=1)
    case = max(candidates, key=lambda k: (best[k], unseen[k], total[k], -k))
    return int(case), int(np.argmax(risk[case]))


def next_case(frame: pd.DataFrame, learner: str, cases: Sequence[str], *,
              now: datetime | None = None,
              possible: Mapping[str, frozenset[str]] | None = None,
              prior: BetaPrior | None = None) -> Recommendation:
    """The recommendation for ``learner`` among ``cases`` (ids), from a frame of attempts
    (``store.to_frame()``; the learner may have none yet) and the class prior (by default
    learnt from the frame)."""
    if not cases:
        raise ValueError("no cases to choose the next one from")
    possible = possible if possible is not None else possible_table(frame, cases)
    record = class_record(frame, possible)
    prior = _aligned_prior(prior, record.codes) if prior is not None else class_prior(record)
    state = learner_state(record, learner, prior, cases)
    made, chances, last_attempt = state.made, state.chances, state.last_attempt
    codes = record.codes
    matrix = np.array([[code in possible.get(c, ()) for code in codes] for c in cases],
                      dtype=bool)
    today = (now or datetime.now(UTC)).timestamp() / 86_400
    chosen = choose(matrix, severity_weights(codes), state, today)
    if chosen is None:
        return _longest_ago(cases, last_attempt, today)
    k, c = chosen
    days_ago = None if np.isnan(last_attempt[k]) else int(today - last_attempt[k])
    return Recommendation(
        case_id=cases[k],
        reason=_reason(codes[c], int(made[c]), int(chances[c]), days_ago,
                       float(prior.mean[c]) if prior.learners[c] >= MIN_PRIOR_LEARNERS
                       else None),
        pitfall=codes[c], made=int(made[c]), chances=int(chances[c]),
        estimate=round(float(state.estimate[c]), 3), again=days_ago is not None)


def _aligned_prior(prior: BetaPrior, codes: tuple[str, ...]) -> BetaPrior:
    """``prior`` for ``codes`` in their order (a code it does not know: no opinion)."""
    index = {code: n for n, code in enumerate(prior.codes)}

    def pick(values: np.ndarray, missing: float) -> np.ndarray:
        return np.array([values[index[c]] if c in index else missing for c in codes])

    return BetaPrior(codes, pick(prior.alpha, 1.0), pick(prior.beta, 1.0),
                     pick(prior.learners, 0))


def _reason(code: str, made: int, chances: int, days_ago: int | None,
            class_rate: float | None) -> str:
    """The choice in one sentence."""
    findings = knowledge().findings
    label = f"“{findings[code].label}”" if code in findings else f"“{code}”"
    case = ("this case" if days_ago is None else
            f"this case, which you worked {_days(days_ago)},")
    if made:
        return (f"You made {label} in {made} of {chances} chance{_s(chances)}; "
                f"{case} tests it again.")
    if chances:
        return (f"You avoided {label} in all {chances} chance{_s(chances)} so far; "
                f"{case} tests it again.")
    if class_rate is not None:
        return (f"This case tests {label}, which you have not met yet; learners in your class "
                f"made it in {round(100 * class_rate)}% of their chances.")
    severity = findings[code].severity if code in findings else "warning"
    kind = "a critical pitfall" if severity == "critical" else "a pitfall"
    return f"This case tests {label}, {kind} you have not met yet."


def _longest_ago(cases: Sequence[str], last_attempt: np.ndarray,
                 today: float) -> Recommendation:
    k = int(np.nanargmin(last_attempt)) if not np.isnan(last_attempt).all() else 0
    ago = None if np.isnan(last_attempt[k]) else int(today - last_attempt[k])
    when = f" ({_days(ago)})" if ago is not None else ""
    return Recommendation(cases[k], "No pitfall is due yet; this is the case you worked "
                                    f"longest ago{when}.", again=ago is not None)


def _days(days: int) -> str:
    return "today" if days <= 0 else "yesterday" if days == 1 else f"{days} days ago"


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def learner_frame(store: AttemptStore, learner: str) -> pd.DataFrame:
    """The learner's attempts as ``store.to_frame()`` gives them (the columns the model reads),
    re-graded pitfalls where a re-grade is visible; only the learner's rows are read."""
    grades = store.grades()
    rows = []
    for a in store.attempts(learner):
        grade = grades.get(a.id)
        rows.append((a.id, a.learner_id, a.case_id, a.number, a.submitted_at,
                     grade.score if grade else a.score, grade.pitfalls if grade else a.pitfalls))
    return pd.DataFrame(rows, columns=["attempt_id", "learner_id", "case_id", "number",
                                       "submitted_at", "score", "pitfalls"])


def recommend_next_case(store: AttemptStore, learner: str,
                        cases: Sequence[str | Case] | None = None, *,
                        now: datetime | None = None,
                        prior: BetaPrior | None = None) -> Recommendation:
    """The case ``learner`` should work next among ``cases`` (ids or cases; default: every
    available case), from the attempts in ``store`` (only its public API).

    ``prior``: the class's prior, computed once by whoever sees the class (``class_prior``);
    then only the learner's own attempts are read. Without it the prior comes from every
    attempt the store shows: the class on a laptop's or an instructor's store, only the
    learner's own on a learner's PostgreSQL connection (the prior then has no opinion).
    An unknown case id is an error naming it.
    """
    validate_learner_id(learner)
    if cases is None:
        cases = [c for c in list_cases() if possible_at(c) is not None]
    ids = [c.id if isinstance(c, Case) else str(c) for c in cases]
    given = {c.id: possible_pitfalls(c) for c in cases if isinstance(c, Case)}
    for case_id in ids:
        if case_id not in given and possible_at(case_id) is None:
            load_case(case_id)  # raises the error that names the case and its problem
    frame = store.to_frame() if prior is None else learner_frame(store, learner)
    return next_case(frame, learner, ids, now=now, prior=prior,
                     possible={**possible_table(frame, ids), **given})
