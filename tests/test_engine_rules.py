"""Table-driven tests: every finding code raised when it should be, and not when it should not.

Cases are built from facts alone (``make_case``); the learner's actions start from the pathway
the engine derives (with the operation where the shared decision offers one) and add or remove
steps, so no test hard-codes an answer key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from dystonia_teach import evaluate, recommended_actions, recommended_pathway
from dystonia_teach.core.knowledge import knowledge

from .conftest import PROCEDURES, make_case

RED_FLAG = {"red_flags": ["cauda_equina"], "course__conservative_care_weeks": 1,
            "course__symptom_weeks": 2, "pathology": "disc_herniation"}
EARLY = {"course__conservative_care_weeks": 2, "course__symptom_weeks": 3,
         "pathology": "disc_herniation"}
DISCORDANT = {"investigations__imaging": {"lesion": "compressive", "level": "L3-L4",
                                          "root": "L4", "concordant": False, "report": "L3-4."}}

WARFARIN = {"conditions": [{"name": "anticoagulant", "drug": "warfarin"}]}
CKD4 = {"conditions": [{"name": "ckd", "stage": 4}]}
DRD_CHILD = {"diagnosis": "dopa_responsive_dystonia", "pathology": "none", "patient__age": 9,
             "radicular__root": "none",
             "investigations__imaging": {"lesion": "none", "concordant": False, "report": "N."}}


def plan(facts: dict[str, Any], add: tuple[Any, ...] = (), drop: tuple[str, ...] = ()) -> list[Any]:
    """The derived pathway for ``facts`` with steps dropped and added."""
    case = make_case(**facts)
    actions: list[Any] = [a.as_data() for a in recommended_actions(case, choose=PROCEDURES)
                          if a.step not in drop]
    return actions + list(add)


@dataclass(frozen=True)
class Row:
    code: str
    facts: dict[str, Any]
    actions: Callable[[], list[Any]]
    raised: bool
    why: str
    working_diagnosis: str | None = None


def row(code: str, raised: bool, why: str, facts: dict[str, Any] | None = None,
        add: tuple[Any, ...] = (), drop: tuple[str, ...] = (),
        working_diagnosis: str | None = None) -> Row:
    facts = facts or {}
    return Row(code, facts, lambda: plan(facts, add, drop), raised, why, working_diagnosis)


ROWS = [
    row("misdiagnosis_primary_or_functional", True, "anticholinergic for radiculopathy",
        add=("anticholinergic_trial",)),
    row("misdiagnosis_primary_or_functional", True, "functional explanation for radiculopathy",
        add=("explain_functional_diagnosis",)),
    row("misdiagnosis_primary_or_functional", False, "functional case, functional treatment",
        facts={"diagnosis": "functional_dystonia", "pathology": "none", "radicular__root": "none",
               "investigations__imaging": {"lesion": "none", "concordant": False, "report": "N."}}),
    row("delayed_surgery", True, "indicated decompression left out, no surgical opinion",
        drop=("decompressive_laminectomy", "surgical_opinion_shared_decision")),
    row("delayed_surgery", False, "surgical opinion without operating (shared decision)",
        drop=("decompressive_laminectomy",)),
    row("delayed_surgery", True, "red flags, concordant disc, no surgery", facts=RED_FLAG,
        drop=("microdiscectomy", "urgent_surgical_referral")),
    row("delayed_surgery", False, "full pathway"),
    row("delayed_surgery", False, "not disabling: no indication",
        facts={"disabling": False}, drop=("decompressive_laminectomy",)),
    row("symptomatic_only", True, "toxin instead of decompression",
        drop=("decompressive_laminectomy", "surgical_opinion_shared_decision"),
        add=("botulinum_toxin",)),
    row("symptomatic_only", False, "toxin beside decompression", add=("botulinum_toxin",)),
    row("no_postop_rehab", True, "surgery without rehabilitation",
        drop=("postoperative_rehabilitation",)),
    row("no_postop_rehab", False, "full pathway"),
    row("splinting", True, "splint added", add=("rigid_splinting",)),
    row("splinting", False, "full pathway"),
    row("missed_red_flag", True, "cauda equina without urgent MRI", facts=RED_FLAG,
        drop=("mri_lumbar_noncontrast",)),
    row("missed_red_flag", True, "cauda equina, a routine MRI for the urgent one",
        facts=RED_FLAG, drop=("mri_lumbar_noncontrast",), add=("mri_lumbar_noncontrast",)),
    row("missed_red_flag", False, "cauda equina, urgent MRI with contrast (ACR 2021)",
        facts=RED_FLAG, drop=("mri_lumbar_noncontrast",), add=("mri_lumbar_contrast!urgent",)),
    row("missed_red_flag", True, "suspected infection without urgent MRI",
        facts={"red_flags": ["suspected_infection"]}, drop=("mri_lumbar_noncontrast",)),
    row("missed_red_flag", False, "cauda equina, urgent work-up", facts=RED_FLAG),
    row("premature_imaging", True, "MRI at two weeks", facts=EARLY,
        add=("mri_lumbar_noncontrast",)),
    row("premature_imaging", False, "MRI after fourteen weeks"),
    row("premature_imaging", False, "urgent MRI with red flags", facts=RED_FLAG),
    row("premature_surgery", True, "microdiscectomy at two weeks", facts=EARLY,
        add=("microdiscectomy", "postoperative_rehabilitation")),
    row("premature_surgery", False, "surgery after an adequate trial"),
    row("contraindicated", True, "naproxen with CKD", facts=CKD4,
        add=({"step": "naproxen", "dose_mg_per_day": 1000},)),
    row("contraindicated", False, "acetaminophen with CKD", facts=CKD4,
        add=("acetaminophen",)),
    row("contraindicated", False, "naproxen without contraindication",
        add=({"step": "naproxen", "dose_mg_per_day": 1000},)),
    row("contraindicated", True, "epidural injection on an anticoagulant, no plan",
        facts=WARFARIN, drop=("anticoagulation_plan",), add=("epidural_steroid_injection",)),
    row("contraindicated", False, "epidural injection on an anticoagulant with a plan",
        facts=WARFARIN, add=("epidural_steroid_injection", "anticoagulation_plan")),
    row("contraindicated", True, "naproxen at 24 weeks of pregnancy",
        facts={"conditions": [{"name": "pregnancy", "weeks": 24}]},
        add=({"step": "naproxen", "dose_mg_per_day": 1000},)),
    row("caution", True, "duloxetine after falls", facts={"conditions": ["falls_history"]},
        add=("duloxetine",)),
    row("caution", False, "duloxetine without falls", add=("duloxetine",)),
    row("caution_note", True, "acetaminophen on warfarin", facts=WARFARIN,
        add=({"step": "acetaminophen", "dose_mg_per_day": 3000},)),
    row("caution_note", False, "acetaminophen without warfarin",
        add=({"step": "acetaminophen", "dose_mg_per_day": 3000},)),
    row("dose_out_of_range", True, "acetaminophen 4 g/day with liver disease",
        facts={"conditions": ["hepatic_disease"]},
        add=({"step": "acetaminophen", "dose_mg_per_day": 4000},)),
    row("dose_out_of_range", False, "acetaminophen 4 g/day without liver disease",
        add=({"step": "acetaminophen", "dose_mg_per_day": 4000},)),
    row("dose_out_of_range", True, "naproxen 2000 mg/day",
        add=({"step": "naproxen", "dose_mg_per_day": 2000},)),
    row("dose_out_of_range", True, "naproxen 250 mg/day",
        add=({"step": "naproxen", "dose_mg_per_day": 250},)),
    row("dose_out_of_range", True, "diclofenac 300 mg/day",
        add=({"step": "diclofenac", "dose_mg_per_day": 300},)),
    row("dose_out_of_range", False, "naproxen 1000 mg/day",
        add=({"step": "naproxen", "dose_mg_per_day": 1000},)),
    row("dose_out_of_range", False, "ibuprofen 1200 mg/day",
        add=({"step": "ibuprofen", "dose_mg_per_day": 1200},)),
    row("procedure_mismatch", True, "laminectomy for a disc herniation (a near miss)",
        facts={"pathology": "disc_herniation"}, drop=("microdiscectomy",),
        add=("decompressive_laminectomy",)),
    row("procedure_mismatch", False, "fusion for stable stenosis: unindicated, one finding",
        drop=("decompressive_laminectomy",), add=("tlif",)),
    row("unindicated_procedure", True, "fusion for stable stenosis (spec v3 §4)",
        drop=("decompressive_laminectomy",), add=("tlif",)),
    row("procedure_mismatch", True, "laminectomy alone with instability",
        facts={"pathology": "stenosis_with_instability",
               "investigations__instability": {"present": True, "report": "Slip moves."}},
        add=("decompressive_laminectomy",)),
    row("procedure_mismatch", False, "laminectomy for stenosis"),
    row("procedure_mismatch", False, "microdiscectomy for disc",
        facts={"pathology": "disc_herniation"}),
    row("surgery_without_concordant_imaging", True, "discordant imaging", facts=DISCORDANT,
        add=("decompressive_laminectomy", "postoperative_rehabilitation")),
    row("surgery_without_concordant_imaging", True, "EMG ordered and normal",
        facts={"investigations__electrodiagnosis": {"result": "normal", "report": "Normal."}},
        add=("emg_ncs", "decompressive_laminectomy", "postoperative_rehabilitation")),
    row("surgery_without_concordant_imaging", True, "no imaging ordered",
        drop=("mri_lumbar_noncontrast",)),
    row("surgery_without_concordant_imaging", False, "concordant and imaged"),
    row("incomplete_assessment", True, "no neurological examination", drop=("neuro_exam",)),
    row("incomplete_assessment", True, "no functional-sign examination",
        drop=("functional_signs_exam",)),
    row("incomplete_assessment", False, "full assessment"),
    row("low_value_care", True, "bed rest", add=("bed_rest",)),
    row("low_value_care", True, "long-term opioids", add=("long_term_opioids",)),
    row("low_value_care", False, "full pathway"),
    row("appropriate_step", True, "full pathway"),
    row("appropriate_step", False, "only non-indicated steps",
        facts={}, drop=tuple(knowledge().steps), add=("brain_mri",)),
    row("acceptable_step", True, "gait assessment", add=("gait_assessment",)),
    row("acceptable_step", False, "the required decisions only", facts=EARLY),
    row("step_not_indicated", True, "functional physiotherapy in radiculopathy",
        add=("specialist_physiotherapy",)),
    row("low_value_care", True, "DaT scan in radiculopathy", add=("dat_scan",)),
    row("unindicated_procedure", True, "DBS for dopa-responsive dystonia", facts=DRD_CHILD,
        add=("deep_brain_stimulation",)),
    row("unindicated_procedure", False, "DRD child, levodopa", facts=DRD_CHILD),
    row("step_not_indicated", False, "full pathway"),
    row("missing_step", True, "EMG left out with discordant imaging", facts=DISCORDANT,
        drop=("emg_ncs",)),
    row("missing_step", False, "paraspinal mapping fills the EMG slot", facts=DISCORDANT,
        drop=("emg_ncs",), add=("paraspinal_mapping",)),
    row("dose_missing", True, "naproxen without a dose", add=("naproxen",)),
    row("dose_missing", False, "naproxen with a dose",
        add=({"step": "naproxen", "dose_mg_per_day": 750},)),
    row("stenosis_surgery_timing", True, "stenosis surgery at eight weeks",
        facts={"course__conservative_care_weeks": 8}),
    row("stenosis_surgery_timing", False, "stenosis surgery at fourteen weeks"),
    row("stenosis_surgery_timing", False, "disc surgery at eight weeks",
        facts={"course__conservative_care_weeks": 8, "pathology": "disc_herniation"}),
    row("surgery_not_indicated", True, "symptoms not disabling", facts={"disabling": False},
        add=("decompressive_laminectomy", "postoperative_rehabilitation")),
    row("surgery_not_indicated", False, "disabling symptoms"),
    row("working_diagnosis_correct", True, "right diagnosis",
        working_diagnosis="radiculopathy_dystonia"),
    row("working_diagnosis_correct", False, "wrong diagnosis",
        working_diagnosis="functional_dystonia"),
    row("working_diagnosis_incorrect", True, "wrong diagnosis",
        working_diagnosis="functional_dystonia"),
    row("working_diagnosis_incorrect", False, "no diagnosis named"),
    row("against_informed_decision", True, "operation after an informed refusal",
        facts={"preference": "conservative"},
        add=("decompressive_laminectomy", "postoperative_rehabilitation")),
    row("against_informed_decision", False, "operation chosen with the patient",
        facts={"preference": "surgery"}),
    row("too_many_options", True, "two NSAIDs",
        add=({"step": "naproxen", "dose_mg_per_day": 1000},
             {"step": "ibuprofen", "dose_mg_per_day": 1200})),
    row("too_many_options", False, "an NSAID and acetaminophen",
        add=({"step": "naproxen", "dose_mg_per_day": 1000},
             {"step": "acetaminophen", "dose_mg_per_day": 3000})),
]


@pytest.mark.parametrize("r", ROWS, ids=[f"{r.code}-{'raised' if r.raised else 'not'}-{r.why}"
                                         for r in ROWS])
def test_finding_code(r: Row) -> None:
    assessment = evaluate(make_case(**r.facts), r.actions(), working_diagnosis=r.working_diagnosis)
    codes = {f.code for f in assessment.findings}
    assert (r.code in codes) is r.raised, sorted(codes)


def test_every_finding_code_is_tested_both_ways() -> None:
    raised = {r.code for r in ROWS if r.raised}
    not_raised = {r.code for r in ROWS if not r.raised}
    catalogue = set(knowledge().findings)
    assert catalogue <= raised, catalogue - raised
    assert catalogue <= not_raised, catalogue - not_raised


def test_pitfalls_are_the_specification_fourteen_and_v2_additions() -> None:
    pitfalls = {code for code, kind in knowledge().findings.items() if kind.pitfall}
    assert pitfalls == {
        "misdiagnosis_primary_or_functional", "delayed_surgery", "symptomatic_only",
        "no_postop_rehab", "splinting", "missed_red_flag", "premature_imaging",
        "premature_surgery", "contraindicated", "dose_out_of_range", "procedure_mismatch",
        "surgery_without_concordant_imaging", "incomplete_assessment", "low_value_care",
        "unindicated_procedure",  # version 2: an unindicated operation or DBS is critical
        "against_informed_decision",  # version 3: operating against an informed refusal
    }


def test_procedure_by_pathology_is_derived_from_facts() -> None:
    expected = {"stenosis": "decompressive_laminectomy", "disc_herniation": "microdiscectomy",
                "stenosis_with_instability": "tlif"}
    for pathology, procedure in expected.items():
        facts: dict[str, Any] = {"pathology": pathology}
        if pathology == "stenosis_with_instability":
            facts["investigations__instability"] = {"present": True, "report": "Moves."}
        steps = [a.step for a in recommended_actions(make_case(**facts), choose=PROCEDURES)]
        assert procedure in steps
        assert not set(expected.values()) - {procedure} & set(steps)


def test_early_case_gets_non_drug_care_and_no_imaging() -> None:
    """Spec v3 §0.1 and §3.3: non-drug care is required; an NSAID is an optional example."""
    case = make_case(**EARLY)
    steps = [a.step for a in recommended_actions(case)]
    assert "physical_therapy" in steps and "education_stay_active" in steps
    assert not {"naproxen", "mri_lumbar_noncontrast", "microdiscectomy"} & set(steps)
    relief = next(i for i in recommended_pathway(case) if i.decision == "pain_relief")
    assert (relief.required, relief.step, relief.dose_mg_per_day) == (False, "naproxen", 1000)


def test_nsaid_contraindication_switches_the_example_to_acetaminophen() -> None:
    case = make_case(conditions=["gi_bleed_history"], **EARLY)
    relief = next(i for i in recommended_pathway(case) if i.decision == "pain_relief")
    assert relief.step == "acetaminophen" and "naproxen" not in relief.options


def test_dose_finding_names_the_labelled_range_and_seed_figure() -> None:
    assessment = evaluate(make_case(), [{"step": "naproxen", "dose_mg_per_day": 1100.5 * 2}])
    finding = next(f for f in assessment.findings if f.code == "dose_out_of_range")
    assert "500-1500 mg/day" in finding.detail and "375-1100" in finding.detail


def test_unverified_dose_range_says_so() -> None:
    assessment = evaluate(make_case(), [{"step": "ibuprofen", "dose_mg_per_day": 4000}])
    finding = next(f for f in assessment.findings if f.code == "dose_out_of_range")
    assert "unverified" in finding.detail


def test_actions_accept_action_objects() -> None:
    case = make_case()
    by_data = evaluate(case, [a.as_data() for a in recommended_actions(case)])
    by_obj = evaluate(case, recommended_actions(case))
    assert by_data == by_obj
