"""Property tests (hypothesis) over random step sequences and random fact combinations."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dystonia_teach import evaluate, load_case, recommended_actions
from dystonia_teach.core import engine
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.vocabulary import COMPRESSIVE_PATHOLOGIES

from .conftest import bundled_case_paths, make_case

STEP_IDS = sorted(knowledge().steps)
CONDITIONS = [{"name": "ckd", "stage": 4}, {"name": "ckd", "stage": 3},
              {"name": "anticoagulant", "drug": "warfarin"}, {"name": "antiplatelet"},
              {"name": "antiplatelet", "drug": "p2y12_inhibitor"}, {"name": "corticosteroid"},
              {"name": "pregnancy", "weeks": 24}, {"name": "pregnancy", "weeks": 10},
              {"name": "hepatic_disease"}, {"name": "falls_history"}, {"name": "frailty"}]
DOSED = sorted(s for s, step in knowledge().steps.items() if step.dose)
BUNDLED = [load_case(p) for p in bundled_case_paths()]

actions = st.lists(
    st.one_of(
        st.sampled_from(STEP_IDS),
        st.builds(lambda s, d: {"step": s, "dose_mg_per_day": d}, st.sampled_from(DOSED),
                  st.floats(min_value=1, max_value=10_000, allow_nan=False)),
    ),
    max_size=25,
)


@st.composite
def random_facts(draw: st.DrawFn) -> dict[str, Any]:
    pathology = draw(st.sampled_from([*COMPRESSIVE_PATHOLOGIES, "none"]))
    compressive = pathology != "none"
    weeks = draw(st.sampled_from([0, 2, 5.9, 6, 8, 12, 20]))
    facts: dict[str, Any] = {
        "pathology": pathology,
        "patient__age": draw(st.sampled_from([9, 40, 70])),
        "preference": draw(st.sampled_from(["not_stated", "surgery", "conservative"])),
        "course__conservative_care_weeks": weeks,
        "course__symptom_weeks": weeks + 1,
        "red_flags": draw(st.lists(st.sampled_from(
            ["cauda_equina", "severe_motor_deficit", "suspected_infection"]), unique=True,
            max_size=2)),
        "conditions": draw(st.lists(st.sampled_from(CONDITIONS), max_size=3,
                                    unique_by=lambda c: c["name"])),
        "disabling": draw(st.booleans()),
        "diagnosis": draw(st.sampled_from(sorted(knowledge().diagnoses))),
        "radicular__root": draw(st.sampled_from(["S1", "none"])),
        "investigations__imaging": {
            "lesion": "compressive" if compressive else "none",
            "concordant": compressive and draw(st.booleans()), "report": "R."},
        "investigations__electrodiagnosis": {
            "result": draw(st.sampled_from(["radiculopathy", "normal", "polyneuropathy"])),
            "report": "E."},
        "investigations__instability": {
            "present": pathology == "stenosis_with_instability", "report": "X."},
    }
    return facts


@pytest.mark.parametrize("case", BUNDLED, ids=[c.id for c in BUNDLED])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chosen=actions)
def test_evaluate_never_raises_and_scores_in_range(case, chosen) -> None:
    assessment = evaluate(case, chosen)
    assert 0.0 <= assessment.score <= 1.0
    assert evaluate(case, chosen) == assessment  # deterministic on rerun


@pytest.mark.parametrize("case", BUNDLED, ids=[c.id for c in BUNDLED])
def test_bundled_recommended_pathway_is_perfect(case) -> None:
    assessment = evaluate(case, recommended_actions(case), working_diagnosis=case.diagnosis)
    assert assessment.score == 1.0
    assert not [f for f in assessment.findings if f.severity != "info"], assessment.findings


@settings(max_examples=500, deadline=None)
@given(facts=random_facts())
def test_any_derived_pathway_is_perfect(facts) -> None:
    case = make_case(**facts)
    assessment = evaluate(case, recommended_actions(case))
    bad = [(f.code, f.step) for f in assessment.findings if f.severity != "info"]
    assert assessment.score == 1.0 and not bad, (facts, bad)


@settings(max_examples=100, deadline=None)
@given(facts=random_facts(), chosen=actions)
def test_evaluate_total_over_random_facts(facts, chosen) -> None:
    assessment = evaluate(make_case(**facts), chosen)
    assert 0.0 <= assessment.score <= 1.0
    assert set(assessment.pitfalls) <= {c for c, k in knowledge().findings.items() if k.pitfall}


@settings(max_examples=50, deadline=None)
@given(chosen=actions, extra=st.sampled_from(["rigid_splinting", "bed_rest", "long_term_opioids"]))
def test_adding_a_harmful_step_never_raises_the_score(chosen, extra) -> None:
    case = BUNDLED[0]
    assert evaluate(case, [*chosen, extra]).score <= evaluate(case, chosen).score


@settings(max_examples=150, deadline=None)
@given(facts=random_facts(), chosen=actions)
def test_rules_skipped_for_their_triggers_would_have_found_nothing(facts, chosen,
                                                                    monkeypatch_module) -> None:
    """evaluate skips a rule when none of its trigger steps is chosen: running every rule
    gives the same assessment."""
    case = make_case(**facts)
    fast = evaluate(case, chosen)
    with monkeypatch_module.context() as patch:
        patch.setattr(engine, "trigger_steps", lambda *_: None)
        patch.setattr(engine, "_FACTS", {})
        assert evaluate(case, chosen) == fast


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch
