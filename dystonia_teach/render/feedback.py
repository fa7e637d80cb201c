"""Feedback that teaches in thirty seconds, as HTML and as text.

A summary comes first: the score with its rubric in one sentence, what was right, and the
top three things to change. Then the details, one entry per kind of finding (collapsed in
HTML), and an evidence section where each source's caveat appears once. Findings of the same
kind (three skipped assessment steps) are one entry, not three. With a reasoning session's
:class:`~dystonia_teach.core.reasoning_judge.VisitReport`, the differential, the tests' value,
the confidence and the problem statement are judged too. Dose problems are always in the
summary. Responses given a certainty get their certainty-based marks, apart from the score
(:mod:`dystonia_teach.render.certainty`). No internal ids and no history of the course's drafts
reach the text. Progress
between two attempts at a visit (:func:`progress_html`) and the score's components
(:func:`components`) are shown beside it::

    html = feedback_html(report.assessment, report)    # or feedback_html(assessment)
    text = feedback_text(report.assessment, report)
    progress_html(progress(earlier.assessment, report.assessment))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape

from dystonia_teach.core.diagnoses import diagnosis_label
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.progress import RIGHT_CODES, Progress
from dystonia_teach.core.reasoning_judge import Debrief, VisitReport
from dystonia_teach.core.results import Assessment, Finding, PathwayItem, SourceRef
from dystonia_teach.render.certainty import marks_html, marks_lines
from dystonia_teach.render.pathway import decision_line
from dystonia_teach.render.reasoning import verdict_text
from dystonia_teach.render.student_text import student_claim_text, without_draft_history

TOP_CHANGES = 3
#: Finding codes about a drug's dose: always named in the summary.
DOSE_PREFIX = "dose_"
SYMBOL = {"critical": "✖ Critical", "warning": "⚠ Warning", "info": "ℹ Note"}
_ORDINAL = {1: "first", 2: "second", 3: "third"}
#: The engine's safety verdict in words ("safe" needs none).
SAFETY = {"safe": "", "caution": "Caution: act on the warnings below before following this plan.",
          "unsafe": "Unsafe: a step in this plan could harm this patient."}


@dataclass(frozen=True)
class FindingGroup:
    """All findings of one kind, shown as one entry."""

    severity: str
    title: str
    why: tuple[str, ...]
    instead: str
    refs: tuple[int, ...]  # numbers in the evidence section


@dataclass(frozen=True)
class EvidenceNote:
    number: int
    badge: str
    weak: bool
    caveat: str
    claim: str = ""  # what the evidence says, in one or two sentences
    sources: tuple[str, ...] = ()  # the references, as written in the evidence table


@dataclass(frozen=True)
class FeedbackView:
    """Everything a feedback panel shows, in reading order, as plain strings."""

    heading: str
    score_line: str
    right: tuple[str, ...]
    changes: tuple[str, ...]
    doses: tuple[str, ...]
    reasoning: tuple[str, ...]
    scripts: tuple[str, ...]
    groups: tuple[FindingGroup, ...]
    evidence: tuple[EvidenceNote, ...]
    plan: tuple[str, ...]
    pathway: tuple[str, ...]


def _label(step: str | None) -> str:
    return knowledge().steps[step].label if step else "the plan"


def _plain(value: object) -> str:
    """A rubric or safety note from the engine as one sentence (text, list or mapping)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, Iterable):
        return "; ".join(str(v) for v in value)
    return ""


def _in_plan(item: PathwayItem, chosen: set[str]) -> bool:
    return any(step in chosen for step in item.options)


def score_line(assessment: Assessment) -> str:
    """The score and how it was reached, in one sentence (the engine's rubric, which starts
    with the score out of 100; an assessment without one shows the score alone)."""
    rubric = _plain(assessment.rubric).strip()
    return f"Score {rubric}" if rubric else f"Score {round(assessment.score * 100)}/100."


def _groups(findings: Iterable[Finding]) -> list[list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.code, []).append(finding)
    return list(grouped.values())


