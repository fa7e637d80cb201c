"""The reasoning session: differential, justified tests, confidence, visits and debrief."""

from __future__ import annotations

import json

import pytest

from dystonia_teach import evaluate, recommended_actions
from dystonia_teach.casefiles.loader import list_cases, load_case
from dystonia_teach.core.diagnoses import (
    derived_differential,
    diagnosis_scripts,
    features,
    search_diagnoses,
)
from dystonia_teach.core.errors import ActionError
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.reasoning import JudgedTest, ReasoningSession
from tests.conftest import CASES_DIR as REPO_CASES
from tests.conftest import make_case

RADICULAR = ["radiculopathy_dystonia", "isolated_dystonia", "functional_dystonia"]


def examined(case_id: str = "early_uncomplicated") -> ReasoningSession:
    session = ReasoningSession(load_case(case_id))
    session.add("history_red_flags")
    session.add("neuro_exam")
    return session


def submit(session: ReasoningSession, confidence: int = 50):
    """Submit, first recording what submission needs and the test has not set: a
    differential led by the case's diagnosis, and a confidence."""
    if session.differential is None:
        session.set_differential([session.case.diagnosis])
    if session.confidence is None:
        session.set_confidence(confidence)
    return session.submit()


# --- differential ---------------------------------------------------------------------------

def test_differential_scripts_cover_every_case_diagnosis_and_cite_known_evidence() -> None:
    scripts = diagnosis_scripts()
    assert {load_case(c).diagnosis for c in list_cases()} <= set(scripts)
    kb = knowledge()
    for script in scripts.values():
        assert set(script.evidence) <= set(kb.claims)
        assert set(script.tests) <= set(kb.steps)
        assert set(script.for_) | set(script.against) <= set(features())
    assert any(s.must_not_miss for s in scripts.values())


@pytest.mark.parametrize("case_id", list_cases())
def test_derived_differential_leads_with_each_bank_case_diagnosis(case_id: str) -> None:
    case = load_case(case_id)
    derived = derived_differential(case)
    assert derived[0].diagnosis == case.diagnosis
    assert all(entry.facts_for for entry in derived)


def test_derived_differential_follows_the_facts_not_the_answer() -> None:
    facts = {"other_signs": ["bradykinesia", "rest_tremor"], "radicular": {"root": "none"},
             "investigations__imaging__lesion": "none",
             "investigations__electrodiagnosis__result": "normal"}
    parkinsonian = make_case(**facts)
    assert derived_differential(parkinsonian)[0].diagnosis == "parkinsonism_foot_dystonia"
    # The same facts with another authored diagnosis give the same derived differential.
    relabelled = make_case(**facts, diagnosis="functional_dystonia")
    assert derived_differential(relabelled) == derived_differential(parkinsonian)
    cauda = make_case(red_flags=["cauda_equina"], other_signs=["saddle_anaesthesia"])
    assert "cauda_equina_syndrome" in [e.diagnosis for e in derived_differential(cauda)]


@pytest.mark.parametrize(("query", "expected"), [
    ("parkin", "parkinsonism_foot_dystonia"), ("psychogenic", "functional_dystonia"),
    ("neuropaty", "polyneuropathy"), ("Cauda equina", "cauda_equina_syndrome"),
    ("stenosis", "radiculopathy_dystonia"), ("segawa", "dopa_responsive_dystonia"),
    ("sciatica", "radiculopathy_dystonia"), ("CRPS", "post_traumatic_dystonia"),
])
def test_differential_search_finds_diagnoses_by_name_misspelling_or_script(
        query: str, expected: str) -> None:
    assert search_diagnoses(query)[0].id == expected


def test_differential_search_empty_lists_all_and_nonsense_finds_nothing() -> None:
    assert len(search_diagnoses("", limit=0)) == len(diagnosis_scripts())
    assert [d.id for d in search_diagnoses("xylophone")] == ["other"]


def test_differential_is_validated_and_compared_with_the_derived_one() -> None:
    session = examined("functional_dystonia_mimic")
    with pytest.raises(ActionError, match="unknown diagnosis"):
        session.set_differential(["functional_dystonai"])
    with pytest.raises(ActionError, match="at most 3"):
        session.set_differential([*RADICULAR, "polyneuropathy"])
    with pytest.raises(ActionError, match="once"):
        session.set_differential(["polyneuropathy", "polyneuropathy"])
    session.set_differential(RADICULAR, must_not_miss="isolated_dystonia")
    feedback = submit(session).differential
    assert feedback is not None and not feedback.leading_correct
    assert feedback.diagnosis_rank == 3
    assert "Foot dystonia caused by lumbar radiculopathy" in feedback.against_facts
    assert "not an emergency" in feedback.must_not_miss_note
    assert {e.diagnosis for e in feedback.scripts} >= {*RADICULAR, "post_traumatic_dystonia"}
    assert feedback.missed == ("Post-traumatic peripheral dystonia",)


