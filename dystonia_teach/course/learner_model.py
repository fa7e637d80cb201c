"""The learner model: for each learner and pitfall, the chance of making it, and when to test
it again. ``docs/learner-model.md`` explains it in plain words.

- **Chances.** An attempt is a chance at a pitfall when its case makes the pitfall possible
  (``course.chances``). A retry of the same case less than a day after the learner's previous
  attempt at it is not counted: it tests reading the feedback, not what was learnt.
- **Estimate.** Beta-binomial: a learner who made a pitfall ``k`` times in ``n`` chances has the
  estimate ``(a + k) / (a + b + n)``, where ``Beta(a, b)`` is the class's prior for that
  pitfall (empirical Bayes: its mean is the class's rate; its weight, ``a + b`` pretend chances
  between 2 and 20, grows the more alike the learners are). With fewer than
  ``MIN_PRIOR_LEARNERS`` learners to learn from, the prior is ``Beta(1, 1)``: no opinion.
- **Spacing.** A simple expanding schedule in days (``REVIEW_DAYS``), chosen over the ``fsrs``
  scheduler: FSRS models the memory of one flashcard with parameters fitted to millions of
  flashcard reviews, while here one pitfall is tested by different cases a few times a term;
  doubling intervals are the Leitner-box rule, easy to explain to a learner and an instructor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.course.chances import attempt_chances
from dystonia_teach.course.recommend import (
    MIN_PRIOR_LEARNERS,
    PRIOR_WEIGHT,
    RETRY_DAYS,
    REVIEW_DAYS,
    beta_prior,
    severity_points,
)

__all__ = ["MIN_PRIOR_LEARNERS", "PRIOR_WEIGHT", "RETRY_DAYS", "REVIEW_DAYS", "BetaPrior",
           "ClassRecord", "LearnerState", "class_prior", "class_record", "estimate",
           "fit_prior", "learner_estimates", "learner_state", "review_days", "severity_weights"]


@dataclass(frozen=True)
class BetaPrior:
    """Per pitfall code (``codes``), the prior ``Beta(alpha, beta)`` and the number of learners
    it was learnt from (0: the no-opinion prior)."""

    codes: tuple[str, ...]
    alpha: np.ndarray
    beta: np.ndarray
    learners: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        return self.alpha / (self.alpha + self.beta)

    def as_dict(self) -> dict[str, dict[str, float]]:
        """Plain data (for JSON): code -> alpha, beta, learners. It holds no learner's id."""
        return {code: {"alpha": float(a), "beta": float(b), "learners": int(n)}
                for code, a, b, n in zip(self.codes, self.alpha, self.beta, self.learners,
                                         strict=True)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, float]]) -> BetaPrior:
        """The prior ``as_dict`` wrote; a ValueError names a code with a missing or bad value."""
        try:
            values = [(str(code), float(v["alpha"]), float(v["beta"]), int(v["learners"]))
                      for code, v in data.items()]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a class prior (code -> alpha, beta, learners): {exc!r}"
                             ) from exc
        bad = [code for code, a, b, _ in values if not (a > 0 and b > 0)]
        if bad:
            raise ValueError(f"class prior: alpha and beta must be positive for {bad[0]!r}")
        codes, alpha, beta, learners = zip(*values, strict=True) if values else ((),) * 4
        return cls(tuple(codes), np.array(alpha, dtype=float), np.array(beta, dtype=float),
                   np.array(learners, dtype=int))


@dataclass(frozen=True)
class ClassRecord:
    """What the model knows of a class: learners (rows) x pitfall codes (columns), and the
    learners' last attempt at each case. Times are days since 1970 (NaN: never)."""

    learners: tuple[str, ...]
    codes: tuple[str, ...]
    cases: tuple[str, ...]
    chances: np.ndarray
    made: np.ndarray
    #: Chances in a row without the pitfall, up to the learner's latest chance at it.
    streak: np.ndarray
    last_chance: np.ndarray
    #: learners x cases: the learner's latest attempt at the case (NaN: not attempted).
    last_attempt: np.ndarray

    def row(self, learner: str) -> int | None:
        """The learner's row, or None when the learner has no attempt."""
        try:
            return self.learners.index(learner)
        except ValueError:
            return None


@dataclass(frozen=True)
class LearnerState:
    """One learner's arrays over the pitfall codes (and ``last_attempt`` over the cases)."""

    estimate: np.ndarray
    made: np.ndarray
    chances: np.ndarray
    streak: np.ndarray
    last_chance: np.ndarray
    last_attempt: np.ndarray


def class_record(frame: pd.DataFrame, possible: Mapping[str, frozenset[str]] | None = None
                 ) -> ClassRecord:
    """The class's record from a frame of attempts (``store.to_frame()``)."""
    found = attempt_chances(frame, possible)
    learner_keys, learners = pd.factorize(frame["learner_id"], sort=True)
    case_keys, cases = pd.factorize(frame["case_id"], sort=True)
    size = (len(learners), len(found.codes))
    if not len(frame):
        nothing = np.zeros(size, dtype=int)
        return ClassRecord((), found.codes, (), nothing, nothing, nothing,
                           np.full(size, np.nan), np.zeros((0, 0)))
    order = np.lexsort((frame["attempt_id"].to_numpy(), found.day, learner_keys))
    learner_keys, case_keys, day = learner_keys[order], case_keys[order], found.day[order]
    counted = ~_is_retry(learner_keys, case_keys, day)
    chance = found.chance[order] & counted[:, None]
    made = found.made[order] & chance
    # rows are grouped by learner, learners in order: one reduceat per figure
    starts = np.flatnonzero(np.r_[True, learner_keys[1:] != learner_keys[:-1]])
    chances = np.add.reduceat(chance.astype(int), starts, axis=0)
    running = np.cumsum(chance, axis=0)  # chances so far, at each attempt, within its learner
    running -= np.repeat(np.vstack([np.zeros((1, size[1]), int), running[starts[1:] - 1]]),
                         np.diff(np.r_[starts, len(day)]), axis=0)
    at_last_made = np.maximum.reduceat(np.where(made, running, 0), starts, axis=0)
    last_chance = np.maximum.reduceat(np.where(chance, day[:, None], -np.inf), starts, axis=0)
    last_attempt = np.full(len(learners) * len(cases), -np.inf)
    np.maximum.at(last_attempt, learner_keys * len(cases) + case_keys, day)
    return ClassRecord(
        learners=tuple(map(str, learners)), codes=found.codes, cases=tuple(map(str, cases)),
        chances=chances, made=np.add.reduceat(made.astype(int), starts, axis=0),
        streak=chances - at_last_made,
        last_chance=np.where(np.isinf(last_chance), np.nan, last_chance),
        last_attempt=np.where(np.isinf(last_attempt), np.nan, last_attempt).reshape(
            len(learners), len(cases)))