def _title(group: list[Finding]) -> str:
    """One finding's summary, or the kind's label with each step named once (two cautions on
    one drug name it once)."""
    steps = list(dict.fromkeys(f.step for f in group))
    if len(group) == 1 or len(steps) == 1:
        return group[0].summary
    kind = knowledge().findings[group[0].code]
    return f"{kind.label}: " + ", ".join(_label(step) for step in steps)


def _reasoning_lines(report: VisitReport) -> tuple[list[str], list[str], list[str]]:
    """(reasoning lines, urgent changes, other changes) from a reasoning session's report."""
    lines: list[str] = []
    urgent: list[str] = []
    other: list[str] = []
    if report.problem:
        p = report.problem
        missing = f" Add: {', '.join(p.missing)}." if p.missing else " It has the essentials."
        wrong = f" Check: {'; '.join(p.mismatches)}." if p.mismatches else ""
        long = " Keep it to one line." if p.too_long else ""
        lines.append(f"Problem statement:{missing}{wrong}{long} One way to put it: {p.model}")
        if p.mismatches:
            other.append(f"Correct the problem statement: {'; '.join(p.mismatches)}.")
    d = report.differential
    if d:
        leading = diagnosis_label(d.ranked[0])
        if d.leading_correct:
            lines.append(f"Differential: your leading diagnosis, {leading.lower()}, is right.")
        else:
            place = (f"you ranked it {_ORDINAL.get(d.diagnosis_rank, str(d.diagnosis_rank))}"
                     if d.diagnosis_rank else "it was not in your list")
            lead = d.derived[0].label.lower() if d.derived else "another diagnosis"
            lines.append(f"Differential: you led with {leading.lower()}; the facts point to "
                         f"{lead} ({place}).")
            other.append(f"Rethink the leading diagnosis: the facts point to {lead}.")
        also = [m for m in d.missed if d.leading_correct or not d.derived
                or m != d.derived[0].label]
        if also:
            lines.append("Also supported by the facts: " + ", ".join(also).lower() + ".")
        if d.against_facts:
            lines.append("The facts speak against: " + ", ".join(d.against_facts).lower() + ".")
        lines.append(d.must_not_miss_note)
        if d.must_not_miss_note.startswith("Missed"):
            urgent.append(d.must_not_miss_note)
    for test in report.tests:
        note = f" {test.target_note}" if test.target_note else ""
        lines.append(f"{test.label} ({test.value}): {verdict_text(test)}{note}")
        if test.value == "low value":
            other.append(f"{test.label} could not change management here: leave it out.")
    c = report.confidence
    if c:
        lines.append(f"Confidence {c.confidence}%: {c.message}")
        if c.verdict == "confidently wrong":
            urgent.append(c.message)
    return lines, urgent, other


