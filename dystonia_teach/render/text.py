"""Plain-text rendering of cases, pathways and assessments (CLI, notebooks, nbval summaries).

Deterministic: the same assessment always renders to the same text.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import Any

from dystonia_teach.casefiles.loader import list_cases, load_case
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.diagnoses import diagnosis_label
from dystonia_teach.core.engine import recommended_pathway
from dystonia_teach.core.errors import DystoniaTeachError
from dystonia_teach.core.knowledge import knowledge, source_ref
from dystonia_teach.core.results import Assessment, PathwayItem
from dystonia_teach.core.visits import case_at_visit
from dystonia_teach.render.pathway import decision_line
from dystonia_teach.render.teaser import case_teaser

WIDTH = 88


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(" ".join(text.split()), WIDTH, initial_indent=indent,
                         subsequent_indent=indent)


def pathway_lines(items: tuple[PathwayItem, ...]) -> list[str]:
    """One numbered line per decision: whether it is required, its options (the example first,
    with its dose and priority) and the example's id, as written in ``try``."""
    lines = []
    for n, item in enumerate(items, 1):
        urgent = "!urgent" if item.priority == "urgent" else ""
        lines.append(f"{n:>2}. {decision_line(item)} [{item.step}{urgent}]")
    return lines


def case_text(case: Case, *, reveal_answers: bool = False) -> str:
    """The vignette as the learner meets it; with ``reveal_answers`` also diagnosis and notes."""
    parts = [case.title, "=" * len(case.title), "",
             f"Patient: {case.patient.age}-year-old {case.patient.sex}", "",
             "Presentation", _wrap(case.stages.presentation, "  "), "",
             "Examination", _wrap(case.stages.examination, "  ")]
    if reveal_answers:
        parts += ["", "Follow-up", _wrap(case.stages.follow_up, "  "), "",
                  f"Diagnosis: {diagnosis_label(case.diagnosis)}", "",
                  "Teaching notes", _wrap(case.teaching_notes, "  ")]
    return "\n".join(parts)


def case_list_text(cases: list[Case] | None = None) -> str:
    """One neutral line per case (default: every available case), numbered as the case picker
    shows them: "Case 4 — a 46-year-old postal worker whose right toes curl ..."."""
    if cases is not None:
        return "\n".join(case_teaser(case, number) for number, case in enumerate(cases, 1))
    return "\n".join(teaser or f"Case {number} — cannot be opened; your instructor can run "
                                "`dystonia-teach validate` to see why."
                      for number, (_, teaser, _) in enumerate(case_teasers(), 1))


def case_teasers() -> list[tuple[str, str | None, DystoniaTeachError | None]]:
    """``(case id, teaser, problem)`` for every available case, numbered as listed; a case that
    cannot be read has no teaser but its problem, so it never hides the others."""
    rows: list[tuple[str, str | None, DystoniaTeachError | None]] = []
    for number, case_id in enumerate(list_cases(), 1):
        try:
            rows.append((case_id, case_teaser(load_case(case_id), number), None))
        except DystoniaTeachError as exc:
            rows.append((case_id, None, exc))
    return rows


def assessment_text(assessment: Assessment, *, detail: bool = True) -> str:
    """A deterministic text report: score, findings by severity, pathway beside the learner's."""
    kb = knowledge()
    lines = [f"Case {assessment.case_id}: score {round(assessment.score * 100)}/100, "
             f"{assessment.points:g} points, safety: {assessment.safety}",
             _wrap(f"Score {assessment.rubric}", "  ")]
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
        urgent = ", urgent" if action.urgent else ""
        written = f"{action.step}!urgent" if action.urgent else action.step
        lines.append(f"   - {kb.steps[action.step].label}{dose}{urgent} [{written}]")
    lines.append("Recommended pathway:")
    lines.extend(pathway_lines(assessment.recommended))
    lines.append(f"Diagnosis: {diagnosis_label(assessment.diagnosis)}")
    return "\n".join(lines)


# --- the instructor's preview ---

def facts_lines(case: Case) -> list[str]:
    """A compact summary of the facts the engine reads, one wrapped line per topic."""
    course, dystonia, radicular = case.course, case.dystonia, case.radicular

    def listed(values: Iterable[str]) -> str:
        return ", ".join(values) or "none"

    def weeks(n: float) -> str:
        return f"{n:g} week" + ("" if n == 1 else "s")

    extras = [name.replace("_", " ") for name in
              ("sensory_trick", "present_at_rest", "diurnal_worsening") if getattr(dystonia, name)]
    side = f" ({radicular.side})" if radicular.side else ""
    facts = {
        "patient": f"{case.patient.age}-year-old {case.patient.sex}",
        "course": f"{weeks(course.symptom_weeks)} of symptoms, "
                  f"{weeks(course.conservative_care_weeks)} of conservative care "
                  f"({listed(course.conservative_care)})",
        "red flags": listed(case.red_flags),
        "conditions": listed(c.describe() for c in case.conditions),
        "dystonia": f"{dystonia.foot} foot; {listed(dystonia.postures)}; triggered by "
                    f"{listed(dystonia.triggers)}; relieved by rest: "
                    f"{'yes' if dystonia.relieved_by_rest else 'no'}"
                    + "".join(f"; {extra}" for extra in extras),
        "functional signs": listed(case.functional_signs),
        "other signs": listed(case.other_signs),
        "radicular": f"root {radicular.root}{side}, straight-leg raise "
                     f"{radicular.straight_leg_raise.replace('_', ' ')}",
        "pathology": f"{case.pathology}; disabling: {'yes' if case.disabling else 'no'}",
        "diagnosis": f"{case.diagnosis} ({diagnosis_label(case.diagnosis)})",
        "results given": listed(name for name, value in case.investigations if value is not None),
    }
    return [textwrap.fill(value, 88, initial_indent=f"  {name}: ", subsequent_indent="    ")
            for name, value in facts.items()]


def _result_lines(investigations: Iterable[tuple[str, Any]], indent: str) -> list[str]:
    """Each result given, wrapped: ``name: report``."""
    return [textwrap.fill(" ".join(value.report.split()), 88, initial_indent=f"{indent}{name}: ",
                          subsequent_indent=indent + "  ")
            for name, value in investigations if value is not None]


def preview_text(case: Case) -> str:
    """The instructor's preview: every stage, the facts, each result, the derived pathway and
    the evidence the case cites with its level."""
    lines = [case_text(case, reveal_answers=True), "", "Facts", *facts_lines(case), "",
             "Results (each shown when the learner orders its test)"]
    lines += _result_lines(case.investigations, "  ")
    lines += ["", "Recommended pathway (derived from the facts)",
              *pathway_lines(recommended_pathway(case))]
    for index, visit in enumerate(case.visits, 1):
        changed = [name for name, value in visit if value is not None
                   and name not in ("week", "presentation", "examination")]
        lines += ["", f"Visit {index + 1} (week {visit.week:g}; changed: "
                      f"{', '.join(changed) or 'nothing'})",
                  _wrap(visit.presentation, "  ")]
        if visit.examination:
            lines += ["  Examination:", _wrap(visit.examination, "    ")]
        if visit.investigations is not None:
            lines += ["  Results at this visit:", *_result_lines(visit.investigations, "    ")]
        lines += ["  Recommended pathway at this visit:",
                  *pathway_lines(recommended_pathway(case_at_visit(case, index)))]
    lines += ["", "Evidence"]
    for claim_id in case.evidence:
        lines.append(f"  {claim_id}: {source_ref(claim_id).badge}")
    return "\n".join(lines)
