"""Each finding of an assessment as a CDS Hooks card (summary, indicator, detail, source).

One card per finding, in the assessment's order, so a CDS client shows exactly the feedback the
engine gave. The card's source links the strongest verified citation (by DOI or PubMed); a
finding without one links the course's PlanDefinition (see :mod:`dystonia_teach.render.fhir`).
"""

from __future__ import annotations

from typing import Any

from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.results import Assessment, Finding, SourceRef
from dystonia_teach.render.fhir import PLAN_URL

SUMMARY_LIMIT = 140  # CDS Hooks: "<140-character summary message"
SOURCE_LABEL = "dystonia_teach teaching algorithm"


def _summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) < SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 2].rstrip() + "…"


def _url(source: SourceRef) -> str | None:
    """A verified DOI or PubMed link for a claim, else None (never an unverified link)."""
    for cited in knowledge().claim(source.claim_id).sources:
        if cited.verified and cited.doi:
            return f"https://doi.org/{cited.doi}"
        if cited.verified and cited.pmid and not cited.pmid_from_address:
            return f"https://pubmed.ncbi.nlm.nih.gov/{cited.pmid}/"
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
    linked = next(((s, url) for s in sorted(finding.sources, key=lambda s: s.level)
                   if (url := _url(s))), None)
    if linked:
        source = {"label": f"{linked[0].citations[0][:100]} ({linked[0].level_text})",
                  "url": linked[1]}
    else:
        source = {"label": SOURCE_LABEL, "url": PLAN_URL}
    return {"summary": _summary(finding.summary), "indicator": finding.severity,
            "detail": _detail(finding), "source": source}


def cards(assessment: Assessment) -> list[dict[str, Any]]:
    """The assessment's findings as CDS Hooks cards, one to one and in order."""
    return [card(finding) for finding in assessment.findings]
