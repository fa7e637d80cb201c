"""The shape of the judgement (specification v3 §0): decisions with options, no hindsight, safety
that means harm, doses by magnitude and by weight, an order's priority, results known from
earlier visits, every lesson reachable from a bundled case, and the key-feature API."""

from __future__ import annotations

import itertools

import pytest

from dystonia_teach import (
    ActionError,
    evaluate,
    load_case,
    recommended_actions,
    recommended_pathway,
)
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.decisions import case_decisions
from dystonia_teach.core.engine import parse_action, pathway_facts
from dystonia_teach.core.kb_model import KnowledgeBase
from dystonia_teach.core.knowledge import cross_reference_problems, knowledge
from dystonia_teach.core.predicates import (
    holds,
    is_hidden,
    knowable_view,
    result_kinds,
)
from dystonia_teach.core.results import Action
from dystonia_teach.core.visits import case_at_visit, cases_at_visits, visit_count

from .conftest import CASES_DIR, PROCEDURES, make_case

EARLY = {"course__conservative_care_weeks": 2, "course__symptom_weeks": 3,
         "pathology": "disc_herniation"}
A = ["history_red_flags", "neuro_exam", "dystonia_phenomenology", "functional_signs_exam"]
C = ["physical_therapy", "education_stay_active", "clinical_followup"]


# --- No hindsight (§0.2) ---------------------------------------------------------------------

def _when_lists(kb: KnowledgeBase) -> dict[str, tuple[str, ...]]:
    places: dict[str, tuple[str, ...]] = {}
    for d in kb.pathway:
        places[f"pathway {d.id}"] = (*d.when, *d.documented_by)
    for r in kb.rules:
        places[f"rule {r.id}"] = r.when
    for c in kb.cautions:
        places[f"caution {c.id}"] = c.when
    for s in kb.steps.values():
        for a in s.dose.adjustments if s.dose else ():
            places[f"step {s.id} dose"] = a.when
    return places


def test_no_decision_rule_caution_or_dose_reads_the_hidden_diagnosis() -> None:
    """Every work-up and management decision, rule and caution is keyed to what the clinician
    can know: presenting features, known results, the stated preference."""
    used = {name: when for name, when in _when_lists(knowledge()).items()
            if any(is_hidden(p) for p in when)}
    assert used == {}
    kb = knowledge()
    assert all(is_hidden(f"diagnosis_{d}") and f"diagnosis_{d}" in kb.predicates
               for d in kb.diagnoses)


def test_the_loader_refuses_a_decision_keyed_to_the_diagnosis() -> None:
    kb = knowledge()
    first = kb.pathway[0]
    keyed = first.model_copy(update={"when": ("diagnosis_wilson_disease",)})
    broken = kb.model_copy(update={"pathway": (keyed, *kb.pathway[1:])})
    errors = [p[4] for p in cross_reference_problems(broken)]
    assert [e for e in errors if "diagnosis_wilson_disease" in e and "hidden" in e], errors
    assert not [p for p in cross_reference_problems(kb) if p[3] == "hidden_predicate"]


def test_a_result_is_known_only_once_its_test_is_ordered() -> None:
    case = make_case()  # stenosis after a trial, every result given
    blind = knowable_view(case, frozenset())
    assert blind.investigations.imaging is None and blind.pathology == "none"
    assert not holds(blind, ["surgery_indicated"])
    imaged = knowable_view(case, frozenset({"imaging"}))
    assert holds(imaged, ["surgery_indicated"]) and imaged.pathology == "stenosis"
    brought = make_case(course__imaging_status="imaged_with_lesion")
    assert knowable_view(brought, frozenset()).investigations.imaging is not None
    earlier = knowable_view(case, frozenset(), frozenset({"imaging"}))
    assert holds(earlier, ["already_imaged"]) and not holds(imaged, ["already_imaged"])