def test_differential_missing_a_present_must_not_miss_is_named() -> None:
    session = examined("cauda_equina_red_flags")
    session.set_differential(["radiculopathy_dystonia"],
                             must_not_miss="spinal_infection_or_malignancy")
    note = submit(session).differential.must_not_miss_note
    assert note.startswith("Missed") and "cauda equina syndrome" in note
    session.set_differential(["radiculopathy_dystonia"], must_not_miss="cauda_equina_syndrome")
    assert submit(session).differential.must_not_miss_note.startswith("Right")


def test_leading_with_a_present_emergency_is_right_and_counts_as_naming_it() -> None:
    """Cauda equina from a disc: the case's diagnosis is the radiculopathy, but a learner who
    leads with cauda equina syndrome, sure of it, is right (it is what must be acted on today),
    has named the must-not-miss diagnosis, and is not told an urgent MRI does not test it."""
    session = examined("cauda_equina_red_flags")
    session.set_differential(["cauda_equina_syndrome", "radiculopathy_dystonia"])
    session.set_confidence(90)
    ordered = session.order_test("mri_lumbar_noncontrast", priority="urgent",
                                 change="compression of the cauda equina",
                                 target="cauda_equina_syndrome")
    report = session.submit()
    assert report.confidence is not None and report.confidence.verdict == "well calibrated"
    assert "foot dystonia caused by lumbar radiculopathy" in report.confidence.message
    assert report.differential.leading_correct
    assert report.differential.must_not_miss_note.startswith("Right")
    judged = next(t for t in report.tests if t.step == ordered.step)
    assert judged.target_note.endswith("help to confirm or exclude cauda equina syndrome.")
    # the case's own diagnosis stays right, and an emergency the facts do not show does not
    session = examined("cauda_equina_red_flags")
    session.set_differential(["spinal_infection_or_malignancy"])
    assert submit(session, 90).confidence.verdict == "confidently wrong"
    case = load_case("cauda_equina_red_flags")
    codes = {f.code for f in evaluate(case, recommended_actions(case),
                                      "cauda_equina_syndrome").findings}
    assert "working_diagnosis_correct" in codes and "working_diagnosis_incorrect" not in codes


# --- justified tests and progressive disclosure ---------------------------------------------

def test_justify_disclosure_history_then_examination_then_each_result() -> None:
    session = ReasoningSession(load_case("early_uncomplicated"))
    assert session.stage == "history" and session.examination is None
    with pytest.raises(ActionError, match="examine"):
        session.order_test("emg_ncs", change="a root lesion")
    session.add("neuro_exam")
    assert session.stage == "examination" and session.examination
    assert session.tests == ()
    test = session.order_test("emg_ncs", change="a root lesion")
    assert session.stage == "tests"
    assert test.report == load_case("early_uncomplicated").investigations.electrodiagnosis.report


def test_justify_is_required_before_a_result_and_tests_only_through_it() -> None:
    session = examined()
    with pytest.raises(ActionError, match="change management"):
        session.order_test("emg_ncs", change="  ")
    with pytest.raises(ActionError, match="is ordered as a test"):
        session.add("mri_lumbar_noncontrast")
    with pytest.raises(ActionError, match="not a test"):
        session.order_test("naproxen", change="x")
    assert session.tests == ()


def judged(session: ReasoningSession, step: str) -> JudgedTest:
    """The test ``step`` as judged at submission."""
    return next(t for t in submit(session).tests if t.step == step)


def test_justify_low_value_ordering_is_named_at_submission_from_the_engine() -> None:
    early = examined("early_uncomplicated")
    mri = early.order_test("mri_lumbar_noncontrast", change="a disc",
                           target="radiculopathy_dystonia")
    assert not hasattr(mri, "value")  # ordering judges nothing
    mri = judged(early, "mri_lumbar_noncontrast")
    assert mri.value == "low value" and "six weeks" in mri.verdict
    assert "does help" in mri.target_note
    trial = examined("failed_conservative_stenosis")
    trial.order_test("mri_lumbar_noncontrast", change="a disc")
    trial.order_test("dat_scan", change="reduced uptake", target="functional_dystonia")
    assert judged(trial, "mri_lumbar_noncontrast").value == "indicated"
    dat = judged(trial, "dat_scan")
    assert dat.value == "low value"
    assert "does not separate" in dat.target_note


