"""The next case: chosen by severity x estimated chance among cases that make the pitfall
possible and are new or due, explained in one sentence; on every store backend."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from dystonia_teach import evaluate, load_case, recommended_actions
from dystonia_teach.core.errors import CaseNotFoundError
from dystonia_teach.course.learner_model import BetaPrior, class_prior, class_record
from dystonia_teach.course.next_case import next_case
from dystonia_teach.course.recommend import day_of, recommend_from_rows, recommend_next_case
from dystonia_teach.store import FRAME_COLUMNS, AttemptStore, Grade

EARLY, DROP, CAUDA = "early_uncomplicated", "progressive_foot_drop", "cauda_equina_red_flags"
CKD = "nsaid_contraindicated_ckd"
RED_FLAG = "“Red flags without urgent work-up”"
START = pd.Timestamp("2026-02-01T09:00:00+00:00")
POSSIBLE = {EARLY: frozenset({"splinting", "premature_imaging"}),
            DROP: frozenset({"splinting", "missed_red_flag"}),
            CAUDA: frozenset({"splinting", "missed_red_flag", "delayed_surgery"})}


def row(attempt_id: int, learner: str, case_id: str, day: float, pitfalls: tuple = ()) -> dict:
    return {"attempt_id": attempt_id, "learner_id": learner, "case_id": case_id, "number": 1,
            "submitted_at": (START + pd.Timedelta(days=day)).isoformat(), "score": 0.5,
            "pitfalls": pitfalls, "actions": ()}


def at(day: float) -> datetime:
    return (START + pd.Timedelta(days=day)).to_pydatetime()


def test_next_case_tests_the_pitfall_the_learner_keeps_making() -> None:
    frame = pd.DataFrame([row(1, "bob", DROP, 0, ("missed_red_flag",)),
                          row(2, "bob", EARLY, 2),
                          row(3, "bob", DROP, 3, ("missed_red_flag",)),
                          row(4, "bob", DROP, 5)])
    choice = next_case(frame, "bob", [EARLY, DROP, CAUDA], now=at(6), possible=POSSIBLE)
    assert choice.case_id == CAUDA and choice.pitfall == "missed_red_flag"
    assert (choice.made, choice.chances, choice.again) == (2, 3, False)
    assert choice.reason == f"You made {RED_FLAG} in 2 of 3 chances; this case tests it again."


def test_next_case_weighs_severity_times_chance() -> None:
    # With no class prior, Beta(1, 1): cat splints in 3 of 3 chances (a warning, 10 points:
    # 10 x 4/5 = 8) and avoided the red-flag pitfall (critical, 25 points) in 2 chances
    # (25 x 1/4 = 6.25): splinting is the riskier.
    frame = pd.DataFrame([row(1, "cat", DROP, 0, ("splinting",)),
                          row(2, "cat", EARLY, 2, ("splinting",)),
                          row(3, "cat", DROP, 4, ("splinting",))])
    choice = next_case(frame, "cat", [EARLY, DROP, CAUDA], now=at(9), possible=POSSIBLE)
    assert choice.pitfall == "splinting" and choice.case_id == CAUDA
    assert choice.reason.startswith("You made “Splinting the dystonic foot” in 3 of 3 chances")
    # one more clean red-flag chance less, and the critical pitfall wins: 25 x 1/3 > 10 x 3/4
    fewer = next_case(frame[frame["attempt_id"] != 3], "cat", [EARLY, DROP, CAUDA], now=at(9),
                      possible=POSSIBLE)
    assert fewer.pitfall == "missed_red_flag"


def test_next_case_brings_a_worked_case_back_only_when_due() -> None:
    frame = pd.DataFrame([row(1, "dan", DROP, 0, ("missed_red_flag",))])
    same_day = next_case(frame, "dan", [DROP], now=at(0.5), possible=POSSIBLE)
    assert same_day.pitfall is None  # nothing new, nothing due: the fallback
    assert same_day.reason == "No pitfall is due yet; this is the case you worked longest ago " \
                              "(today)."
    next_day = next_case(frame, "dan", [DROP], now=at(1.5), possible=POSSIBLE)
    assert (next_day.case_id, next_day.pitfall, next_day.again) == (DROP, "missed_red_flag",
                                                                      True)
    assert next_day.reason == (f"You made {RED_FLAG} in 1 of 1 chance; this case, which you "
                               "worked yesterday, tests it again.")


def test_next_case_spaces_a_clean_pitfall_further_out() -> None:
    # Three clean chances in a row (the last on day 4): due again after 8 days, on day 12.
    frame = pd.DataFrame([row(1, "eve", DROP, 0), row(2, "eve", CAUDA, 2),
                          row(3, "eve", DROP, 4)])
    possible = {DROP: frozenset({"missed_red_flag"}), CAUDA: frozenset({"missed_red_flag"})}
    early = next_case(frame, "eve", [DROP, CAUDA], now=at(11.5), possible=possible)
    due = next_case(frame, "eve", [DROP, CAUDA], now=at(12.5), possible=possible)
    assert early.pitfall is None
    assert (due.pitfall, due.again) == ("missed_red_flag", True)
    assert due.reason.startswith(f"You avoided {RED_FLAG} in all 3 chances so far; this case")


def test_next_case_prefers_a_new_case_over_a_due_one() -> None:
    frame = pd.DataFrame([row(1, "fay", DROP, 0, ("missed_red_flag",))])
    choice = next_case(frame, "fay", [DROP, CAUDA], now=at(3), possible=POSSIBLE)
    assert choice.case_id == CAUDA and not choice.again


def test_next_case_for_a_newcomer_uses_the_class_rate() -> None:
    frame = pd.DataFrame([row(n, f"l{n}", DROP, n, ("missed_red_flag",) if n <= 3 else ())
                          for n in range(1, 11)])
    choice = next_case(frame, "newcomer", [EARLY, DROP, CAUDA], now=at(20), possible=POSSIBLE)
    assert choice.pitfall == "missed_red_flag" and choice.case_id == CAUDA
    assert choice.reason == (f"This case tests {RED_FLAG}, which you have not met yet; learners "
                             "in your class made it in 32% of their chances.")


def test_next_case_on_a_laptop_with_no_class_names_the_critical_pitfall() -> None:
    empty = pd.DataFrame(columns=list(FRAME_COLUMNS))
    choice = next_case(empty, "solo", [EARLY, DROP], now=at(0), possible=POSSIBLE)
    assert choice.pitfall == "missed_red_flag" and choice.case_id == DROP
    assert choice.reason == f"This case tests {RED_FLAG}, a critical pitfall you have not met yet."


def test_next_case_reason_is_one_sentence() -> None:
    frame = pd.DataFrame([row(1, "bob", DROP, 0, ("missed_red_flag",))])
    reason = next_case(frame, "bob", [DROP, CAUDA], now=at(2), possible=POSSIBLE).reason
    assert reason.count(". ") == 0 and reason.endswith(".")


def test_next_case_needs_cases() -> None:
    with pytest.raises(ValueError, match="no cases"):
        next_case(pd.DataFrame(columns=list(FRAME_COLUMNS)), "bob", [], now=at(0))


def test_next_case_from_each_store_backend(store: AttemptStore) -> None:
    drop, early = load_case(DROP), load_case(EARLY)
    store.record("bob", evaluate(drop, ["neuro_exam", "physical_therapy"]))  # misses red flags
    store.record("bob", evaluate(early, recommended_actions(early)))
    store.record("ann", evaluate(early, recommended_actions(early)))
    choice = recommend_next_case(store, "bob", [EARLY, DROP, CAUDA, CKD],
                                 now=datetime.now(UTC) + timedelta(days=2))
    assert choice.pitfall == "missed_red_flag" and choice.case_id in {CAUDA, CKD}
    assert choice.reason == f"You made {RED_FLAG} in 1 of 1 chance; this case tests it again."
    assert not choice.again


def test_next_case_takes_case_objects_and_names_an_unknown_case(store: AttemptStore) -> None:
    choice = recommend_next_case(store, "ann", [load_case(EARLY)], now=datetime.now(UTC))
    assert choice.case_id == EARLY
    with pytest.raises(CaseNotFoundError, match="no_such_case"):
        recommend_next_case(store, "ann", [EARLY, "no_such_case"])
    with pytest.raises(ValueError, match="learner id"):
        recommend_next_case(store, "ann@example.org", [EARLY])


def test_next_case_with_a_class_prior_reads_only_the_learner(store: AttemptStore) -> None:
    """A prior computed once from the class gives the same choice as the class read in full,
    and survives a trip through JSON; re-grades of the learner's attempts are used."""
    drop, early = load_case(DROP), load_case(EARLY)
    for learner in ("ann", "cat", "dan", "eve", "fay", "gus"):
        store.record(learner, evaluate(drop, ["history_red_flags", "neuro_exam"]))
    bob = store.record("bob", evaluate(drop, ["neuro_exam", "physical_therapy"]))
    store.record("bob", evaluate(early, recommended_actions(early)))
    prior = class_prior(class_record(store.to_frame()))
    later = datetime.now(UTC) + timedelta(days=2)
    whole = recommend_next_case(store, "bob", [EARLY, DROP, CAUDA], now=later)
    again = BetaPrior.from_dict(json.loads(json.dumps(prior.as_dict())))
    assert recommend_next_case(store, "bob", [EARLY, DROP, CAUDA], now=later,
                               prior=again) == whole
    assert whole.pitfall == "missed_red_flag"
    store.record_grades([Grade(bob, 0.9, (), "0.1.0", "test")])  # re-graded: no pitfall left
    regraded = recommend_next_case(store, "bob", [EARLY, DROP, CAUDA], now=later, prior=again)
    assert regraded.made == 0