def test_results_of_an_earlier_visit_count_at_the_next() -> None:
    """Review v3: at visit 2 the MRI ordered at visit 1 counts, so operating on its concordant
    disc is no 'surgery without a compressive lesion'."""
    case = case_at_visit(load_case("early_uncomplicated"), 1)
    plan = [*A, "surgical_opinion_shared_decision", "microdiscectomy",
            "postoperative_rehabilitation", "complication_monitoring", "clinical_followup"]
    without = evaluate(case, plan)
    with_earlier = evaluate(case, plan, earlier=["mri_lumbar_noncontrast"])
    assert "surgery_without_concordant_imaging" in without.pitfalls
    assert (with_earlier.score, with_earlier.safety, with_earlier.pitfalls) == (1.0, "safe", ())
    # the MRI already done is not asked for again
    assert "lumbar_mri_after_a_trial" not in {i.decision for i in
                                              recommended_pathway(case, ["urgent_mri"])}


def test_a_derivation_reused_for_other_results_equals_a_fresh_one() -> None:
    """The engine reuses a case's derivation for results that change none of the predicates it
    read: for every bundled case and every set of its results (revealed now or earlier), the
    judgement equals the one derived afresh."""
    from dystonia_teach import list_cases
    from dystonia_teach.core import engine

    kb = knowledge()
    plan = [*A, "naproxen", "epidural_steroid_injection", "microdiscectomy", *C]
    tests = {kb.steps[s].reveals: s for s in sorted(kb.steps) if kb.steps[s].reveals}
    runs = []
    for case_id in list_cases():
        case = load_case(case_id)
        orders = [tests[kind] for kind in sorted(result_kinds(case)) if kind in tests]
        runs += [(case, [*plan, *now], [o for o in orders if o not in now][:first])
                 for n in range(len(orders) + 1) for now in itertools.combinations(orders, n)
                 for first in (0, 1)]
    engine._FACTS.clear()
    engine._READINGS.clear()
    shared = [evaluate(case, actions, earlier=earlier) for case, actions, earlier in runs]
    assert sum(len(read) for _, read in engine._READINGS.values()) < len(runs) / 2  # reused
    for (case, actions, earlier), judged in zip(runs, shared, strict=True):
        engine._FACTS.clear()
        engine._READINGS.clear()
        assert evaluate(case, actions, earlier=earlier) == judged, (case.id, actions, earlier)


def test_a_derivation_reused_across_visits_equals_a_fresh_one() -> None:
    """A case's visits share its patient, and the engine reuses a derivation across them when
    the predicates it read agree: at every visit of every bundled case, in order, the pathway
    and the judgement of its plan (and of an over-investigated one) equal those derived
    afresh."""
    from dystonia_teach import list_cases
    from dystonia_teach.core import engine

    def fresh() -> None:
        engine._FACTS.clear()
        engine._READINGS.clear()
        engine._PATHWAYS.clear()

    checked = 0
    for case_id in list_cases():
        case = load_case(case_id)
        if not case.visits:
            continue
        fresh()
        shared = []
        for at_visit in cases_at_visits(case):
            pathway = recommended_pathway(at_visit)
            plans = [recommended_actions(at_visit),
                     [*A, "mri_lumbar_noncontrast", "emg_ncs", "naproxen"]]
            shared.append((at_visit, pathway, [evaluate(at_visit, p) for p in plans], plans))
        for at_visit, pathway, judged, plans in shared:
            fresh()
            assert recommended_pathway(at_visit) == pathway, case_id
            assert [evaluate(at_visit, p) for p in plans] == judged, case_id
            checked += 1
    assert checked >= 10


def test_the_reasoning_session_passes_earlier_tests_to_the_next_visit() -> None:
    from dystonia_teach.core.reasoning import ReasoningSession

    session = ReasoningSession(load_case("early_uncomplicated"))
    session.add("history_red_flags")
    session.add("neuro_exam")
    session.order_test("mri_lumbar_noncontrast", change="a disc at the clinical level")
    session.set_differential([session.case.diagnosis])
    session.set_confidence(70)
    session.submit()
    session.next_visit()
    for step in [*A, "surgical_opinion_shared_decision", "microdiscectomy",
                 "postoperative_rehabilitation", "complication_monitoring",
                 "clinical_followup"]:
        session.add(step)
    session.set_confidence(70)
    assert "surgery_without_concordant_imaging" not in session.submit().assessment.pitfalls


