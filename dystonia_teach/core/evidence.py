"""Evidence tables as pandas DataFrames (no styling here: see the widgets for that).

pandas is imported when a table is first built, not with the package: the command line never
needs it, and it is most of the package's import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dystonia_teach.core.bibliography import citation_text
from dystonia_teach.core.knowledge import knowledge

if TYPE_CHECKING:
    import pandas as pd

EVIDENCE_COLUMNS = [
    "claim_id", "topic", "claim", "level", "scheme", "design", "status", "directness",
    "weak", "caveat", "seed_claim", "seed_correction", "sources", "steps", "findings",
]


def evidence_table() -> pd.DataFrame:
    """One row per evidence claim: level with its scheme, status, caveat, and who cites it."""
    kb = knowledge()
    cited_by_steps: dict[str, list[str]] = {}
    for step in kb.steps.values():
        for ref in (*step.evidence, *([step.dose.source] if step.dose else [])):
            cited_by_steps.setdefault(ref, []).append(step.id)
    cited_by_findings: dict[str, list[str]] = {}
    for finding in kb.findings.values():
        for ref in finding.evidence:
            cited_by_findings.setdefault(ref, []).append(finding.code)
    rows = [
        {
            "claim_id": claim.id,
            "topic": claim.topic,
            "claim": claim.claim,
            "level": claim.level,
            "scheme": str(kb.scheme),
            "design": claim.design,
            "status": claim.status,
            "directness": claim.directness,
            "weak": claim.weak,
            "caveat": claim.caveat,
            "seed_claim": claim.seed_claim,
            "seed_correction": claim.seed_correction,
            "sources": "; ".join(citation_text(source, where)
                                 for source, where in kb.cited_sources(claim.id)),
            "steps": ", ".join(dict.fromkeys(cited_by_steps.get(claim.id, []))),
            "findings": ", ".join(cited_by_findings.get(claim.id, [])),
        }
        for claim in kb.claims.values()
    ]
    import pandas as pd

    return pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)


def step_catalogue() -> pd.DataFrame:
    """One row per step: phase, category, dose range, contraindications and evidence levels."""
    kb = knowledge()
    rows = []
    for step in kb.steps.values():
        levels = [kb.claims[ref].level for ref in step.evidence]  # a step may await a claim
        rows.append({
            "step": step.id,
            "label": step.label,
            "phase": step.phase,
            "category": step.category,
            "description": step.description,
            "reveals": step.reveals or "",
            "dose_range": step.dose.describe() if step.dose else "",
            "dose_status": step.dose.status if step.dose else "",
            "contraindications": ", ".join(
                c.id for c in kb.cautions if step.id in c.steps and c.severity == "critical"),
            "harm": step.harm,
            "evidence": ", ".join(step.evidence),
            "best_level": min(levels) if levels else None,
        })
    import pandas as pd

    return pd.DataFrame(rows)
