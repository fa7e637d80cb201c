"""The knowledge base's schema: steps, findings, pathway blocks, rules and evidence claims.

Plain pydantic models with no loading code, so rules and results can name these types without
importing the loader (which itself imports the rules to cross-check them).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.predicates import PREDICATES, holds
from dystonia_teach.core.vocabulary import (
    CONDITION_NAMES,
    OTHER_SIGNS,
    PRIORITIES,
    Phase,
    Priority,
    Reveal,
)

Severity = Literal["info", "warning", "critical"]
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "warning": 1, "info": 2}
Level = Annotated[int, Field(ge=1, le=5)]
Status = Literal["verified", "partly_verified", "unverified", "not_found", "misattributed"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class DoseAdjustment(_Strict):
    """A lower daily ceiling while the case's facts meet ``when`` (predicate names)."""

    when: tuple[str, ...] = Field(min_length=1)
    max_mg_per_day: float = Field(gt=0)
    reason: str


class ChildDose(_Strict):
    """A child's daily dose by weight (mg/kg/day), capped at the adult maximum."""

    min_mg_per_kg_day: float | None = Field(None, gt=0)
    max_mg_per_kg_day: float = Field(gt=0)
    source: str = Field(description="The evidence claim the figures rest on.")
    status: Status


class DoseRange(_Strict):
    """A labelled adult daily dose range with its source and verification status (and a
    child's range by weight, where the course has one)."""

    min_mg_per_day: float | None = None
    max_mg_per_day: float
    usual: str
    source: str
    status: Status
    seed_figure: str = ""
    adjustments: tuple[DoseAdjustment, ...] = ()
    child: ChildDose | None = None
    #: The daily dose shown when the pathway offers this drug (an adult's; a child's is taken
    #: from the middle of the weight-based range).
    example_mg_per_day: float | None = Field(None, gt=0)

    def contains(self, dose: float) -> bool:
        return dose > 0 and (self.min_mg_per_day or 0) <= dose <= self.max_mg_per_day

    def describe(self) -> str:
        """E.g. "500-1500 mg/day (label: ...)" or "up to 150 mg/day (unverified: ...)"."""
        top = f"{self.max_mg_per_day:g} mg/day"
        span = f"{self.min_mg_per_day:g}-{top}" if self.min_mg_per_day else f"up to {top}"
        status = "" if self.status == "verified" else f", {self.status.replace('_', ' ')}"
        return f"{span} (label{status}: {self.usual})"


HarmClassId = Literal[
    "examination", "laboratory", "immobilisation", "imaging", "drug", "invasive_test",
    "injection", "operation",
]


class HarmClass(_Strict):
    """How much harm a kind of step can do; its weight scales penalties on chosen steps."""

    id: HarmClassId
    label: str
    weight: float = Field(gt=0)
    not_indicated: Severity
    #: Choosing such a step without indication exposes the patient to its harms: a warning on
    #: it makes the plan's safety "caution" (an unneeded test of low harm only costs points).
    risky: bool = False
    #: Why a step of this class that the patient's facts do not call for is low-value care.
    not_indicated_reason: str = ""


class Scoring(_Strict):
    """The rubric as data (``knowledge/scoring.yaml``, explained in ``docs/scoring.md``)."""

    coverage_points: float = Field(gt=0)
    severity_points: dict[Severity, float]
    omission_weights: dict[Severity, float] = Field(
        default_factory=dict,
        description="Weight of a finding about a step left out (or the whole plan), by its "
                    "severity; 1 when not listed.")
    harm_classes: tuple[HarmClass, ...]
    not_indicated_codes: dict[Severity, str]
    rubric: str
    #: The safety verdict's reason in the rubric sentence, by verdict.
    safety_reasons: dict[Literal["safe", "caution", "unsafe"], str]
    #: The most a single finding takes off the score (a share of what is left).
    max_share_per_finding: float = Field(0.9, gt=0, le=1)

    def harm(self, harm_id: str) -> HarmClass:
        return next(h for h in self.harm_classes if h.id == harm_id)


class Step(_Strict):
    """One learner choice."""

    id: str
    label: str
    phase: Phase
    category: str
    harm: HarmClassId
    description: str
    reveals: Reveal | None = None
    dose: DoseRange | None = None
    evidence: tuple[str, ...] = ()
    plural: bool = Field(False, description="The label is plural: feedback says 'are', 'were'.")
    alias_of: str | None = Field(
        None, description="This id is kept loading as another order, e.g. "
        "'mri_lumbar_noncontrast!urgent' (a step picker without a priority control lists it).")


