"""The clinical knowledge base: steps, findings, algorithm and evidence, validated on load.

The data live in ``dystonia_teach/knowledge/*.yaml``; every cross-reference (a rule naming a
step, a step naming an evidence claim, a predicate name) is checked when they are loaded.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import KnowledgeBaseError
from .vocabulary import Contraindication, Phase, Reveal

Severity = Literal["info", "warning", "critical"]
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "warning": 1, "info": 2}
Level = Annotated[int, Field(ge=1, le=5)]
Status = Literal["verified", "partly_verified", "unverified", "not_found", "misattributed"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class DoseRange(_Strict):
    """A labelled adult daily dose range with its source and verification status."""

    min_mg_per_day: float | None = None
    max_mg_per_day: float
    usual: str
    source: str
    status: Status
    seed_figure: str = ""

    def contains(self, dose: float) -> bool:
        return dose > 0 and (self.min_mg_per_day or 0) <= dose <= self.max_mg_per_day

    def describe(self) -> str:
        """E.g. "500-1500 mg/day (label: ...)" or "up to 150 mg/day (unverified: ...)"."""
        top = f"{self.max_mg_per_day:g} mg/day"
        span = f"{self.min_mg_per_day:g}-{top}" if self.min_mg_per_day else f"up to {top}"
        status = "" if self.status == "verified" else f", {self.status.replace('_', ' ')}"
        return f"{span} (label{status}: {self.usual})"


class Step(_Strict):
    """One learner choice."""

    id: str
    label: str
    phase: Phase
    category: str
    description: str
    reveals: Reveal | None = None
    dose: DoseRange | None = None
    contraindications: tuple[Contraindication, ...] = ()
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


class Slot(_Strict):
    """One place in a recommended pathway, filled by any step of ``any_of``."""

    any_of: tuple[str, ...] = Field(min_length=1)
    preferred: str | None = None
    dose_mg_per_day: float | None = None
    reported_by: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _preferred_is_an_option(self) -> Slot:
        if self.preferred is not None and self.preferred not in self.any_of:
            raise ValueError(f"preferred {self.preferred!r} is not in any_of")
        return self

    @property
    def step(self) -> str:
        return self.preferred or self.any_of[0]


class PathwayBlock(_Strict):
    id: str
    when: tuple[str, ...]
    slots: tuple[Slot, ...]
    acceptable: tuple[str, ...] = ()
    reason: str


class Rule(_Strict):
    """A rule instance: data naming a rule kind of :mod:`dystonia_teach.rules`."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)
    id: str
    kind: str
    when: tuple[str, ...]
    code: str

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Source(_Strict):
    citation: str
    doi: str | None = None
    pmid: str | None = None
    pmid_from_address: bool = False
    verified: bool
    note: str = ""


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
    sources: tuple[Source, ...]

    @property
    def weak(self) -> bool:
        """Level 4-5, not fully verified, or indirect: shown to learners with its caveat."""
        return self.level >= 4 or self.status != "verified" or self.directness == "indirect"

    @model_validator(mode="after")
    def _weak_claims_carry_a_caveat(self) -> Claim:
        if self.weak and not self.caveat.strip():
            raise ValueError("a weak, unverified or indirect claim needs a learner-facing caveat")
        return self


class Scheme(_Strict):
    name: Literal["OCEBM"]
    version: Literal["2011"]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class KnowledgeBase(_Strict):
    """Everything the engine knows, cross-checked."""

    steps: dict[str, Step]
    findings: dict[str, FindingKind]
    pathway: tuple[PathwayBlock, ...]
    rules: tuple[Rule, ...]
    claims: dict[str, Claim]
    scheme: Scheme

    def step(self, step_id: str) -> Step:
        return self.steps[step_id]

    def claim(self, claim_id: str) -> Claim:
        return self.claims[claim_id]


def _read(name: str) -> Any:
    from .yamlio import read_yaml_text

    text = files("dystonia_teach").joinpath("knowledge", name).read_text("utf-8")
    doc = read_yaml_text(text, f"dystonia_teach/knowledge/{name}")
    if doc.issues:
        raise KnowledgeBaseError("\n".join(str(issue) for issue in doc.issues))
    return doc.data


def _by_key(items: list[dict[str, Any]], key: str, file: str) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for item in items:
        if item[key] in table:
            raise KnowledgeBaseError(f"{file}: {key} {item[key]!r} is defined twice")
        table[item[key]] = item
    return table


def _cross_reference_errors(kb: KnowledgeBase) -> list[str]:
    from .predicates import known_predicate
    from .rules import RULE_KINDS, rule_step_ids

    errors: list[str] = []

    def need(kind: str, ref: str, table: dict[str, Any], where: str) -> None:
        if ref not in table:
            errors.append(f"{where}: unknown {kind} {ref!r}")

    for step in kb.steps.values():
        for ref in step.evidence:
            need("evidence id", ref, kb.claims, f"step {step.id}")
        if step.dose:
            need("evidence id", step.dose.source, kb.claims, f"step {step.id} dose")
    for finding in kb.findings.values():
        for ref in finding.evidence:
            need("evidence id", ref, kb.claims, f"finding {finding.code}")
    for block in kb.pathway:
        for name in block.when:
            if not known_predicate(name):
                errors.append(f"pathway {block.id}: unknown predicate {name!r}")
        for slot in block.slots:
            for ref in (*slot.any_of, *block.acceptable):
                need("step", ref, kb.steps, f"pathway {block.id}")
            for ref in slot.reported_by:
                need("finding code", ref, kb.findings, f"pathway {block.id}")
    for rule in kb.rules:
        if rule.kind not in RULE_KINDS:
            errors.append(f"rule {rule.id}: unknown rule kind {rule.kind!r}")
            continue
        need("finding code", rule.code, kb.findings, f"rule {rule.id}")
        for key in ("missing_code",):
            if key in rule.params:
                need("finding code", rule.params[key], kb.findings, f"rule {rule.id}")
        for name in rule.when:
            if not known_predicate(name):
                errors.append(f"rule {rule.id}: unknown predicate {name!r}")
        for ref in rule_step_ids(rule):
            need("step", ref, kb.steps, f"rule {rule.id}")
    return errors


@cache
def knowledge() -> KnowledgeBase:
    """Load, validate and cross-check the packaged knowledge base (cached)."""
    try:
        evidence = _read("evidence.yaml")
        algorithm = _read("algorithm.yaml")
        kb = KnowledgeBase(
            steps=_by_key(_read("steps.yaml")["steps"], "id", "steps.yaml"),
            findings=_by_key(_read("findings.yaml")["findings"], "code", "findings.yaml"),
            pathway=algorithm["pathway"],
            rules=algorithm["rules"],
            claims=_by_key(evidence["claims"], "id", "evidence.yaml"),
            scheme=evidence["scheme"],
        )
    except ValidationError as err:
        raise KnowledgeBaseError(f"knowledge base is invalid:\n{err}") from err
    errors = _cross_reference_errors(kb)
    if errors:
        raise KnowledgeBaseError("knowledge base cross-references:\n  " + "\n  ".join(errors))
    return kb
