"""An instructor-written case, used as a fixture: concordant stenosis that is NOT disabling.

The case file lives in ``tests/instructor_cases/`` (not in the bundled ``cases/``). It states
facts only; these tests check that the engine derives the teaching the author meant:
MRI and EMG after an adequate trial, then continued conservative care, and no surgery while
the symptoms are not disabling.
"""

from __future__ import annotations

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