def test_a_test_ordered_urgently_is_judged_with_its_priority() -> None:
    from dystonia_teach.core.reasoning import ReasoningSession

    session = ReasoningSession(load_case("cauda_equina_red_flags"))
    session.add("history_red_flags")
    session.add("neuro_exam")
    session.order_test("urgent_mri", change="a compressing disc: decompress today")
    session.set_differential([session.case.diagnosis])
    session.set_confidence(70)
    (mri,) = session.submit().tests
    assert (mri.step, mri.value) == ("mri_lumbar_noncontrast", "indicated"), mri.verdict


def test_features_are_the_knowable_predicates_with_a_description() -> None:
    from dystonia_teach.core.diagnoses import features

    found, kb = features(), knowledge()
    assert found and all(not is_hidden(name) for name in found)
    assert all(found[name][1] is kb.predicates[name] for name in found)


# --- Decisions with options (§0.1) ----------------------------------------------------------

def test_an_optional_decision_left_empty_raises_nothing() -> None:
    case = make_case(**EARLY)
    relief = next(i for i in recommended_pathway(case) if i.decision == "pain_relief")
    assert not relief.required and set(relief.options) == {
        "naproxen", "ibuprofen", "diclofenac", "acetaminophen"}
    assessment = evaluate(case, [*A, *C])
    assert (assessment.score, assessment.safety) == (1.0, "safe")
    assert not [f for f in assessment.findings if f.code == "missing_step"]


def test_a_required_decision_is_missing_only_when_no_option_satisfies_it() -> None:
    case = make_case(investigations__imaging__concordant=False,
                     course__imaging_status="imaged_with_lesion")  # discordant, EMG needed
    base = [*A, *C]
    missing = evaluate(case, base)
    assert [f.step for f in missing.findings if f.code == "missing_step"] == ["emg_ncs"]
    other_option = evaluate(case, [*base, "paraspinal_mapping"])
    assert not [f for f in other_option.findings if f.code == "missing_step"]


def test_must_unless_documented_opinion() -> None:
    """The surgical opinion is required unless the patient's informed choice of conservative
    care is documented; then operating is against that decision (critical)."""
    plan = [*A, "mri_lumbar_noncontrast", *C]
    opinion = next(i for i in recommended_pathway(make_case()) if i.decision == "surgical_opinion")
    assert opinion.required
    assert "delayed_surgery" in evaluate(make_case(), plan).pitfalls
    informed = make_case(preference="conservative")
    assert not next(i for i in recommended_pathway(informed)
                    if i.decision == "surgical_opinion").required
    assert evaluate(informed, plan).score == 1.0
    operated = evaluate(informed, [*plan, "decompressive_laminectomy",
                                   "postoperative_rehabilitation", "complication_monitoring"])
    assert "against_informed_decision" in operated.pitfalls and operated.safety == "unsafe"


def test_one_option_where_one_is_enough() -> None:
    case = make_case(pathology="stenosis_with_instability", investigations__instability={
        "present": True, "report": "Moves.", "slip_grade": 1, "slip_type": "degenerative"})
    plan = [*A, "mri_lumbar_noncontrast", "xray_flexion_extension",
            "surgical_opinion_shared_decision", "postoperative_rehabilitation",
            "complication_monitoring", "clinical_followup"]
    either = evaluate(case, [*plan, "tlif"])
    both = evaluate(case, [*plan, "tlif", "decompressive_laminectomy"])
    assert either.score == 1.0
    assert ("too_many_options", "decompressive_laminectomy") in {
        (f.code, f.step) for f in both.findings}


def test_the_pathway_reads_as_decisions_with_their_options() -> None:
    from dystonia_teach.render.pathway import decision_line

    lines = [decision_line(i) for i in recommended_pathway(load_case("early_uncomplicated"))]
    assert ("Pain relief (optional): an NSAID in its labelled range (Naproxen 1000 mg/day, "
            "Ibuprofen or Diclofenac), or Acetaminophen (paracetamol)") in lines
    assert "Exercise therapy: Physical therapy programme" in lines