def test_messages_agree_with_plural_step_labels() -> None:
    steps = knowledge().steps
    emg, advice = steps["emg_ncs"].label, steps["education_stay_active"].label
    session = examined()
    with pytest.raises(ActionError, match=f"^{emg} are ordered as a test"):
        session.add("emg_ncs")
    with pytest.raises(ActionError, match=f"^{advice} are not a test"):
        session.order_test("education_stay_active", change="x")
    session.add("education_stay_active")
    with pytest.raises(ActionError, match=f"^{advice} are already in your plan"):
        session.add("education_stay_active")
    session.order_test("emg_ncs", change="a root", target="radiculopathy_dystonia")
    session.order_test("urgent_mri", change="a mass", target="vascular_claudication")
    assert judged(session, "emg_ncs").target_note.startswith(f"{emg} do help")
    mri = judged(session, "mri_lumbar_noncontrast")  # urgent_mri: an urgent order of this MRI
    label = steps["mri_lumbar_noncontrast"].label
    assert mri.target_note.startswith(f"{label} does not separate")


def test_a_caution_on_a_test_does_not_make_it_low_value() -> None:
    """CT myelography after a trial at 22 weeks of pregnancy is reasonable, with a caution."""
    case = make_case(patient__age=31, conditions=[{"name": "pregnancy", "weeks": 22}],
                     course__conservative_care_weeks=8, course__symptom_weeks=10)
    session = ReasoningSession(case)
    session.add("history_red_flags")
    session.add("neuro_exam")
    session.order_test("ct_myelography", change="a block")
    ordered = judged(session, "ct_myelography")
    assert ordered.value == "reasonable", ordered.verdict


def test_a_routine_mri_for_an_urgent_one_is_judged_by_the_missed_red_flag() -> None:
    """With cauda equina a routine MRI has no finding of its own (the missed red flag names it):
    the verdict says what is wrong, not only that it is not part of the plan."""
    case = make_case(red_flags=["cauda_equina"], course__conservative_care_weeks=0,
                     course__symptom_weeks=1, pathology="disc_herniation")
    session = ReasoningSession(case)
    session.add("history_red_flags")
    session.add("neuro_exam")
    session.order_test("mri_lumbar_noncontrast", change="a large disc")
    ordered = judged(session, "mri_lumbar_noncontrast")
    urgent = knowledge().steps["mri_lumbar_noncontrast"].label + " (urgent)"
    assert ordered.value == "low value" and urgent in ordered.verdict, ordered.verdict


def test_justify_undo_keeps_ordered_tests() -> None:
    session = examined()
    session.order_test("emg_ncs", change="a root lesion")
    session.add("physical_therapy")
    assert session.undo().step == "physical_therapy"
    assert session.undo().step == "neuro_exam"
    assert [a.step for a in session.actions] == ["history_red_flags", "emg_ncs"]


# --- confidence -----------------------------------------------------------------------------

@pytest.mark.parametrize(("leading", "percent", "verdict"), [
    ("radiculopathy_dystonia", 90, "well calibrated"),
    ("radiculopathy_dystonia", 20, "underconfident"),
    ("functional_dystonia", 90, "confidently wrong"),
    ("functional_dystonia", 10, "appropriately unsure"),
])
def test_confidence_feedback_is_certainty_weighted(leading: str, percent: int,
                                                   verdict: str) -> None:
    session = examined()
    session.set_differential([leading])
    session.set_confidence(percent)
    feedback = session.submit().confidence
    assert feedback is not None and feedback.verdict == verdict
    correct = leading == "radiculopathy_dystonia"
    assert feedback.brier == pytest.approx((percent / 100 - correct) ** 2, abs=1e-3)
    if verdict == "confidently wrong":
        assert feedback.message.startswith("Confidently wrong")


@pytest.mark.parametrize("bad", [-1, 101, 50.5, True, "70"])
def test_confidence_rejects_non_percentages(bad: object) -> None:
    with pytest.raises(ActionError, match="percentage"):
        examined().set_confidence(bad)  # type: ignore[arg-type]


# --- problem statement, visits, debrief ----------------------------------------------------

