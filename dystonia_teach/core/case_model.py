"""The case (vignette) model: a patient's clinical facts, staged text and teaching notes.

A case never lists its own answers; the engine derives the recommended pathway from the facts.
Unknown keys are errors (``extra="forbid"``), so a misspelt field is reported, not ignored.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

from dystonia_teach.core.vocabulary import (
    Contraindication,
    Diagnosis,
    EdxResult,
    FunctionalSign,
    OtherSign,
    Pathology,
    Posture,
    RedFlag,
    Root,
    Side,
    Trigger,
)

SCHEMA_VERSION = 1

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
CaseId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")]
#: Numbers are strict: ``true`` or ``"6"`` is not silently taken for a number.
Weeks = Annotated[float, Strict(), Field(ge=0, le=1040)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Patient(_Strict):
    """Age, sex and occupation only: no names, dates of birth or record numbers."""

    age: Annotated[int, Strict(), Field(ge=1, le=110)]
    sex: Literal["female", "male", "other"]
    occupation: str = Field("", description="E.g. postal worker (shown in the case picker).")


class Course(_Strict):
    symptom_weeks: Weeks
    conservative_care_weeks: Weeks = Field(
        description="Weeks of optimal conservative management already completed.")
    conservative_care: tuple[str, ...] = Field(
        (), description="Step ids of the conservative care already given (e.g. naproxen).")


class Dystonia(_Strict):
    """Observable phenomenology: describe the posture, not "kicking" or "lifting" labels."""

    foot: Side
    postures: Annotated[tuple[Posture, ...], Field(min_length=1)]
    triggers: Annotated[tuple[Trigger, ...], Field(min_length=1)]
    relieved_by_rest: bool
    sensory_trick: bool = False
    present_at_rest: bool = False
    diurnal_worsening: bool = False


class Radicular(_Strict):
    """Root findings; ``root: none`` when there are no radicular signs."""

    root: Root
    side: Side | None = None
    weakness: str = ""
    sensory_loss: str = ""
    reflexes: str = ""
    straight_leg_raise: Literal["positive", "negative", "not_tested"] = "not_tested"


class Imaging(_Strict):
    """Lumbar imaging result (MRI or CT myelography)."""

    lesion: Literal["compressive", "none"]
    level: str = Field("", description="Disc level, e.g. L4-L5.")
    root: Root | None = None
    concordant: bool = Field(description="Does the lesion match the clinical level and side?")
    report: Text


class Instability(_Strict):
    present: bool
    report: Text


class Electrodiagnosis(_Strict):
    result: EdxResult
    root: Root | None = None
    report: Text


class Report(_Strict):
    """A free-text result (brain MRI, DaT scan, levodopa trial, genetics)."""

    report: Text


class Investigations(_Strict):
    """Results revealed only when the learner orders the matching test."""

    imaging: Imaging | None = None
    instability: Instability | None = None
    electrodiagnosis: Electrodiagnosis | None = None
    brain_imaging: Report | None = None
    dat_scan: Report | None = None
    levodopa_response: Report | None = None
    genetics: Report | None = None


class Stages(_Strict):
    """Staged disclosure: presentation first, examination once assessed, follow-up at the end."""

    presentation: Text
    examination: Text
    follow_up: Text


class Visit(_Strict):
    """A follow-up visit: what the learner is told then, and the facts that changed.

    Facts left out stay as they were at the previous visit; the plan is judged again on the
    changed facts (see :func:`dystonia_teach.core.visits.case_at_visit`).
    """

    week: Weeks = Field(description="Weeks since symptoms began, at this visit.")
    presentation: Text = Field(description="What the patient reports at this visit.")
    examination: Text | None = Field(None, description="Examination now (default: unchanged).")
    conservative_care_weeks: Weeks | None = None
    conservative_care: tuple[str, ...] | None = None
    red_flags: tuple[RedFlag, ...] | None = None
    other_signs: tuple[OtherSign, ...] | None = None
    radicular: Radicular | None = None
    disabling: bool | None = None
    investigations: Investigations | None = None


class Case(_Strict):
    """One vignette."""

    schema_version: int
    id: CaseId
    title: Text
    summary: Text
    patient: Patient
    course: Course
    red_flags: tuple[RedFlag, ...] = ()
    contraindications: tuple[Contraindication, ...] = ()
    dystonia: Dystonia
    functional_signs: tuple[FunctionalSign, ...] = ()
    other_signs: tuple[OtherSign, ...] = ()
    radicular: Radicular
    investigations: Investigations
    pathology: Pathology
    disabling: bool
    diagnosis: Diagnosis
    stages: Stages
    teaching_notes: Text
    evidence: Annotated[tuple[str, ...], Field(min_length=1)]
    visits: tuple[Visit, ...] = Field((), description="Optional follow-up visits, in order.")

    def result(self, reveal: str) -> Imaging | Instability | Electrodiagnosis | Report | None:
        """The investigation result a step with ``reveals: <reveal>`` shows, if the case has one."""
        return getattr(self.investigations, reveal)
