"""An instructor-written case, used as a fixture: concordant stenosis that is NOT disabling.

The case file lives in ``tests/instructor_cases/`` (not in the bundled ``cases/``). It states
facts only; these tests check that the engine derives the teaching the author meant:
MRI and EMG after an adequate trial, then continued conservative care, and no surgery while
the symptoms are not disabling.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from dystonia_teach import (
    Action,
    Assessment,
    Case,
    CaseNotFoundError,
    evaluate,
    list_cases,
    load_case,
    recommended_actions,
    recommended_pathway,
    validate_file,
)

REPO = Path(__file__).resolve().parent.parent
INSTRUCTOR_DIR = Path(__file__).resolve().parent / "instructor_cases"
CASE_ID = "nondisabling_stenosis_after_trial"
CASE_FILE = INSTRUCTOR_DIR / f"{CASE_ID}.yaml"

ASSESSMENT = ["history_red_flags", "neuro_exam", "dystonia_phenomenology", "functional_signs_exam"]
WORK_UP = ["mri_lumbar_noncontrast", "emg_ncs"]
SURGICAL = {"urgent_surgical_referral", "decompressive_laminectomy", "microdiscectomy", "tlif"}

# The plausible learner mistake: a concordant compression on MRI and EMG is taken as a reason to
# operate, although the patient is not disabled; conservative care is dropped for a surgical plan.
OPERATE_ON_NON_DISABLING: list[str] = [
    *ASSESSMENT,
    *WORK_UP,
    "decompressive_laminectomy",
    "postoperative_rehabilitation",
    "clinical_followup",
    "complication_monitoring",
]
# Every non-"appropriate" finding expected for that pathway, as (code, step).
EXPECTED_MISTAKE_FINDINGS: set[tuple[str, str | None]] = {
    ("surgery_not_indicated", "decompressive_laminectomy"),
    ("missing_step", "physical_therapy"),
    ("missing_step", "education_stay_active"),
    ("step_not_indicated", "postoperative_rehabilitation"),
    ("step_not_indicated", "complication_monitoring"),
    ("acceptable_step", "emg_ncs"),  # optional when examination and MRI agree
}


@pytest.fixture(scope="module")
def case() -> Case:
    return load_case(CASE_FILE)


def test_case_file_validates_without_issues() -> None:
    report = validate_file(CASE_FILE)
    assert report.issues == []
    assert report.case is not None
    assert report.case.id == CASE_ID


def test_case_states_the_intended_facts(case: Case) -> None:
    assert case.red_flags == ()
    assert case.course.conservative_care_weeks >= 12  # stenosis trials enrolled after >= 12 weeks
    assert case.pathology == "stenosis"
    assert case.disabling is False
    assert case.diagnosis == "radiculopathy_dystonia"
    imaging = case.investigations.imaging
    emg = case.investigations.electrodiagnosis
    assert imaging is not None and imaging.concordant and imaging.root == case.radicular.root
    assert emg is not None and emg.result == "radiculopathy" and emg.root == case.radicular.root


def test_derived_pathway_works_up_but_does_not_operate(case: Case) -> None:
    steps = [action.step for action in recommended_actions(case)]
    assert steps[:4] == ASSESSMENT
    for step in ["mri_lumbar_noncontrast", "physical_therapy", "education_stay_active",
                 "clinical_followup"]:
        assert step in steps
    assert not SURGICAL & set(steps)
    assert "postoperative_rehabilitation" not in steps


def test_recommended_pathway_scores_full_marks_without_pitfalls(case: Case) -> None:
    actions: list[Action] = recommended_actions(case)
    assessment: Assessment = evaluate(case, actions)
    assert assessment.score == pytest.approx(1.0)
    assert assessment.pitfalls == ()
    assert not [f for f in assessment.findings if f.pitfall]
    assert {f.code for f in assessment.findings} == {"appropriate_step"}


def test_operating_on_non_disabling_stenosis_is_flagged(case: Case) -> None:
    assessment = evaluate(case, OPERATE_ON_NON_DISABLING)
    assert assessment.score < 1.0

    judged = {(f.code, f.step) for f in assessment.findings if f.code != "appropriate_step"}
    assert judged == EXPECTED_MISTAKE_FINDINGS

    # Feedback names why, with evidence levels, for every judgement.
    for finding in assessment.findings:
        if finding.code == "appropriate_step":
            continue
        assert finding.summary.strip()
        assert finding.detail.strip()
        assert finding.sources, finding.code
        for source in finding.sources:
            assert source.scheme == "OCEBM 2011"
            assert source.level in {1, 2, 3, 4, 5}

    (surgery,) = [f for f in assessment.findings if f.code == "surgery_not_indicated"]
    assert surgery.severity == "warning"
    assert "disabling" in surgery.summary
    assert "disabling" in surgery.detail
    assert surgery.instead.strip()
    cited = {source.claim_id: source.level for source in surgery.sources}
    assert cited.get("pt_vs_surgery_stenosis") == 2
    assert cited.get("laminectomy_for_lss") == 2


def test_case_is_a_fixture_not_a_bundled_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DYSTONIA_TEACH_CASES", raising=False)
    assert CASE_ID not in list_cases()
    with pytest.raises(CaseNotFoundError):
        load_case(CASE_ID)


def test_cli_validates_the_instructor_folder() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dystonia_teach", "validate", "tests/instructor_cases"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 problems" in result.stdout


# --- A second instructor's case, written from the docs alone: apixaban, a far-lateral L5-S1 disc
# compressing the exiting L5 root, three visits (week 2, week 8 after a failed trial, ten days
# after a microdiscectomy). Each plan below was scored as predicted from docs/findings.md and
# docs/scoring.md before `dystonia-teach try` was run; plans where the engine and the prediction
# disagreed are not pinned here.

APIXABAN_ID = "apixaban_foraminal_l5"
APIXABAN_FILE = INSTRUCTOR_DIR / f"{APIXABAN_ID}.yaml"
CONSERVATIVE = [{"step": "acetaminophen", "dose_mg_per_day": 3000}, "physical_therapy",
                "education_stay_active", "clinical_followup"]


@pytest.fixture(scope="module")
def apixaban() -> Case:
    return load_case(APIXABAN_FILE)


def non_appropriate(assessment: Assessment) -> set[tuple[str, str | None, str]]:
    """(code, step, severity) of every finding other than an appropriate or acceptable step."""
    return {(f.code, f.step, f.severity) for f in assessment.findings
            if f.code not in ("appropriate_step", "acceptable_step")}


def test_apixaban_case_validates_and_states_an_anticoagulant(apixaban: Case) -> None:
    assert validate_file(APIXABAN_FILE).issues == []
    assert apixaban.red_flags == ()
    assert apixaban.course.conservative_care_weeks < 6
    assert [c.name for c in apixaban.conditions] == ["anticoagulant"]
    assert len(apixaban.visits) == 2


def test_apixaban_first_visit_swaps_the_nsaid_for_acetaminophen(apixaban: Case) -> None:
    steps = [action.step for action in recommended_actions(apixaban)]
    assert steps[:4] == ASSESSMENT
    assert not {"naproxen", "ibuprofen", "diclofenac", "mri_lumbar_noncontrast"} & set(steps)
    # spec v3 §0.1: pain relief is optional; on apixaban its options drop the NSAIDs
    relief = next(i for i in recommended_pathway(apixaban) if i.decision == "pain_relief")
    assert (relief.required, relief.options) == (False, ("acetaminophen",))
    full = evaluate(apixaban, [*ASSESSMENT, *CONSERVATIVE])
    assert full.score == pytest.approx(1.0)
    assert full.safety == "safe"
    assert full.pitfalls == ()


def test_apixaban_naproxen_is_contraindicated_and_ranks_below_an_early_mri(apixaban: Case) -> None:
    naproxen = evaluate(apixaban, [*ASSESSMENT, {"step": "naproxen", "dose_mg_per_day": 1000},
                                   *CONSERVATIVE[1:]])
    assert non_appropriate(naproxen) == {("contraindicated", "naproxen", "critical")}
    assert naproxen.safety == "unsafe"

    early_mri = evaluate(apixaban, [*ASSESSMENT, *CONSERVATIVE, "mri_lumbar_noncontrast"])
    assert non_appropriate(early_mri) == {("premature_imaging", "mri_lumbar_noncontrast",
                                           "warning")}
    assert early_mri.safety == "safe"  # spec v3 §0.3: an early MRI wastes, it does not harm
    assert naproxen.points < early_mri.points < 100


def test_apixaban_epidural_needs_the_anticoagulation_plan(apixaban: Case) -> None:
    unplanned = evaluate(apixaban, [*ASSESSMENT, *CONSERVATIVE, "epidural_steroid_injection"])
    assert non_appropriate(unplanned) == {("contraindicated", "epidural_steroid_injection",
                                           "critical")}
    assert unplanned.safety == "unsafe"
    planned = evaluate(apixaban, [*ASSESSMENT, *CONSERVATIVE, "epidural_steroid_injection",
                                  "anticoagulation_plan"])
    # With the plan it is no longer unsafe, but moderate pain in week 2 does not call for it.
    assert ("low_value_care", "epidural_steroid_injection", "warning") in non_appropriate(planned)
    assert planned.safety == "caution"
    assert unplanned.points < planned.points


def visit_pathways(text: str) -> list[set[str]]:
    """The step ids of each 'Recommended pathway' block printed by `dystonia-teach show`."""
    blocks = re.split(r"Recommended pathway[^\n]*\n", text)[1:]
    return [set(re.findall(r"^\s*\d+\. .*\[(\w+)(?:!urgent)?\]$", block.split("\n\n")[0],
                           flags=re.M))
            for block in blocks]


def test_apixaban_show_derives_surgery_then_aftercare_at_the_visits() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dystonia_teach", "show", str(APIXABAN_FILE)],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    first, week_8, after_operation = visit_pathways(result.stdout)
    assert "acetaminophen" in first and "microdiscectomy" not in first
    # After an adequate trial with a concordant disc: the surgical opinion, the fitting operation
    # and, on apixaban, the periprocedural plan; EMG is optional when examination and MRI agree.
    assert {"mri_lumbar_noncontrast", "surgical_opinion_shared_decision", "microdiscectomy",
            "anticoagulation_plan", "postoperative_rehabilitation"} <= week_8
    assert re.search(r"^\s*\d+\. Electrodiagnosis \(optional\).*\[emg_ncs\]$", result.stdout,
                     flags=re.M)
    # After the operation: aftercare, no new work-up and no further operation.
    assert {"postoperative_rehabilitation", "clinical_followup",
            "complication_monitoring"} <= after_operation
    assert not {"mri_lumbar_noncontrast", "emg_ncs", "microdiscectomy",
                "surgical_opinion_shared_decision"} & after_operation
