"""The next case for a learner, from a frame of a class's attempts, vectorised: for class
tools and the simulator (``choose``), where many learners are asked at once.

Each pitfall's risk is its severity (scoring.yaml's points) times the learner's estimated
chance of making it (``course.learner_model``). A case is a candidate for a pitfall when its
facts make the pitfall possible and the learner has not worked it yet, or has worked it at
least a day ago and the pitfall is due again. The case whose riskiest candidate pitfall is the
riskiest wins; ties go to a new case, then to the case testing the most risk in all. A learner's
"Next case" asks :func:`dystonia_teach.course.recommend.recommend_next_case`, the same rules in
plain Python over the store's API; a test holds the two to the same choice::

    choice = next_case(store.to_frame(), learner, case_ids)
    choice.case_id, choice.reason   # "You made “…” in 2 of 3 chances; this case tests it again."
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from dystonia_teach.course.chances import possible_table
from dystonia_teach.course.learner_model import (
    BetaPrior,
    LearnerState,
    class_prior,
    class_record,
    learner_state,
    review_days,
    severity_weights,
)
from dystonia_teach.course.recommend import (
    MIN_PRIOR_LEARNERS,
    RETRY_DAYS,
    Recommendation,
    longest_ago,
    reason,
)


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
        return longest_ago(cases, [None if np.isnan(d) else float(d) for d in last_attempt],
                           today)
    k, c = chosen
    days_ago = None if np.isnan(last_attempt[k]) else int(today - last_attempt[k])
    return Recommendation(
        case_id=cases[k],
        reason=reason(codes[c], int(made[c]), int(chances[c]), days_ago,
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
