"""Named predicates over what the clinician can know of a case, used by ``when`` lists.

Each predicate is a small pure function of a case. The engine hands it the case *as the
clinician sees it* (:func:`knowable_view`): a test's result is there only once the test has been
ordered, at this visit or an earlier one, or when it was done before the visit (the MRI report
the patient brings, the operation already done). So a predicate that reads a result is knowable:
it holds only once the result is known.

Predicates are tagged. *Knowable* ones read the history, the examination, the stated
preference and known results. *Hidden* ones read the true diagnosis: pathway decisions, rules,
cautions and dose adjustments may not use them (the knowledge loader refuses them, spec v3 §0.2);
the debrief may. ``pathology_<x>`` exists for every pathology (known once imaging is);
``not <name>`` negates any predicate. The knowledge adds more from its data
(:attr:`~dystonia_teach.core.kb_model.KnowledgeBase.predicates`): ``diagnosis_<x>`` (hidden) and
``established_<x>`` (known once a result that shows it is revealed) for every diagnosis, and the
signs, conditions and features of course packs. Predicates with a plain description
(:data:`FEATURE_TEXT`) are also the presenting features the illness scripts of
``knowledge/diagnoses.yaml`` point to: one place for each fact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.vocabulary import (
    COMPRESSIVE_PATHOLOGIES,
    NEUROLOGICAL_RED_FLAGS,
    PATHOLOGIES,
)

Predicate = Callable[[Case], bool]
TRIAL_WEEKS = 6
STENOSIS_TRIAL_WEEKS = 12
#: EMG before about three weeks is low-yield: distal L5/S1 muscles fibrillate at 3-6 weeks.
EMG_EARLIEST_WEEKS = 3
#: NICE NG59's "acute" sciatica, as this package reads it (a design choice).
ACUTE_SCIATICA_WEEKS = 12
#: A root lesion is still acute or recovering: botulinum toxin waits (spec v3 §3.8, ~12 weeks).
ROOT_RECOVERY_WEEKS = 12
#: EFNS 2011: DYT1 testing for limb-onset isolated dystonia before 30.
EARLY_ONSET_AGE = 30
#: Wilson disease: a screen is required for dystonia starting before 40 and reasonable before
#: 50 (the "about 40-50" of evidence.yaml wilson_disease_any_age: this course's choice).
WILSON_REQUIRED_ONSET = 40
WILSON_REASONABLE_ONSET = 50
#: Beers criteria: older adults.
OLDER_ADULT_AGE = 65
#: FDA 2020: avoid NSAIDs from 20 weeks of pregnancy.
NSAID_PREGNANCY_WEEKS = 20
SEVERE_CKD_STAGE = 4
SEVERE_CRCL_ML_MIN = 30
#: Onset in childhood or adolescence (an illness-script feature).
CHILDHOOD_ONSET_AGE = 21
PARKINSONIAN = frozenset({"bradykinesia", "rest_tremor", "reduced_arm_swing", "rigidity"})
UPPER_MOTOR_NEURON = frozenset({"extensor_plantars", "spasticity"})
CAUDA_EQUINA_SIGNS = frozenset({"saddle_anaesthesia", "bladder_dysfunction"})
LENGTH_DEPENDENT = frozenset({"distal_sensory_loss", "absent_ankle_reflexes_bilateral"})
PREDICATES: dict[str, Predicate] = {}
#: Predicates named so read what the clinician cannot know before the debrief: the true diagnosis.
HIDDEN_PREFIX = "diagnosis_"
#: Presenting features: predicate name -> what a learner reads ("signs of one nerve root").
FEATURE_TEXT: dict[str, str] = {}


def knowable(feature: str = "") -> Callable[[Predicate], Predicate]:
    """Register a knowable predicate (with ``feature``, also an illness-script feature)."""
    def register(fn: Predicate) -> Predicate:
        PREDICATES[fn.__name__] = fn
        if feature:
            FEATURE_TEXT[fn.__name__] = feature
        return fn
    return register


def is_hidden(name: str) -> bool:
    """True for a predicate (``not`` allowed) that reads the hidden true diagnosis."""
    return name.removeprefix("not ").startswith(HIDDEN_PREFIX)


def holds(case: Case, when: Iterable[str], memo: dict[str, bool] | None = None,
          table: Mapping[str, Predicate] | None = None) -> bool:
    """True when every named predicate (``not`` negating) holds for ``case``; ``memo`` keeps
    the values already read for this case (a derivation reads many predicates twice).
    ``table``: the predicates of the knowledge in use (``kb.predicates``; default: the
    package's code predicates alone)."""
    table = PREDICATES if table is None else table
    for name in when:
        negate = name.startswith("not ")
        base = name[4:] if negate else name
        if memo is None:
            value = table[base](case)
        else:
            value = memo.get(base)
            if value is None:
                value = memo[base] = table[base](case)
        if value == negate:
            return False
    return True


# --- What is known: the knowable view -----------------------------------------------------

def known_before_visit(case: Case) -> frozenset[str]:
    """Results known before the learner orders anything: the lumbar imaging the patient brings
    (``course.imaging_status``) or that an operation already done rests on."""
    if case.course.imaging_status != "not_yet_imaged" or case.course.operation != "none":
        return frozenset({"imaging"})
    return frozenset()


def knowable_view(case: Case, ordered: frozenset[str], earlier: frozenset[str] = frozenset()
                  ) -> Case:
    """``case`` as the clinician sees it: results (``investigations`` fields) only of the kinds
    ``ordered`` now or ``earlier`` (at an earlier visit) or known before the visit; lumbar imaging
    ordered at an earlier visit counts as already imaged; the pathology is known with imaging.
    The true diagnosis stays (hidden predicates read it; the loader keeps them out of rules)."""
    known = ordered | earlier | known_before_visit(case)
    given = case.investigations
    masked = {name: None for name, value in given if value is not None and name not in known}
    update: dict[str, object] = {}
    if masked:
        update["investigations"] = given.model_copy(update=masked)
    if "imaging" not in known and case.pathology != "none":
        update["pathology"] = "none"
    if ("imaging" in earlier and case.course.imaging_status == "not_yet_imaged"
            and given.imaging is not None):
        status = "imaged_with_lesion" if given.imaging.lesion == "compressive" else (
            "imaged_no_lesion")
        update["course"] = case.course.model_copy(update={"imaging_status": status})
    return case.model_copy(update=update) if update else case


def result_kinds(case: Case) -> frozenset[str]:
    """The kinds of result the case gives (masking any other kind changes nothing)."""
    return frozenset(name for name, value in case.investigations if value is not None)


# --- Red flags (history and examination) --------------------------------------------------

@knowable()
def neuro_red_flag(case: Case) -> bool:
    """Cauda equina, progressive or severe motor deficit."""
    return bool(NEUROLOGICAL_RED_FLAGS.intersection(case.red_flags))


@knowable(feature="a suspected infection, tumour or fracture")
def systemic_red_flag(case: Case) -> bool:
    """Suspected infection, malignancy or fracture."""
    return bool(set(case.red_flags) - NEUROLOGICAL_RED_FLAGS)


@knowable()
def any_red_flag(case: Case) -> bool:
    """Any red flag."""
    return bool(case.red_flags)


@knowable()
def cauda_equina(case: Case) -> bool:
    """The one emergency operation: cauda equina syndrome."""
    return "cauda_equina" in case.red_flags


@knowable(feature="reduced saddle sensation or a change in bladder function")
def cauda_equina_signs(case: Case) -> bool:
    """Saddle anaesthesia or bladder dysfunction, or cauda equina recorded as a red flag."""
    return bool(CAUDA_EQUINA_SIGNS & set(case.other_signs)) or cauda_equina(case)


@knowable(feature="weakness that is severe or getting worse")
def progressive_deficit(case: Case) -> bool:
    """A progressive or severe motor deficit."""
    return bool({"progressive_motor_deficit", "severe_motor_deficit"} & set(case.red_flags))


@knowable()
def urgent_red_flag(case: Case) -> bool:
    """A neurological red flag or suspected infection (epidural abscess): image before the
    dystonia and functional signs are described."""
    return neuro_red_flag(case) or "suspected_infection" in case.red_flags


@knowable()
def infection_or_malignancy(case: Case) -> bool:
    """Suspected infection or malignancy."""
    return bool({"suspected_infection", "suspected_malignancy"}.intersection(case.red_flags))


@knowable()
def suspected_infection(case: Case) -> bool:
    """Suspected spinal infection."""
    return "suspected_infection" in case.red_flags


@knowable()
def suspected_fracture_only(case: Case) -> bool:
    """Suspected fracture as the only red flag: its own imaging, no surgical referral implied."""
    return set(case.red_flags) == {"suspected_fracture"}


# --- Root signs and the course of the radiculopathy --------------------------------------

@knowable(feature="signs of one nerve root on examination")
def root_signs(case: Case) -> bool:
    """The examination shows root signs."""
    return case.radicular.root != "none"


@knowable(feature="no signs of a nerve root on examination")
def no_root_signs(case: Case) -> bool:
    """No root signs on examination."""
    return case.radicular.root == "none"


@knowable()
def foot_drop(case: Case) -> bool:
    """Ankle dorsiflexion too weak to clear the foot."""
    return case.radicular.foot_drop


@knowable()
def prefers_conservative(case: Case) -> bool:
    """Offered surgery, the patient chose, informed, to continue conservative care."""
    return case.preference == "conservative"


@knowable()
def acute_severe_sciatica(case: Case) -> bool:
    """NICE NG59: consider an epidural injection in acute and severe sciatica."""
    return (root_signs(case) and case.course.pain_severity == "severe"
            and case.course.symptom_weeks < ACUTE_SCIATICA_WEEKS)


@knowable()
def no_target_at_clinical_level(case: Case) -> bool:
    """Imaging is known and shows no compressive lesion matching the clinical level: an
    epidural injection has no target."""
    imaging = case.investigations.imaging
    return imaging is not None and not (imaging.lesion == "compressive" and imaging.concordant)


@knowable()
def neurogenic_claudication(case: Case) -> bool:
    """Known stenosis with symptoms brought on by minutes of walking and no sciatica (a
    positive straight-leg raise or acute severe leg pain): NICE advises no epidural."""
    return (case.pathology in ("stenosis", "stenosis_with_instability")
            and "after_minutes_walking" in case.dystonia.triggers
            and case.radicular.straight_leg_raise != "positive"
            and not acute_severe_sciatica(case))


@knowable()
def debated_slip(case: Case) -> bool:
    """A known grade I degenerative slip: fusion or decompression alone (NORDSTEN-DS)."""
    slip = case.investigations.instability
    return (case.pathology == "stenosis_with_instability" and slip is not None
            and slip.slip_grade == 1 and slip.slip_type == "degenerative")


@knowable()
def emg_too_early(case: Case) -> bool:
    """Root signs for under three weeks: EMG of the distal muscles is still low-yield."""
    return root_signs(case) and case.course.symptom_weeks < EMG_EARLIEST_WEEKS


@knowable()
def imaging_concordant(case: Case) -> bool:
    """Known MRI shows a lesion that matches the examination: EMG becomes optional."""
    imaging = case.investigations.imaging
    return (root_signs(case) and imaging is not None and imaging.lesion == "compressive"
            and imaging.concordant)


@knowable()
def imaging_discordant(case: Case) -> bool:
    """Known imaging does not match the root signs: electrodiagnosis is needed."""
    return (root_signs(case) and case.investigations.imaging is not None
            and not imaging_concordant(case))


@knowable()
def already_imaged(case: Case) -> bool:
    """Spine imaging was done before this visit: no need to order it again."""
    return case.course.imaging_status != "not_yet_imaged"


@knowable()
def already_operated(case: Case) -> bool:
    """A spinal operation was done before this visit: aftercare, not a work-up or an operation
    (a new or worsening deficit is a red flag and has its own urgent pathway)."""
    return case.course.operation != "none"


@knowable()
def root_recovering(case: Case) -> bool:
    """A root lesion still acute or recovering (root signs under about 12 weeks, or after a
    decompression): the dystonia is expected to settle, so botulinum toxin waits."""
    return root_signs(case) and (case.course.symptom_weeks < ROOT_RECOVERY_WEEKS
                                 or already_operated(case))


@knowable()
def trial_completed(case: Case) -> bool:
    """At least six weeks of optimal conservative care completed."""
    return case.course.conservative_care_weeks >= TRIAL_WEEKS


@knowable()
def conservative_phase(case: Case) -> bool:
    """No red flags and under six weeks of optimal conservative care."""
    return not case.red_flags and not trial_completed(case)


@knowable()
def spine_work_up_indicated(case: Case) -> bool:
    """Root signs on examination: the spine needs a work-up (not after an operation on it,
    when only a new or worsening deficit, a red flag, brings imaging back)."""
    return root_signs(case) and not already_operated(case)


@knowable(feature="a compressive lesion on imaging that matches the clinical level")
def concordant_compression(case: Case) -> bool:
    """Known imaging shows a compressive lesion matching the clinical root level, not
    contradicted by a known EMG. Without root signs there is no clinical level to match."""
    imaging, edx = case.investigations.imaging, case.investigations.electrodiagnosis
    return (
        root_signs(case)
        and case.pathology in COMPRESSIVE_PATHOLOGIES
        and imaging is not None
        and imaging.lesion == "compressive"
        and imaging.concordant
        and (edx is None or edx.result == "radiculopathy")
    )


@knowable()
def disabling(case: Case) -> bool:
    """Symptoms are disabling (they limit walking, work or quality of life)."""
    return case.disabling


@knowable()
def surgery_indicated(case: Case) -> bool:
    """Known concordant compression with red flags, or disabling after an adequate trial (and
    not already operated on: persisting symptoms after an operation are not by themselves an
    indication for another)."""
    return concordant_compression(case) and (
        neuro_red_flag(case)
        or (trial_completed(case) and case.disabling and not already_operated(case))
    )


@knowable()
def stenosis_before_12_weeks(case: Case) -> bool:
    """Known stenosis with under twelve weeks of conservative care."""
    return (
        case.pathology in ("stenosis", "stenosis_with_instability")
        and case.course.conservative_care_weeks < STENOSIS_TRIAL_WEEKS
    )


# --- Electrodiagnosis and other known results ---------------------------------------------

def _edx(case: Case, result: str) -> bool:
    edx = case.investigations.electrodiagnosis
    return edx is not None and edx.result == result


@knowable(feature="EMG showing a radiculopathy")
def edx_radiculopathy(case: Case) -> bool:
    """Known EMG shows a radiculopathy."""
    return _edx(case, "radiculopathy")


@knowable(feature="nerve conduction studies showing a polyneuropathy")
def edx_polyneuropathy(case: Case) -> bool:
    """Known nerve conduction studies show a polyneuropathy."""
    return _edx(case, "polyneuropathy")


@knowable(feature="nerve conduction studies showing a nerve lesion that is neither a root "
                  "lesion nor a polyneuropathy")
def edx_other_nerve_lesion(case: Case) -> bool:
    """Known nerve conduction studies show another nerve lesion."""
    return _edx(case, "other")


@knowable()
def blood_screen_known(case: Case) -> bool:
    """The polyneuropathy blood screen has a result (B12 with methylmalonic acid among it)."""
    return case.investigations.blood_tests is not None


# --- Dystonia and the mimics' presenting features -----------------------------------------

def onset_age(case: Case) -> float:
    """The patient's age when the symptoms began."""
    return case.patient.age - case.course.symptom_weeks / 52


@knowable(feature="the posture settles with rest")
def relieved_by_rest(case: Case) -> bool:
    """The posture settles with rest."""
    return case.dystonia.relieved_by_rest


@knowable(feature="positive functional signs such as distractibility or inconsistency")
def functional_signs(case: Case) -> bool:
    """Positive functional signs (an abrupt onset alone is not one)."""
    return bool(set(case.functional_signs) - {"sudden_onset"})


@knowable(feature="an abrupt onset with a fixed posture")
def sudden_onset(case: Case) -> bool:
    """An abrupt onset or a posture fixed from onset."""
    return bool({"sudden_onset", "fixed_posture_at_onset"} & set(case.functional_signs))


@knowable(feature="the posture is present at rest")
def present_at_rest(case: Case) -> bool:
    """The posture is present at rest."""
    return case.dystonia.present_at_rest


@knowable(feature="slowness, rest tremor, rigidity or reduced arm swing")
def parkinsonian_signs(case: Case) -> bool:
    """Slowness, rest tremor, rigidity or reduced arm swing."""
    return bool(PARKINSONIAN & set(case.other_signs))


@knowable(feature="onset in childhood or adolescence")
def childhood_onset(case: Case) -> bool:
    """The patient is under 21."""
    return case.patient.age < CHILDHOOD_ONSET_AGE


@knowable(feature="worse later in the day and better after sleep")
def diurnal_worsening(case: Case) -> bool:
    """Diurnal fluctuation: worse later in the day, better after sleep."""
    return case.dystonia.diurnal_worsening or "diurnal_fluctuation" in case.other_signs


@knowable(feature="brisk leg reflexes")
def brisk_reflexes(case: Case) -> bool:
    """Brisk leg reflexes."""
    return "brisk_reflexes" in case.other_signs


@knowable(feature="spasticity or extensor plantar responses")
def upper_motor_neuron_signs(case: Case) -> bool:
    """Spasticity or extensor plantar responses."""
    return bool(UPPER_MOTOR_NEURON & set(case.other_signs))


@knowable(feature="onset in a child or an adult under about 40")
def onset_before_40(case: Case) -> bool:
    """Symptoms began before 40."""
    return onset_age(case) < WILSON_REQUIRED_ONSET


@knowable()
def onset_before_30(case: Case) -> bool:
    """Symptoms began before 30 (EFNS 2011: genetic testing for limb-onset isolated
    dystonia)."""
    return onset_age(case) < EARLY_ONSET_AGE


@knowable()
def onset_before_50(case: Case) -> bool:
    """Symptoms began before 50: a Wilson screen is reasonable."""
    return onset_age(case) < WILSON_REASONABLE_ONSET


@knowable(feature="attacks brought on by sustained exertion that go on after stopping")
def exertional_attacks_outlast_rest(case: Case) -> bool:
    """Attacks after sustained exertion that outlast rest (not settling within seconds)."""
    return (bool({"running", "after_minutes_walking"} & set(case.dystonia.triggers))
            and not case.dystonia.relieved_by_rest and not case.dystonia.present_at_rest)


@knowable(feature="weak or absent foot pulses")
def absent_foot_pulses(case: Case) -> bool:
    """Weak or absent foot pulses."""
    return "absent_foot_pulses" in case.other_signs


@knowable(feature="a Tinel sign behind the medial malleolus")
def tinel_at_tarsal_tunnel(case: Case) -> bool:
    """A Tinel sign over the tarsal tunnel."""
    return "tinel_at_tarsal_tunnel" in case.other_signs


@knowable(feature="a sensory trick eases the posture")
def sensory_trick(case: Case) -> bool:
    """A sensory trick eases the posture."""
    return case.dystonia.sensory_trick


@knowable(feature="brought on by one gait task only")
def task_specific_trigger(case: Case) -> bool:
    """Brought on by one gait task only (forwards, stairs, running), not by walking."""
    return (bool({"walking_forward_only", "stairs", "running"} & set(case.dystonia.triggers))
            and "walking" not in case.dystonia.triggers)


@knowable(feature="sensory loss in both feet or both ankle jerks absent")
def length_dependent_signs(case: Case) -> bool:
    """Length-dependent sensory loss or both ankle jerks absent."""
    return bool(LENGTH_DEPENDENT & set(case.other_signs))


@knowable(feature="symptoms in both legs")
def both_legs(case: Case) -> bool:
    """Symptoms in both legs."""
    return case.dystonia.foot == "both" or "bilateral_leg_symptoms" in case.other_signs


@knowable()
def isolated_dystonia_picture(case: Case) -> bool:
    """Dystonia with an otherwise normal examination: no root, upper motor neuron,
    parkinsonian, neuropathic or functional signs, no foot drop (weakness is not part of
    isolated dystonia), foot pulses present, no tarsal Tinel sign, and not paroxysmal attacks
    that outlast rest (what the clinician sees of isolated dystonia, whatever its cause turns
    out to be)."""
    return not (root_signs(case) or foot_drop(case) or upper_motor_neuron_signs(case)
                or parkinsonian_signs(case)
                or length_dependent_signs(case) or functional_signs(case)
                or absent_foot_pulses(case) or tinel_at_tarsal_tunnel(case)
                or exertional_attacks_outlast_rest(case) or any_red_flag(case))


@knowable()
def young_onset_dystonia(case: Case) -> bool:
    """Isolated dystonia that began before 40: levodopa trial and a Wilson screen (EFNS 2011;
    AASLD 2022: age alone does not exclude Wilson disease)."""
    return isolated_dystonia_picture(case) and onset_before_40(case)


@knowable()
def wilson_screen_indicated(case: Case) -> bool:
    """Dystonia that began before 40 and that no root lesion, functional disorder, neuropathy,
    arterial or tarsal-tunnel finding, exertional attack or red flag explains. Pyramidal and
    parkinsonian signs do not explain it away: Wilson disease itself causes dystonia combined
    with them (AASLD 2022: age alone does not exclude it)."""
    return onset_before_40(case) and not (
        root_signs(case) or length_dependent_signs(case) or functional_signs(case)
        or absent_foot_pulses(case) or tinel_at_tarsal_tunnel(case)
        or exertional_attacks_outlast_rest(case) or any_red_flag(case))


@knowable()
def adult_onset_dystonia(case: Case) -> bool:
    """Isolated dystonia that began at 40 or later."""
    return isolated_dystonia_picture(case) and not onset_before_40(case)


# --- The patient's conditions (stated once, applied to every step) ------------------------

@knowable()
def child(case: Case) -> bool:
    """Under 18: drugs are dosed by weight."""
    return case.patient.child


@knowable()
def renal_severe(case: Case) -> bool:
    """CKD stage 4-5 or CrCl under 30 mL/min; CKD without a measure counts as severe (the
    meaning of schema version 1's ``ckd``)."""
    ckd = case.condition("ckd")
    if ckd is None:
        return False
    if ckd.stage is None and ckd.crcl_ml_min is None:
        return True
    return ((ckd.stage or 0) >= SEVERE_CKD_STAGE
            or (ckd.crcl_ml_min is not None and ckd.crcl_ml_min < SEVERE_CRCL_ML_MIN))


@knowable()
def renal_moderate(case: Case) -> bool:
    """CKD recorded but not severe: check renal function on an NSAID."""
    return case.condition("ckd") is not None and not renal_severe(case)


@knowable()
def anticoagulated(case: Case) -> bool:
    """An anticoagulant (warfarin, a DOAC or heparin)."""
    return case.condition("anticoagulant") is not None


@knowable()
def on_warfarin(case: Case) -> bool:
    """Warfarin."""
    drug = case.condition("anticoagulant")
    return drug is not None and drug.drug == "warfarin"


@knowable()
def on_p2y12_inhibitor(case: Case) -> bool:
    """A P2Y12 inhibitor (clopidogrel, prasugrel, ticagrelor)."""
    drug = case.condition("antiplatelet")
    return drug is not None and drug.drug == "p2y12_inhibitor"


@knowable()
def on_aspirin_only(case: Case) -> bool:
    """Aspirin (or an unnamed antiplatelet) without an anticoagulant or P2Y12 inhibitor."""
    drug = case.condition("antiplatelet")
    return drug is not None and drug.drug != "p2y12_inhibitor" and not anticoagulated(case)


@knowable()
def on_antithrombotic(case: Case) -> bool:
    """An anticoagulant or an antiplatelet."""
    return anticoagulated(case) or case.condition("antiplatelet") is not None


@knowable()
def older_adult(case: Case) -> bool:
    """Aged 65 or over (Beers criteria)."""
    return case.patient.age >= OLDER_ADULT_AGE


@knowable()
def older_with_bleeding_risk_drug(case: Case) -> bool:
    """Beers: an older adult on an antiplatelet or a corticosteroid (NSAIDs need
    gastro-protection). Kept for cautions written against v2; v3's cautions name
    the drug and the condition."""
    return older_adult(case) and bool(
        {"antiplatelet", "corticosteroid"} & {c.name for c in case.conditions})


@knowable()
def older_after_a_short_trial(case: Case) -> bool:
    """An older adult past a short NSAID trial (our ~2 weeks, a design choice, not Beers)."""
    return older_adult(case) and case.course.conservative_care_weeks >= 2


@knowable()
def pregnant(case: Case) -> bool:
    """Pregnant, at any week."""
    return case.condition("pregnancy") is not None


@knowable()
def pregnant_from_20_weeks(case: Case) -> bool:
    """Pregnant, 20 weeks or more (FDA 2020: avoid NSAIDs)."""
    pregnancy = case.condition("pregnancy")
    return pregnancy is not None and (pregnancy.weeks or 0) >= NSAID_PREGNANCY_WEEKS


@knowable()
def pregnant_before_20_weeks(case: Case) -> bool:
    """Pregnant, under 20 weeks."""
    return pregnant(case) and not pregnant_from_20_weeks(case)


@knowable()
def hepatic_disease_or_alcohol(case: Case) -> bool:
    """Liver disease or heavy alcohol use."""
    return bool({"hepatic_disease", "alcohol_excess"} & {c.name for c in case.conditions})


@knowable()
def hepatic_risk(case: Case) -> bool:
    """Hepatic disease, alcohol excess or frailty: acetaminophen at most 3 g/day."""
    return hepatic_disease_or_alcohol(case) or case.condition("frailty") is not None


for _value in ("gi_bleed_history", "heart_failure", "nsaid_allergy", "falls_history",
               "corticosteroid", "antiplatelet", "hepatic_disease", "cardiovascular_disease",
               "ace_inhibitor_or_arb_with_diuretic", "mri_contraindicated"):
    PREDICATES[_value] = lambda case, v=_value: case.condition(v) is not None
for _value in PATHOLOGIES:
    PREDICATES[f"pathology_{_value}"] = lambda case, v=_value: case.pathology == v