def feedback_view(assessment: Assessment, report: VisitReport | None = None) -> FeedbackView:
    """The feedback's content, shared by the HTML and text renderings."""
    groups = _groups(assessment.findings)
    right = [g for g in groups if g[0].code in RIGHT_CODES]
    rest = [g for g in groups if g[0].code not in RIGHT_CODES]
    right_items = [f.summary if f.step is None else _label(f.step) for g in right for f in g]

    numbers: dict[str, int] = {}
    notes: list[EvidenceNote] = []
    views: list[FindingGroup] = []
    for group in rest:
        refs: list[int] = []
        for source in dict.fromkeys(s for f in group for s in f.sources):
            if source.claim_id not in numbers:
                numbers[source.claim_id] = len(numbers) + 1
                notes.append(_note(numbers[source.claim_id], source))
            refs.append(numbers[source.claim_id])
        views.append(FindingGroup(
            severity=group[0].severity, title=_title(group),
            why=tuple(dict.fromkeys(without_draft_history(f.detail) for f in group
                                    if without_draft_history(f.detail))),
            instead=group[0].instead, refs=tuple(refs)))

    def change(view: FindingGroup) -> str:
        return f"{view.title}." + (f" {view.instead}" if view.instead else "")

    reasoning, urgent, other = _reasoning_lines(report) if report else ([], [], [])
    ranked = [*urgent, *(change(v) for v in views if v.severity == "critical"),
              *(change(v) for v in views if v.severity == "warning"), *other,
              *(change(v) for v in views if v.severity == "info")]
    safety = _plain(getattr(assessment, "safety", None) or "")
    safety = SAFETY.get(safety, safety)
    chosen = {a.step for a in assessment.chosen}
    plan = tuple(_label(a.step) + (f" {a.dose_mg_per_day:g} mg/day" if a.dose_mg_per_day else "")
                 for a in assessment.chosen)
    pathway = tuple(
        decision_line(item)
        + (" — in your plan" if _in_plan(item, chosen) else " — not in your plan")
        for item in assessment.recommended)
    d = report.differential if report else None
    scripts = tuple(
        f"{e.label}: {' '.join(e.script.split())}"
        + (f" Here for it: {'; '.join(e.facts_for)}." if e.facts_for else "")
        + (f" Against it: {'; '.join(e.facts_against)}." if e.facts_against else "")
        for e in (d.scripts if d else ()))
    heading = (f"Visit {report.visit + 1}, week {report.week:g}" if report and report.visit
               else "Feedback")
    changes = tuple(dict.fromkeys(ranked))[:TOP_CHANGES]
    doses = tuple(dict.fromkeys(
        change(v) for v, g in zip(views, rest, strict=True)
        if g[0].code.startswith(DOSE_PREFIX) and change(v) not in changes))
    return FeedbackView(
        heading=heading,
        score_line=score_line(assessment) + (f" {safety}" if safety else ""),
        right=tuple(dict.fromkeys(right_items)),
        changes=changes, doses=doses,
        reasoning=tuple(reasoning), scripts=scripts, groups=tuple(views),
        evidence=tuple(notes), plan=plan, pathway=pathway)


def _note(number: int, source: SourceRef) -> EvidenceNote:
    """A source as a learner reads it: what the evidence says (for a claim of the course's
    first draft, what the sources say instead), its level, the caveat of weak evidence."""
    claim = knowledge().claims.get(source.claim_id)
    return EvidenceNote(number, source.badge, source.weak,
                        without_draft_history(source.caveat) if source.weak else "",
                        student_claim_text(claim) if claim else " ".join(source.claim.split()),
                        tuple(" ".join(c.split()) for c in source.citations))


def _split_score(line: str) -> tuple[str, str]:
    """("Score 62/100: ", "you chose ...") — the score to stress, and how it was reached."""
    head, sep, rest = line.partition(": ")
    return (head + sep, rest) if sep and head.startswith("Score ") else (line, "")


# --- HTML ---------------------------------------------------------------------------------------

def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _list(items: Iterable[str], tag: str = "ul") -> str:
    return f"<{tag}>" + "".join(f"<li>{_e(i)}</li>" for i in items) + f"</{tag}>"


