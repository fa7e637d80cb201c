"""Filter the evidence table by step, pitfall, level and weakness (pure; no Jupyter code)."""

from __future__ import annotations

import pandas as pd

from dystonia_teach.core.errors import did_you_mean
from dystonia_teach.core.evidence import evidence_table
from dystonia_teach.core.knowledge import knowledge


def claims_cited_by_step(step: str) -> tuple[str, ...]:
    """The claim ids a step cites (its evidence, then its dose source), without repeats."""
    kb = knowledge()
    if step not in kb.steps:
        hint = did_you_mean(step, kb.steps) or "see step_catalogue() for the ids"
        raise ValueError(f"unknown step id {step!r}; {hint}")
    found = kb.steps[step]
    return tuple(dict.fromkeys((*found.evidence, *([found.dose.source] if found.dose else []))))


def claims_cited_by_pitfall(code: str) -> tuple[str, ...]:
    """The claim ids cited by a pitfall's finding entry."""
    pitfalls = {c: kind for c, kind in knowledge().findings.items() if kind.pitfall}
    if code not in pitfalls:
        hint = did_you_mean(code, pitfalls) or f"one of {', '.join(pitfalls)}"
        raise ValueError(f"unknown pitfall code {code!r}; {hint}")
    return pitfalls[code].evidence


def filter_evidence(
    table: pd.DataFrame | None = None,
    step: str | None = None,
    pitfall: str | None = None,
    max_level: int | None = None,
    weak_only: bool = False,
) -> pd.DataFrame:
    """Rows of ``table`` (default: :func:`evidence_table`) that pass every filter given.

    ``step``: claims that step cites; ``pitfall``: claims its finding entry cites;
    ``max_level``: OCEBM 2011 level at most this (1 = strongest); ``weak_only``: weak,
    unverified or indirect claims only. Raises ``ValueError`` for an unknown id or level.
    """
    table = evidence_table() if table is None else table
    keep = pd.Series(True, index=table.index)
    if step is not None:
        keep &= table["claim_id"].isin(claims_cited_by_step(step))
    if pitfall is not None:
        keep &= table["claim_id"].isin(claims_cited_by_pitfall(pitfall))
    if max_level is not None:
        if isinstance(max_level, bool) or max_level not in range(1, 6):
            raise ValueError(f"max_level must be an OCEBM 2011 level 1-5, not {max_level!r}")
        keep &= table["level"] <= max_level
    if weak_only:
        keep &= table["weak"].astype(bool)
    return table[keep].reset_index(drop=True)
