"""The scoring model (specification §5, v3 §0.3): harm classes as data, low-value care,
harm-weighted penalties with an unclipped ranking value, credit for the required decisions, a
score in which every problem takes a share of what is left, a separate safety verdict that means
harm, and a rubric sentence that names what earned and what cost points."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from dystonia_teach import evaluate, recommended_actions
from dystonia_teach.core.knowledge import knowledge

from .conftest import REPO, make_case

EARLY = {"course__conservative_care_weeks": 2, "course__symptom_weeks": 3,
         "pathology": "disc_herniation"}


def points(facts: dict[str, Any], *extra: Any, drop: tuple[str, ...] = ()) -> float:
    case = make_case(**facts)
    plan = [a.as_data() for a in recommended_actions(case) if a.step not in drop]
    return evaluate(case, [*plan, *extra]).points


def test_harm_classes_keep_the_specified_order() -> None:
    weights = {h.id: h.weight for h in knowledge().scoring.harm_classes}
    order = ["examination", "laboratory", "imaging", "drug", "invasive_test", "injection",
             "operation"]
    assert [weights[h] for h in order] == sorted(weights[h] for h in order)
    assert len(set(weights[h] for h in order)) == len(order)
    steps = knowledge().steps
    assert weights[steps["dat_scan"].harm] > weights[steps["mri_lumbar_noncontrast"].harm]
    assert weights[steps["ct_myelography"].harm] > weights[steps["urgent_mri"].harm]
    assert steps["deep_brain_stimulation"].harm == "operation"


def test_full_pathway_is_safe_with_a_rubric() -> None:
    case = make_case()
    assessment = evaluate(case, recommended_actions(case))
    assert (assessment.points, assessment.safety) == (100.0, "safe")
    assert assessment.rubric.startswith("100/100") and "Safety: safe" in assessment.rubric
    assert "nothing cost points" in assessment.rubric


def test_rubric_of_a_plan_missing_only_a_decision_says_nothing_else_cost_points() -> None:
    case = make_case()
    plan = [a for a in recommended_actions(case) if a.step != "clinical_followup"]
    assessment = evaluate(case, plan)
    assert assessment.score < 1 and "nothing else cost points" in assessment.rubric, (
        assessment.rubric)


def test_rubric_names_what_earned_and_what_cost_points() -> None:
    """Spec v3 issue item 8: the sentence says what earned and what cost points, never a bare
    "lost N points"; an early MRI wastes (points) but harms no one (safe, spec v3 §0.3)."""
    case = make_case(**EARLY)
    assessment = evaluate(case, ["history_red_flags", "neuro_exam", "mri_lumbar_noncontrast"])
    assert assessment.rubric.startswith(f"{round(assessment.score * 100)}/100")
    required = len(assessment.decisions)
    assert f"2 of the {required} required decisions made" in assessment.rubric
    assert ("MRI lumbar spine without contrast (imaging within six weeks without red flags)"
            in assessment.rubric)
    assert "lost" not in assessment.rubric
    assert assessment.safety == "safe" and "Safety: safe" in assessment.rubric


def test_credit_and_costs_add_up_to_the_points() -> None:
    """The breakdown the learner sees: points per decision made, cost per finding."""
    case = make_case(**EARLY)
    assessment = evaluate(case, ["history_red_flags", "neuro_exam", "mri_lumbar_noncontrast",
                                 "bed_rest"])
    earned = sum(d.points for d in assessment.decisions)
    made = [d.decision for d in assessment.decisions if d.made]
    assert made == ["red_flag_history", "neurological_examination"]
    assert {c.code for c in assessment.costs} >= {"premature_imaging", "low_value_care"}
    assert round(earned - sum(c.points for c in assessment.costs), 1) == assessment.points
    share = earned / 100
    for cost in assessment.costs:
        share *= 1 - cost.share
    assert abs(share - assessment.score) < 0.002  # the decision points are rounded to 0.1


def test_better_plans_score_visibly_higher_and_none_reads_zero() -> None:
    """Issue 19 item 5: seven imperfect plans on a red-flag case, each better than the next,
    all above 0 and in order (the v2 score read 0 for most of them)."""
    case = make_case(red_flags=["cauda_equina"], course__conservative_care_weeks=0,
                     course__symptom_weeks=1, pathology="disc_herniation")
    base = ["history_red_flags", "neuro_exam"]
    plans = [
        [*base, "mri_lumbar_noncontrast!urgent", "urgent_surgical_referral"],
        [*base, "mri_lumbar_noncontrast!urgent", "urgent_surgical_referral", "bed_rest"],
        [*base, "mri_lumbar_noncontrast", "urgent_surgical_referral"],
        [*base, "mri_lumbar_noncontrast!urgent"],
        ["history_red_flags", "mri_lumbar_noncontrast"],
        ["history_red_flags", "physical_therapy", "bed_rest"],
        ["history_red_flags", "physical_therapy", "bed_rest", "long_term_opioids"],
    ]
    assessments = [evaluate(case, plan) for plan in plans]
    scores = [a.score for a in assessments]
    assert scores[0] == 1.0
    assert all(a > b for a, b in pairwise(scores)), scores
    assert all(a.points > b.points for a, b in pairwise(assessments))
    shown = [round(s * 100) for s in scores[1:]]  # what the learner reads
    assert min(shown) > 0 and len(set(shown)) >= 5, shown


def test_unindicated_tests_and_injection_are_low_value_care() -> None:
    case = make_case(**EARLY)
    extra = ["epidural_steroid_injection", "brain_mri", "dat_scan", "genetic_testing_dystonia"]
    assessment = evaluate(case, [*recommended_actions(case), *extra])
    flagged = {f.step for f in assessment.findings if f.code == "low_value_care"}
    assert set(extra) <= flagged
    assert assessment.score < 0.6 and assessment.safety == "caution"


def test_overdose_costs_more_than_an_early_mri() -> None:
    overdose = points(EARLY, {"step": "ibuprofen", "dose_mg_per_day": 3600})
    early_mri = points(EARLY, "mri_lumbar_noncontrast")
    assert overdose < early_mri < 100


def test_dangerous_plans_keep_their_order_below_zero() -> None:
    fusion_at_week_three = points(EARLY, "tlif", "postoperative_rehabilitation")
    anticholinergic = points(EARLY, "anticholinergic_trial")
    assert fusion_at_week_three < anticholinergic
    worse = points(EARLY, "tlif", "decompressive_laminectomy", "postoperative_rehabilitation")
    assert worse < fusion_at_week_three  # unclipped: no collapse at the floor


def test_harm_weights_penalties_of_the_same_severity() -> None:
    """The same warning costs more on a more invasive step."""
    mri = points(EARLY, "brain_mri")
    dat = points(EARLY, "dat_scan")
    assert dat < mri


def test_score_stays_in_range_and_safety_follows_harm() -> None:
    case = make_case(**EARLY)
    bad = evaluate(case, ["microdiscectomy", "bed_rest", "long_term_opioids"])
    assert bad.score == 0.0 and bad.points < 0 and bad.safety == "unsafe"
    plan = [a.as_data() for a in recommended_actions(case)]
    # an omission leaves safety alone; a risky step not indicated is a caution
    assert evaluate(case, plan[1:]).safety == "safe"
    assert evaluate(case, [*plan, "long_term_opioids"]).safety == "caution"
    assert evaluate(case, [*plan, "brain_mri"]).safety == "safe"


def test_scoring_is_documented_with_every_harm_class() -> None:
    text = (REPO / "docs" / "scoring.md").read_text(encoding="utf-8")
    for harm in knowledge().scoring.harm_classes:
        assert f"`{harm.id}`" in text, harm.id
    for phrase in ("points", "safety", "rubric"):
        assert phrase in text


def test_the_rubric_example_in_the_docs_is_what_the_engine_says() -> None:
    from dystonia_teach import load_case

    case = load_case("nsaid_contraindicated_ckd")
    plan = ["history_red_flags", "neuro_exam", "dystonia_phenomenology", "functional_signs_exam",
            "physical_therapy", "education_stay_active",
            {"step": "naproxen", "dose_mg_per_day": 1000}]
    lines = (REPO / "docs" / "scoring.md").read_text(encoding="utf-8").splitlines()
    quoted = " ".join(line.removeprefix("> ") for line in lines if line.startswith("> "))
    assert " ".join(evaluate(case, plan).rubric.split()) in quoted