def test_next_case_a_class_prior_must_be_well_formed() -> None:
    with pytest.raises(ValueError, match="alpha and beta must be positive for 'splinting'"):
        BetaPrior.from_dict({"splinting": {"alpha": 0, "beta": 2, "learners": 9}})
    with pytest.raises(ValueError, match="not a class prior"):
        BetaPrior.from_dict({"splinting": {"alpha": 1}})


@pytest.mark.parametrize("seed", range(6))
def test_next_case_plain_recommender_chooses_as_the_vectorised_model(seed: int) -> None:
    """The learner's "Next case" (plain Python over the store's rows) and the class model
    (vectorised over a frame) choose the same case with the same reason, estimate and counts,
    for every learner of a seeded class, with retries, re-made pitfalls and spaced returns."""
    rng = random.Random(seed)
    cases = [EARLY, DROP, CAUDA, CKD]
    possible = {**POSSIBLE, CKD: frozenset({"splinting", "contraindicated"})}
    learners = [f"l{n}" for n in range(rng.randint(3, 9))]
    # times in quarter days: exact in both readings of a time, so no boundary is a rounding
    rows, day = [], {name: rng.randint(0, 12) / 4 for name in learners}
    for n in range(rng.randint(10, 60)):
        learner = rng.choice(learners)
        day[learner] += rng.choice((0.25, 0.5, 1.5, 3.0, 7.0))
        case_id = rng.choice(cases)
        made = tuple(c for c in sorted(possible[case_id]) if rng.random() < 0.4)
        rows.append(row(n + 1, learner, case_id, day[learner], made))
    frame = pd.DataFrame(rows)
    plain_rows = [(r["attempt_id"], r["learner_id"], r["case_id"], day_of(r["submitted_at"]),
                   r["pitfalls"]) for r in rows]
    for learner in [*learners, "newcomer"]:
        for now in (max(day.values()) + 0.5, max(day.values()) + 20):
            vectorised = next_case(frame, learner, cases, now=at(now), possible=possible)
            plain = recommend_from_rows(plain_rows, learner, cases, possible, day_of(at(now)))
            assert plain == vectorised, (seed, learner, now)