class Caution(_Strict):
    """A contraindication (critical) or caution on steps, met when the case's facts meet
    ``when``; a step of ``unless_any`` chosen too (e.g. a periprocedural plan) resolves it."""

    id: str
    steps: tuple[str, ...] = Field(min_length=1)
    when: tuple[str, ...] = Field(min_length=1)
    severity: Severity
    unless_any: tuple[str, ...] = ()
    text: str
    evidence: tuple[str, ...] = ()


class FindingKind(_Strict):
    """A finding code with its learner-facing text."""

    code: str
    pitfall: bool
    label: str
    severity: Severity
    summary: str
    why: str
    instead: str
    evidence: tuple[str, ...] = ()
    #: The finding judges something the plan does (a step chosen), not something left out: a
    #: warning of this kind on a risky step makes the plan's safety "caution".
    commission: bool = False
    #: The finding names something left out (its cost uses the omission weight, even when a
    #: routine order of the step it names was chosen instead of the urgent one).
    omission: bool = False


Required = Literal["must", "could", "must-unless-documented"]
Select = Literal["one-or-more", "at-most-one", "exactly-one"]


@cache  # a few hundred option strings, split on every derivation
def split_option(option: str) -> tuple[str, Priority]:
    """``"mri_lumbar_noncontrast!urgent"`` -> ``("mri_lumbar_noncontrast", "urgent")``; an
    option without ``!`` is routine (and any priority of that step satisfies it)."""
    step, _, priority = option.partition("!")
    return step, priority or "routine"  # type: ignore[return-value]


class Example(_Strict):
    """The option shown first for a decision, with its dose for a drug."""

    step: str
    dose_mg_per_day: float | None = Field(None, gt=0)
    priority: Priority = "routine"

    @model_validator(mode="before")
    @classmethod
    def _from_id(cls, data: Any) -> Any:
        return {"step": data} if isinstance(data, str) else data


class Decision(_Strict):
    """One decision of the recommended pathway (FHIR PlanDefinition.action, spec v3 §0.1):
    whether it is required now, how many of its options to choose and which options satisfy
    it. Applies when every predicate of ``when`` holds for what the clinician can know."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str = Field(description="What is decided, in a few plain words (lower case).")
    when: tuple[str, ...] = ()
    required: Required = "must"
    documented_by: tuple[str, ...] = Field(
        (), description="must-unless-documented: the predicates that document the exception "
        "(the patient's informed preference); the decision is then optional.")
    select: Select = "one-or-more"
    options: tuple[str, ...] = Field(
        min_length=1, description="Step ids; 'step!urgent' is satisfied only by an urgent order.")
    example: Example | None = Field(
        None, description="Shown first (default: the option this patient's conditions caution "
        "least, in the order listed).")
    reported_by: tuple[str, ...] = Field(
        (), description="Finding codes that already name this decision when it is left empty.")
    only_with: tuple[str, ...] = Field(
        (), description="The decision counts only when one of these steps is chosen and not "
        "judged wrong (aftercare exists only for an operation the learner chose).")
    if_empty: Severity = Field(
        "warning", description="Severity of leaving a required decision empty (critical for "
        "the work-up of a must-not-miss diagnosis).")
    reason: str
    evidence: tuple[str, ...] = Field(
        (), description="Claim ids the decision rests on, cited with it (default: the evidence "
        "of the step shown first).")

    @model_validator(mode="after")
    def _consistent(self) -> Decision:
        for option in self.options:
            if split_option(option)[1] not in PRIORITIES:
                raise ValueError(f"option {option!r}: the priority after '!' is one of "
                                 f"{', '.join(PRIORITIES)}")
        steps = [split_option(o)[0] for o in self.options]
        if self.example is not None and self.example.step not in steps:
            raise ValueError(f"example {self.example.step!r} is not one of the options")
        if (self.required == "must-unless-documented") != bool(self.documented_by):
            raise ValueError("documented_by goes with required: must-unless-documented, and "
                             "must-unless-documented needs documented_by")
        return self

    @property
    def steps(self) -> tuple[str, ...]:
        """The option steps, without priorities."""
        return tuple(dict.fromkeys(split_option(o)[0] for o in self.options))


class Rule(_Strict):
    """A rule instance: data naming a rule kind of :mod:`dystonia_teach.core.rules`."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)
    id: str
    kind: str
    when: tuple[str, ...]
    code: str
    severity: Severity | None = Field(
        None, description="Overrides the finding's usual severity for this rule instance.")
    note: str = Field("", description="Added to the finding's explanation: the rule's reason.")
    instead: str = Field(
        "", description="Replaces the finding's usual advice (what to do instead) for this rule.")
    evidence: tuple[str, ...] = Field(
        (), description="Claim ids this rule rests on (else the finding code's evidence).")

    @cached_property
    def params(self) -> dict[str, Any]:
        """The kind's own parameters (built once: rule kinds read them on every evaluate)."""
        return dict(self.model_extra or {})


