"""A seeded simulator of learners with known pitfall tendencies, to validate the learner
model, the next-case recommender and the item statistics against the truth they must find.

Each simulated learner has a true chance of making each pitfall when a case makes it
possible: a class-wide base rate per pitfall, moved up or down by the learner's general
ability, and one or two *weak* pitfalls (a chance of 0.5 to 0.9) among those that only some
cases test. An attempt makes each possible pitfall independently with the learner's chance and
scores 1 less the pitfalls' severity points (scoring.yaml) over 100. The learners do not learn:
their tendencies stay known, so the estimates can be compared with them. The same seed always
gives the same class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import numpy as np
import pandas as pd

from dystonia_teach import __version__
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.course.chances import EPOCH, pitfall_codes
from dystonia_teach.course.item_stats import item_statistics
from dystonia_teach.course.learner_model import (
    ClassRecord,
    LearnerState,
    class_prior,
    class_record,
    estimate,
    fit_prior,
    severity_weights,
)
from dystonia_teach.course.next_case import choose
from dystonia_teach.store import FRAME_COLUMNS
from dystonia_teach.store.base import AS_SUBMITTED

SIM_PREFIX = "sim-"
START = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
#: Days between a simulated learner's attempts (drawn uniformly).
GAP_DAYS = (1.0, 3.0)
Strategy = Literal["model", "random"]


@dataclass(frozen=True)
class SimulatedClass:
    """Learners (rows) x pitfall codes (columns): true chances and which codes are weak."""

    learners: tuple[str, ...]
    codes: tuple[str, ...]
    cases: tuple[str, ...]
    #: cases x codes: True where the case makes the pitfall possible.
    possible: np.ndarray
    tendency: np.ndarray
    weak: np.ndarray


def simulated_class(learners: int, possible: Mapping[str, frozenset[str]], *,
                    seed: int = 0) -> SimulatedClass:
    """``learners`` simulated learners for the cases of ``possible`` (case -> its pitfalls)."""
    rng = np.random.default_rng(seed)
    cases = tuple(sorted(possible))
    codes = pitfall_codes()
    grid = np.array([[c in possible[k] for c in codes] for k in cases], dtype=bool)
    base = rng.uniform(0.03, 0.3, len(codes))
    ability = rng.normal(0.0, 1.0, learners)
    logit = np.log(base / (1 - base))[None, :] - 0.8 * ability[:, None]
    tendency = 1 / (1 + np.exp(-logit))
    tested = grid.sum(axis=0)
    specific = np.flatnonzero((tested > 0) & (tested < len(cases)))
    weak = np.zeros((learners, len(codes)), dtype=bool)
    for row in range(learners):
        picked = rng.choice(specific, size=min(len(specific), rng.integers(1, 3)),
                            replace=False)
        weak[row, picked] = True
        tendency[row, picked] = rng.uniform(0.5, 0.9, len(picked))
    names = tuple(f"{SIM_PREFIX}{n:04d}" for n in range(1, learners + 1))
    return SimulatedClass(names, codes, cases, grid, tendency, weak)


@dataclass(frozen=True)
class SimulationRun:
    """The attempts as ``store.to_frame()`` gives them, the record the simulator kept as it
    went (``class_record(frame)`` must find the same), and the weak-pitfall exposures."""

    frame: pd.DataFrame
    record: ClassRecord
    #: Per learner: attempts at a case that made one of the learner's weak pitfalls possible.
    weak_exposures: np.ndarray
    attempts: int


def simulate(sim: SimulatedClass, attempts: int, strategy: Strategy = "random", *,
             seed: int = 0) -> SimulationRun:
    """Every learner works ``attempts`` cases, one every 1-3 days; the case is chosen at random
    or by the recommender (``choose``) from the record so far, all learners in step."""
    rng = np.random.default_rng(seed)
    size, n_codes, n_cases = len(sim.learners), len(sim.codes), len(sim.cases)
    made = np.zeros((size, n_codes), dtype=int)
    chances = np.zeros((size, n_codes), dtype=int)
    streak = np.zeros((size, n_codes), dtype=int)
    last_chance = np.full((size, n_codes), np.nan)
    last_attempt = np.full((size, n_cases), np.nan)
    numbers = np.zeros((size, n_cases), dtype=int)
    weights = severity_weights(sim.codes)
    day = np.full(size, (START - EPOCH.to_pydatetime()).total_seconds() / 86_400)
    exposures = np.zeros(size, dtype=int)
    rows = []
    for _ in range(attempts):
        prior = fit_prior(made, chances, sim.codes) if strategy == "model" else None
        for row in range(size):
            day[row] += rng.uniform(*GAP_DAYS)
            if prior is None:
                case = int(rng.integers(n_cases))
            else:
                state = LearnerState(estimate(prior, made[row], chances[row]), made[row],
                                     chances[row], streak[row], last_chance[row],
                                     last_attempt[row])
                chosen = choose(sim.possible, weights, state, day[row])
                case = chosen[0] if chosen else int(np.argmin(np.nan_to_num(
                    last_attempt[row], nan=-np.inf)))
            chance = sim.possible[case]
            hit = chance & (rng.random(n_codes) < sim.tendency[row])
            made[row] += hit
            chances[row] += chance
            streak[row] = np.where(chance, np.where(hit, 0, streak[row] + 1), streak[row])
            last_chance[row] = np.where(chance, day[row], last_chance[row])
            last_attempt[row, case] = day[row]
            numbers[row, case] += 1
            exposures[row] += bool((chance & sim.weak[row]).any())
            rows.append((sim.learners[row], sim.cases[case], int(numbers[row, case]), day[row],
                         _score(hit, weights), tuple(np.asarray(sim.codes)[hit])))
    record = ClassRecord(sim.learners, sim.codes, sim.cases, chances, made, streak, last_chance,
                         last_attempt)
    return SimulationRun(_frame(rows), record, exposures, attempts)


def _score(hit: np.ndarray, weights: np.ndarray) -> float:
    points = knowledge().scoring.coverage_points
    return round(max(0.0, 1 - float(weights[hit].sum()) / points), 3)


def _frame(rows: Sequence[tuple]) -> pd.DataFrame:
    stamps = [(EPOCH + pd.Timedelta(days=d)).isoformat(timespec="microseconds")
              for _, _, _, d, _, _ in rows]
    frame = pd.DataFrame({
        "attempt_id": range(1, len(rows) + 1),
        "learner_id": [r[0] for r in rows], "case_id": [r[1] for r in rows],
        "number": [r[2] for r in rows], "submitted_at": stamps,
        "score": [r[4] for r in rows], "pitfalls": [r[5] for r in rows],
        "graded": AS_SUBMITTED, "actions": [() for _ in rows], "working_diagnosis": None,
        "package_version": __version__, "case_digest": None})
    return frame[list(FRAME_COLUMNS)]


# -- validation figures ---------------------------------------------------------------------

def possible_map(sim: SimulatedClass) -> dict[str, frozenset[str]]:
    """The simulated class's cases with their possible pitfalls."""
    return {case: frozenset(np.asarray(sim.codes)[sim.possible[k]])
            for k, case in enumerate(sim.cases)}