def test_each_choice_is_offered_once_at_every_bundled_visit() -> None:
    """An optional decision whose options another decision of the visit already offers is left
    out ("Advice (optional)" beside "Advice and exercise (optional)"), so a learner reads each
    choice once; the steps stay acceptable."""
    for name, case in _bundled_views():
        items = recommended_pathway(case)
        offered = [frozenset((i.step, *i.alternatives)) for i in items]
        for item, options in zip(items, offered, strict=True):
            if not item.required:
                assert not any(options < other for other in offered), (name, item.decision)

# --- Safety that means harm (§0.3) ----------------------------------------------------------

@pytest.mark.parametrize(("extra", "safety"), [
    ((), "safe"),
    (("brain_mri",), "safe"),  # waste costs points, it does not harm
    (("long_term_opioids",), "caution"),  # a risky step that is not indicated
    (({"step": "naproxen", "dose_mg_per_day": 6000},), "unsafe"),  # an overdose
])
def test_safety_follows_harm_not_omission(extra: tuple, safety: str) -> None:
    case = make_case(**EARLY)
    plan = [a.as_data() for a in recommended_actions(case)]
    assert evaluate(case, [*plan, *extra]).safety == safety
    assert evaluate(case, [*plan[2:], *extra]).safety == safety  # leaving steps out: no change


def test_a_must_not_miss_work_up_left_out_is_critical() -> None:
    wilson = load_case("wilson_disease_young_adult")
    plan = [*A, "levodopa_trial", "genetic_testing_dystonia", "clinical_followup"]
    missed = evaluate(wilson, plan)
    assert missed.safety == "unsafe"
    assert ("missing_step", "copper_ceruloplasmin", "critical") in {
        (f.code, f.step, f.severity) for f in missed.findings}
    assert evaluate(wilson, [*plan, "copper_ceruloplasmin"]).safety == "safe"


def _young_onset_case_visits() -> list[tuple[str, Case]]:
    """Every bundled and held-out case, at every visit, whose symptoms began before 40."""
    paths = sorted(CASES_DIR.glob("*.yaml")) + sorted(
        (CASES_DIR.parent / "tests").glob("heldout_cases*/*.yaml"))
    found = []
    for path in paths:
        case = load_case(path)
        for i in range(visit_count(case)):
            visit = case_at_visit(case, i)
            if holds(visit, ["onset_before_40"]):
                found.append((f"{case.id}@{i + 1}", visit))
    return found


def test_a_wilson_screen_is_never_low_value_in_young_onset_dystonia() -> None:
    """Issue 17, done when: whatever the final diagnosis and whatever else the examination
    shows, a Wilson screen in dystonia that began before 40 is never judged low-value."""
    checked = _young_onset_case_visits()
    assert len(checked) >= 8, checked
    for name, case in checked:
        plan = [*A, "copper_ceruloplasmin"]
        codes = {(f.code, f.step) for f in evaluate(case, plan).findings}
        assert ("low_value_care", "copper_ceruloplasmin") not in codes, name
        assert ("step_not_indicated", "copper_ceruloplasmin") not in codes, name


def test_pyramidal_signs_do_not_excuse_a_missed_wilson_screen() -> None:
    """Wilson disease causes dystonia combined with pyramidal or parkinsonian signs: in a child
    with extensor plantars the screen stays a must-not-miss work-up (held-out batch 3 found the
    engine keyed it to isolated dystonia only)."""
    child = make_case(patient={"age": 9, "sex": "female", "weight_kg": 28},
                      course__symptom_weeks=39, course__conservative_care_weeks=0,
                      radicular={"root": "none", "straight_leg_raise": "negative"},
                      pathology="none", other_signs=["extensor_plantars", "brisk_reflexes"])
    plan = [*A, "levodopa_trial", "brain_mri", "clinical_followup"]
    assert evaluate(child, plan).safety == "unsafe"
    assert evaluate(child, [*plan, "copper_ceruloplasmin"]).safety != "unsafe"


