"""The learner model: which pitfalls a case makes possible, chances counted from a frame,
the Beta-binomial estimate with the class as its prior, and the spacing schedule."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from dystonia_teach import evaluate, list_cases, load_case, recommended_actions
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.pitfall_chances import possible_pitfalls
from dystonia_teach.core.visits import case_at_visit, visit_count
from dystonia_teach.course.learner_model import (
    PRIOR_WEIGHT,
    REVIEW_DAYS,
    class_prior,
    class_record,
    estimate,
    fit_prior,
    learner_estimates,
    review_days,
)

EARLY, DROP, CKD = "early_uncomplicated", "progressive_foot_drop", "nsaid_contraindicated_ckd"


def test_learner_model_possible_pitfalls_follow_the_case_facts() -> None:
    early, drop = possible_pitfalls(load_case(EARLY)), possible_pitfalls(load_case(DROP))
    assert "missed_red_flag" in drop and "missed_red_flag" not in early  # no red flag early
    assert "premature_imaging" in early and "premature_imaging" not in drop  # red flag: image
    assert "contraindicated" in possible_pitfalls(load_case(CKD))  # kidney disease: NSAIDs
    assert "contraindicated" not in early
    assert {"incomplete_assessment", "splinting"} <= early & drop  # every case tests these


@pytest.mark.parametrize("case_id", list_cases())
def test_learner_model_possible_pitfalls_cover_random_plans(case_id: str) -> None:
    """No plan makes a pitfall the probes did not find possible (seeded random plans)."""
    case = load_case(case_id)
    possible = possible_pitfalls(case)
    kb = knowledge()
    steps = list(kb.steps)
    rng = random.Random(case_id)
    for index in range(visit_count(case)):
        at_visit = case_at_visit(case, index)
        pathway = [a.as_data() for a in recommended_actions(at_visit)]
        for _ in range(150):
            plan = rng.sample(pathway, rng.randint(0, len(pathway)))
            for step in rng.sample(steps, rng.randint(0, 4)):
                dose = kb.steps[step].dose
                plan.append({"step": step, "dose_mg_per_day": dose.max_mg_per_day * rng.choice(
                    (0.1, 1, 3))} if dose else step)
            made = set(evaluate(at_visit, plan).pitfalls)
            assert made <= possible, (index, plan, made - possible)


def row(attempt_id: int, learner: str, case_id: str, day: float, pitfalls: tuple) -> dict:
    stamp = pd.Timestamp("2026-02-01T09:00:00+00:00") + pd.Timedelta(days=day)
    return {"attempt_id": attempt_id, "learner_id": learner, "case_id": case_id, "number": 1,
            "submitted_at": stamp.isoformat(), "score": 0.5, "pitfalls": pitfalls,
            "actions": ()}


POSSIBLE = {EARLY: frozenset({"splinting", "premature_imaging"}),
            DROP: frozenset({"splinting", "missed_red_flag"})}


def counts(record, learner: str, code: str) -> tuple[int, int, int]:
    r, c = record.row(learner), record.codes.index(code)
    return int(record.made[r, c]), int(record.chances[r, c]), int(record.streak[r, c])


def test_learner_model_counts_a_chance_only_where_the_pitfall_is_possible() -> None:
    frame = pd.DataFrame([row(1, "ann", EARLY, 0, ("splinting",)),
                          row(2, "ann", EARLY, 3, ()),
                          row(3, "ann", DROP, 5, ("missed_red_flag",))])
    record = class_record(frame, POSSIBLE)
    assert counts(record, "ann", "splinting") == (1, 3, 2)
    assert counts(record, "ann", "missed_red_flag") == (1, 1, 0)
    assert counts(record, "ann", "premature_imaging") == (0, 2, 2)
    assert counts(record, "ann", "contraindicated") == (0, 0, 0)  # neither case tests it


def test_learner_model_a_same_day_retry_is_not_a_new_chance() -> None:
    frame = pd.DataFrame([row(1, "bob", DROP, 0, ("missed_red_flag",)),
                          row(2, "bob", DROP, 0.1, ()),    # retry after reading the feedback
                          row(3, "bob", DROP, 2, ())])      # two days later: a chance again
    assert counts(class_record(frame, POSSIBLE), "bob", "missed_red_flag") == (1, 2, 1)


def test_learner_model_made_pitfall_counts_even_where_not_probed() -> None:
    frame = pd.DataFrame([row(1, "cat", EARLY, 0, ("contraindicated",))])
    assert counts(class_record(frame, POSSIBLE), "cat", "contraindicated") == (1, 1, 0)


def test_learner_model_beta_binomial_with_no_class_by_hand() -> None:
    # Fewer than five learners: prior Beta(1, 1). 2 of 3 -> (1 + 2) / (1 + 1 + 3) = 0.6
    prior = fit_prior(np.array([[2]]), np.array([[3]]), ("missed_red_flag",))
    assert (prior.alpha[0], prior.beta[0], prior.learners[0]) == (1.0, 1.0, 1)
    assert estimate(prior, np.array([2]), np.array([3]))[0] == pytest.approx(0.6)


def test_learner_model_class_prior_mean_is_the_pooled_rate() -> None:
    made = np.array([[1], [2], [0], [3], [1], [1]])
    chances = np.array([[4], [4], [4], [4], [4], [4]])
    prior = fit_prior(made, chances, ("splinting",))
    # pooled: (8 + 0.5) / (24 + 1) = 0.34
    assert prior.mean[0] == pytest.approx(0.34)


def test_learner_model_prior_weight_follows_how_alike_learners_are() -> None:
    alike = fit_prior(np.full((40, 1), 3), np.full((40, 1), 10), ("x",))
    apart = fit_prior(np.array([[10], [0]] * 20), np.full((40, 1), 10), ("x",))
    assert alike.alpha[0] + alike.beta[0] == pytest.approx(PRIOR_WEIGHT[1])
    assert apart.alpha[0] + apart.beta[0] == pytest.approx(PRIOR_WEIGHT[0])


def test_learner_model_method_of_moments_finds_a_known_prior_weight() -> None:
    rng = np.random.default_rng(11)
    rates = rng.beta(2.0, 6.0, 3000)  # true weight a + b = 8, mean 0.25
    chances = rng.integers(3, 15, 3000)
    made = rng.binomial(chances, rates)
    prior = fit_prior(made[:, None], chances[:, None], ("x",))
    assert prior.alpha[0] + prior.beta[0] == pytest.approx(8.0, rel=0.15)
    assert prior.mean[0] == pytest.approx(0.25, abs=0.01)


def test_learner_model_review_schedule_doubles_to_a_month() -> None:
    assert review_days(np.arange(8)).tolist() == [1, 2, 4, 8, 16, 30, 30, 30]
    assert REVIEW_DAYS[0] == 1  # a pitfall just made comes back the next day


def test_learner_model_estimates_table_for_one_learner() -> None:
    frame = pd.DataFrame(
        [row(n, f"l{n}", DROP, n, ("missed_red_flag",) if n % 3 == 0 else ())
         for n in range(1, 13)]
        + [row(20, "bob", DROP, 0, ("missed_red_flag",)), row(21, "bob", DROP, 2, ()),
           row(22, "bob", DROP, 4, ("missed_red_flag",))])
    table = learner_estimates(frame, "bob", POSSIBLE).set_index("pitfall")
    red = table.loc["missed_red_flag"]
    assert (red["made"], red["chances"]) == (2, 3)
    prior = class_prior(class_record(frame, POSSIBLE))
    c = prior.codes.index("missed_red_flag")
    assert red["estimate"] == pytest.approx((prior.alpha[c] + 2) / (prior.alpha[c]
                                                                    + prior.beta[c] + 3), abs=1e-3)
    assert red["estimate"] > red["class_mean"]  # bob misses more than the class
    # made at his latest chance: due one day later
    assert red["due_on"] == pd.Timestamp("2026-02-06T00:00:00+00:00")
    newcomer = learner_estimates(frame, "newcomer", POSSIBLE).set_index("pitfall")
    assert newcomer.loc["missed_red_flag", "chances"] == 0
    assert newcomer.loc["missed_red_flag", "estimate"] == newcomer.loc["missed_red_flag",
                                                                       "class_mean"]
    assert pd.isna(newcomer.loc["missed_red_flag", "due_on"])


def test_learner_model_docs_state_the_figures_the_code_uses() -> None:
    from dystonia_teach.course import item_stats, learner_model

    from .conftest import REPO

    text = " ".join((REPO / "docs" / "learner-model.md").read_text(encoding="utf-8").split())
    days = ", ".join(str(d) for d in learner_model.REVIEW_DAYS[:-1])
    assert f"{days}, then every {learner_model.REVIEW_DAYS[-1]} days" in text
    low, high = learner_model.PRIOR_WEIGHT
    assert f"between {low:g} and {high:g} pretend chances" in text
    assert f"fewer than {learner_model.MIN_PRIOR_LEARNERS} learners" in text
    assert f"fewer than **{item_stats.MIN_LEARNERS} learners**" in text
    assert f"below {item_stats.NEAR_ZERO:g}" in text
