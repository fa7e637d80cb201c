"""The 37 findings of the version-3 clinical review (../shared/clinical/review-v3.md), one row
each: the row runs the finding's reproduction (a plan on a bundled case, a one-field variant of
one, or the knowledge and case files it names) and asserts the corrected verdict. Where this
course argues against the reviewer, docs/findings.md says why, with its source, and the row
pins the course's verdict (ARGUED below)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from dystonia_teach import evaluate, load_case, recommended_pathway
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.diagnoses import diagnosis_scripts
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.results import Assessment
from dystonia_teach.core.visits import case_at_visit
from dystonia_teach.render.figures import NODE_BY_ID, algorithm_description

from .conftest import REPO

A = ["history_red_flags", "neuro_exam", "dystonia_phenomenology", "functional_signs_exam"]
C = ["physical_therapy", "education_stay_active", "clinical_followup"]
AFTERCARE = ["postoperative_rehabilitation", "clinical_followup", "complication_monitoring"]
#: Findings where the course's verdict differs from the reviewer's, argued in docs/findings.md.
ARGUED = {13, 23}


def dose(step: str, mg: float) -> dict[str, Any]:
    return {"step": step, "dose_mg_per_day": mg}


def variant(case_id: str, patient: dict[str, Any] | None = None, **fields: Any) -> Case:
    """A one-field copy of a bundled case (its visits dropped), as the review built them."""
    data = load_case(case_id).model_dump(mode="python")
    data.pop("visits")
    data["id"] = f"{case_id}_variant"
    data["patient"].update(patient or {})
    data.update(fields)
    return Case.model_validate(data)


def at(case_id: str, visit: int = 1) -> Case:
    return case_at_visit(load_case(case_id), visit - 1)


def judged(assessment: Assessment) -> set[tuple[str | None, str]]:
    return {(f.step, f.code) for f in assessment.findings}


def codes(assessment: Assessment) -> set[str]:
    return {f.code for f in assessment.findings}


def missing(assessment: Assessment) -> list[str | None]:
    return [f.step for f in assessment.findings if f.code == "missing_step"]


def example(case: Case, decision: str) -> str:
    return next(i.step for i in recommended_pathway(case) if i.decision == decision)


# --- the rows --------------------------------------------------------------------------------

def f01() -> None:
    preg = variant("early_uncomplicated", {"sex": "female", "age": 32},
                   conditions=[{"name": "pregnancy", "weeks": 12}])
    assert example(preg, "pain_relief") == "acetaminophen"
    paracetamol = evaluate(preg, [*A, *C, dose("acetaminophen", 3000)])
    assert (paracetamol.score, paracetamol.safety, missing(paracetamol)) == (1.0, "safe", [])
    naproxen = evaluate(preg, [*A, *C, dose("naproxen", 1000)])
    assert ("naproxen", "caution") in judged(naproxen) and naproxen.safety == "caution"
    assert naproxen.score < 1.0


def f02() -> None:
    liver = variant("early_uncomplicated", conditions=["hepatic_disease"])
    relief = next(i for i in recommended_pathway(liver) if i.decision == "pain_relief")
    assert relief.options == ("acetaminophen",)
    naproxen = evaluate(liver, [*A, *C, dose("naproxen", 1000)])
    assert ("naproxen", "contraindicated") in judged(naproxen) and naproxen.safety == "unsafe"


def f03() -> None:
    case = at("early_uncomplicated")
    for step, mg in (("acetaminophen", 6000), ("naproxen", 5000)):
        overdose = evaluate(case, [*A, *C, dose(step, mg)])
        found = next(f for f in overdose.findings if f.code == "dose_out_of_range")
        assert (found.severity, overdose.safety) == ("critical", "unsafe")
    low = evaluate(case, [*A, *C, dose("naproxen", 250)])
    none = evaluate(case, [*A, *C, "naproxen"])
    assert ("dose_out_of_range", "info") in {(f.code, f.severity) for f in low.findings}
    assert ("dose_missing", "info") in {(f.code, f.severity) for f in none.findings}
    assert low.safety == none.safety == "safe"
    cited = next(f for f in evaluate(case, [*A, *C, dose("acetaminophen", 6000)]).findings
                 if f.code == "dose_out_of_range").sources
    assert [s.claim_id for s in cited] == ["acetaminophen_ceiling"]


def f04() -> None:
    plan = evaluate(at("early_uncomplicated"), [*A, *C])
    assert (plan.score, plan.safety, missing(plan)) == (1.0, "safe", [])


def f05() -> None:
    plans = [
        (at("early_uncomplicated", 2), [*A, "mri_lumbar_noncontrast",
                                        "surgical_opinion_shared_decision", *C,
                                        dose("naproxen", 1000)]),
        (at("disc_herniation_after_trial"), [*A, "mri_lumbar_noncontrast",
                                             "surgical_opinion_shared_decision", *C]),
        (at("failed_conservative_stenosis"), [*A, "mri_lumbar_noncontrast",
                                              "surgical_opinion_shared_decision", *C]),
    ]
    for case, plan in plans:
        assessment = evaluate(case, plan)
        assert (missing(assessment), assessment.safety) == ([], "safe"), case.id
        assert not {"delayed_surgery", "symptomatic_only"} & codes(assessment)


def f06() -> None:
    plan = [*A, "mri_lumbar_noncontrast", "xray_flexion_extension",
            "surgical_opinion_shared_decision", "decompressive_laminectomy", *AFTERCARE]
    assessment = evaluate(at("stenosis_with_instability"), plan)
    assert "procedure_mismatch" not in codes(assessment) and assessment.score >= 0.9


def f07() -> None:
    case = at("progressive_foot_drop")
    assessment = evaluate(case, ["history_red_flags", "neuro_exam", "urgent_mri",
                                 "urgent_surgical_referral", "ankle_foot_orthosis"])
    assert ("ankle_foot_orthosis", "appropriate_step") in judged(assessment)
    assert "low_value_care" not in codes(assessment)
    assert "ankle_foot_orthosis" in {i.step for i in recommended_pathway(case)}


def f08() -> None:
    for case_id, plan in (("disc_herniation_after_trial", ["mri_lumbar_noncontrast"]),
                          ("failed_conservative_stenosis", ["mri_lumbar_noncontrast",
                                                            "xray_flexion_extension"])):
        fusion = evaluate(at(case_id), [*A, *plan, "surgical_opinion_shared_decision", "tlif",
                                        *AFTERCARE])
        assert ("tlif", "unindicated_procedure") in judged(fusion), case_id
        assert fusion.safety == "unsafe" and "procedure_mismatch" not in codes(fusion)


def f09() -> None:
    review = evaluate(at("disc_herniation_after_trial", 2),
                      ["history_red_flags", "neuro_exam", *AFTERCARE])
    assert review.score >= 0.9 and "incomplete_assessment" not in codes(review)


def f10() -> None:
    week_three = evaluate(at("early_uncomplicated"), [*A, dose("naproxen", 1000), *C,
                                                      "botulinum_toxin"])
    after_discectomy = evaluate(at("disc_herniation_after_trial", 2),
                                ["history_red_flags", "neuro_exam", *AFTERCARE,
                                 "botulinum_toxin"])
    for assessment in (week_three, after_discectomy):
        assert ("botulinum_toxin", "low_value_care") in judged(assessment)
        assert assessment.score < 1.0


def f11() -> None:
    assessment = evaluate(at("discordant_imaging"), [*A, "emg_ncs", *C])
    assert (assessment.score, assessment.safety, missing(assessment)) == (1.0, "safe", [])


def f12() -> None:
    assessment = evaluate(at("discordant_imaging"), [*A, "mri_lumbar_noncontrast", "emg_ncs",
                                                     *C, "epidural_steroid_injection"])
    assert ("epidural_steroid_injection", "low_value_care") in judged(assessment)


def f13() -> None:
    """ARGUED (the ACE inhibitor part): see docs/findings.md."""
    pad = evaluate(at("vascular_claudication"), [*A, "ankle_brachial_index",
                                                 "clinical_followup", dose("diclofenac", 150)])
    assert ("diclofenac", "contraindicated") in judged(pad) and pad.safety == "unsafe"
    clopidogrel = variant("early_uncomplicated",
                          conditions=[{"name": "antiplatelet", "drug": "p2y12_inhibitor"}])
    nsaid = evaluate(clopidogrel, [*A, *C, dose("naproxen", 1000)])
    assert ("naproxen", "caution") in judged(nsaid) and nsaid.safety == "caution"
    aspirin = variant("early_uncomplicated",
                      conditions=[{"name": "antiplatelet", "drug": "aspirin"}])
    assert ("ibuprofen", "caution") in judged(evaluate(aspirin, [*A, *C,
                                                                 dose("ibuprofen", 1200)]))
    triple = variant("failed_conservative_stenosis",
                     conditions=["ace_inhibitor_or_arb_with_diuretic"])
    finding = next(f for f in evaluate(triple, [dose("naproxen", 1000)]).findings
                   if f.code == "caution")
    assert "triple whammy" in finding.detail
    # The bundled patient takes ramipril without a diuretic: no triple whammy is claimed.
    assert load_case("failed_conservative_stenosis").condition(
        "ace_inhibitor_or_arb_with_diuretic") is None


def f14() -> None:
    assert diagnosis_scripts()["wilson_disease"].must_not_miss
    assessment = evaluate(at("wilson_disease_young_adult"),
                          [*A, "levodopa_trial", "genetic_testing_dystonia", "clinical_followup"],
                          working_diagnosis="isolated_dystonia")
    assert assessment.safety == "unsafe"
    assert ("copper_ceruloplasmin", "missing_step") in judged(assessment)


def f15() -> None:
    plans = [
        ("young_onset_dopa_responsive", [*A, "levodopa_trial", "genetic_testing_dystonia",
                                         "clinical_followup", "copper_ceruloplasmin"],
         "copper_ceruloplasmin"),
        ("exercise_induced_dyskinesia", [*A, "genetic_testing_dystonia", "copper_ceruloplasmin",
                                         "clinical_followup"], "copper_ceruloplasmin"),
        ("spastic_paraplegia_mimic", [*A, "mri_cervical_thoracic_spine", "brain_mri",
                                      "clinical_followup"], "brain_mri"),
    ]
    for case_id, plan, step in plans:
        assessment = evaluate(at(case_id), plan)
        assert "low_value_care" not in codes(assessment), case_id
        assert (step, "low_value_care") not in judged(assessment)


def f16() -> None:
    for case_id, plan, step in (
            ("polyneuropathy_mimic", [*A, "emg_ncs", "polyneuropathy_screen",
                                      "clinical_followup", "duloxetine"], "duloxetine"),
            ("vascular_claudication", [*A, "ankle_brachial_index", "physical_therapy",
                                       "clinical_followup"], "physical_therapy"),
            ("vascular_claudication", [*A, "ankle_brachial_index", "supervised_exercise",
                                       "clinical_followup"], "supervised_exercise"),
            ("spastic_paraplegia_mimic", [*A, "mri_cervical_thoracic_spine", "clinical_followup",
                                          "botulinum_toxin", "physical_therapy"],
             "botulinum_toxin")):
        verdicts = {code for s, code in judged(evaluate(at(case_id), plan)) if s == step}
        assert verdicts & {"acceptable_step", "appropriate_step"}, (case_id, step, verdicts)


def f17() -> None:
    for step in ("pregabalin_or_gabapentin", "oral_corticosteroid", "benzodiazepine"):
        assessment = evaluate(at("early_uncomplicated"), [*A, *C, step])
        finding = next(f for f in assessment.findings if f.step == step)
        assert finding.code == "low_value_care" and "NICE NG59" in finding.detail


def f18() -> None:
    text = load_case("nsaid_contraindicated_ckd").model_dump_json().lower()
    assert "slap" not in text and "push off" in text


def f19() -> None:
    case = load_case("polyneuropathy_mimic")
    assert "b12" in case.teaching_notes.lower() and "metformin" in case.teaching_notes.lower()
    assessment = evaluate(case, [*A, "emg_ncs", "polyneuropathy_screen", "clinical_followup",
                                 "b12_replacement"])
    assert ("b12_replacement", "acceptable_step") in judged(assessment)


def f20() -> None:
    assessment = evaluate(at("stair_walking_dystonia"), [*A, "gait_assessment",
                                                         "clinical_followup",
                                                         "genetic_testing_dystonia"])
    finding = next(f for f in assessment.findings if f.step == "genetic_testing_dystonia")
    assert finding.code == "low_value_care"
    assert "bed rest" not in finding.detail.lower()
    assert "acp_lbp_stepwise" not in {s.claim_id for s in finding.sources}


def f21() -> None:
    for case_id in ("exercise_induced_dyskinesia", "stair_walking_dystonia",
                    "vascular_claudication"):
        assessment = evaluate(at(case_id), [*A, "mri_lumbar_noncontrast", "clinical_followup"])
        finding = next(f for f in assessment.findings if f.step == "mri_lumbar_noncontrast")
        assert finding.code == "low_value_care" and "no root signs" in finding.detail, case_id
    laminectomy = evaluate(at("vascular_claudication"), [*A, "decompressive_laminectomy"])
    assert "premature_surgery" not in codes(laminectomy)
    assert "surgery_without_concordant_imaging" in codes(laminectomy)


def f22() -> None:
    assessment = evaluate(at("nsaid_contraindicated_ckd"),
                          [*A, *C, dose("acetaminophen", 3000), "epidural_steroid_injection",
                           "anticoagulation_plan"])
    finding = next(f for f in assessment.findings if f.step == "epidural_steroid_injection")
    assert "neurogenic claudication" not in finding.detail
    assert "acute and severe sciatica" in finding.detail


def f23() -> None:
    """ARGUED (the count): two routine orders are two findings; see docs/findings.md."""
    assessment = evaluate(at("cauda_equina_red_flags"),
                          ["history_red_flags", "neuro_exam", "mri_lumbar_noncontrast",
                           "surgical_opinion_shared_decision"])
    critical = [f for f in assessment.findings if f.severity == "critical"]
    assert [f.code for f in critical] == ["missed_red_flag", "missed_red_flag"]
    assert "delayed_surgery" not in codes(assessment)  # a surgeon was asked, if not urgently
    assert all("routine" in f.detail for f in critical)


def f24() -> None:
    refusal = variant("disc_herniation_after_trial", preference="conservative")
    assessment = evaluate(refusal, [*A, "mri_lumbar_noncontrast", "microdiscectomy",
                                    *AFTERCARE])
    finding = next(f for f in assessment.findings if f.step == "microdiscectomy")
    assert finding.code == "against_informed_decision"
    assert "informed decision" in finding.summary and "not indicated" not in finding.summary


def f25() -> None:
    assessment = evaluate(at("young_onset_dopa_responsive"), [*A, dose("naproxen", 1000)])
    finding = next(f for f in assessment.findings if f.code == "dose_out_of_range")
    assert finding.severity == "critical" and "32 kg" in finding.detail


def f26() -> None:
    kb = knowledge()
    assert "mri_after_6wk_omm" not in kb.steps["clinical_followup"].evidence
    assert "wide_based_unsteady_gait" not in kb.steps["mri_cervical_thoracic_spine"].evidence
    anticoagulant = next(c for c in kb.cautions if c.id == "nsaid_anticoagulant")
    assert "beers_nsaids" not in anticoagulant.evidence
    assert "SPAST" in kb.steps["genetic_testing_dystonia"].description


def f27() -> None:
    assert knowledge().sources["gerhard_herman_2016"].year == 2017


def f28() -> None:
    sources = knowledge().sources
    assert sources["long_2020_ces"].status == "verified"
    assert sources["nordsten_instability_review"].doi


def f29() -> None:
    early = load_case("early_uncomplicated")
    assert not early.investigations.electrodiagnosis.chronic_reinnervation
    assert "chronic neurogenic" not in early.investigations.electrodiagnosis.report.lower()
    drop = load_case("progressive_foot_drop")
    assert "ibuprofen" not in drop.medications.lower()
    assert load_case("exercise_induced_dyskinesia").course.symptom_weeks == 208


def f30() -> None:
    label = knowledge().steps["copper_ceruloplasmin"]
    text = f"{label.label} {label.description}".lower()
    for part in ("caeruloplasmin", "urinary copper", "slit-lamp", "liver tests"):
        assert part in text, part
    notes = load_case("wilson_disease_young_adult").teaching_notes
    assert "AASLD 2022" in notes


def f31() -> None:
    item = next(i for i in recommended_pathway(at("cauda_equina_red_flags"))
                if i.decision == "urgent_lumbar_mri")
    assert "catheter" in item.reason


def f32() -> None:
    kb = knowledge()
    assert {"glut1_work_up", "ketogenic_diet"} <= set(kb.steps)
    assert kb.claims["glut1_work_up_and_diet"].sources
    case = at("exercise_induced_dyskinesia")
    tested = evaluate(case, [*A, "glut1_work_up", "clinical_followup"])
    assert ("ketogenic_diet", "missing_step") in judged(tested)  # shown GLUT1: treat it
    assert evaluate(case, [*A, "glut1_work_up", "ketogenic_diet", "clinical_followup"]
                    ).score == 1.0


def f33() -> None:
    case = at("stair_walking_dystonia")
    gait = next(i for i in recommended_pathway(case) if i.step == "gait_assessment")
    assert gait.required
    assert "McKeon" in case.teaching_notes or "parkinsonism" in case.teaching_notes


def f34() -> None:
    text = algorithm_description()
    assert "Red flag: imaging now" in text and "Surgical opinion, shared decision" in text
    mimics = NODE_BY_ID["mimics"].detail
    for feature in ("GLUT1", "foot pulses", "Wilson", "spastic", "Tinel"):
        assert feature in mimics, feature
    # no red-flag branch for a case without a red flag
    early = algorithm_description(at("early_uncomplicated"))
    assert "Red flags? [yes]" not in early and "Red flags? [no]" in early


def f35() -> None:
    age80 = variant("early_uncomplicated", {"age": 80})
    assessment = evaluate(age80, [*A, *C, dose("naproxen", 1000)])
    note = next(f for f in assessment.findings if f.code == "caution_note")
    assert "gastro-protection" in note.detail


def f36() -> None:
    dat_first = evaluate(at("early_parkinson_subtle"), [*A, "dat_scan", "clinical_followup"])
    assert missing(dat_first) == [] and dat_first.safety == "safe"
    anticholinergic = evaluate(at("stair_walking_dystonia"),
                               [*A, "gait_assessment", "clinical_followup",
                                "anticholinergic_trial"])
    assert ("anticholinergic_trial", "acceptable_step") in judged(anticholinergic)


def f37() -> None:
    case = at("young_onset_dopa_responsive")
    assert ("emg_ncs", "low_value_care") in judged(evaluate(case, [*A, "emg_ncs"]))
    assert "needle" not in case.investigations.electrodiagnosis.report.lower()


@dataclass(frozen=True)
class Row:
    number: int
    title: str
    check: Callable[[], None]


ROWS = [Row(n, title, check) for n, (title, check) in enumerate((
    ("pregnancy before 20 weeks: acetaminophen first, an NSAID a warning", f01),
    ("liver disease: no NSAID", f02),
    ("an overdose is critical, an under-dose or no dose information", f03),
    ("a drug-free conservative plan is complete and safe", f04),
    ("a surgical opinion with informed conservative care misses nothing", f05),
    ("grade I degenerative slip: decompression alone is no mismatch", f06),
    ("foot drop: the orthosis is right", f07),
    ("a fusion with no slip is an unindicated operation", f08),
    ("the post-operative review scores at least 90", f09),
    ("botulinum toxin while the root lesion is acute or recovering", f10),
    ("the MRI the patient brought is not repeated", f11),
    ("no epidural for mild sciatica without a target", f12),
    ("cardiovascular and antiplatelet cautions on NSAIDs", f13),
    ("Wilson disease is must-not-miss", f14),
    ("mimic work-ups follow the features, not the answer", f15),
    ("a mimic's guideline treatment is right", f16),
    ("gabapentinoids, oral steroids and benzodiazepines can be chosen, and are low-value", f17),
    ("no foot slap from S1 weakness", f18),
    ("the B12 deficiency on metformin is acted on", f19),
    ("low-value reasons and evidence belong to the step's class", f20),
    ("'premature' only for radicular pain of under six weeks", f21),
    ("the right reason for the epidural in lateral-recess stenosis", f22),
    ("cauda equina: a routine opinion is named as such", f23),
    ("an informed refusal is named as such", f24),
    ("a child's dose is checked by weight", f25),
    ("steps cite what supports them", f26),
    ("the PAD guideline's print year", f27),
    ("records completed where they were seen", f28),
    ("small vignette inconsistencies", f29),
    ("the Wilson work-up as AASLD 2022 lists it", f30),
    ("cauda equina: the retained bladder is drained", f31),
    ("GLUT1: a sourced work-up and the ketogenic diet", f32),
    ("stair-walking dystonia: watching each gait task is required", f33),
    ("the flowchart: red-flag, shared-decision and mimic boxes that are right", f34),
    ("older adults: a gastro-protection note from the first week", f35),
    ("DaT scan first and an anticholinergic trial are defensible", f36),
    ("no needle EMG in a 10-year-old", f37),
), start=1)]


def test_one_row_per_finding_of_the_review() -> None:
    assert [row.number for row in ROWS] == list(range(1, 38))


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.number:02d} {r.title}")
def test_finding_of_the_review(row: Row) -> None:
    row.check()


def test_argued_findings_are_argued_in_the_docs_with_a_source() -> None:
    text = (REPO / "docs" / "findings.md").read_text(encoding="utf-8")
    section = text.split("## Review v3: findings argued", 1)[1]
    for number in ARGUED:
        entry = section.split(f"### Finding {number}:", 1)[1].split("###", 1)[0]
        assert "Verdict here:" in entry and "Source:" in entry, number
