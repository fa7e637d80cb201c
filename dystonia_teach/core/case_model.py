"""The case (vignette) model: a patient's clinical facts, staged text and teaching notes.

A case never lists its own answers; the engine derives the recommended pathway from the facts.
Unknown keys are errors (``extra="forbid"``), so a misspelt field is reported, not ignored.
``diagnosis``, ``other_signs`` and condition names are identifiers of the knowledge in use (a
course pack may add some): the case files' loader checks them against it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints, model_validator

from dystonia_teach.core.vocabulary import (
    AntithromboticDrug,
    EdxResult,
    FunctionalSign,
    Operation,
    Pathology,
    Posture,
    RedFlag,
    Root,
    Side,
    Trigger,
)

SCHEMA_VERSION = 2
#: Under this age a patient is a child: drugs are dosed by weight (``patient.weight_kg``).
CHILD_AGE = 18

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
#: An identifier of the knowledge in use: a diagnosis, a sign or a condition (the case files'
#: loader checks it against that knowledge).
KnowledgeId = Annotated[str, Strict()]
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
    weight_kg: Annotated[float, Strict(), Field(gt=0, le=300)] | None = Field(
        None, description="Body weight in kg: needed for a child (under 18), who is dosed by "
        "weight (mg/kg/day, capped at the adult maximum).")

    @property
    def child(self) -> bool:
        return self.age < CHILD_AGE


_ANTICOAGULANTS = ("warfarin", "doac", "heparin")
_ANTIPLATELETS = ("aspirin", "p2y12_inhibitor")


class Condition(_Strict):
    """A patient condition that contraindicates or cautions steps, with its measure.

    Written as a name (``- heart_failure``) or a mapping (``- {name: ckd, stage: 4}``).
    """

    name: KnowledgeId
    stage: Annotated[int, Strict(), Field(ge=1, le=5)] | None = Field(
        None, description="CKD stage (ckd only).")
    crcl_ml_min: Annotated[float, Strict(), Field(ge=0, le=200)] | None = Field(
        None, description="Creatinine clearance in mL/min (ckd only).")
    weeks: Annotated[float, Strict(), Field(ge=0, le=44)] | None = Field(
        None, description="Completed weeks of pregnancy (pregnancy only, required there).")
    drug: AntithromboticDrug | None = Field(
        None, description="warfarin, doac or heparin (anticoagulant); aspirin or "
        "p2y12_inhibitor (antiplatelet).")

    def describe(self) -> str:
        """E.g. "ckd (stage 4)", "pregnancy (24 weeks)", "anticoagulant (warfarin)"."""
        measures = [f"stage {self.stage}" if self.stage else "",
                    f"CrCl {self.crcl_ml_min:g} mL/min" if self.crcl_ml_min is not None else "",
                    f"{self.weeks:g} weeks" if self.weeks is not None else "",
                    self.drug.replace("_", " ") if self.drug else ""]
        shown = ", ".join(m for m in measures if m)
        name = self.name.replace("_", " ")
        return f"{name} ({shown})" if shown else name

    @model_validator(mode="before")
    @classmethod
    def _name_alone(cls, data: object) -> object:
        return {"name": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _measures_fit_the_name(self) -> Condition:
        if self.name == "pregnancy" and self.weeks is None:
            raise ValueError("pregnancy needs weeks (completed weeks of pregnancy)")
        if self.weeks is not None and self.name != "pregnancy":
            raise ValueError("weeks belongs to pregnancy only")
        if (self.stage is not None or self.crcl_ml_min is not None) and self.name != "ckd":
            raise ValueError("stage and crcl_ml_min belong to ckd only")
        allowed = {"anticoagulant": _ANTICOAGULANTS, "antiplatelet": _ANTIPLATELETS}
        if self.drug is not None and self.drug not in allowed.get(self.name, ()):
            kinds = ", ".join(allowed.get(self.name, ())) or "no drug"
            raise ValueError(f"drug {self.drug!r} does not fit {self.name} (allowed: {kinds})")
        return self


class Course(_Strict):
    symptom_weeks: Weeks
    conservative_care_weeks: Weeks = Field(
        description="Weeks of optimal conservative management already completed.")
    conservative_care: tuple[str, ...] = Field(
        (), description="Step ids of the conservative care already given (e.g. naproxen).")
    imaging_status: Literal["not_yet_imaged", "imaged_no_lesion", "imaged_with_lesion"] = Field(
        "not_yet_imaged", description="Spine imaging before this visit; investigations.imaging "
        "is what an MRI shows if ordered (now, or the one already done).")
    pain_severity: Literal["not_stated", "mild", "moderate", "severe"] = Field(
        "not_stated", description="Leg pain severity (NICE: epidural injection for acute and "
        "severe sciatica).")
    operation: Operation = Field(
        "none", description="The spinal operation already done before this visit (the "
        "procedure's step id); the plan is then aftercare, not a work-up or an operation.")


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
    foot_drop: bool = Field(False, description="Ankle dorsiflexion too weak to clear the foot.")
    level: str = Field("", description="The spinal level, e.g. L5-S1 (needed for cauda equina "
                       "unless other_roots are given).")
    other_roots: tuple[Root, ...] = Field(
        (), description="Further roots involved (cauda equina, multilevel stenosis).")


class Imaging(_Strict):
    """Lumbar imaging result (MRI or CT myelography)."""

    lesion: Literal["compressive", "none"]
    level: str = Field("", description="Disc level, e.g. L4-L5.")
    root: Root | None = None
    concordant: bool = Field(description="Does the lesion match the clinical level and side?")
    report: Text


class Instability(_Strict):
    """Flexion-extension films; a spondylolisthesis with its grade (Meyerding) and type."""

    present: bool
    report: Text
    slip_grade: Annotated[int, Strict(), Field(ge=0, le=5)] | None = Field(
        None, description="Meyerding grade of the slip (0 = none, 1 = up to 25%).")
    slip_type: Literal["degenerative", "isthmic"] | None = None


class Electrodiagnosis(_Strict):
    result: EdxResult
    root: Root | None = None
    report: Text
    chronic_reinnervation: bool = Field(
        False, description="Chronic reinnervation (large, polyphasic units): needs ~3 months.")


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
    ankle_brachial_index: Report | None = None
    copper_studies: Report | None = None
    spinal_cord_imaging: Report | None = None
    blood_tests: Report | None = None
    radiographs: Report | None = None


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
    other_signs: tuple[KnowledgeId, ...] | None = None
    radicular: Radicular | None = None
    disabling: bool | None = None
    investigations: Investigations | None = None
    operation: Operation | None = Field(
        None, description="The operation done since the visit before (a procedure's step id).")
    pathology: Pathology | None = Field(
        None, description="The compressive lesion now (none once an operation removed it).")


class Case(_Strict):
    """One vignette."""

    schema_version: int
    id: CaseId
    title: Text
    summary: Text
    patient: Patient
    course: Course
    medications: str = Field("", description="Current medicines, including any dopamine "
                             "blocker (antipsychotic, antiemetic); 'none' when none.")
    family_history: str = Field("", description="Family history of dystonia, tremor, "
                                "Parkinson's disease or neuropathy; 'none known' when none.")
    red_flags: tuple[RedFlag, ...] = ()
    conditions: tuple[Condition, ...] = Field(
        (), description="Conditions that contraindicate or caution steps; [] when none.")
    dystonia: Dystonia
    functional_signs: tuple[FunctionalSign, ...] = ()
    other_signs: tuple[KnowledgeId, ...] = ()
    radicular: Radicular
    investigations: Investigations
    pathology: Pathology
    disabling: bool
    preference: Literal["not_stated", "surgery", "conservative"] = Field(
        "not_stated", description="The patient's informed preference once surgery is offered.")
    diagnosis: KnowledgeId
    stages: Stages
    teaching_notes: Text
    evidence: Annotated[tuple[str, ...], Field(min_length=1)]
    visits: tuple[Visit, ...] = Field((), description="Optional follow-up visits, in order.")

    @model_validator(mode="after")
    def _each_condition_once(self) -> Case:
        names = [c.name for c in self.conditions]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"conditions: {', '.join(twice)} listed twice; state each condition "
                             "once, with its measure (the stricter reading must not depend on the "
                             "order of the list)")
        return self

    def condition(self, name: str) -> Condition | None:
        """The recorded condition called ``name``, if any."""
        return next((c for c in self.conditions if c.name == name), None)

    def result(self, reveal: str) -> Imaging | Instability | Electrodiagnosis | Report | None:
        """The investigation result a step with ``reveals: <reveal>`` shows, if the case has one."""
        return getattr(self.investigations, reveal)
