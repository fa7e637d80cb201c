"""Typed results of the engine: actions, findings (CDS Hooks-style cards) and assessments."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Action:
    """A learner's choice: a step id, with a daily dose in mg for drugs and the order's
    priority (routine unless urgent: spec v3 §0.6, as FHIR ServiceRequest.priority)."""

    step: str
    dose_mg_per_day: float | None = None
    priority: str = "routine"

    @property
    def urgent(self) -> bool:
        return self.priority == "urgent"

    def as_data(self) -> str | dict[str, object]:
        """The plain form accepted by ``evaluate``: a step id (``step!urgent`` for an urgent
        order), or a dict with the dose (and ``priority`` when urgent)."""
        if self.dose_mg_per_day is None:
            return f"{self.step}!urgent" if self.urgent else self.step
        data: dict[str, object] = {"step": self.step, "dose_mg_per_day": self.dose_mg_per_day}
        if self.urgent:
            data["priority"] = "urgent"
        return data


@dataclass(frozen=True, slots=True)
class SourceRef:
    """An evidence claim as a finding cites it: level with its scheme, and its status."""

    claim_id: str
    claim: str
    citations: tuple[str, ...]
    level: int
    scheme: str
    status: str
    directness: str
    caveat: str

    @property
    def level_text(self) -> str:
        """E.g. "OCEBM 2011 level 4"."""
        return f"{self.scheme} level {self.level}"

    @property
    def weak(self) -> bool:
        return self.level >= 4 or self.status != "verified" or self.directness == "indirect"

    @property
    def badge(self) -> str:
        """Short text for a badge: level, then any status or indirectness to be aware of."""
        parts = [self.level_text]
        if self.status != "verified":
            parts.append(self.status.replace("_", " "))
        if self.directness == "indirect":
            parts.append("indirect")
        return " · ".join(parts)


@dataclass(frozen=True, slots=True)
class Finding:
    """One judgement on the learner's choices, shaped like a CDS Hooks card."""

    code: str
    severity: str
    summary: str
    step: str | None
    detail: str
    instead: str
    sources: tuple[SourceRef, ...]
    pitfall: bool


@dataclass(frozen=True, slots=True)
class PathwayItem:
    """One decision of the recommended pathway derived for a case: its example step (``step``,
    with its dose and priority) and the other options that satisfy it (``alternatives``)."""

    step: str
    label: str
    phase: str
    alternatives: tuple[str, ...]
    dose_mg_per_day: float | None
    reason: str
    sources: tuple[SourceRef, ...]
    #: The decision's id and its plain label ("pain relief").
    decision: str = ""
    decision_label: str = ""
    #: Required now (a "must" decision), or optional.
    required: bool = True
    #: "one-or-more", "at-most-one" or "exactly-one".
    select: str = "one-or-more"
    #: The example's priority ("urgent" for an urgent order).
    priority: str = "routine"
    #: Leaving this required decision empty is critical (a red flag, a must-not-miss work-up).
    critical_if_empty: bool = False
    #: The decision counts only with one of these steps chosen (aftercare with an operation).
    only_with: tuple[str, ...] = ()
    #: Options that must be urgent orders to satisfy it.
    urgent_options: tuple[str, ...] = ()

    @property
    def action(self) -> Action:
        return Action(self.step, self.dose_mg_per_day, self.priority)

    @property
    def options(self) -> tuple[str, ...]:
        """Every option step, the example first."""
        return (self.step, *self.alternatives)


@dataclass(frozen=True, slots=True)
class DecisionCredit:
    """How one required decision of the pathway was met by a plan (the score's credit)."""

    decision: str
    label: str
    made: bool
    #: Points earned for it (its share of the coverage points when made, else 0).
    points: float
    #: The chosen options that satisfy it.
    chosen: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Cost:
    """What one finding cost: its points (the unclipped ranking) and its share of the score."""

    code: str
    step: str | None
    severity: str
    summary: str
    points: float
    share: float


@dataclass(frozen=True, slots=True)
class Assessment:
    """The engine's verdict on one attempt at one case."""

    case_id: str
    score: float
    findings: tuple[Finding, ...]
    pitfalls: tuple[str, ...]
    recommended: tuple[PathwayItem, ...]
    chosen: tuple[Action, ...]
    diagnosis: str
    working_diagnosis: str | None = None
    covered: tuple[str, ...] = field(default=())
    #: The unclipped ranking value (100 = the full pathway, no problems; may be negative).
    points: float = 0.0
    #: "unsafe" (a critical finding), "caution" (a caution on a chosen step, or a warning on a
    #: chosen step that can harm), else "safe": apart from the score (docs/scoring.md).
    safety: str = "safe"
    #: One plain sentence explaining the score, to be shown under it.
    rubric: str = ""
    #: The credit: each required decision of the pathway, made or not.
    decisions: tuple[DecisionCredit, ...] = ()
    #: The costs: each finding that cost points, with its points and its share of the score.
    costs: tuple[Cost, ...] = ()

    def by_severity(self, severity: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == severity)
