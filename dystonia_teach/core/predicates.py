"""Named predicates over a case's facts, used by the algorithm's ``when`` lists.

Each predicate is a small pure function of the case. ``pathology_<x>`` and ``diagnosis_<x>``
exist for every pathology and diagnosis; ``not <name>`` negates any predicate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.vocabulary import (
    COMPRESSIVE_PATHOLOGIES,
    DIAGNOSES,
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
#: EFNS 2011: DYT1 testing for limb-onset isolated dystonia before 30.
EARLY_ONSET_AGE = 30
#: Beers criteria: older adults.
OLDER_ADULT_AGE = 65
#: FDA 2020: avoid NSAIDs from 20 weeks of pregnancy.
NSAID_PREGNANCY_WEEKS = 20
SEVERE_CKD_STAGE = 4
SEVERE_CRCL_ML_MIN = 30


def neuro_red_flag(case: Case) -> bool:
    """Cauda equina, progressive or severe motor deficit."""
    return bool(NEUROLOGICAL_RED_FLAGS.intersection(case.red_flags))


def systemic_red_flag(case: Case) -> bool:
    """Suspected infection, malignancy or fracture."""
    return bool(set(case.red_flags) - NEUROLOGICAL_RED_FLAGS)


def any_red_flag(case: Case) -> bool:
    return bool(case.red_flags)


def cauda_equina(case: Case) -> bool:
    """The one emergency operation: cauda equina syndrome."""
    return "cauda_equina" in case.red_flags


def urgent_red_flag(case: Case) -> bool:
    """A neurological red flag or suspected infection (epidural abscess): image before the
    dystonia and functional signs are described."""
    return neuro_red_flag(case) or "suspected_infection" in case.red_flags


def infection_or_malignancy(case: Case) -> bool:
    return bool({"suspected_infection", "suspected_malignancy"}.intersection(case.red_flags))


def suspected_infection(case: Case) -> bool:
    return "suspected_infection" in case.red_flags


def suspected_fracture_only(case: Case) -> bool:
    """Suspected fracture as the only red flag: its own imaging, no surgical referral implied."""
    return set(case.red_flags) == {"suspected_fracture"}


def foot_drop(case: Case) -> bool:
    return case.radicular.foot_drop


def prefers_conservative(case: Case) -> bool:
    """Offered surgery, the patient chose, informed, to continue conservative care."""
    return case.preference == "conservative"


def acute_severe_sciatica(case: Case) -> bool:
    """NICE NG59: consider an epidural injection in acute and severe sciatica."""
    return (radicular_picture(case) and case.course.pain_severity == "severe"
            and case.course.symptom_weeks < ACUTE_SCIATICA_WEEKS)


def neurogenic_claudication(case: Case) -> bool:
    """Stenosis with symptoms brought on by minutes of walking: NICE advises no epidural."""
    return (case.pathology in ("stenosis", "stenosis_with_instability")
            and "after_minutes_walking" in case.dystonia.triggers
            and not acute_severe_sciatica(case))


def debated_slip(case: Case) -> bool:
    """A grade I degenerative slip: fusion or decompression alone (NORDSTEN-DS)."""
    slip = case.investigations.instability
    return (case.pathology == "stenosis_with_instability" and slip is not None
            and slip.slip_grade == 1 and slip.slip_type == "degenerative")


def emg_too_early(case: Case) -> bool:
    """Root signs for under three weeks: EMG of the distal muscles is still low-yield."""
    return radicular_picture(case) and case.course.symptom_weeks < EMG_EARLIEST_WEEKS


def imaging_concordant(case: Case) -> bool:
    """MRI shows a lesion that matches the examination: EMG becomes optional."""
    imaging = case.investigations.imaging
    return (radicular_picture(case) and imaging is not None and imaging.lesion == "compressive"
            and imaging.concordant)


def already_imaged(case: Case) -> bool:
    """Spine imaging was done before this visit: no need to order it again."""
    return case.course.imaging_status != "not_yet_imaged"


def already_operated(case: Case) -> bool:
    """A spinal operation was done before this visit: aftercare, not a work-up or an operation
    (a new or worsening deficit is a red flag and has its own urgent pathway)."""
    return case.course.operation != "none"


def onset_before_30(case: Case) -> bool:
    return case.patient.age - case.course.symptom_weeks / 52 < EARLY_ONSET_AGE


def trial_completed(case: Case) -> bool:
    """At least six weeks of optimal conservative care completed."""
    return case.course.conservative_care_weeks >= TRIAL_WEEKS


def conservative_phase(case: Case) -> bool:
    """No red flags and under six weeks of optimal conservative care."""
    return not case.red_flags and not trial_completed(case)


def radicular_picture(case: Case) -> bool:
    """The examination shows root signs."""
    return case.radicular.root != "none"


def spine_work_up_indicated(case: Case) -> bool:
    """Root signs on examination, or a radiculopathy diagnosis: the spine needs a work-up
    (not after an operation on it, when only a new or worsening deficit, a red flag, brings
    imaging back)."""
    return (radicular_picture(case) or spine_diagnosis(case)) and not already_operated(case)


def spine_diagnosis(case: Case) -> bool:
    return case.diagnosis == "radiculopathy_dystonia"


def young_onset_dystonia_diagnosis(case: Case) -> bool:
    return case.diagnosis in ("isolated_dystonia", "dopa_responsive_dystonia")


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


def renal_moderate(case: Case) -> bool:
    """CKD recorded but not severe: check renal function on an NSAID."""
    return case.condition("ckd") is not None and not renal_severe(case)


def anticoagulated(case: Case) -> bool:
    return case.condition("anticoagulant") is not None


def on_warfarin(case: Case) -> bool:
    drug = case.condition("anticoagulant")
    return drug is not None and drug.drug == "warfarin"


def on_p2y12_inhibitor(case: Case) -> bool:
    drug = case.condition("antiplatelet")
    return drug is not None and drug.drug == "p2y12_inhibitor"


def on_aspirin_only(case: Case) -> bool:
    """Aspirin (or an unnamed antiplatelet) without an anticoagulant or P2Y12 inhibitor."""
    drug = case.condition("antiplatelet")
    return drug is not None and drug.drug != "p2y12_inhibitor" and not anticoagulated(case)


def on_antithrombotic(case: Case) -> bool:
    return anticoagulated(case) or case.condition("antiplatelet") is not None


def older_adult(case: Case) -> bool:
    return case.patient.age >= OLDER_ADULT_AGE


def older_with_bleeding_risk_drug(case: Case) -> bool:
    """Beers: an older adult on an antiplatelet or a corticosteroid (NSAIDs need
    gastro-protection)."""
    return older_adult(case) and bool(
        {"antiplatelet", "corticosteroid"} & {c.name for c in case.conditions})


def older_after_a_short_trial(case: Case) -> bool:
    """An older adult past a short NSAID trial (our ~2 weeks, a design choice, not Beers)."""
    return older_adult(case) and case.course.conservative_care_weeks >= 2


def pregnant(case: Case) -> bool:
    return case.condition("pregnancy") is not None


def pregnant_from_20_weeks(case: Case) -> bool:
    pregnancy = case.condition("pregnancy")
    return pregnancy is not None and (pregnancy.weeks or 0) >= NSAID_PREGNANCY_WEEKS


def pregnant_before_20_weeks(case: Case) -> bool:
    return pregnant(case) and not pregnant_from_20_weeks(case)


def hepatic_disease_or_alcohol(case: Case) -> bool:
    return bool({"hepatic_disease", "alcohol_excess"} & {c.name for c in case.conditions})


def hepatic_risk(case: Case) -> bool:
    """Hepatic disease, alcohol excess or frailty: acetaminophen at most 3 g/day."""
    return hepatic_disease_or_alcohol(case) or case.condition("frailty") is not None


def concordant_compression(case: Case) -> bool:
    """A compressive lesion matching the clinical root level, not contradicted by EMG.

    Without root signs there is no clinical level for a lesion to match.
    """
    imaging, edx = case.investigations.imaging, case.investigations.electrodiagnosis
    return (
        radicular_picture(case)
        and case.pathology in COMPRESSIVE_PATHOLOGIES
        and imaging is not None
        and imaging.lesion == "compressive"
        and imaging.concordant
        and (edx is None or edx.result == "radiculopathy")
    )


def disabling(case: Case) -> bool:
    return case.disabling


def surgery_indicated(case: Case) -> bool:
    """Concordant compression with red flags, or disabling after an adequate trial (and not
    already operated on: persisting symptoms after an operation are not by themselves an
    indication for another)."""
    return concordant_compression(case) and (
        neuro_red_flag(case)
        or (trial_completed(case) and case.disabling and not already_operated(case))
    )


def stenosis_before_12_weeks(case: Case) -> bool:
    return (
        case.pathology in ("stenosis", "stenosis_with_instability")
        and case.course.conservative_care_weeks < STENOSIS_TRIAL_WEEKS
    )


PREDICATES: dict[str, Predicate] = {
    f.__name__: f
    for f in (
        neuro_red_flag,
        systemic_red_flag,
        any_red_flag,
        cauda_equina,
        urgent_red_flag,
        infection_or_malignancy,
        suspected_infection,
        suspected_fracture_only,
        foot_drop,
        prefers_conservative,
        acute_severe_sciatica,
        neurogenic_claudication,
        debated_slip,
        emg_too_early,
        imaging_concordant,
        onset_before_30,
        already_imaged,
        already_operated,
        trial_completed,
        conservative_phase,
        radicular_picture,
        spine_diagnosis,
        spine_work_up_indicated,
        young_onset_dystonia_diagnosis,
        renal_severe,
        renal_moderate,
        anticoagulated,
        on_warfarin,
        on_p2y12_inhibitor,
        on_aspirin_only,
        on_antithrombotic,
        older_adult,
        older_with_bleeding_risk_drug,
        older_after_a_short_trial,
        pregnant,
        pregnant_from_20_weeks,
        pregnant_before_20_weeks,
        hepatic_disease_or_alcohol,
        hepatic_risk,
        concordant_compression,
        disabling,
        surgery_indicated,
        stenosis_before_12_weeks,
    )
}
for _value in ("gi_bleed_history", "heart_failure", "nsaid_allergy", "falls_history",
               "corticosteroid"):
    PREDICATES[_value] = lambda case, v=_value: case.condition(v) is not None
for _value in PATHOLOGIES:
    PREDICATES[f"pathology_{_value}"] = lambda case, v=_value: case.pathology == v
for _value in DIAGNOSES:
    PREDICATES[f"diagnosis_{_value}"] = lambda case, v=_value: case.diagnosis == v


def known_predicate(name: str) -> bool:
    return name.removeprefix("not ") in PREDICATES


def holds(case: Case, when: Iterable[str]) -> bool:
    """True when every named predicate (``not`` negating) holds for ``case``."""
    for name in when:
        negate = name.startswith("not ")
        if PREDICATES[name.removeprefix("not ")](case) == negate:
            return False
    return True
