"""The scoring model (specification §5): harm classes as data, low-value care, harm-weighted
penalties with an unclipped ranking value, a separate safety verdict and a rubric sentence."""

from __future__ import annotations

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
    assert assessment.rubric.startswith("100/100") and "safety: safe" in assessment.rubric


def test_rubric_states_the_numbers_behind_the_score() -> None:
    case = make_case(**EARLY)
    assessment = evaluate(case, ["history_red_flags", "neuro_exam", "mri_lumbar_noncontrast"])
    assert assessment.rubric.startswith(f"{round(assessment.score * 100)}/100")
    assert f"2 of the {len(assessment.recommended)} recommended steps" in assessment.rubric
    assert assessment.safety == "caution" and "caution" in assessment.rubric


def test_unindicated_tests_and_injection_are_low_value_care() -> None:
    case = make_case(**EARLY)
    extra = ["epidural_steroid_injection", "brain_mri", "dat_scan", "genetic_testing_dystonia"]
    assessment = evaluate(case, [*recommended_actions(case), *extra])
    flagged = {f.step for f in assessment.findings if f.code == "low_value_care"}
    assert set(extra) - {"epidural_steroid_injection"} <= flagged
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


def test_score_stays_in_range_and_safety_follows_severity() -> None:
    case = make_case(**EARLY)
    bad = evaluate(case, ["microdiscectomy", "bed_rest", "long_term_opioids"])
    assert bad.score == 0.0 and bad.points < 0 and bad.safety == "unsafe"


def test_scoring_is_documented_with_every_harm_class() -> None:
    text = (REPO / "docs" / "scoring.md").read_text(encoding="utf-8")
    for harm in knowledge().scoring.harm_classes:
        assert f"`{harm.id}`" in text, harm.id
    for phrase in ("points", "safety", "rubric"):
        assert phrase in text
