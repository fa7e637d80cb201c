"""A case's critical decisions and harmful options, for items built on the engine (key-feature
questions, issue 22): the key and the "killer" options come from the same judgement as the
score.

    from dystonia_teach.core.decisions import case_decisions
    found = case_decisions(load_case("early_uncomplicated"))
    [(d.decision, d.required, d.options) for d in found.decisions]
    [(h.step, h.code) for h in found.harmful]        # e.g. ("microdiscectomy", "premature_surgery")
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.engine import (
    ActionLike,
    evaluate,
    recommended_actions,
    recommended_pathway,
)
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.results import Action, PathwayItem, SourceRef


@dataclass(frozen=True, slots=True)
class HarmfulOption:
    """A step whose choice is a critical commission for this patient, and why."""

    step: str
    #: The finding code it raises (contraindicated, premature_surgery, unindicated_procedure...).
    code: str
    #: The finding's summary and explanation, as the learner would read them.
    reason: str
    #: The evidence the finding cites, with its levels.
    sources: tuple[SourceRef, ...] = ()


@dataclass(frozen=True, slots=True)
class CaseDecisions:
    """The decisions of a case at a visit and the options that would harm its patient."""

    #: Each decision: id, label, required or optional (``required``), selection (``select``),
    #: options (``options``, the example first), example with its dose and priority
    #: (``action``), and whether leaving it empty is critical (``critical_if_empty``).
    decisions: tuple[PathwayItem, ...]
    harmful: tuple[HarmfulOption, ...]


def case_decisions(case: Case, earlier: Iterable[ActionLike] = ()) -> CaseDecisions:
    """For ``case`` as it stands (a visit's case from ``case_at_visit``; ``earlier``: the tests
    ordered at earlier visits): its decisions, and the steps that are a critical commission
    when added to the recommended plan (a drug at its example dose, so a contraindication
    counts, not a dose slip). Pure and deterministic; about one evaluation per step."""
    before = list(earlier)
    decisions = recommended_pathway(case, before)
    plan = recommended_actions(case, before)
    planned = {action.step for action in plan}
    examples = {item.step: item.dose_mg_per_day for item in decisions}
    harmful = []
    for step in knowledge().steps.values():
        if step.alias_of or step.id in planned:
            continue
        dose = examples.get(step.id) or (step.dose.example_mg_per_day if step.dose else None)
        action = Action(step.id, dose)
        assessment = evaluate(case, [*plan, action], earlier=before)
        found = next((f for f in assessment.findings
                      if f.step == step.id and f.severity == "critical"), None)
        if found is not None:
            harmful.append(HarmfulOption(step.id, found.code,
                                         f"{found.summary}. {found.detail}".strip(),
                                         found.sources))
    return CaseDecisions(decisions, tuple(harmful))