def test_wilson_disease_and_critical_limb_ischaemia_are_must_not_miss() -> None:
    from dystonia_teach.core.diagnoses import diagnosis_scripts

    scripts = diagnosis_scripts()
    assert scripts["wilson_disease"].must_not_miss
    assert scripts["critical_limb_ischaemia"].must_not_miss
    pad = load_case("vascular_claudication")
    assert evaluate(pad, [*A, "clinical_followup"]).safety == "unsafe"  # no ankle-brachial index


# --- Doses by magnitude and by weight (§0.4) ------------------------------------------------

@pytest.mark.parametrize(("dose", "code", "severity"), [
    (6000, "dose_out_of_range", "critical"),
    (4000, None, None),
    (200, None, None),  # no labelled minimum for acetaminophen
    (None, "dose_missing", "info"),
])
def test_acetaminophen_dose_severity(dose: float | None, code: str | None,
                                     severity: str | None) -> None:
    action = {"step": "acetaminophen", "dose_mg_per_day": dose} if dose else "acetaminophen"
    findings = evaluate(make_case(**EARLY), [*A, *C, action]).findings
    found = {(f.code, f.severity) for f in findings if f.step == "acetaminophen"
             and f.code.startswith("dose")}
    assert found == ({(code, severity)} if code else set())


def test_under_dose_is_information_not_harm() -> None:
    under = evaluate(make_case(**EARLY), [*A, *C, {"step": "naproxen", "dose_mg_per_day": 250}])
    assert ("dose_out_of_range", "info") in {(f.code, f.severity) for f in under.findings}
    assert under.safety == "safe" and under.score == 1.0


@pytest.mark.parametrize(("step", "dose", "safe"), [
    ("ibuprofen", 1400, True),   # 31 mg/kg/day for 45 kg
    ("ibuprofen", 2400, False),  # an adult dose: 53 mg/kg/day
    ("acetaminophen", 3000, True),
    ("acetaminophen", 4000, False),  # under the adult maximum, over 75 mg/kg/day
    ("naproxen", 1000, False),  # 22 mg/kg/day
])
def test_a_child_is_dosed_by_weight(step: str, dose: float, safe: bool) -> None:
    child = load_case("adolescent_sciatica_by_weight")
    assessment = evaluate(child, [*A, *C, {"step": step, "dose_mg_per_day": dose}])
    assert (assessment.safety == "safe") is safe, assessment.rubric
    if not safe:
        finding = next(f for f in assessment.findings if f.code == "dose_out_of_range")
        assert "mg/kg/day for 45 kg" in finding.detail and "unverified" in finding.detail


def test_a_child_without_a_weight_is_checked_against_the_adult_range() -> None:
    child = make_case(patient={"age": 12, "sex": "male"}, **EARLY)
    finding = next(f for f in evaluate(child, [{"step": "ibuprofen",
                                                "dose_mg_per_day": 5000}]).findings
                   if f.code == "dose_out_of_range")
    assert "gives none" in finding.detail


# --- An order's priority (§0.6) --------------------------------------------------------------

def test_priority_is_an_attribute_of_the_order() -> None:
    assert parse_action("mri_lumbar_contrast!urgent") == Action(
        "mri_lumbar_contrast", None, "urgent")
    assert parse_action("urgent_mri") == Action("mri_lumbar_noncontrast", None, "urgent")
    assert parse_action({"step": "naproxen", "dose_mg_per_day": 500, "priority": "urgent"}
                        ).as_data() == {"step": "naproxen", "dose_mg_per_day": 500.0,
                                        "priority": "urgent"}
    assert Action("mri_lumbar_noncontrast", None, "urgent").as_data() == (
        "mri_lumbar_noncontrast!urgent")
    with pytest.raises(ActionError, match="priority 'soon'"):
        parse_action("mri_lumbar_noncontrast!soon")