def test_problem_statement_feedback_names_what_is_missing() -> None:
    session = examined()
    session.state_problem("Man with leg pain")
    problem = submit(session).problem
    assert problem is not None
    assert set(problem.missing) == {"age", "time course", "what brings it on", "side"}
    assert problem.model.startswith("46-year-old man with 3 weeks")


def test_visit_facts_change_and_the_plan_is_judged_again(case_factory) -> None:
    case = case_factory(
        course={"symptom_weeks": 3, "conservative_care_weeks": 1},
        visits=[{"week": 10, "presentation": "Worse despite care.", "conservative_care_weeks": 8},
                {"week": 11, "presentation": "New numb saddle.", "red_flags": ["cauda_equina"],
                 "examination": "Reduced saddle sensation."}])
    session = ReasoningSession(case)
    assert session.visit_count == 3 and session.week == 3
    session.add("neuro_exam")
    with pytest.raises(ActionError, match="submit"):
        session.next_visit()
    with pytest.raises(ActionError, match="committed differential"):
        session.submit()
    first = submit(session)
    assert session.next_visit() == "Worse despite care."
    assert session.week == 10 and session.examination is None and session.actions == ()
    session.add("neuro_exam")
    second = submit(session)
    assert second.visit == 1
    first_steps = {i.step for i in first.assessment.recommended}
    assert {i.step for i in second.assessment.recommended} - first_steps
    session.next_visit()
    session.add("history_red_flags")
    assert session.examination is None  # the history alone is not an examination
    session.add("neuro_exam")
    assert session.examination == "Reduced saddle sensation."
    third = submit(session)
    assert ("mri_lumbar_noncontrast", "urgent") in {
        (i.step, i.priority) for i in third.assessment.recommended}
    assert not session.has_next_visit
    with pytest.raises(ActionError, match="no further visit"):
        session.next_visit()
    assert [r.visit for r in session.reports] == [0, 1, 2]


@pytest.mark.parametrize("case_id", [c for c in list_cases() if load_case(c).visits])
def test_visit_bank_cases_with_visits_change_their_recommended_pathway(case_id: str) -> None:
    session = ReasoningSession(load_case(case_id))
    pathways = []
    while True:
        session.add("history_red_flags")
        pathways.append(tuple(i.step for i in submit(session).assessment.recommended))
        if not session.has_next_visit:
            break
        session.next_visit()
    assert len(pathways) >= 2 and len(set(pathways)) == len(pathways)


def test_visit_debrief_names_anchoring_and_premature_closure_and_keeps_the_reflection() -> None:
    session = examined("functional_dystonia_mimic")
    session.set_differential(["radiculopathy_dystonia"])
    session.order_test("mri_lumbar_noncontrast", change="a compressive lesion")
    session.set_confidence(90)
    with pytest.raises(ActionError, match="submit"):
        session.debrief("early")
    session.submit()
    debrief = session.debrief("  I trusted the scan.  ")
    assert debrief.reflection == "I trusted the scan."
    names = {p.name: p.observation for p in debrief.prompts}
    assert names["Anchoring on the MRI"] and names["Premature closure"]
    record = json.loads(json.dumps(session.record()))
    assert record["reflection"] == "I trusted the scan."
    assert record["visits"][0]["tests"][0]["value"] == "low value"
    assert record["confidence"] == 90


def test_visit_debrief_is_quiet_when_reasoning_was_sound() -> None:
    session = examined("failed_conservative_stenosis")
    session.set_differential(RADICULAR, must_not_miss="cauda_equina_syndrome")
    session.order_test("mri_lumbar_noncontrast", change="no lesion at S1 would stop surgery")
    session.set_differential(["radiculopathy_dystonia", "polyneuropathy", "isolated_dystonia"],
                             must_not_miss="cauda_equina_syndrome")
    session.set_confidence(80)
    session.submit()
    assert all(p.observation == "" for p in session.debrief("").prompts)


def test_visit_problems_are_reported_with_file_line_and_field() -> None:
    from dystonia_teach.casefiles.loader import validate_text

    text = (REPO_CASES / "early_uncomplicated.yaml").read_text(encoding="utf-8")
    text = text.replace("  - week: 10\n", "  - week: 2\n").replace(
        "    conservative_care_weeks: 8\n", "    conservative_care_weeks: 8\n"
        "    other_signs: [saddle_anaesthesia]\n")
    report = validate_text(text, "early.yaml")
    found = {(i.field, i.code) for i in report.issues}
    assert ("visits.0.week", "inconsistent_facts") in found
    assert ("visits.0.red_flags", "inconsistent_facts") in found
    assert ("visits.0.conservative_care_weeks", "inconsistent_facts") in found
    visits_line = text.splitlines().index("visits:") + 1
    assert all(i.line is not None and i.line > visits_line for i in report.issues)


