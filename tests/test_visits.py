"""Visits: facts change from visit to visit, and after an operation the plan is aftercare."""

from __future__ import annotations

import pytest

from dystonia_teach import evaluate, recommended_actions, recommended_pathway
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.predicates import already_operated, holds
from dystonia_teach.core.visits import case_at_visit, visit_count

from .conftest import make_case

PROCEDURES = {"decompressive_laminectomy", "microdiscectomy", "tlif"}
LUMBAR_IMAGING = {"mri_lumbar_noncontrast", "urgent_mri", "mri_lumbar_contrast", "ct_myelography"}
AFTERCARE = {"postoperative_rehabilitation", "clinical_followup", "complication_monitoring"}
NO_LESION = {"lesion": "none", "concordant": False, "report": "Postoperative change only."}


def operated(**facts: object) -> Case:
    """A disabling concordant stenosis, then a visit after its decompression."""
    visit = {"week": 24, "presentation": "Two weeks after the operation.",
             "operation": "decompressive_laminectomy", "pathology": "none",
             "disabling": False,
             "investigations": {"imaging": NO_LESION,
                                "electrodiagnosis": {"result": "radiculopathy", "root": "S1",
                                                     "report": "Left S1."}},
             **facts}
    return make_case(visits=[visit])


def steps(case: Case) -> set[str]:
    return {item.step for item in recommended_pathway(case)}


def test_visit_applies_the_operation_and_the_pathology_cumulatively() -> None:
    case = operated()
    first, after = case_at_visit(case, 0), case_at_visit(case, 1)
    assert not already_operated(first) and first.pathology == "stenosis"
    assert already_operated(after) and after.course.operation == "decompressive_laminectomy"
    assert after.pathology == "none" and after.course.symptom_weeks == 24
    assert after.visits == () and visit_count(case) == 2


def test_a_visit_that_leaves_the_operation_out_keeps_it() -> None:
    case = make_case(visits=[
        {"week": 22, "presentation": "Operated.", "operation": "decompressive_laminectomy",
         "pathology": "none", "disabling": False, "investigations": {"imaging": NO_LESION}},
        {"week": 30, "presentation": "Later."}])
    assert case_at_visit(case, 2).course.operation == "decompressive_laminectomy"


def test_before_the_operation_it_is_offered_after_it_aftercare() -> None:
    case = operated()
    assert "decompressive_laminectomy" in steps(case_at_visit(case, 0))
    after = steps(case_at_visit(case, 1))
    assert after >= AFTERCARE
    assert not after & (PROCEDURES | LUMBAR_IMAGING | {"surgical_opinion_shared_decision",
                                                       "emg_ncs", "physical_therapy"})


@pytest.mark.parametrize("disabling", [True, False])
def test_after_an_operation_persisting_symptoms_do_not_indicate_another(disabling: bool) -> None:
    """Even with the old lesion still on file, the operation done is not offered again."""
    case = case_at_visit(make_case(course__operation="decompressive_laminectomy",
                                   disabling=disabling), 0)
    assert holds(case, ["already_operated", "not surgery_indicated"])
    assert not steps(case) & PROCEDURES and steps(case) >= AFTERCARE


def test_after_an_operation_an_mri_is_low_value_and_another_operation_is_wrong() -> None:
    after = case_at_visit(operated(), 1)
    plan = [*recommended_actions(after), "mri_lumbar_noncontrast", "decompressive_laminectomy"]
    found = {f.step: (f.code, f.severity) for f in evaluate(after, plan).findings}
    assert found["mri_lumbar_noncontrast"] == ("low_value_care", "warning")
    assert found["decompressive_laminectomy"][1] == "critical"


def test_after_an_operation_the_recommended_plan_scores_full_marks() -> None:
    after = case_at_visit(operated(), 1)
    assessment = evaluate(after, recommended_actions(after))
    assert assessment.score == 1.0 and assessment.safety == "safe"


def test_a_plan_that_leaves_out_aftercare_is_told_so() -> None:
    after = case_at_visit(operated(), 1)
    plan = [s for s in recommended_actions(after) if s.step != "postoperative_rehabilitation"]
    assessment = evaluate(after, plan)
    assert assessment.score < 1.0
    assert any(f.code == "missing_step" and f.step == "postoperative_rehabilitation"
               for f in assessment.findings)


def test_a_new_deficit_after_the_operation_brings_urgent_imaging_back() -> None:
    after = case_at_visit(operated(red_flags=["progressive_motor_deficit"]), 1)
    pathway = steps(after)
    assert {"mri_lumbar_noncontrast", "urgent_surgical_referral"} <= pathway
    assert {i.priority for i in recommended_pathway(after) if i.step == "mri_lumbar_noncontrast"
            } == {"urgent"}
    assert evaluate(after, recommended_actions(after)).score == 1.0