def test_cauda_equina_accepts_an_urgent_mri_with_or_without_contrast() -> None:
    case = load_case("cauda_equina_red_flags")
    base = [*A[:2], "urgent_surgical_referral"]
    for mri in ("mri_lumbar_noncontrast!urgent", "mri_lumbar_contrast!urgent", "urgent_mri"):
        assert evaluate(case, [*base, mri]).score == 1.0, mri
    routine = evaluate(case, [*base, "mri_lumbar_noncontrast"])
    assert routine.safety == "unsafe" and "missed_red_flag" in routine.pitfalls


# --- Every lesson reaches a learner (§0.7) -----------------------------------------------------

def _bundled_views() -> list[tuple[str, Case]]:
    """Each bundled case at each visit, as the recommended plan knows it and with every
    result it gives known (the plan that orders every test)."""
    views = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        case = load_case(path)
        for index in range(visit_count(case)):
            at_visit = case_at_visit(case, index)
            name = f"{case.id} visit {index + 1}"
            views += [(name, pathway_facts(at_visit).view),
                      (name, knowable_view(at_visit, result_kinds(at_visit)))]
    return views


def test_every_decision_and_rule_is_reached_by_a_bundled_case() -> None:
    views, table = _bundled_views(), knowledge().predicates
    reached = {place: next((name for name, view in views if holds(view, when, None, table)),
                           None)
               for place, when in _when_lists(knowledge()).items()
               if place.startswith(("pathway", "rule"))}
    unreached = sorted(place for place, name in reached.items() if name is None)
    assert not unreached, f"no bundled case reaches: {unreached}"


@pytest.mark.parametrize(("case_id", "visit", "plan", "code"), [
    ("adolescent_sciatica_by_weight", 1, ["mri_lumbar_noncontrast", "microdiscectomy"],
     "surgery_not_indicated"),
    ("informed_choice_conservative", 0, ["mri_lumbar_noncontrast", "microdiscectomy"],
     "against_informed_decision"),
    ("severe_acute_sciatica", 0, ["epidural_steroid_injection"], None),
    ("pregnancy_early_sciatica", 0, [{"step": "naproxen", "dose_mg_per_day": 1000}],
     "caution"),
    ("cirrhosis_early_sciatica", 0, [{"step": "naproxen", "dose_mg_per_day": 1000}],
     "contraindicated"),
    ("stent_clopidogrel_injection", 0, ["epidural_steroid_injection"], "contraindicated"),
])
def test_the_version_3_lessons_are_reached_by_their_cases(
        case_id: str, visit: int, plan: list, code: str | None) -> None:
    case = case_at_visit(load_case(case_id), visit)
    assessment = evaluate(case, [*recommended_actions(case), *plan])
    codes = {f.code for f in assessment.findings if f.severity != "info"}
    assert (code in codes) if code else not codes, sorted(codes)


# --- Key features (issue 22) ----------------------------------------------------------------

def test_case_decisions_gives_the_key_and_the_killer_options() -> None:
    found = case_decisions(load_case("nsaid_contraindicated_ckd"))
    required = {d.decision for d in found.decisions if d.required}
    assert {"red_flag_history", "advice_to_stay_active"} <= required
    harmful = {h.step: h.code for h in found.harmful}
    assert harmful["naproxen"] == "contraindicated"
    assert harmful["microdiscectomy"] == "premature_surgery"
    assert "acetaminophen" not in harmful and "physical_therapy" not in harmful
    wilson = case_decisions(load_case("wilson_disease_young_adult"))
    assert next(d for d in wilson.decisions if d.decision == "wilson_screen").critical_if_empty


def test_recommended_actions_can_take_the_offered_operation() -> None:
    case = make_case()
    plain = [a.step for a in recommended_actions(case)]
    operated = [a.step for a in recommended_actions(case, choose=PROCEDURES)]
    assert "decompressive_laminectomy" not in plain
    assert {"decompressive_laminectomy", "postoperative_rehabilitation",
            "complication_monitoring"} <= set(operated)
    assert evaluate(case, operated).score == evaluate(case, plain).score == 1.0
