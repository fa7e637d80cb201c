"""Validation on simulated learners with known pitfall tendencies: the estimates converge, the
recommender exposes weak pitfalls more often than random choice, and item statistics recover
the simulated difficulty. Every run is seeded; each claim holds on three seeds."""

from __future__ import annotations

import numpy as np
import pytest

from dystonia_teach.casefiles.loader import list_cases
from dystonia_teach.course.chances import possible_at
from dystonia_teach.course.learner_model import class_record
from dystonia_teach.course.reports import check_frame
from dystonia_teach.course.simulation import (
    aligned_record,
    difficulty_recovery,
    estimate_error,
    exposure_ratio,
    possible_map,
    simulate,
    simulated_class,
)
from dystonia_teach.store import FRAME_COLUMNS

SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def possible() -> dict[str, frozenset[str]]:
    return {case_id: possible_at(case_id) for case_id in list_cases()}


def test_simulation_is_seeded_and_shaped_like_the_store(possible) -> None:
    sim = simulated_class(12, possible, seed=5)
    first, again = simulate(sim, 4, seed=6), simulate(sim, 4, seed=6)
    assert first.frame.equals(again.frame)
    assert not first.frame.equals(simulate(sim, 4, seed=7).frame)
    assert tuple(first.frame.columns) == FRAME_COLUMNS
    check_frame(first.frame)
    assert len(first.frame) == 12 * 4


def test_simulated_learners_have_known_weak_pitfalls(possible) -> None:
    sim = simulated_class(50, possible, seed=5)
    assert (sim.weak.sum(axis=1) >= 1).all() and (sim.weak.sum(axis=1) <= 2).all()
    assert (sim.tendency[sim.weak] >= 0.5).all()
    tested_everywhere = sim.possible.all(axis=0)
    assert not sim.weak[:, tested_everywhere].any()  # weak pitfalls are case-specific


def test_simulated_pitfalls_are_made_only_where_possible(possible) -> None:
    sim = simulated_class(20, possible, seed=8)
    run = simulate(sim, 10, seed=9)
    for case_id, pitfalls in zip(run.frame["case_id"], run.frame["pitfalls"], strict=True):
        assert set(pitfalls) <= possible[case_id]


def test_simulated_record_matches_the_record_read_from_the_frame(possible) -> None:
    """The simulator's running bookkeeping and class_record over its frame agree: counts,
    streaks and the times of the latest chance and attempt."""
    sim = simulated_class(30, possible, seed=12)
    run = simulate(sim, 15, "model", seed=13)
    kept, read = run.record, aligned_record(sim, class_record(run.frame, possible_map(sim)))
    assert (kept.chances == read.chances).all() and (kept.made == read.made).all()
    assert (kept.streak == read.streak).all()
    np.testing.assert_allclose(kept.last_chance, read.last_chance, atol=1e-6)
    cases = [read.cases.index(c) if c in read.cases else None for c in sim.cases]
    for k, column in enumerate(cases):
        if column is None:
            assert np.isnan(kept.last_attempt[:, k]).all()
        else:
            np.testing.assert_allclose(kept.last_attempt[:, k], read.last_attempt[:, column],
                                       atol=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_simulated_estimates_converge(possible, seed: int) -> None:
    sim = simulated_class(40, possible, seed=seed)
    errors = [estimate_error(sim, simulate(sim, n, seed=seed + 100)) for n in (3, 10, 40)]
    model = [e[0] for e in errors]
    assert model[0] > model[1] > model[2]
    assert model[2] < 0.08
    raw_at_three = errors[0][1]
    assert model[0] < raw_at_three  # the class prior helps most where chances are few


@pytest.mark.parametrize("seed", SEEDS)
def test_simulated_recommender_exposes_weak_pitfalls_more_than_random_choice(
        possible, seed: int) -> None:
    sim = simulated_class(40, possible, seed=seed)
    by_model, by_chance, ratio = exposure_ratio(sim, 20, seed=seed)
    assert by_model > by_chance
    assert ratio > 1.2


@pytest.mark.parametrize("seed", SEEDS)
def test_simulated_item_stats_recover_the_difficulty(possible, seed: int) -> None:
    sim = simulated_class(300, possible, seed=seed)
    recovery = difficulty_recovery(sim, simulate(sim, 10, seed=seed))
    assert recovery["pitfall_mae"] < 0.03
    assert recovery["case_correlation"] > 0.8


def test_simulated_recovery_fails_against_the_wrong_truth(possible) -> None:
    """The recovery check can fail: learners' tendencies shuffled across pitfalls no longer
    match the difficulties the item statistics find."""
    sim = simulated_class(300, possible, seed=4)
    run = simulate(sim, 10, seed=4)
    rng = np.random.default_rng(0)
    shuffled = sim.__class__(sim.learners, sim.codes, sim.cases, sim.possible,
                             sim.tendency[:, rng.permutation(len(sim.codes))], sim.weak)
    assert difficulty_recovery(shuffled, run)["pitfall_mae"] > 0.05
