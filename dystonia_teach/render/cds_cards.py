"""Each finding of an assessment as a CDS Hooks card (summary, indicator, detail, source).

One card per finding, in the assessment's order, so a CDS client shows exactly the feedback the
engine gave. The card's source links the strongest verified citation (by DOI or PubMed); a
finding without one links the course's PlanDefinition (see :mod:`dystonia_teach.render.fhir`).
"""

from __future__ import annotations

from typing import Any

from dystonia_teach.core.bibliography import short_citation
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.results import Assessment, Finding, SourceRef
from dystonia_teach.render.fhir import PLAN_URL

SUMMARY_LIMIT = 140  # CDS Hooks: "<140-character summary message"
SOURCE_LABEL = "dystonia_teach teaching algorithm"


def _summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) < SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 2].rstrip() + "…"


def _link(source: SourceRef) -> tuple[str, str] | None:
    """The first verified source of a claim with a DOI or PubMed link, as (short citation,
    link), else None: never an unverified link (the registry record must be verified, and a
    PMID read off an address is not used)."""
    for cited, _ in knowledge().cited_sources(source.claim_id):
        if cited.status != "verified":
            continue
        if cited.doi:
            return short_citation(cited), f"https://doi.org/{cited.doi}"
        if cited.pmid and not cited.pmid_from_address:
            return short_citation(cited), f"https://pubmed.ncbi.nlm.nih.gov/{cited.pmid}/"
    return None


def _detail(finding: Finding) -> str:
    """Markdown: why, what instead, and each source with its level and caveat."""
    lines = [f"**Why:** {finding.detail}"] if finding.detail else []
    if finding.instead:
        lines.append(f"**Instead:** {finding.instead}")
    for source in finding.sources:
        weak = " (weak evidence)" if source.weak else ""
        lines.append(f"- {source.claim} — {source.badge}{weak}"
                     + (f". Caveat: {source.caveat}" if source.caveat else ""))
    return "\n\n".join(lines)


def card(finding: Finding) -> dict[str, Any]:
    """One CDS Hooks card for one finding."""
    linked = next(((s, link) for s in sorted(finding.sources, key=lambda s: s.level)
                   if (link := _link(s))), None)
    if linked:
        ref, (label, url) = linked
        source = {"label": f"{label[:100]} ({ref.level_text})", "url": url}
    else:
        source = {"label": SOURCE_LABEL, "url": PLAN_URL}
    return {"summary": _summary(finding.summary), "indicator": finding.severity,
            "detail": _detail(finding), "source": source}


def cards(assessment: Assessment) -> list[dict[str, Any]]:
    """The assessment's findings as CDS Hooks cards, one to one and in order."""
    return [card(finding) for finding in assessment.findings]