SourceKind = Literal["article", "chapter", "guideline", "label", "regulatory"]
SourceStatus = Literal["verified", "partly_verified", "unverified"]
#: The bibliographic details a reviewer may not have seen yet (listed in ``Source.unchecked``).
Detail = Literal["authors", "year", "title", "journal", "volume", "pages", "doi", "pmid"]


class Source(_Strict):
    """One record per publication or document, with the identifiers that belong to it.

    ``status`` is the reviewers' check of *this* record: ``verified`` means every detail given
    was seen; ``partly_verified`` names in ``unchecked`` the details not seen yet (they may be
    blank); ``unverified`` means the record was recalled, not seen. ``note`` is for reviewers.
    """

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    kind: SourceKind
    authors: tuple[str, ...] = ()
    et_al: bool = False
    group: str = ""
    year: int | None = Field(default=None, ge=1900, le=2100)
    title: str = ""
    journal: str = ""
    edition: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str | None = Field(default=None, pattern=r"^10\.\d{4,9}/\S+$")
    pmid: str | None = Field(default=None, pattern=r"^[1-9]\d{0,8}$")
    pmid_from_address: bool = False
    pmcid: str | None = Field(default=None, pattern=r"^PMC\d+$")
    bookshelf: str | None = Field(default=None, pattern=r"^NBK\d+$")
    status: SourceStatus
    unchecked: tuple[Detail, ...] = ()
    note: str = ""

    @model_validator(mode="after")
    def _complete_or_marked(self) -> Source:
        if self.status == "verified" and self.unchecked:
            raise ValueError("a verified source has no unchecked details")
        if self.status == "partly_verified" and not self.unchecked:
            raise ValueError("a partly verified source names its unchecked details")
        if not self.title and "title" not in self.unchecked:
            raise ValueError("a source needs a title (or 'title' among its unchecked details)")
        if not (self.authors or self.group) and "authors" not in self.unchecked \
                and self.kind in ("article", "chapter"):
            raise ValueError("an article or chapter needs authors or a group (or 'authors' "
                             "among its unchecked details)")
        if self.kind in ("article", "chapter") and not self.journal:
            raise ValueError("an article or chapter needs its journal or book")
        if self.kind == "article" and self.year is None and "year" not in self.unchecked:
            raise ValueError("an article needs a year (or 'year' among its unchecked details)")
        return self


class Citation(_Strict):
    """A claim's reference to a registered source, with where in it (a table, a variant)."""

    source: str
    where: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_id(cls, data: Any) -> Any:
        return {"source": data} if isinstance(data, str) else data


class Claim(_Strict):
    """An evidence claim with its source(s), OCEBM 2011 level and verification status."""

    id: str
    topic: str
    question: Literal["treatment", "diagnosis", "prognosis", "aetiology", "harm", "definition"]
    claim: str
    design: str
    level: Level
    level_note: str
    directness: Literal["direct", "indirect"]
    status: Status
    status_note: str = ""
    seed_claim: bool
    seed_correction: str = ""
    caveat: str = ""
    sources: tuple[Citation, ...]
    harm_of: tuple[str, ...] = ()

    @property
    def weak(self) -> bool:
        """Level 4-5, not fully verified, or indirect: shown to learners with its caveat."""
        return self.level >= 4 or self.status != "verified" or self.directness == "indirect"

    @model_validator(mode="after")
    def _weak_claims_carry_a_caveat(self) -> Claim:
        if self.weak and not self.caveat.strip():
            raise ValueError("a weak, unverified or indirect claim needs a learner-facing caveat")
        return self


Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class DiagnosisScript(_Strict):
    """One diagnosis: what a case's ``diagnosis:``, a learner's differential and ``try
    --diagnosis`` name, with its illness script, its work-up and management (decisions of the
    pathway, keyed to what the clinician can know) and the words that name or imply it."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True,
                              populate_by_name=True)
    id: Identifier
    label: str
    names: tuple[str, ...] = Field(
        (), description="Other names and abbreviations: search finds them, and text a learner "
        "reads before submitting must not contain them.")
    implying_words: tuple[str, ...] = Field(
        (), description="Words that give the diagnosis away without naming it (spoiler check).")
    script: str
    for_: tuple[str, ...] = Field((), alias="for")
    against: tuple[str, ...] = ()
    tests: tuple[str, ...] = Field(
        (), description="Steps whose result confirms or excludes it.")
    work_up: tuple[str, ...] = Field(
        (), description="The pathway decisions that work it up, keyed to its features.")
    management: tuple[str, ...] = Field(
        (), description="The pathway decisions that treat it once it is established.")
    established_by: tuple[Reveal, ...] = Field(
        (), description="Results that establish it once known (``established_<id>``).")
    must_not_miss: bool = False
    evidence: tuple[str, ...] = ()


class Sign(_Strict):
    """An examination sign a course adds to the case vocabulary (``other_signs``): a knowable
    predicate of its own name, and an illness-script feature described by ``label``."""

    id: Identifier
    label: str


class ConditionEntry(_Strict):
    """A patient condition a course adds to the case vocabulary (``conditions``): a knowable
    predicate of its own name, for cautions on steps."""

    id: Identifier
    label: str


class Feature(_Strict):
    """A presenting feature built from other predicates: it holds when every name of ``all``
    holds and, if ``any`` is given, at least one of ``any`` ("not x" negates)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True,
                              populate_by_name=True)
    id: Identifier
    label: str = Field(description="What a learner reads as a fact for or against a diagnosis.")
    all_: tuple[str, ...] = Field((), alias="all")
    any_: tuple[str, ...] = Field((), alias="any")

    @model_validator(mode="after")
    def _names_something(self) -> Feature:
        if not self.all_ and not self.any_:
            raise ValueError("a feature needs `all:` or `any:` (the predicates it combines)")
        return self


