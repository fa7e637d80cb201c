"""Contraindications and cautions: which ones a case's facts meet, step by step.

The data live in ``knowledge/cautions.yaml``; a caution is critical (a contraindication),
a warning or an information note, and may be resolved by choosing a companion step.
"""

from __future__ import annotations

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.kb_model import Caution, KnowledgeBase
from dystonia_teach.core.predicates import holds


def cautions_for(case: Case, kb: KnowledgeBase, step: str) -> list[Caution]:
    """The cautions on ``step`` that this case's facts meet, in file order."""
    return [c for c in kb.cautions if step in c.steps and holds(case, c.when)]


def contraindicated_steps(case: Case, kb: KnowledgeBase) -> frozenset[str]:
    """Steps this patient must not have, whatever else is chosen (critical, unresolvable)."""
    return frozenset(step for c in kb.cautions
                     if c.severity == "critical" and not c.unless_any and holds(case, c.when)
                     for step in c.steps)