def _is_retry(learner_keys: np.ndarray, case_keys: np.ndarray, day: np.ndarray) -> np.ndarray:
    """True for an attempt less than ``RETRY_DAYS`` after the same learner's previous attempt
    at the same case."""
    retry = np.zeros(len(day), dtype=bool)
    if len(day) < 2:
        return retry
    order = np.lexsort((day, case_keys, learner_keys))  # stable: time order within a pair
    same = ((learner_keys[order][1:] == learner_keys[order][:-1])
            & (case_keys[order][1:] == case_keys[order][:-1]))
    soon = np.diff(day[order]) < RETRY_DAYS
    retry[order[1:]] = same & soon
    return retry


def fit_prior(made: np.ndarray, chances: np.ndarray, codes: tuple[str, ...]) -> BetaPrior:
    """The class prior per code, by the method of moments over learners with chances.

    The mean is the pooled rate (half a pretend chance either way keeps it off 0 and 1). The
    weight ``a + b`` comes from how much learners' rates vary beyond what their numbers of
    chances explain (``rho = 1 / (a + b + 1)`` is their intra-class correlation), held within
    ``PRIOR_WEIGHT`` (the least when every learner had one chance: the spread is unknown).
    Too few learners: ``Beta(1, 1)``. Each code's figures are
    :func:`~dystonia_teach.course.recommend.beta_prior`'s, the one definition.
    """
    learners = (chances > 0).sum(axis=0)
    alpha, beta = np.ones(len(codes)), np.ones(len(codes))
    for c in np.flatnonzero(learners >= MIN_PRIOR_LEARNERS):
        alpha[c], beta[c] = beta_prior(made[:, c].tolist(), chances[:, c].tolist())
    return BetaPrior(codes, alpha, beta, learners)


def class_prior(record: ClassRecord) -> BetaPrior:
    """The prior the class sets for each pitfall."""
    return fit_prior(record.made, record.chances, record.codes)


def estimate(prior: BetaPrior, made: np.ndarray, chances: np.ndarray) -> np.ndarray:
    """The posterior mean chance of making each pitfall."""
    return (prior.alpha + made) / (prior.alpha + prior.beta + chances)


def review_days(streak: np.ndarray) -> np.ndarray:
    """Days until a pitfall is due again, from the clean chances in a row since it was made."""
    days = np.asarray(REVIEW_DAYS, dtype=float)
    return days[np.minimum(np.asarray(streak, dtype=int), len(days) - 1)]


def severity_weights(codes: tuple[str, ...]) -> np.ndarray:
    """Each code's severity as scoring.yaml weighs it (critical 25, warning 10, ...)."""
    return np.array([severity_points(c) for c in codes], dtype=float)


def learner_state(record: ClassRecord, learner: str, prior: BetaPrior,
                  cases: Sequence[str] = ()) -> LearnerState:
    """The learner's arrays from the class record (zeros for a learner with no attempt);
    ``last_attempt`` over ``cases``."""
    row = record.row(learner)
    size = len(record.codes)
    if row is None:
        none = np.zeros(size, dtype=int)
        return LearnerState(estimate(prior, none, none), none, none, none,
                            np.full(size, np.nan), np.full(len(cases), np.nan))
    column = {case: k for k, case in enumerate(record.cases)}
    last_attempt = np.array([record.last_attempt[row, column[c]] if c in column else np.nan
                             for c in cases])
    return LearnerState(estimate(prior, record.made[row], record.chances[row]),
                        record.made[row], record.chances[row], record.streak[row],
                        record.last_chance[row], last_attempt)


def learner_estimates(frame: pd.DataFrame, learner: str,
                      possible: Mapping[str, frozenset[str]] | None = None) -> pd.DataFrame:
    """One learner's pitfalls: chances, times made, the estimate with the class's prior mean,
    and the date the pitfall is due again (NaT before any chance), riskiest first."""
    record = class_record(frame, possible)
    prior = class_prior(record)
    state = learner_state(record, learner, prior)
    findings = knowledge().findings
    table = pd.DataFrame({
        "pitfall": record.codes,
        "label": [findings[c].label if c in findings else c for c in record.codes],
        "severity": [findings[c].severity if c in findings else "warning"
                     for c in record.codes],
        "chances": state.chances, "made": state.made, "estimate": state.estimate.round(3),
        "class_mean": prior.mean.round(3),
        "due_on": pd.to_datetime(state.last_chance + review_days(state.streak), unit="D",
                                 utc=True).floor("D"),
    })
    risk = table["estimate"] * severity_weights(record.codes)
    return table.iloc[np.argsort(-risk.to_numpy(), kind="stable")].reset_index(drop=True)
