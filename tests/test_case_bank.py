"""The bundled case bank: every case valid, scored 1.0 on its own pathway, and every teaching
scenario covered, recognised by the case's facts (never by its file name)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from dystonia_teach import evaluate, load_case, recommended_actions, recommended_pathway
from dystonia_teach.casefiles.loader import validate_paths
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.predicates import holds
from dystonia_teach.core.visits import case_at_visit, visit_count

from .conftest import CASES_DIR

MIN_CASES = 31
NSAIDS = frozenset({"naproxen", "ibuprofen", "diclofenac"})
PROCEDURES = frozenset({"decompressive_laminectomy", "microdiscectomy", "tlif"})
CASE_PATHS = sorted(CASES_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def bank() -> list[Case]:
    return [load_case(path) for path in CASE_PATHS]


def pathway_steps(case: Case) -> set[str]:
    """Every option of every decision on the pathway, and ``step!urgent`` for an urgent one."""
    items = recommended_pathway(case)
    return ({step for item in items for step in item.options}
            | {f"{item.step}!urgent" for item in items if item.priority == "urgent"}
            | {f"{step}!urgent" for item in items for step in item.urgent_options})


def required_steps(case: Case) -> set[str]:
    """The options of the required decisions (a repeat MRI may be an optional one)."""
    return {step for item in recommended_pathway(case) if item.required
            for step in item.options}


def test_bank_has_enough_cases() -> None:
    assert len(CASE_PATHS) >= MIN_CASES, (
        f"cases/ holds {len(CASE_PATHS)} cases; the bank needs at least {MIN_CASES}")


def test_bank_validates_without_issues() -> None:
    reports = validate_paths([CASES_DIR])
    assert len(reports) == len(CASE_PATHS)
    problems = [str(issue) for report in reports for issue in report.issues]
    assert not problems, "\n".join(problems)
    assert all(report.ok for report in reports)


@pytest.mark.parametrize("path", CASE_PATHS, ids=lambda p: p.stem)
def test_recommended_pathway_scores_full_marks(path: Path) -> None:
    case = load_case(path)
    assessment = evaluate(case, recommended_actions(case))
    problems = [f for f in assessment.findings  # a caution note (e.g. INR on warfarin) is read
                if f.code not in ("appropriate_step", "acceptable_step", "caution_note")]
    assert assessment.score == 1.0, f"{case.id}: score {assessment.score}"
    assert not problems, f"{case.id}: " + "; ".join(f"{f.code} ({f.step})" for f in problems)


VISITS = [(path, index) for path in CASE_PATHS for index in range(1, visit_count(load_case(path)))]


@pytest.mark.parametrize(("path", "index"), VISITS, ids=lambda v: getattr(v, "stem", str(v)))
def test_recommended_pathway_scores_full_marks_at_every_later_visit(path: Path,
                                                                     index: int) -> None:
    case = case_at_visit(load_case(path), index)
    assessment = evaluate(case, recommended_actions(case))
    problems = [f for f in assessment.findings
                if f.code not in ("appropriate_step", "acceptable_step", "caution_note")]
    assert assessment.score == 1.0, f"{case.id} visit {index + 1}: score {assessment.score}"
    assert not problems, f"{case.id} visit {index + 1}: " + "; ".join(
        f"{f.code} ({f.step})" for f in problems)


def test_a_visit_after_an_operation_is_in_the_bank() -> None:
    """Week 10 -> after surgery: the operation is in the facts and the plan is aftercare."""
    after = [case_at_visit(case, i) for case in map(load_case, CASE_PATHS)
             for i in range(visit_count(case))]
    operated = [case for case in after if holds(case, ("already_operated", "not any_red_flag"))]
    assert operated, "no case has a visit after an operation"
    for case in operated:
        steps = pathway_steps(case)
        assert {"postoperative_rehabilitation", "complication_monitoring"} <= steps, case.id
        assert not steps & (PROCEDURES | {"mri_lumbar_noncontrast", "urgent_mri"}), case.id


def test_every_history_states_medications_and_family_history(bank: list[Case]) -> None:
    """Mimics hide there (a dopamine blocker, an affected parent): every case says."""
    missing = [case.id for case in bank if not (case.medications and case.family_history)]
    assert not missing, missing


@dataclass(frozen=True)
class Scenario:
    name: str
    when: tuple[str, ...]
    check: Callable[[Case, set[str]], bool] = lambda case, steps: True

    def matches(self, case: Case) -> bool:
        return (holds(case, self.when, None, knowledge().predicates)
                and self.check(case, pathway_steps(case)))


def _imaging_discordant(case: Case) -> bool:
    imaging = case.investigations.imaging
    return imaging is not None and imaging.lesion == "compressive" and not imaging.concordant


def _edx_polyneuropathy(case: Case) -> bool:
    edx = case.investigations.electrodiagnosis
    return edx is not None and edx.result == "polyneuropathy"


SCENARIOS = (
    Scenario(
        "early uncomplicated radiculopathy dystonia (conservative phase, NSAID allowed)",
        ("conservative_phase", "root_signs"),
        lambda case, steps: bool(steps & NSAIDS) and not steps & PROCEDURES,
    ),
    Scenario(
        "early radiculopathy dystonia with an NSAID contraindication (acetaminophen, no NSAID)",
        ("conservative_phase", "root_signs", "renal_severe", "anticoagulated"),
        lambda case, steps: "acetaminophen" in steps and not steps & NSAIDS,
    ),
    Scenario(
        "cauda equina red flag (urgent MRI and surgical referral)",
        ("neuro_red_flag",),
        lambda case, steps: "cauda_equina" in case.red_flags
        and {"mri_lumbar_noncontrast!urgent", "urgent_surgical_referral"} <= steps,
    ),
    Scenario(
        "progressive motor deficit red flag (urgent MRI and surgical referral)",
        ("neuro_red_flag",),
        lambda case, steps: "progressive_motor_deficit" in case.red_flags
        and {"mri_lumbar_noncontrast!urgent", "urgent_surgical_referral"} <= steps,
    ),
    Scenario(
        "failed conservative care with concordant stenosis (decompressive laminectomy)",
        ("surgery_indicated", "pathology_stenosis", "trial_completed", "not neuro_red_flag"),
        lambda case, steps: "decompressive_laminectomy" in steps,
    ),
    Scenario(
        "disc herniation after an adequate trial (microdiscectomy)",
        ("surgery_indicated", "pathology_disc_herniation", "trial_completed",
         "not neuro_red_flag"),
        lambda case, steps: {"mri_lumbar_noncontrast", "microdiscectomy",
                             "postoperative_rehabilitation"} <= steps,
    ),
    Scenario(
        "stenosis with instability (flexion-extension films and TLIF)",
        ("surgery_indicated", "pathology_stenosis_with_instability", "not neuro_red_flag"),
        lambda case, steps: {"xray_flexion_extension", "tlif",
                             "postoperative_rehabilitation"} <= steps,
    ),
    Scenario(
        # The patient brings the MRI (imaging_status): it is read, not repeated.
        "spine work-up with an MRI already done showing a discordant lesion (no operation)",
        ("trial_completed", "spine_work_up_indicated", "not concordant_compression",
         "not surgery_indicated", "not any_red_flag"),
        lambda case, steps: _imaging_discordant(case)
        and case.course.imaging_status == "imaged_with_lesion"
        and "mri_lumbar_noncontrast" not in required_steps(case) and not steps & PROCEDURES,
    ),
    Scenario(
        "functional dystonia mimic",
        ("diagnosis_functional_dystonia",),
        lambda case, steps: "explain_functional_diagnosis" in steps,
    ),
    Scenario(
        "young-onset (dopa-responsive or isolated) dystonia mimic",
        ("young_onset_dystonia",),
        lambda case, steps: {"levodopa_trial", "genetic_testing_dystonia",
                             "copper_ceruloplasmin"} <= steps,
    ),
    Scenario(
        "parkinsonism presenting with foot dystonia",
        ("diagnosis_parkinsonism_foot_dystonia",),
        lambda case, steps: "levodopa_trial" in steps and not steps & PROCEDURES,
    ),
    Scenario(
        "polyneuropathy mimic (EMG/NCS and the cause screen)",
        ("diagnosis_polyneuropathy", "not root_signs"),
        lambda case, steps: _edx_polyneuropathy(case)
        and {"emg_ncs", "polyneuropathy_screen"} <= steps,
    ),
    # Mimics added in version 2 (issue 8, item 5): each with its discriminating features.
    Scenario(
        "adult-onset idiopathic walking (stair) dystonia: no genetics, toxin acceptable",
        ("diagnosis_isolated_dystonia", "not onset_before_30", "not root_signs"),
        lambda case, steps: "stairs" in case.dystonia.triggers
        and "genetic_testing_dystonia" not in steps,
    ),
    Scenario(
        "paroxysmal exercise-induced dyskinesia (attacks outlast rest; genetic testing)",
        ("diagnosis_paroxysmal_exercise_induced_dyskinesia",),
        lambda case, steps: not case.dystonia.relieved_by_rest
        and {"glut1_work_up", "genetic_testing_dystonia"} <= steps,
    ),
    Scenario(
        "vascular claudication (pulses, ankle-brachial index)",
        ("diagnosis_vascular_claudication",),
        lambda case, steps: "absent_foot_pulses" in case.other_signs
        and "ankle_brachial_index" in steps,
    ),
    Scenario(
        "Wilson disease in a young adult (copper and caeruloplasmin)",
        ("diagnosis_wilson_disease",),
        lambda case, steps: case.patient.age < 40 and "copper_ceruloplasmin" in steps,
    ),
    Scenario(
        "myelopathy or hereditary spastic paraplegia (upper motor neuron signs, cord MRI)",
        ("diagnosis_myelopathy", "not root_signs"),
        lambda case, steps: "extensor_plantars" in case.other_signs
        and "mri_cervical_thoracic_spine" in steps,
    ),
    Scenario(
        "tarsal tunnel syndrome (Tinel sign at the ankle, nerve conduction)",
        ("diagnosis_tarsal_tunnel", "not root_signs"),
        lambda case, steps: "tinel_at_tarsal_tunnel" in case.other_signs and "emg_ncs" in steps,
    ),
    Scenario(
        "subtle early Parkinson's disease (no rest tremor; levodopa trial)",
        ("diagnosis_parkinsonism_foot_dystonia",),
        lambda case, steps: "rest_tremor" not in case.other_signs and "levodopa_trial" in steps,
    ),
)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario_is_covered(bank: list[Case], scenario: Scenario) -> None:
    matching = [case.id for case in bank if scenario.matches(case)]
    assert matching, f"no case in cases/ covers the scenario: {scenario.name}"
