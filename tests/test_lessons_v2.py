"""The lessons of issue 8 ("Why"): each plan a clinical review found mis-scored, pinned as a
regression pathway with its expected verdict. Cases are built from facts (``make_case``); plans
start from the derived pathway and add or drop steps, or are written out in full.

Specification v3 changed some of these verdicts on purpose; each such lesson says which
principle (§0.1 decisions and optional steps, §0.2 features not the diagnosis, §0.3 safety
means harm) in its name or a comment."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dystonia_teach import evaluate, load_case, recommended_actions
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.visits import case_at_visit

from .conftest import PROCEDURES, make_case

INSTRUCTOR_CASE = (Path(__file__).resolve().parent / "instructor_cases"
                   / "apixaban_foraminal_l5.yaml")
NO_LESION = {"lesion": "none", "concordant": False, "report": "No compression."}
EARLY = {"course__conservative_care_weeks": 2, "course__symptom_weeks": 4,
         "pathology": "disc_herniation"}
CES = {"red_flags": ["cauda_equina"], "course__conservative_care_weeks": 0,
       "course__symptom_weeks": 1, "pathology": "disc_herniation"}
WEAKNESS = {"red_flags": ["progressive_motor_deficit"], "course__conservative_care_weeks": 1,
            "course__symptom_weeks": 4, "pathology": "disc_herniation",
            "radicular__root": "L5", "radicular__foot_drop": True,
            "investigations__imaging": {"lesion": "compressive", "level": "L4-L5", "root": "L5",
                                        "concordant": True, "report": "L4-5 disc."}}
DISC_AFTER_TRIAL = {"pathology": "disc_herniation", "course__conservative_care_weeks": 8,
                    "course__symptom_weeks": 10}
INFECTION = {"red_flags": ["suspected_infection"], "course__conservative_care_weeks": 0,
             "course__symptom_weeks": 2}
SLIP = {"pathology": "stenosis_with_instability",
        "investigations__instability": {"present": True, "report": "4 mm translation.",
                                        "slip_grade": 1, "slip_type": "degenerative"}}
ISTHMIC = {**SLIP, "investigations__instability": {
    "present": True, "report": "Isthmic slip.", "slip_grade": 2, "slip_type": "isthmic"}}
ADULT_FOCAL = {"diagnosis": "isolated_dystonia", "pathology": "none", "patient__age": 48,
               "radicular__root": "none", "investigations__imaging": NO_LESION,
               "investigations__electrodiagnosis": {"result": "normal", "report": "Normal."}}
DRD_CHILD = {**ADULT_FOCAL, "diagnosis": "dopa_responsive_dystonia", "patient__age": 9}
STENOSIS_CLAUDICATION = {"dystonia__triggers": ["walking", "after_minutes_walking"],
                         "disabling": False}
SCIATICA = {**EARLY, "course__pain_severity": "severe"}
POLYNEUROPATHY = {"diagnosis": "polyneuropathy", "pathology": "none", "radicular__root": "none",
                  "investigations__imaging": NO_LESION,
                  "investigations__electrodiagnosis": {"result": "polyneuropathy",
                                                       "report": "Length-dependent."}}
ANTICOAGULATED_CKD4 = {**EARLY, "patient__age": 72, "conditions": [
    {"name": "ckd", "stage": 4}, {"name": "anticoagulant", "drug": "doac"}]}
PREGNANT_22 = {**EARLY, "patient__age": 31,
               "conditions": [{"name": "pregnancy", "weeks": 22}]}
PREGNANT_12 = {**PREGNANT_22, "conditions": [{"name": "pregnancy", "weeks": 12}]}
WARFARIN = {**EARLY, "conditions": [{"name": "anticoagulant", "drug": "warfarin"}]}
CES_ON_WARFARIN = {**CES, "conditions": [{"name": "anticoagulant", "drug": "warfarin"}]}
ELECTIVE_ON_DOAC = {**DISC_AFTER_TRIAL, "conditions": [{"name": "anticoagulant",
                                                        "drug": "doac"}]}
FRAIL = {**EARLY, "patient__age": 84, "conditions": ["frailty", "ckd"]}
OLDER_ON_ASPIRIN = {**EARLY, "patient__age": 70, "course__conservative_care_weeks": 1,
                    "conditions": [{"name": "antiplatelet", "drug": "aspirin"}]}
FRACTURE = {"red_flags": ["suspected_fracture"], "course__conservative_care_weeks": 0,
            "course__symptom_weeks": 1}
MALIGNANCY = {**INFECTION, "red_flags": ["suspected_malignancy"]}
OLDER_WITH_FALLS = {**EARLY, "patient__age": 71, "conditions": ["falls_history"]}
OLDER_ON_ASPIRIN_ONLY = {"patient__age": 70,
                         "conditions": [{"name": "antiplatelet", "drug": "aspirin"}]}
OLDER_SURGICAL_ON_ASPIRIN = {**DISC_AFTER_TRIAL, **OLDER_ON_ASPIRIN_ONLY}
#: The operation and the steps that exist only with it (aftercare, the periprocedural plan).
NO_OPERATION = ("microdiscectomy", "postoperative_rehabilitation", "complication_monitoring",
                "anticoagulation_plan")
#: Optional options the version-2 lessons' plans take where the pathway offers them (spec v3
#: §0.1 made the analgesic and the operation optional): the analgesic the pathway shows first,
#: and for the surgical lessons the operation too.
TAKE = ("naproxen", "acetaminophen")
OPERATE = (*PROCEDURES, *TAKE)
NAPROXEN = {"step": "naproxen", "dose_mg_per_day": 1000}


@dataclass(frozen=True)
class Lesson:
    name: str
    facts: dict[str, Any]
    add: tuple[Any, ...] = ()
    drop: tuple[str, ...] = ()
    only: tuple[Any, ...] | None = None  # a plan written out in full
    raised: tuple[str, ...] = ()  # finding codes that must appear
    absent: tuple[str, ...] = ()  # finding codes (or steps) that must not appear
    safety: str | None = None
    full_marks: bool = False
    steps_judged: dict[str, str] = field(default_factory=dict)  # step -> a finding it gets
    take: tuple[str, ...] = TAKE  # optional options the plan takes (recommended_actions)

    def plan(self) -> list[Any]:
        if self.only is not None:
            return list(self.only)
        case = make_case(**self.facts)
        base = [a.as_data() for a in recommended_actions(case, choose=self.take)
                if a.step not in self.drop]
        return base + list(self.add)


LESSONS = [
    Lesson("early radiculopathy + injection, brain MRI, DaT scan, genetics: low-value care",
           EARLY, add=("epidural_steroid_injection", "brain_mri", "dat_scan",
                       "genetic_testing_dystonia"),
           raised=("low_value_care",), safety="caution",
           steps_judged={"brain_mri": "low_value_care", "dat_scan": "low_value_care",
                         "epidural_steroid_injection": "low_value_care",
                         "genetic_testing_dystonia": "low_value_care"}),
    Lesson("child with dopa-responsive dystonia + DBS referral: critical", DRD_CHILD,
           add=("deep_brain_stimulation",), raised=("unindicated_procedure",), safety="unsafe"),
    Lesson("cauda equina: urgent MRI and referral before describing the dystonia: full marks",
           CES, only=("history_red_flags", "neuro_exam", "urgent_mri",
                      "urgent_surgical_referral"),
           absent=("incomplete_assessment", "missing_step"), full_marks=True),
    Lesson("cauda equina: describing the dystonia too is acceptable", CES,
           add=("dystonia_phenomenology", "functional_signs_exam"), full_marks=True),
    Lesson("cauda equina without the surgeon: delay is critical", CES,
           drop=("urgent_surgical_referral",), raised=("missed_red_flag", "delayed_surgery"),
           safety="unsafe"),
    Lesson("progressive weakness without an operation: the surgeon decides, never critical",
           WEAKNESS, absent=("delayed_surgery", "no_postop_rehab"), full_marks=True),
    Lesson("foot drop + ankle-foot orthosis: right, not splinting", WEAKNESS,
           absent=("splinting",), steps_judged={"ankle_foot_orthosis": "appropriate_step"},
           full_marks=True),
    Lesson("foot drop + cast of the dystonic posture: still splinting", WEAKNESS,
           add=("rigid_splinting",), raised=("splinting",)),
    Lesson("disc after a trial, informed choice to continue conservative care: full marks",
           {**DISC_AFTER_TRIAL, "preference": "conservative"},
           absent=("delayed_surgery", "no_postop_rehab", "missing_step", "symptomatic_only"),
           full_marks=True),
    # Spec v3 §0.1: the operation is an option of the shared decision, not a required step.
    Lesson("disc after a trial, opinion sought, no operation yet: nothing missing, safe",
           DISC_AFTER_TRIAL, take=OPERATE, drop=("microdiscectomy",),
           absent=("delayed_surgery", "no_postop_rehab", "symptomatic_only", "missing_step"),
           full_marks=True),
    Lesson("disc after a trial, repeated injections with no surgical opinion: delayed surgery, "
           "one omission, one finding", DISC_AFTER_TRIAL,
           take=OPERATE, drop=("microdiscectomy", "surgical_opinion_shared_decision"),
           add=("epidural_steroid_injection",), raised=("delayed_surgery",),
           absent=("symptomatic_only",), safety="caution"),
    Lesson("disc after a trial, drugs alone with no surgical opinion: symptomatic only, "
           "one omission, one finding", DISC_AFTER_TRIAL,
           take=OPERATE, drop=("microdiscectomy", "surgical_opinion_shared_decision"),
           add=({"step": "naproxen", "dose_mg_per_day": 1000},), raised=("symptomatic_only",),
           absent=("delayed_surgery",), steps_judged={"naproxen": "symptomatic_only"},
           safety="safe"),  # spec v3 §0.3: a missing opinion is an omission, not harm
    Lesson("cauda equina, conservative plan: missed red flag and delayed surgery, not also "
           "symptomatic only", CES,
           only=("history_red_flags", "neuro_exam",
                 {"step": "naproxen", "dose_mg_per_day": 1000}, "physical_therapy"),
           raised=("missed_red_flag", "delayed_surgery"), absent=("symptomatic_only",),
           safety="unsafe"),
    Lesson("progressive weakness, conservative plan: missed red flag, not also symptomatic only",
           WEAKNESS,
           only=("history_red_flags", "neuro_exam", {"step": "naproxen", "dose_mg_per_day": 1000},
                 "physical_therapy", "ankle_foot_orthosis"),
           raised=("missed_red_flag", "delayed_surgery"), absent=("symptomatic_only",),
           safety="unsafe"),
    Lesson("no 'add rehabilitation' beside 'do not operate'",
           {"investigations__imaging": {"lesion": "compressive", "level": "L3-L4",
                                        "root": "L4", "concordant": False, "report": "L3-4."}},
           add=("decompressive_laminectomy",),
           raised=("surgery_without_concordant_imaging",),
           absent=("no_postop_rehab", "missing_step")),
    Lesson("suspected infection + MRI with contrast and cultures: full marks", INFECTION,
           only=("history_red_flags", "neuro_exam", "mri_lumbar_contrast",
                 "inflammatory_markers_cultures"),
           absent=("missed_red_flag",), full_marks=True),
    Lesson("suspected infection, analgesia beside the urgent work-up: not low-value", INFECTION,
           add=({"step": "naproxen", "dose_mg_per_day": 1000},),
           steps_judged={"naproxen": "acceptable_step"}, full_marks=True),
    Lesson("suspected infection, analgesia instead of the work-up: the omission is the finding",
           INFECTION, only=("history_red_flags", "neuro_exam",
                            {"step": "naproxen", "dose_mg_per_day": 1000}),
           raised=("missed_red_flag",), absent=("low_value_care", "symptomatic_only"),
           steps_judged={"naproxen": "acceptable_step"}, safety="unsafe"),
    Lesson("suspected infection without cultures: missed red flag", INFECTION,
           drop=("inflammatory_markers_cultures",), raised=("missed_red_flag",)),
    Lesson("suspected fracture: imaging, no surgical referral implied", FRACTURE,
           absent=("missed_red_flag", "delayed_surgery"), full_marks=True,
           steps_judged={"mri_lumbar_noncontrast": "appropriate_step"}),
    Lesson("an operation after plain radiographs only: they cannot show a compressed root",
           DISC_AFTER_TRIAL, only=("history_red_flags", "neuro_exam", "dystonia_phenomenology",
                                   "functional_signs_exam", "xray_lumbar", "microdiscectomy"),
           raised=("surgery_without_concordant_imaging",), safety="unsafe"),
    Lesson("suspected fracture + CT without contrast: imaged, an ACR choice", FRACTURE,
           drop=("mri_lumbar_noncontrast",), add=("ct_lumbar",),
           absent=("missed_red_flag", "missing_step", "low_value_care"), full_marks=True,
           steps_judged={"ct_lumbar": "appropriate_step"}),
    Lesson("suspected fracture + CT myelography: imaged, but the lumbar puncture adds nothing",
           FRACTURE, drop=("mri_lumbar_noncontrast",), add=("ct_myelography",),
           absent=("missed_red_flag", "missing_step"),
           steps_judged={"ct_myelography": "low_value_care"}),
    Lesson("suspected infection, MRI contraindicated + urgent CT and cultures: full marks",
           {**INFECTION, "conditions": ["mri_contraindicated"]},
           only=("history_red_flags", "neuro_exam", {"step": "ct_lumbar", "priority": "urgent"},
                 "inflammatory_markers_cultures"),
           absent=("missed_red_flag",), full_marks=True),
    Lesson("grade I degenerative slip + decompression alone: debated, not a mismatch", SLIP,
           take=OPERATE, drop=("tlif",), add=("decompressive_laminectomy",),
           absent=("procedure_mismatch",), full_marks=True),
    Lesson("isthmic slip + decompression alone: still a mismatch", ISTHMIC, take=OPERATE,
           drop=("tlif",), add=("decompressive_laminectomy",), raised=("procedure_mismatch",)),
    Lesson("adult focal walking dystonia: toxin acceptable, genetics not required",
           ADULT_FOCAL, add=("botulinum_toxin",), absent=("missing_step",),
           steps_judged={"botulinum_toxin": "acceptable_step"}, full_marks=True),
    Lesson("adult focal walking dystonia + genetic testing: low-value", ADULT_FOCAL,
           add=("genetic_testing_dystonia",), raised=("low_value_care",)),
    Lesson("child with dystonia: levodopa trial and genetic testing recommended", DRD_CHILD,
           steps_judged={"levodopa_trial": "appropriate_step",
                         "genetic_testing_dystonia": "appropriate_step"}, full_marks=True),
    Lesson("EMG two weeks after onset: low-yield",
           {**EARLY, "course__symptom_weeks": 2, "course__conservative_care_weeks": 1},
           add=("emg_ncs",), steps_judged={"emg_ncs": "low_value_care"}),
    Lesson("EMG optional when examination and MRI agree", {},
           drop=("emg_ncs",), absent=("missing_step",), full_marks=True),
    Lesson("epidural injection for neurogenic claudication with stenosis: low-value",
           STENOSIS_CLAUDICATION, add=("epidural_steroid_injection",),
           steps_judged={"epidural_steroid_injection": "low_value_care"}),
    Lesson("epidural injection for acute and severe sciatica: acceptable (NICE)", SCIATICA,
           add=("epidural_steroid_injection",),
           steps_judged={"epidural_steroid_injection": "acceptable_step"}, full_marks=True),
    # Spec v3 §0.2: the work-up follows the presenting features (length-dependent signs).
    Lesson("polyneuropathy: the cause screen is part of the work-up",
           {**POLYNEUROPATHY, "other_signs": ["distal_sensory_loss"]},
           drop=("polyneuropathy_screen",), raised=("missing_step",)),
    Lesson("anticoagulated, CKD stage 4 + epidural injection and duloxetine: contraindicated",
           ANTICOAGULATED_CKD4, add=("epidural_steroid_injection", "duloxetine"),
           safety="unsafe", steps_judged={"epidural_steroid_injection": "contraindicated",
                                          "duloxetine": "contraindicated"}),
    Lesson("anticoagulated, acute severe sciatica: injection with a periprocedural plan",
           {**ANTICOAGULATED_CKD4, "course__pain_severity": "severe"},
           add=("epidural_steroid_injection", "anticoagulation_plan"),
           absent=("contraindicated",), full_marks=True),
    # Spec v3 §0.1: pain relief is optional; its example is the drug the conditions allow.
    Lesson("CKD stage 4 + anticoagulant: acetaminophen replaces the NSAID",
           ANTICOAGULATED_CKD4, steps_judged={"acetaminophen": "acceptable_step"},
           absent=("naproxen",), full_marks=True),
    Lesson("pregnancy at 22 weeks + naproxen: contraindicated (FDA 2020, from 20 weeks)",
           PREGNANT_22, add=({"step": "naproxen", "dose_mg_per_day": 1000},),
           steps_judged={"naproxen": "contraindicated"}, safety="unsafe"),
    # Spec v3 "Version 3 corrections" §1: an NSAID before 20 weeks is a warning.
    Lesson("pregnancy at 12 weeks + naproxen: a warning, not silence", PREGNANT_12,
           add=(NAPROXEN,), raised=("caution",), safety="caution"),
    Lesson("pregnancy + DaT scan: radiation is a caution", PREGNANT_12, add=("dat_scan",),
           raised=("caution",)),
    Lesson("warfarin + regular acetaminophen: INR note", WARFARIN,
           steps_judged={"acetaminophen": "caution_note"}),
    Lesson("acetaminophen 4 g/day in a frail patient: above the 3 g ceiling", FRAIL,
           drop=("acetaminophen",), add=({"step": "acetaminophen", "dose_mg_per_day": 4000},),
           steps_judged={"acetaminophen": "dose_out_of_range"}),
    Lesson("acetaminophen without a dose: the dose is asked for", FRAIL,
           drop=("acetaminophen",), add=("acetaminophen",),
           steps_judged={"acetaminophen": "dose_missing"}),
    Lesson("cauda equina on warfarin: reverse and operate, never blocked", CES_ON_WARFARIN,
           add=("microdiscectomy", "postoperative_rehabilitation", "complication_monitoring"),
           absent=("contraindicated", "caution"), full_marks=True),
    Lesson("elective operation on a DOAC without a perioperative plan: caution",
           ELECTIVE_ON_DOAC, take=OPERATE, drop=("anticoagulation_plan",),
           raised=("caution",)),
    Lesson("elective operation on a DOAC with its plan: full marks", ELECTIVE_ON_DOAC,
           take=OPERATE, full_marks=True,
           steps_judged={"anticoagulation_plan": "appropriate_step"}),
    Lesson("aged 70 on aspirin + NSAID without gastro-protection: Beers caution",
           OLDER_ON_ASPIRIN, add=(NAPROXEN,), raised=("caution",)),
    # Spec v3 §0.1: the pathway shows the analgesic its conditions caution least first
    # (acetaminophen); with an NSAID, gastro-protection is required beside it.
    Lesson("aged 70 on aspirin: acetaminophen first; gastro-protection with an NSAID",
           OLDER_ON_ASPIRIN, add=(NAPROXEN, "gastroprotection"),
           steps_judged={"gastroprotection": "appropriate_step",
                         "acetaminophen": "acceptable_step"}, full_marks=True),
    Lesson("falls + duloxetine in the first weeks: the caution does not hide 'not indicated'",
           OLDER_WITH_FALLS, add=("duloxetine",), raised=("caution", "low_value_care"),
           steps_judged={"duloxetine": "low_value_care"}, safety="caution"),
    Lesson("CKD stage 4 + duloxetine: the contraindication replaces 'not indicated'",
           ANTICOAGULATED_CKD4, add=("duloxetine",), absent=("low_value_care",),
           steps_judged={"duloxetine": "contraindicated"}, safety="unsafe"),
    Lesson("aged 70 on aspirin + NSAID without gastro-protection: still an acceptable drug",
           OLDER_ON_ASPIRIN, add=(NAPROXEN,),
           steps_judged={"naproxen": "acceptable_step"}, raised=("caution",)),
    Lesson("surgical candidate on a DOAC, acetaminophen while the opinion is sought: a bridge, "
           "not low-value", ELECTIVE_ON_DOAC, take=OPERATE, drop=NO_OPERATION,
           add=({"step": "acetaminophen", "dose_mg_per_day": 3000},),
           absent=("low_value_care", "symptomatic_only"),
           steps_judged={"acetaminophen": "acceptable_step"}),
    Lesson("surgical candidate, acetaminophen instead of the opinion: symptomatic only",
           DISC_AFTER_TRIAL, take=OPERATE,
           drop=(*NO_OPERATION, "surgical_opinion_shared_decision"),
           add=({"step": "acetaminophen", "dose_mg_per_day": 3000},),
           raised=("symptomatic_only",), absent=("low_value_care", "delayed_surgery"),
           steps_judged={"acetaminophen": "symptomatic_only"},
           safety="safe"),  # spec v3 §0.3: a missing opinion is an omission, not harm
    Lesson("suspected fracture + MRI with contrast: imaged without waiting, the contrast is "
           "low-value (one decision, one finding)", FRACTURE, drop=("mri_lumbar_noncontrast",),
           add=("mri_lumbar_contrast",), absent=("missed_red_flag", "missing_step"),
           steps_judged={"mri_lumbar_contrast": "low_value_care"},
           safety="safe"),  # spec v3 §0.3: a wasted scan harms no one; it costs points
    # Spec v3 §0.1: the step resolving a caution on an option is a decision required with it.
    Lesson("anticoagulated, acute severe sciatica: the periprocedural plan beside an "
           "acceptable injection is the caution's advice, not 'not indicated'",
           {**ANTICOAGULATED_CKD4, "course__pain_severity": "severe"},
           add=("epidural_steroid_injection", "anticoagulation_plan"),
           absent=("step_not_indicated",),
           steps_judged={"anticoagulation_plan": "appropriate_step"}, full_marks=True),
    Lesson("aged 70 on aspirin, surgical candidate + naproxen with gastro-protection: the "
           "caution's advice, not low-value", OLDER_SURGICAL_ON_ASPIRIN, take=OPERATE,
           add=({"step": "naproxen", "dose_mg_per_day": 1000}, "gastroprotection"),
           absent=("low_value_care", "caution"),
           steps_judged={"gastroprotection": "appropriate_step",
                         "naproxen": "acceptable_step"}, full_marks=True),
    Lesson("aged 70 on aspirin, suspected infection + naproxen with gastro-protection: "
           "acceptable beside the work-up", {**INFECTION, **OLDER_ON_ASPIRIN_ONLY},
           add=({"step": "naproxen", "dose_mg_per_day": 1000}, "gastroprotection"),
           steps_judged={"gastroprotection": "appropriate_step"}, full_marks=True),
    Lesson("aged 70 on aspirin, suspected infection + gastro-protection with no NSAID: "
           "low-value", {**INFECTION, **OLDER_ON_ASPIRIN_ONLY}, add=("gastroprotection",),
           steps_judged={"gastroprotection": "low_value_care"}, safety="caution"),
    *(Lesson(f"{name}: advice and follow-up beside the urgent work-up are acceptable", facts,
             add=("education_stay_active", "clinical_followup"),
             absent=("step_not_indicated",), full_marks=True,
             steps_judged={"education_stay_active": "acceptable_step",
                           "clinical_followup": "acceptable_step"})
      for name, facts in (("cauda equina", CES), ("progressive weakness", WEAKNESS),
                          ("suspected infection", INFECTION),
                          ("suspected malignancy", MALIGNANCY),
                          ("suspected fracture", FRACTURE))),
]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_lesson(lesson: Lesson) -> None:
    assessment = evaluate(make_case(**lesson.facts), lesson.plan())
    codes = {f.code for f in assessment.findings}
    chosen = {a.step for a in assessment.chosen}
    assert set(lesson.raised) <= codes, sorted(codes)
    assert not chosen & set(lesson.absent), "a step named in absent was chosen"
    assert not set(lesson.absent) & codes, sorted(codes)
    judged = {(f.step, f.code) for f in assessment.findings}
    assert set(lesson.steps_judged.items()) <= judged, sorted(judged, key=str)
    if lesson.safety:
        assert assessment.safety == lesson.safety, assessment.rubric
    if lesson.full_marks:
        assert (assessment.score, assessment.safety) == (1.0, "safe"), [
            (f.code, f.step) for f in assessment.findings if f.severity != "info"]


def test_delayed_surgery_is_critical_only_for_cauda_equina() -> None:
    plan = ["history_red_flags", "neuro_exam", {"step": "naproxen", "dose_mg_per_day": 1000}]
    severities = {}
    for name, facts in (("cauda_equina", CES), ("weakness", WEAKNESS)):
        findings = evaluate(make_case(**facts), plan).findings
        severities[name] = {f.severity for f in findings if f.code == "delayed_surgery"}
    assert severities == {"cauda_equina": {"critical"}, "weakness": {"warning"}}


def test_every_rule_that_raises_a_pitfall_cites_a_source() -> None:
    kb = knowledge()
    for rule in kb.rules:
        assert rule.evidence or kb.findings[rule.code].evidence, rule.id


@pytest.mark.parametrize(("facts", "urgent", "late"), [
    (CES, "mri_lumbar_noncontrast!urgent", "mri_lumbar_noncontrast"),
    (CES, "mri_lumbar_noncontrast!urgent", "mri_lumbar_contrast"),
    (CES, "urgent_surgical_referral", "surgical_opinion_shared_decision"),
    (WEAKNESS, "mri_lumbar_noncontrast!urgent", "mri_lumbar_noncontrast"),
    (WEAKNESS, "urgent_surgical_referral", "surgical_opinion_shared_decision"),
    (INFECTION, "mri_lumbar_noncontrast!urgent", "mri_lumbar_noncontrast"),
    (MALIGNANCY, "mri_lumbar_noncontrast!urgent", "mri_lumbar_noncontrast"),
], ids=["ces-mri", "ces-contrast-mri", "ces-opinion", "weakness-mri", "weakness-opinion",
        "infection-mri", "malignancy-mri"])
def test_a_routine_step_for_an_urgent_one_is_one_missed_red_flag(
        facts: dict[str, Any], urgent: str, late: str) -> None:
    """The routine order of a required urgent one (spec v3 §0.6: urgency is the order's
    priority) is one omission, one finding: the missed red flag names it as chosen instead;
    it gets no low-value or not-indicated finding of its own."""
    case = make_case(**facts)
    plan = [a.as_data() for a in recommended_actions(case) if a.as_data() != urgent] + [late]
    findings = evaluate(case, plan).findings
    missed = [f for f in findings if f.code == "missed_red_flag"]
    assert [f.step for f in missed] == [urgent.partition("!")[0]]
    assert "chosen instead" in missed[0].detail or "ordered routine" in missed[0].detail
    assert [f.code for f in findings if f.step == late and f is not missed[0]] == []


@pytest.mark.parametrize(("facts", "instead"), [
    (MALIGNANCY, "physical_therapy"), (MALIGNANCY, "mri_lumbar_noncontrast"),
    (FRACTURE, "physical_therapy")], ids=["malignancy-conservative", "malignancy-routine-mri",
                                          "fracture-conservative"])
def test_a_missed_red_flag_ranks_below_an_incomplete_examination(
        facts: dict[str, Any], instead: str) -> None:
    """Harm ranks below waste (spec 5): skipping the description of the dystonia and the
    functional-signs examination costs less than leaving out the urgent imaging."""
    case = make_case(**facts)
    plan = [a.as_data() for a in recommended_actions(case)]
    incomplete = evaluate(case, [s for s in plan if s not in (
        "dystonia_phenomenology", "functional_signs_exam")])
    missed = evaluate(case, [s for s in plan if s != "mri_lumbar_noncontrast!urgent"]
                      + [instead])
    assert "missed_red_flag" in missed.pitfalls
    assert "incomplete_assessment" in incomplete.pitfalls
    assert incomplete.points > missed.points, (incomplete.rubric, missed.rubric)


def _count(assessment: Any) -> tuple[int, int]:
    """(decisions made, decisions counted) from the rubric sentence the learner reads."""
    found = re.search(r"(\d+) of the (\d+) required decisions made", assessment.rubric)
    assert found, assessment.rubric
    return int(found[1]), int(found[2])


def test_the_periprocedural_plan_counts_only_with_the_operation() -> None:
    """The anticoagulation plan is the caution's remedy for an operation: without the operation
    it is not asked for; with it and without the plan the count is docs/scoring.md's example
    (the aftercare drops out while the operation carries the caution, the plan is missing)."""
    case = make_case(**ELECTIVE_ON_DOAC)
    full = [a.as_data() for a in recommended_actions(case, choose=PROCEDURES)]
    base = len(recommended_actions(case))
    assert "anticoagulation_plan" in full and "microdiscectomy" in full
    no_operation = evaluate(case, [s for s in full if s not in NO_OPERATION])
    assert not [f for f in no_operation.findings
                if f.code == "missing_step" and f.step == "anticoagulation_plan"]
    assert _count(no_operation) == (base, base)
    no_plan = evaluate(case, [s for s in full if s != "anticoagulation_plan"])
    assert [f.step for f in no_plan.findings if f.code == "missing_step"] == [
        "anticoagulation_plan"]
    assert _count(no_plan) == (base, base + 1)
    assert _count(evaluate(case, full)) == (base + 3, base + 3)


def test_scoring_doc_example_holds_for_the_instructor_case() -> None:
    """docs/scoring.md: "7 of the 8 required decisions" without the periprocedural plan, "10 of
    the 10" with it, "7 of the 7" with no operation."""
    case = case_at_visit(load_case(INSTRUCTOR_CASE), 1)
    full = [a.as_data() for a in recommended_actions(case, choose=PROCEDURES)]
    counts = [_count(evaluate(case, [s for s in full if s not in left_out]))
              for left_out in (("anticoagulation_plan",), (), NO_OPERATION)]
    assert (len(full), counts) == (11, [(7, 8), (10, 10), (7, 7)])


@pytest.mark.parametrize("visit", [1, 2])
def test_instructor_case_acetaminophen_beside_the_opinion_and_after_the_operation(
        visit: int) -> None:
    """The instructor's plans (issue 8): at week 8 a surgical opinion with acetaminophen and no
    operation gets neither a periprocedural-plan gap nor low-value care; after the operation
    acetaminophen is acceptable too: the same drug is judged the same way."""
    case = case_at_visit(load_case(INSTRUCTOR_CASE), visit)
    plan = ["history_red_flags", "neuro_exam", "dystonia_phenomenology",
            "functional_signs_exam", "physical_therapy", "education_stay_active",
            "clinical_followup", {"step": "acetaminophen", "dose_mg_per_day": 3000}]
    if visit == 1:
        plan.append("surgical_opinion_shared_decision")
    findings = evaluate(case, plan).findings
    assert ("acetaminophen", "acceptable_step") in {(f.step, f.code) for f in findings}
    assert not {"low_value_care", "symptomatic_only"} & {f.code for f in findings}
    assert "anticoagulation_plan" not in {f.step for f in findings}