def feedback_html(assessment: Assessment, report: VisitReport | None = None, *,
                  label: str = "", level: int = 3) -> str:
    """The feedback panel: summary, reasoning, collapsed details, evidence, plan and pathway.
    ``label`` names the region (unique on a page: "Feedback on visit 1, attempt 2"); its
    heading is an ``h{level}``, its sections one level below."""
    v = feedback_view(assessment, report)
    score, rubric = _split_score(v.score_line)
    sub = f"h{level + 1}"
    parts = [f'<div class="dt-feedback" role="region" aria-label="{_e(label or v.heading)}">',
             f'<section class="dt-summary"><h{level}>{_e(v.heading)}</h{level}>',
             f'<p class="dt-score"><b>{_e(score)}</b>{_e(rubric)}</p>']
    if v.right:
        parts.append(f"<p><b>What was right:</b> {_e('; '.join(v.right))}.</p>")
    if v.changes:
        parts.append("<p><b>Top things to change:</b></p>" + _list(v.changes, "ol"))
    else:
        parts.append("<p><b>Nothing to change:</b> the plan follows the derived pathway.</p>")
    if v.doses:
        parts.append("<p><b>Doses:</b></p>" + _list(v.doses))
    parts.append("</section>")
    if v.reasoning:
        parts.append(f"<{sub}>Your reasoning</{sub}>" + _list(v.reasoning))
    if report is not None:
        parts.append(marks_html(report.certainty, level=level + 1))
    if v.scripts:
        parts.append("<details><summary>Illness scripts: what tells these diagnoses apart"
                     "</summary>" + _list(v.scripts) + "</details>")
    if v.groups:
        parts.append(f"<{sub}>Details</{sub}>")
    for g in v.groups:
        body = "".join(f"<p><b>Why:</b> {_e(w)}</p>" for w in g.why)
        if g.instead:
            body += f"<p><b>Instead:</b> {_e(g.instead)}</p>"
        if g.refs:
            body += "<p><b>Evidence:</b> " + ", ".join(f"[{n}]" for n in g.refs) + "</p>"
        parts.append(f'<details class="dt-finding dt-{g.severity}"><summary>'
                     f"{_e(SYMBOL[g.severity])}: {_e(g.title)}</summary>{body}</details>")
    if v.evidence:
        weak = sum(n.weak for n in v.evidence)
        parts.append(f"<details><summary><b>Evidence behind this feedback</b> "
                     f"({len(v.evidence)} {'source' if len(v.evidence) == 1 else 'sources'}, "
                     f"{weak} of them weak or unverified)</summary><ol class=\"dt-evidence\">")
        for n in v.evidence:
            mark = "weak evidence: " if n.weak else ""
            caveat = f" — {_e(n.caveat)}" if n.caveat else ""
            claim = f"{_e(n.claim)} " if n.claim else ""
            sources = ("<details><summary>Sources</summary>" + _list(n.sources) + "</details>"
                       if n.sources else "")
            parts.append(f'<li value="{n.number}">{claim}<i>{_e(mark)}{_e(n.badge)}</i>'
                         f"{caveat}{sources}</li>")
        parts.append("</ol></details>")
    parts.append("<details><summary>Your plan beside the recommended pathway</summary>"
                 '<div style="display:flex;gap:24px;flex-wrap:wrap">'
                 f"<div><{sub}>Your plan</{sub}>{_list(v.plan or ('nothing chosen',), 'ol')}"
                 f"</div><div><{sub}>Recommended pathway</{sub}>{_list(v.pathway, 'ol')}</div>"
                 "</div></details></div>")
    return "".join(parts)


def debrief_html(debrief: Debrief, *, level: int = 4) -> str:
    """Bias prompts (with what in this attempt suggests each) and the saved reflection."""
    items = "".join(
        f"<li><b>{_e(p.name)}:</b> {_e(p.question)}"
        + (f"<br><i>In this attempt:</i> {_e(p.observation)}" if p.observation else "")
        + "</li>" for p in debrief.prompts)
    reflection = (f"<p><b>Your reflection:</b> {_e(debrief.reflection)}</p>"
                  if debrief.reflection else "")
    return (f'<div class="dt-debrief"><h{level}>Questions to ask yourself</h{level}>'
            f"<ul>{items}</ul>{reflection}</div>")


# --- progress between attempts, the score's components ------------------------------------------

def _points(points: float) -> str:
    return f"{points:+.0f}" if points else "0"


def progress_lines(change: Progress) -> list[str]:
    """What improved (or not) since the learner's last attempt at this visit, in words."""
    delta = round(change.points_after) - round(change.points_before)
    lines = [f"Points {round(change.points_before)} → {round(change.points_after)} "
             f"({_points(delta)}); score {round(change.score_before * 100)}/100 → "
             f"{round(change.score_after * 100)}/100."]
    if change.fixed:
        lines.append("No longer a problem: " + "; ".join(change.fixed) + ".")
    if change.pitfalls_removed:
        lines.append("Pitfalls no longer made: " + "; ".join(change.pitfalls_removed) + ".")
    if change.decisions_made:
        lines.append("Decisions now made: " + "; ".join(change.decisions_made) + ".")
    if change.credited:
        lines.append("Newly right: " + "; ".join(change.credited) + ".")
    if change.new_problems:
        lines.append("New problems: " + "; ".join(change.new_problems) + ".")
    if len(lines) == 1 and not delta:
        lines.append("Nothing changed in the judgement of your plan.")
    return lines


def progress_html(change: Progress, *, level: int = 4) -> str:
    """:func:`progress_lines` as a short section."""
    return (f'<section class="dt-progress"><h{level}>Since your last attempt</h{level}>'
            + _list(progress_lines(change)) + "</section>")


