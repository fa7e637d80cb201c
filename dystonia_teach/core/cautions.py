"""Contraindications and cautions: which ones a case's facts meet, step by step.

The data live in ``knowledge/cautions.yaml``; a caution is critical (a contraindication),
a warning or an information note, and may be resolved by choosing a companion step.
"""

from __future__ import annotations

from collections.abc import Mapping

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.kb_model import Caution, KnowledgeBase
from dystonia_teach.core.predicates import holds


def cautions_met(case: Case, kb: KnowledgeBase, memo: dict[str, bool] | None = None
                 ) -> dict[str, tuple[Caution, ...]]:
    """Step id -> the cautions on it that this case's facts meet, in file order (``memo``: see
    :func:`holds`)."""
    met: dict[str, list[Caution]] = {}
    for caution in kb.cautions:
        if holds(case, caution.when, memo, kb.predicates):
            for step in caution.steps:
                met.setdefault(step, []).append(caution)
    return {step: tuple(found) for step, found in met.items()}


def contraindicated_steps(met: Mapping[str, tuple[Caution, ...]]) -> frozenset[str]:
    """Steps this patient must not have, whatever else is chosen (critical, unresolvable)."""
    return frozenset(step for step, cautions in met.items()
                     if any(c.severity == "critical" and not c.unless_any for c in cautions))
