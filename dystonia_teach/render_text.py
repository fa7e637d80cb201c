"""Plain-text rendering of cases, pathways and assessments (CLI, notebooks, nbval summaries).

Deterministic: the same assessment always renders to the same text.
"""

from __future__ import annotations

import textwrap

from .case_model import Case
from .knowledge import knowledge
from .loader import list_cases, load_case
from .models import Assessment, PathwayItem
from .vocabulary import DIAGNOSIS_LABELS

WIDTH = 88


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(" ".join(text.split()), WIDTH, initial_indent=indent,
                         subsequent_indent=indent)


def pathway_lines(items: tuple[PathwayItem, ...]) -> list[str]:
    """One numbered line per recommended step, with dose and alternatives."""
    lines = []
    for n, item in enumerate(items, 1):
        dose = f" {item.dose_mg_per_day:g} mg/day" if item.dose_mg_per_day else ""
        alt = f" (or {', '.join(item.alternatives)})" if item.alternatives else ""
        lines.append(f"{n:>2}. {item.label}{dose}{alt} [{item.step}]")
    return lines


def case_text(case: Case, *, reveal_answers: bool = False) -> str:
    """The vignette as the learner meets it; with ``reveal_answers`` also diagnosis and notes."""
    parts = [case.title, "=" * len(case.title), "",
             f"Patient: {case.patient.age}-year-old {case.patient.sex}", "",
             "Presentation", _wrap(case.stages.presentation, "  "), "",
             "Examination", _wrap(case.stages.examination, "  ")]
    if reveal_answers:
        parts += ["", "Follow-up", _wrap(case.stages.follow_up, "  "), "",
                  f"Diagnosis: {DIAGNOSIS_LABELS[case.diagnosis]}", "",
                  "Teaching notes", _wrap(case.teaching_notes, "  ")]
    return "\n".join(parts)


def case_list_text(cases: list[Case] | None = None) -> str:
    """One entry per case (default: every available case): its title, its id (as the case
    picker shows it) and its one-line summary."""
    if cases is None:
        cases = [load_case(case_id) for case_id in list_cases()]
    return "\n".join(f"{case.title} ({case.id})\n{_wrap(case.summary, '    ')}"
                     for case in cases)


def assessment_text(assessment: Assessment, *, detail: bool = True) -> str:
    """A deterministic text report: score, findings by severity, pathway beside the learner's."""
    kb = knowledge()
    lines = [f"Case {assessment.case_id}: score {assessment.score:.2f}"]
    counts = {s: len(assessment.by_severity(s)) for s in ("critical", "warning", "info")}
    lines.append("Findings: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    if assessment.pitfalls:
        lines.append("Pitfalls: " + ", ".join(assessment.pitfalls))
    for severity in ("critical", "warning", "info"):
        for finding in assessment.by_severity(severity):
            lines.append(f"  [{severity.upper()}] {finding.code}: {finding.summary}")
            if detail and finding.severity != "info":
                lines.append(_wrap("Why: " + finding.detail, "      "))
                if finding.instead:
                    lines.append(_wrap("Instead: " + finding.instead, "      "))
                for source in finding.sources[:2]:
                    caveat = f" Caveat: {source.caveat}" if source.weak and source.caveat else ""
                    lines.append(_wrap(f"Evidence: {source.claim_id} ({source.badge}).{caveat}",
                                       "      "))
    lines.append("Your steps:")
    for action in assessment.chosen:
        dose = f" {action.dose_mg_per_day:g} mg/day" if action.dose_mg_per_day else ""
        lines.append(f"   - {kb.steps[action.step].label}{dose} [{action.step}]")
    lines.append("Recommended pathway:")
    lines.extend(pathway_lines(assessment.recommended))
    lines.append(f"Diagnosis: {DIAGNOSIS_LABELS[assessment.diagnosis]}")
    return "\n".join(lines)