def components(assessment: Assessment) -> list[tuple[str, str]]:
    """(component, points) rows of the score: the engine's breakdown when it gives one (each
    required decision made or not, ``decisions``; what each problem cost, ``costs``), else
    what the findings say (the right choices credited, the problems by severity); then the
    unclipped points and the safety verdict."""
    decisions = getattr(assessment, "decisions", ()) or ()
    costs = getattr(assessment, "costs", ()) or ()
    if decisions or costs:
        rows = [(f"{d.label}: {'done' if d.made else 'not done'}", _points(d.points))
                for d in decisions]
        rows += [(c.summary, _points(-abs(c.points))) for c in costs]
    else:
        right = sum(f.code in RIGHT_CODES for f in assessment.findings)
        rows = [("Right choices credited", str(right))]
        for severity, name in (("critical", "Critical problems"), ("warning", "Warnings"),
                               ("info", "Notes")):
            count = sum(f.severity == severity and f.code not in RIGHT_CODES
                        for f in assessment.findings)
            if count:
                rows.append((name, str(count)))
    return [*rows, ("Points (before the score is capped at 0 and 100)",
                    f"{assessment.points:.0f}"), ("Safety", assessment.safety)]


def components_html(assessment: Assessment) -> str:
    """The score's components as a small table, collapsed."""
    rows = "".join(f"<tr><th scope=\"row\">{_e(name)}</th><td>{_e(value)}</td></tr>"
                   for name, value in components(assessment))
    return ("<details class=\"dt-components\"><summary>How the score is made up</summary>"
            f"<table><tbody>{rows}</tbody></table></details>")


# --- text ---------------------------------------------------------------------------------------

def feedback_text(assessment: Assessment, report: VisitReport | None = None) -> str:
    """The same feedback as plain text (deterministic)."""
    v = feedback_view(assessment, report)
    lines = [v.heading, v.score_line]
    if v.right:
        lines.append("What was right: " + "; ".join(v.right) + ".")
    lines.append("Top things to change:" if v.changes else
                 "Nothing to change: the plan follows the derived pathway.")
    lines += [f"  {n}. {c}" for n, c in enumerate(v.changes, 1)]
    if v.doses:
        lines += ["Doses:", *(f"  - {d}" for d in v.doses)]
    if v.reasoning:
        lines += ["", "Your reasoning:", *(f"  - {r}" for r in v.reasoning)]
    if report is not None and report.certainty.responses:
        lines += ["", "Certainty-based marks (apart from the score):",
                  *(f"  - {m}" for m in marks_lines(report.certainty))]
    if v.scripts:
        lines += ["", "Illness scripts:", *(f"  - {s}" for s in v.scripts)]
    if v.groups:
        lines += ["", "Details:"]
    for g in v.groups:
        lines.append(f"  {SYMBOL[g.severity]}: {g.title}")
        lines += [f"      Why: {w}" for w in g.why]
        if g.instead:
            lines.append(f"      Instead: {g.instead}")
        if g.refs:
            lines.append("      Evidence: " + ", ".join(f"[{n}]" for n in g.refs))
    if v.evidence:
        lines += ["", "Evidence behind this feedback:"]
        lines += [f"  [{n.number}] " + (f"{n.claim} " if n.claim else "")
                  + f"({'weak evidence: ' if n.weak else ''}{n.badge})"
                  + (f" — {n.caveat}" if n.caveat else "") for n in v.evidence]
    lines += ["", "Your plan:", *(f"  - {p}" for p in v.plan or ("nothing chosen",)),
              "Recommended pathway:", *(f"  {n}. {p}" for n, p in enumerate(v.pathway, 1))]
    return "\n".join(lines)


def debrief_text(debrief: Debrief) -> str:
    lines = ["Debrief"]
    for p in debrief.prompts:
        lines.append(f"  - {p.name}: {p.question}")
        if p.observation:
            lines.append(f"    In this attempt: {p.observation}")
    if debrief.reflection:
        lines.append(f"Your reflection: {debrief.reflection}")
    return "\n".join(lines)