def estimate_error(sim: SimulatedClass, run: SimulationRun) -> tuple[float, float]:
    """Mean absolute error of the model's estimates against the true chances, and that of the
    raw share made (made / chances), over the (learner, pitfall) pairs with a chance."""
    record = aligned_record(sim, class_record(run.frame, possible_map(sim)))
    prior = class_prior(record)
    seen = record.chances > 0
    model = estimate(prior, record.made, record.chances)
    raw = np.divide(record.made, record.chances, out=np.zeros(record.made.shape), where=seen)
    truth = sim.tendency
    return (float(np.abs(model - truth)[seen].mean()), float(np.abs(raw - truth)[seen].mean()))


def aligned_record(sim: SimulatedClass, record: ClassRecord) -> ClassRecord:
    """The record with its rows and columns in the simulated class's order."""
    rows = [record.learners.index(name) for name in sim.learners]
    cols = [record.codes.index(code) for code in sim.codes]
    pick = np.ix_(rows, cols)
    return ClassRecord(sim.learners, sim.codes, record.cases, record.chances[pick],
                       record.made[pick], record.streak[pick], record.last_chance[pick],
                       record.last_attempt[rows])


def exposure_ratio(sim: SimulatedClass, attempts: int, *, seed: int = 0
                   ) -> tuple[float, float, float]:
    """Share of attempts exposing a learner's weak pitfall under the recommender and under
    random choice, and their ratio."""
    model = simulate(sim, attempts, "model", seed=seed)
    chance = simulate(sim, attempts, "random", seed=seed)
    by_model = float(model.weak_exposures.mean()) / attempts
    by_chance = float(chance.weak_exposures.mean()) / attempts
    return by_model, by_chance, by_model / by_chance


def difficulty_recovery(sim: SimulatedClass, run: SimulationRun) -> dict[str, float]:
    """How well item statistics recover the simulated difficulty: for pitfall items, the mean
    absolute error of the share avoided against 1 - the learners' mean true chance; for case
    items, the correlation of the mean first score with the expected one (1 - the possible
    pitfalls' expected severity points / 100)."""
    stats = item_statistics(run.frame, possible_map(sim), min_learners=1).table
    pitfalls = stats[stats["kind"] == "pitfall"].set_index("item")["difficulty"]
    code_index = {c: n for n, c in enumerate(sim.codes)}
    truth = pd.Series({c: 1 - sim.tendency[:, code_index[c]].mean() for c in pitfalls.index})
    cases = stats[stats["kind"] == "case"].set_index("item")["difficulty"]
    points = knowledge().scoring.coverage_points
    case_index = {c: n for n, c in enumerate(sim.cases)}
    expected = pd.Series({
        c: 1 - float((sim.tendency[:, sim.possible[case_index[c]]]
                      @ severity_weights(sim.codes)[sim.possible[case_index[c]]]).mean())
        / points for c in cases.index})
    return {"pitfall_mae": float((pitfalls - truth).abs().mean()),
            "case_correlation": float(np.corrcoef(cases, expected[cases.index])[0, 1])}