def test_visit_record_round_trips_through_json_and_from_record() -> None:
    case = load_case("early_uncomplicated")
    session = ReasoningSession(case)
    session.state_problem("46-year-old man, 3 weeks, right toes curl on walking")
    session.set_differential(["radiculopathy_dystonia", "isolated_dystonia"])
    session.add("history_red_flags")
    session.add("neuro_exam")
    session.set_differential(RADICULAR, must_not_miss="cauda_equina_syndrome")
    session.order_test("emg_ncs", change="a root pattern", target="radiculopathy_dystonia")
    session.add({"step": "naproxen", "dose_mg_per_day": 1000})
    session.set_confidence(60)
    session.submit()
    session.next_visit()
    session.add("neuro_exam")
    session.order_test("mri_lumbar_noncontrast", change="a disc at L4-L5")
    session.set_confidence(85)
    session.submit()
    session.debrief("Waited for the trial before imaging.")
    record = json.loads(json.dumps(session.record()))
    rebuilt = ReasoningSession.from_record(case, record)
    assert rebuilt.record() == record
    assert [r.assessment.score for r in rebuilt.reports] == [
        r.assessment.score for r in session.reports]
    assert rebuilt.tests[0].report == session.tests[0].report


def test_differential_scripts_with_bad_references_are_reported_at_load() -> None:
    from dystonia_teach.core.kb_model import DiagnosisScript
    from dystonia_teach.core.knowledge import cross_reference_problems

    bad = DiagnosisScript.model_validate({
        "id": "made_up", "label": "Made up", "script": "x", "for": ["no_such_feature"],
        "tests": ["no_such_step"], "evidence": ["no_such_claim"], "work_up": ["no_decision"]})
    kb = knowledge()
    broken = kb.model_copy(update={"diagnoses": {**kb.diagnoses, "made_up": bad}})
    problems = [p for p in cross_reference_problems(broken) if p[0] == "diagnoses"]
    assert [(p[1], p[2], p[3]) for p in problems] == [
        ("made_up", ("for",), "unknown_reference"), ("made_up", ("tests",), "unknown_step"),
        ("made_up", ("evidence",), "unknown_evidence"),
        ("made_up", ("work_up",), "unknown_reference")]


def test_visit_debrief_names_a_differential_fixed_before_the_examination() -> None:
    session = ReasoningSession(load_case("early_uncomplicated"))
    session.set_differential(RADICULAR, must_not_miss="cauda_equina_syndrome")
    session.add("neuro_exam")
    session.order_test("emg_ncs", change="a root pattern")
    submit(session)
    closure = {p.name: p.observation for p in session.debrief().prompts}["Premature closure"]
    assert closure == "You settled your differential before examining and never revisited it."
    examined_first = examined()
    examined_first.set_differential(RADICULAR, must_not_miss="cauda_equina_syndrome")
    examined_first.order_test("emg_ncs", change="a root pattern")
    submit(examined_first)
    assert all(p.observation == "" for p in examined_first.debrief().prompts)


def test_visit_record_of_the_wrong_shape_or_case_is_refused_naming_the_field() -> None:
    from dystonia_teach.core.reasoning import RecordError

    case = load_case("early_uncomplicated")
    session = ReasoningSession(case)
    session.add("neuro_exam")
    session.order_test("emg_ncs", change="a root pattern")
    record = json.loads(json.dumps(session.record()))
    assert record["format"] == 1 and ReasoningSession.from_record(case, record).record() == record
    record["visits"][0]["tests"][0]["change"] = 42
    with pytest.raises(RecordError, match=r"record\.visits\[0\]\.tests\[0\]\.change: is 42"):
        ReasoningSession.from_record(case, record)
    with pytest.raises(RecordError, match=r"record\.case_id: is 'early_uncomplicated'"):
        ReasoningSession.from_record(load_case("functional_dystonia_mimic"), session.record())


def test_the_model_problem_statement_at_a_visit_after_an_operation_names_it() -> None:
    from dystonia_teach.core.reasoning_judge import model_problem_statement
    from dystonia_teach.core.visits import case_at_visit, visit_count

    case = load_case("disc_herniation_after_trial")
    later = case_at_visit(case, visit_count(case) - 1)
    assert later.course.operation == "microdiscectomy"
    assert "after microdiscectomy" in model_problem_statement(later)
    assert "after" not in model_problem_statement(case)
