"""The public catalogue of finding and pitfall codes, as text or Markdown (docs/findings.md).

Instructors read it to predict the feedback a plan will get: what each code means, its
severity, what the learner is told and the evidence behind it, with levels and status.
"""

from __future__ import annotations

import textwrap
from importlib.resources import files

import yaml

from dystonia_teach.core.bibliography import short_citation
from dystonia_teach.core.kb_model import FindingKind, KnowledgeBase
from dystonia_teach.core.knowledge import knowledge, source_ref

WIDTH = 88
_INTRO = (
    "Every judgement the engine makes on a learner's plan is a finding with a code and a "
    "severity (critical, warning or info). Pitfalls are the clinical errors the course "
    "teaches; the other codes mark appropriate, optional, missing or not-indicated steps. "
    "The feedback a learner sees for a code is the summary (with the step's name in place of "
    "'the step'), why it matters, what to do instead, and the evidence below with its level "
    "(Oxford CEBM 2011) and verification status; 'On the harm' marks the evidence about the "
    "harm a pitfall names."
)


def _plain(text: str) -> str:
    text = " ".join(text.replace("{step}", "the step").split())
    return text[:1].upper() + text[1:]


def _ordered(kb: KnowledgeBase) -> list[FindingKind]:
    kinds = list(kb.findings.values())
    return [k for k in kinds if k.pitfall] + [k for k in kinds if not k.pitfall]


def _severity_text(kb: KnowledgeBase, kind: FindingKind) -> str:
    """The usual severity, and where a rule raises the code at another severity."""
    others = [f"{rule.severity} under rule `{rule.id}`" for rule in kb.rules
              if rule.code == kind.code and rule.severity and rule.severity != kind.severity]
    return kind.severity + (f" ({'; '.join(others)})" if others else "")


def _cautions(kb: KnowledgeBase, kind: FindingKind) -> list[str]:
    """The contraindications and cautions that raise this code, each with its steps."""
    lines = []
    for rule in kb.rules:
        if rule.kind != "contraindicated":
            continue
        codes = {"critical": rule.code, "warning": rule.params["warning_code"],
                 "info": rule.params["info_code"]}
        lines += [f"{_plain(c.text)} Steps: {', '.join(c.steps)}. Evidence: "
                  f"{', '.join(c.evidence) or 'none cited'}."
                  for c in kb.cautions if codes[c.severity] == kind.code]
    return lines


def _evidence_lines(kb: KnowledgeBase, kind: FindingKind) -> list[tuple[str, str]]:
    """(badge, text) per cited claim: the claim in brief and its sources."""
    lines = []
    for claim_id in kind.evidence:
        ref = source_ref(claim_id)
        sources = "; ".join(short_citation(s) for s, _ in kb.cited_sources(claim_id))
        harm = "On the harm: " if kind.code in kb.claims[claim_id].harm_of else ""
        lines.append((f"{claim_id}, {ref.badge}",
                      f"{harm}{_plain(ref.claim)} Sources: {sources or 'none found'}."))
    return lines


def _text(kb: KnowledgeBase) -> str:
    def wrap(text: str, indent: str) -> str:
        return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")

    out = [textwrap.fill(_INTRO, WIDTH), ""]
    for kind in _ordered(kb):
        role = "pitfall" if kind.pitfall else "finding"
        out.append(f"{kind.code}  [{_severity_text(kb, kind)}, {role}]")
        out.append(wrap(kind.label, "  "))
        out.append(wrap("Says: " + _plain(kind.summary), "  "))
        out.append(wrap("Why: " + _plain(kind.why), "  "))
        if kind.instead:
            out.append(wrap("Instead: " + _plain(kind.instead), "  "))
        for badge, text in _evidence_lines(kb, kind):
            out.append(wrap(f"Evidence ({badge}): {text}", "  "))
        for text in _cautions(kb, kind):
            out.append(wrap(f"Raised when: {text}", "  "))
        out.append("")
    return "\n".join(out)


def _cell(text: str) -> str:
    return _plain(text).replace("|", "\\|")


def _markdown(kb: KnowledgeBase) -> str:
    out = ["# Finding and pitfall codes", "",
           "Generated from the knowledge base by `dystonia-teach codes --markdown` (`make docs`);",
           "do not edit by hand.", "", textwrap.fill(_INTRO, WIDTH), "",
           "| code | pitfall | severity | meaning |", "|---|---|---|---|"]
    out += [f"| [`{k.code}`](#{k.code}) | {'yes' if k.pitfall else 'no'} | {k.severity} | "
            f"{_cell(k.label)} |" for k in _ordered(kb)]
    for kind in _ordered(kb):
        out += ["", f"## {kind.code}", "",
                f"**{_cell(kind.label)}** · severity **{_severity_text(kb, kind)}** · "
                f"{'pitfall' if kind.pitfall else 'not a pitfall'}", "",
                f"- Says: {_plain(kind.summary)}", f"- Why: {_plain(kind.why)}"]
        if kind.instead:
            out.append(f"- Instead: {_plain(kind.instead)}")
        evidence = _evidence_lines(kb, kind)
        out.append("- Evidence:" if evidence else "- Evidence: none cited.")
        out += [f"  - `{badge.split(', ')[0]}` ({badge.split(', ', 1)[1]}): {text}"
                for badge, text in evidence]
        cautions = _cautions(kb, kind)
        if cautions:
            out.append("- Raised when (one line per contraindication or caution, with the "
                       "evidence ids it cites):")
            out += [f"  - {text}" for text in cautions]
    out += _argued(kb)
    return "\n".join(out) + "\n"


def _argued(kb: KnowledgeBase) -> list[str]:
    """The review-v3 findings this course argues, with its verdict and evidence
    (``knowledge/review_v3_argued.yaml``)."""
    text = files("dystonia_teach").joinpath("knowledge", "review_v3_argued.yaml").read_text(
        "utf-8")
    out = ["", "## Review v3: findings argued", "",
           textwrap.fill("Where this course's verdict differs from the version-3 clinical "
                         "review, the reason and its evidence; tests/test_lessons_v3.py pins "
                         "each verdict.", WIDTH)]
    for item in yaml.safe_load(text)["argued"]:
        out += ["", f"### Finding {item['finding']}: {item['title']}", "",
                f"- Reviewer: {_plain(item['reviewer'])}",
                f"- Verdict here: {_plain(item['verdict'])}", "- Source:"]
        for claim_id in item["evidence"]:
            ref = source_ref(claim_id)
            cited = "; ".join(ref.citations) or "no source found"
            out.append(f"  - `{claim_id}` ({ref.badge}): {_plain(ref.claim)} {cited}")
    return out


def codes_catalogue(*, markdown: bool = False) -> str:
    """Every finding code, pitfalls first, as plain text or as Markdown."""
    kb = knowledge()
    return _markdown(kb) if markdown else _text(kb)
