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


def neuro_red_flag(case: Case) -> bool:
    """Cauda equina, progressive or severe motor deficit."""
    return bool(NEUROLOGICAL_RED_FLAGS.intersection(case.red_flags))


def systemic_red_flag(case: Case) -> bool:
    """Suspected infection, malignancy or fracture."""
    return bool(set(case.red_flags) - NEUROLOGICAL_RED_FLAGS)


def any_red_flag(case: Case) -> bool:
    return bool(case.red_flags)


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
    """Root signs on examination, or a radiculopathy diagnosis: the spine needs a work-up."""
    return radicular_picture(case) or spine_diagnosis(case)


def spine_diagnosis(case: Case) -> bool:
    return case.diagnosis == "radiculopathy_dystonia"


def young_onset_dystonia_diagnosis(case: Case) -> bool:
    return case.diagnosis in ("isolated_dystonia", "dopa_responsive_dystonia")


def nsaid_contraindicated(case: Case) -> bool:
    """Any recorded contraindication (all recorded ones are NSAID contraindications)."""
    return bool(case.contraindications)


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
    """Concordant compression with red flags, or disabling after an adequate trial."""
    return concordant_compression(case) and (
        neuro_red_flag(case) or (trial_completed(case) and case.disabling)
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
        trial_completed,
        conservative_phase,
        radicular_picture,
        spine_diagnosis,
        spine_work_up_indicated,
        young_onset_dystonia_diagnosis,
        nsaid_contraindicated,
        concordant_compression,
        disabling,
        surgery_indicated,
        stenosis_before_12_weeks,
    )
}
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
