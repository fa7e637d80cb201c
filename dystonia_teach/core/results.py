"""Typed results of the engine: actions, findings (CDS Hooks-style cards) and assessments."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Action:
    """A learner's choice: a step id, with a daily dose in mg for drugs."""

    step: str
    dose_mg_per_day: float | None = None

    def as_data(self) -> str | dict[str, object]:
        """The plain form accepted by ``evaluate`` (a step id or a dict with a dose)."""
        if self.dose_mg_per_day is None:
            return self.step
        return {"step": self.step, "dose_mg_per_day": self.dose_mg_per_day}


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
    """One step of the recommended pathway derived for a case."""

    step: str
    label: str
    phase: str
    alternatives: tuple[str, ...]
    dose_mg_per_day: float | None
    reason: str
    sources: tuple[SourceRef, ...]

    @property
    def action(self) -> Action:
        return Action(self.step, self.dose_mg_per_day)


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
    #: "safe", "caution" (a warning) or "unsafe" (a critical finding), apart from the score.
    safety: str = "safe"
    #: One plain sentence explaining the score, to be shown under it.
    rubric: str = ""

    def by_severity(self, severity: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == severity)