Predicate = Callable[[Case], bool]


def _sign_predicate(sign: str) -> Predicate:
    return lambda case: sign in case.other_signs


def _condition_predicate(name: str) -> Predicate:
    return lambda case: case.condition(name) is not None


def _diagnosis_predicate(diagnosis: str) -> Predicate:
    return lambda case: case.diagnosis == diagnosis


def _established_predicate(diagnosis: str, kinds: tuple[str, ...]) -> Predicate:
    """Knowable: the diagnosis is read only once a result that shows it has been revealed."""
    return lambda case: case.diagnosis == diagnosis and any(
        getattr(case.investigations, kind) is not None for kind in kinds)


def _feature_predicate(feature: Feature, table: dict[str, Predicate]) -> Predicate:
    every, some = feature.all_, feature.any_
    return lambda case: holds(case, every, None, table) and (
        not some or any(holds(case, (name,), None, table) for name in some))


class Scheme(_Strict):
    name: Literal["OCEBM"]
    version: Literal["2011"]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class KnowledgeBase(_Strict):
    """Everything the engine knows, cross-checked."""

    scoring: Scoring
    steps: dict[str, Step]
    cautions: tuple[Caution, ...]
    findings: dict[str, FindingKind]
    pathway: tuple[Decision, ...]
    rules: tuple[Rule, ...]
    claims: dict[str, Claim]
    sources: dict[str, Source]
    doi_prefixes: dict[str, tuple[str, ...]]
    scheme: Scheme
    diagnoses: dict[str, DiagnosisScript]
    signs: dict[str, Sign] = Field(default_factory=dict)
    conditions: dict[str, ConditionEntry] = Field(default_factory=dict)
    features: dict[str, Feature] = Field(default_factory=dict)

    @cached_property
    def predicates(self) -> dict[str, Predicate]:
        """Every predicate a ``when`` may name: the package's (core.predicates), one per added
        sign and condition, ``diagnosis_<id>`` (hidden) and ``established_<id>`` per diagnosis,
        and the features built from them."""
        table = dict(PREDICATES)
        table.update({s: _sign_predicate(s) for s in self.signs})
        table.update({c: _condition_predicate(c) for c in self.conditions})
        for d in self.diagnoses.values():
            table[f"diagnosis_{d.id}"] = _diagnosis_predicate(d.id)
            if d.established_by:
                table[f"established_{d.id}"] = _established_predicate(d.id, d.established_by)
        table.update({f.id: _feature_predicate(f, table) for f in self.features.values()})
        return table

    @cached_property
    def sign_ids(self) -> tuple[str, ...]:
        """What a case may list under ``other_signs``."""
        return (*OTHER_SIGNS, *self.signs)

    @cached_property
    def condition_ids(self) -> tuple[str, ...]:
        """What a case may list under ``conditions``."""
        return (*CONDITION_NAMES, *self.conditions)

    def step(self, step_id: str) -> Step:
        return self.steps[step_id]

    def claim(self, claim_id: str) -> Claim:
        return self.claims[claim_id]

    def cited_sources(self, claim_id: str) -> tuple[tuple[Source, str], ...]:
        """A claim's sources as (record, where) pairs, in citation order."""
        return tuple((self.sources[c.source], c.where) for c in self.claims[claim_id].sources)
