"""Vocabularies of the case format: the identifiers instructors write in case files.

Most are closed here. Three are open to course knowledge packs (``docs/authoring.md``, "Course
knowledge packs"): a case's ``diagnosis`` is one of the knowledge's diagnoses
(``knowledge/diagnoses.yaml`` and the packs'), and a pack may add ``other_signs`` and
``conditions`` to the package's own (:data:`OTHER_SIGNS`, :data:`CONDITION_NAMES`); the case
files' loader checks them against the knowledge in use.
"""

from __future__ import annotations

from typing import Literal, get_args

RedFlag = Literal[
    "cauda_equina",
    "progressive_motor_deficit",
    "severe_motor_deficit",
    "suspected_infection",
    "suspected_malignancy",
    "suspected_fracture",
]
NEUROLOGICAL_RED_FLAGS = frozenset(
    {"cauda_equina", "progressive_motor_deficit", "severe_motor_deficit"}
)

#: Schema version 1's NSAID-only list; version 2 states conditions (``ConditionName``).
Contraindication = Literal[
    "ckd",
    "gi_bleed_history",
    "anticoagulation",
    "heart_failure",
    "nsaid_allergy",
    "pregnancy_third_trimester",
]
#: The package's patient conditions that contraindicate or caution steps (knowledge/cautions.yaml);
#: a course pack may add more.
ConditionName = Literal[
    "ckd",
    "anticoagulant",
    "antiplatelet",
    "corticosteroid",
    "gi_bleed_history",
    "heart_failure",
    "nsaid_allergy",
    "pregnancy",
    "hepatic_disease",
    "alcohol_excess",
    "frailty",
    "falls_history",
    "cardiovascular_disease",
    "ace_inhibitor_or_arb_with_diuretic",
    "mri_contraindicated",
]
AntithromboticDrug = Literal["warfarin", "doac", "heparin", "aspirin", "p2y12_inhibitor"]
FunctionalSign = Literal[
    "distractibility",
    "inconsistency",
    "sudden_onset",
    "fixed_posture_at_onset",
    "give_way_weakness",
    "hoover_sign",
    "entrainment",
    "suggestibility",
]
Posture = Literal[
    "inversion",
    "eversion",
    "plantar_flexion",
    "dorsiflexion",
    "toe_clawing",
    "toe_extension",
    "striatal_toe",
]
Trigger = Literal[
    "walking",
    "standing",
    "walking_forward_only",
    "running",
    "stairs",
    "after_minutes_walking",
]
OtherSign = Literal[
    "bradykinesia",
    "rest_tremor",
    "reduced_arm_swing",
    "rigidity",
    "brisk_reflexes",
    "diurnal_fluctuation",
    "distal_sensory_loss",
    "absent_ankle_reflexes_bilateral",
    "wide_based_gait",
    "bilateral_leg_symptoms",
    "saddle_anaesthesia",
    "bladder_dysfunction",
    "absent_foot_pulses",
    "extensor_plantars",
    "spasticity",
    "tinel_at_tarsal_tunnel",
]
Side = Literal["left", "right", "both"]
Root = Literal["L3", "L4", "L5", "S1", "S2", "none"]
Pathology = Literal["stenosis", "disc_herniation", "stenosis_with_instability", "none"]
COMPRESSIVE_PATHOLOGIES = ("stenosis", "disc_herniation", "stenosis_with_instability")
#: A spinal operation already done (the step ids of the procedures), or none.
Operation = Literal["none", "decompressive_laminectomy", "microdiscectomy", "tlif"]
EdxResult = Literal["radiculopathy", "normal", "polyneuropathy", "other"]
Reveal = Literal[
    "imaging",
    "instability",
    "electrodiagnosis",
    "brain_imaging",
    "dat_scan",
    "levodopa_response",
    "genetics",
    "ankle_brachial_index",
    "copper_studies",
    "spinal_cord_imaging",
    "blood_tests",
    "radiographs",
]
#: An order's priority (FHIR ServiceRequest.priority): routine unless written ``step!urgent``.
Priority = Literal["routine", "urgent"]
PRIORITIES: tuple[str, ...] = get_args(Priority)
Phase = Literal[
    "assessment",
    "investigation",
    "conservative",
    "interventional",
    "surgical",
    "aftercare",
    "alternative",
    "harmful",
]
PHASES: tuple[str, ...] = get_args(Phase)
OTHER_SIGNS: tuple[str, ...] = get_args(OtherSign)
CONDITION_NAMES: tuple[str, ...] = get_args(ConditionName)
PATHOLOGIES: tuple[str, ...] = get_args(Pathology)

PHASE_LABELS: dict[str, str] = {
    "assessment": "Assessment",
    "investigation": "Investigations",
    "conservative": "Conservative management (step 1)",
    "interventional": "Interventional (step 2)",
    "surgical": "Surgical (step 3)",
    "aftercare": "After treatment",
    "alternative": "Management of alternative diagnoses",
    "harmful": "Other options",
}
