"""HTML rendering of cases, results and assessments for the widgets.

Every piece of case or knowledge text is escaped, so case text is always inert. Severity is
shown by a text label and a symbol as well as by colour (Okabe-Ito, colour-blind safe).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.diagnoses import diagnosis_label
from dystonia_teach.core.kb_model import Step
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.results import Action, Assessment, Finding, PathwayItem, SourceRef
from dystonia_teach.core.session import Result
from dystonia_teach.core.vocabulary import PHASE_LABELS
from dystonia_teach.render.pathway import decision_heading, options_text
from dystonia_teach.store.sqlite import Attempt

#: Okabe-Ito colours, safe for the common colour-vision deficiencies.
PALETTE = {
    "critical": "#D55E00",
    "warning": "#E69F00",
    "info": "#0072B2",
    "good": "#009E73",
    "weak": "#CC79A7",
    "neutral": "#999999",
}
SEVERITY_LABEL = {"critical": "✖ Critical", "warning": "⚠ Warning", "info": "ℹ Info"}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def source_badge(source: SourceRef) -> str:
    """A badge: level with scheme, marked when weak, with the caveat as its tooltip."""
    colour = PALETTE["weak"] if source.weak else PALETTE["good"]
    mark = "weak evidence: " if source.weak else ""
    title = source.caveat or source.claim
    return (f'<span class="dt-badge" title="{_e(title)}" style="border:1px solid {colour};'
            f'border-radius:4px;padding:0 4px;margin-right:4px;font-size:90%">'
            f"{_e(mark)}{_e(source.badge)} · {_e(source.claim_id)}</span>")


def sources_html(sources: tuple[SourceRef, ...]) -> str:
    """Badges plus, for weak claims, the caveat written out (never only in a tooltip)."""
    parts = []
    for source in sources:
        parts.append(source_badge(source))
        if source.weak and source.caveat:
            parts.append(f'<div class="dt-caveat" style="font-size:90%;margin:2px 0 4px 0">'
                         f"<b>Caveat ({_e(source.claim_id)}):</b> {_e(source.caveat)}</div>")
    return "".join(parts)


def finding_html(finding: Finding) -> str:
    colour = PALETTE[finding.severity]
    body = [f'<div class="dt-finding dt-{finding.severity}" role="listitem" '
            f'style="border-left:6px solid {colour};padding:4px 8px;margin:6px 0">',
            f"<b>{_e(SEVERITY_LABEL[finding.severity])}:</b> {_e(finding.summary)}"]
    if finding.detail:
        body.append(f"<div><b>Why:</b> {_e(finding.detail)}</div>")
    if finding.instead:
        body.append(f"<div><b>Instead:</b> {_e(finding.instead)}</div>")
    if finding.sources:
        body.append(f"<div><b>Evidence:</b> {sources_html(finding.sources)}</div>")
    body.append("</div>")
    return "".join(body)


def pathway_html(items: tuple[PathwayItem, ...], chosen: set[str] | None = None) -> str:
    """The recommended pathway as an ordered list; with ``chosen``, each item says whether the
    learner chose it (by text, not only colour)."""
    rows = []
    for item in items:
        status = ""
        if chosen is not None:
            hit = item.step in chosen or any(a in chosen for a in item.alternatives)
            status = " — ✔ in your plan" if hit else " — ✖ not in your plan"
        rows.append(f"<li><b>{_e(decision_heading(item))}:</b> {_e(options_text(item))}"
                    f"{status}</li>")
    return "<ol>" + "".join(rows) + "</ol>"


def case_html(case: Case, *, examination: bool, debrief: bool = False) -> str:
    """The staged vignette: presentation; examination once revealed; debrief after submitting."""
    parts = [f"<h3>{_e(case.title)}</h3>",
             f"<p><i>{_e(case.patient.age)}-year-old {_e(case.patient.sex)}</i></p>",
             f"<h4>Presentation</h4><p>{_e(case.stages.presentation)}</p>"]
    if examination:
        parts.append(f"<h4>Examination</h4><p>{_e(case.stages.examination)}</p>")
    if debrief:
        parts += [f"<h4>Follow-up</h4><p>{_e(case.stages.follow_up)}</p>",
                  f"<h4>Diagnosis</h4><p>{_e(diagnosis_label(case.diagnosis))}</p>",
                  f"<h4>Teaching notes</h4><p>{_e(case.teaching_notes)}</p>"]
    return "".join(parts)


def results_html(results: list[Result]) -> str:
    if not results:
        return "<p><i>No tests ordered yet.</i></p>"
    items = "".join(f"<li><b>{_e(r.label)}:</b> {_e(r.report)}</li>" for r in results)
    return f"<ul>{items}</ul>"


def plan_html(actions: Iterable[Action], labels: dict[str, str]) -> str:
    """The learner's steps as an ordered list, drugs with their daily dose."""
    items = "".join(
        f"<li>{_e(labels.get(a.step, a.step))}"
        f"{_e(f' {a.dose_mg_per_day:g} mg/day' if a.dose_mg_per_day else '')}</li>"
        for a in actions) or "<li><i>nothing chosen</i></li>"
    return f"<ol>{items}</ol>"


def step_help_html(step: Step | None) -> str:
    """What the selected step is; for a drug, that a daily dose is expected."""
    if step is None:
        return "<p><i>Choose a step in the list to see what it is.</i></p>"
    dose = " <i>A drug: enter the total daily dose in mg/day.</i>" if step.dose else ""
    return (f"<p><b>{_e(step.label)}</b> ({_e(PHASE_LABELS[step.phase])}): "
            f"{_e(step.description)}{dose}</p>")


def history_html(attempts: list[Attempt]) -> str:
    """A learner's saved attempts at one case as a table (pitfalls by their label)."""
    if not attempts:
        return "<p><i>No saved attempts at this case yet.</i></p>"
    findings = knowledge().findings
    rows = []
    for a in attempts:
        pitfalls = "; ".join(findings[c].label if c in findings else c for c in a.pitfalls)
        rows.append(f"<tr><td>{a.number}</td><td>{_e(a.submitted_at[:19].replace('T', ' '))} "
                    f"UTC</td><td>{a.score:.2f}</td><td>{_e(pitfalls or 'none')}</td></tr>")
    head = "".join(f'<th scope="col">{h}</th>' for h in ("Attempt", "Submitted", "Score",
                                                         "Pitfalls"))
    return (f'<table class="dt-history"><caption>Your saved attempts</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def assessment_html(assessment: Assessment, labels: dict[str, str]) -> str:
    """Feedback panel: score, findings grouped by severity, pathway beside the learner's plan."""
    chosen = {a.step for a in assessment.chosen}
    parts = [f'<div class="dt-feedback" role="region" aria-label="Feedback">'
             f"<h3>Score: {assessment.score:.2f}</h3>"]
    for severity in ("critical", "warning", "info"):
        group = assessment.by_severity(severity)
        if group:
            parts.append(f"<h4>{_e(SEVERITY_LABEL[severity])} ({len(group)})</h4>"
                         f'<div role="list">{"".join(finding_html(f) for f in group)}</div>')
    parts.append('<div style="display:flex;gap:24px;flex-wrap:wrap">'
                 f"<div><h4>Your plan</h4>{plan_html(assessment.chosen, labels)}</div>"
                 f"<div><h4>Recommended pathway</h4>{pathway_html(assessment.recommended, chosen)}"
                 "</div></div></div>")
    return "".join(parts)
