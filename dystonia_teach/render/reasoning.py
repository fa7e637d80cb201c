"""What a learner sees of their own reasoning: while working (the visit, the history, the
examination once revealed, each ordered test with the reason given and its result) and, read
back, after submitting.

Nothing in ``visit_html``/``visit_text`` judges (no value, no diagnosis): judgements come with
the feedback (:mod:`dystonia_teach.render.feedback`). The workbench's live parts are rendered
here too: the draft and recorded differential, the ordered tests (the reason given and the
result, never the test's value before submission) and the plan. After submission,
:func:`reasoning_summary_html` reads the learner's own reasoning back (differentials, each
test's justification and value, plans, confidence, reflection), e.g. for an earlier attempt
reopened from the store. HTML is escaped; text is deterministic::

    visit_html(session)                 # or visit_text(session)
    reasoning_summary_html(session)     # or reasoning_summary_text(session), once submitted
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from dystonia_teach.core.diagnoses import diagnosis_label
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.reasoning import (
    Differential,
    JudgedTest,
    OrderedTest,
    ReasoningSession,
    VisitReport,
)
from dystonia_teach.core.results import Action

NOT_EXAMINED = "Choose an assessment step (history or examination) to see the findings."


def _heading(session: ReasoningSession) -> str:
    if session.visit_count == 1:
        return "The patient"
    return f"Visit {session.visit + 1} of {session.visit_count}, week {session.week:g}"


def visit_text(session: ReasoningSession) -> str:
    """The current visit as plain text."""
    lines = [_heading(session), "", "History", session.history, "", "Examination",
             session.examination or NOT_EXAMINED]
    ordered = [t for t in session.tests if t.visit == session.visit]
    earlier = [t for t in session.tests if t.visit < session.visit]
    for title, tests in (("Earlier results", earlier), ("Tests ordered", ordered)):
        if tests:
            lines += ["", title]
            for t in tests:
                lines += [f"- {t.label}", f"  Why you ordered it: {t.change}",
                          f"  Result: {t.report}"]
    return "\n".join(lines)


def visit_html(session: ReasoningSession) -> str:
    """The current visit as HTML (a region labelled by its heading)."""
    e = escape
    heading = _heading(session)
    parts = [f'<div class="dt-visit" role="region" aria-label="{e(heading)}">',
             f"<h3>{e(heading)}</h3>", f"<h4>History</h4><p>{e(session.history)}</p>",
             "<h4>Examination</h4>",
             f"<p>{e(session.examination)}</p>" if session.examination
             else f"<p><i>{e(NOT_EXAMINED)}</i></p>"]
    ordered = [t for t in session.tests if t.visit == session.visit]
    earlier = [t for t in session.tests if t.visit < session.visit]
    for title, tests in (("Earlier results", earlier), ("Tests ordered", ordered)):
        if tests:
            items = "".join(
                f"<li><b>{e(t.label)}</b><br><i>Why you ordered it:</i> {e(t.change)}"
                f"<br><i>Result:</i> {e(t.report)}</li>" for t in tests)
            parts.append(f"<h4>{e(title)}</h4><ul>{items}</ul>")
    parts.append("</div>")
    return "".join(parts)


# --- the workbench's live parts ------------------------------------------------------------

def step_text(action: Action) -> str:
    """A plan step in words, with its dose ("Naproxen 1000 mg/day") or its priority
    ("CT myelography, urgent")."""
    label = knowledge().steps[action.step].label
    return (label + (f" {action.dose_mg_per_day:g} mg/day" if action.dose_mg_per_day else "")
            + (", urgent" if action.urgent else ""))


def differential_text(differential: Differential | None) -> str:
    """"1. A, 2. B; must not miss: C", or "none yet"."""
    if differential is None:
        return "none yet"
    line = ", ".join(f"{i}. {diagnosis_label(d)}" for i, d in enumerate(differential.ranked, 1))
    must = differential.must_not_miss
    return line + (f"; must not miss: {diagnosis_label(must)}" if must else "")


def differential_html(slots: Sequence[tuple[str, str | None]],
                      differential: Differential | None) -> str:
    """The draft differential (place, diagnosis or empty) and the one recorded."""
    draft = "".join(f"<li>{escape(name)}: "
                    f"{escape(diagnosis_label(d)) if d else '<i>empty</i>'}</li>"
                    for name, d in slots)
    return (f"<ul>{draft}</ul><p><b>Recorded differential:</b> "
            f"{escape(differential_text(differential))}</p>")


def verdict_text(test: JudgedTest) -> str:
    """The judged value of a test without repeating its name ("Part of the recommended
    pathway." rather than "MRI ... is part of the recommended pathway")."""
    verdict = test.verdict.strip()
    for prefix in (f"{test.label} is ", f"{test.label} are "):
        if verdict.startswith(prefix) and len(verdict) > len(prefix):
            rest = verdict[len(prefix):]
            verdict = rest[0].upper() + rest[1:]
    return _sentence(verdict)


def ordered_tests_html(tests: Iterable[OrderedTest], visit: int | None = None) -> str:
    """Each ordered test: the reason the learner gave and its result, nothing judged; with
    ``visit`` (the current one), tests of earlier visits are marked as earlier results."""
    def when(t: OrderedTest) -> str:
        return (f"<i>Ordered at visit {t.visit + 1} (earlier result):</i> "
                if visit is not None and t.visit < visit else "")
    return "".join(
        f"<div class=\"dt-test\">{when(t)}<b>{escape(t.label)}</b><br><i>You said:</i> "
        f"{escape(t.change)}<br><b>Result:</b> {escape(t.report)}</div>"
        for t in tests) or "<p><i>No tests ordered yet.</i></p>"


def plan_html(actions: Iterable[Action]) -> str:
    """The plan as a numbered list."""
    items = "".join(f"<li>{escape(step_text(a))}</li>" for a in actions)
    return f"<ol>{items or '<li><i>nothing chosen</i></li>'}</ol>"


# --- after submission: the learner's own reasoning, read back ------------------------------

_STAGES = {"history": "after the history", "examination": "after the examination",
           "tests": "after ordering tests"}


def _sentence(text: str) -> str:
    """``text`` ending as a sentence (a learner's words often lack the full stop)."""
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def _plan_line(report: VisitReport) -> str:
    return ", ".join(step_text(a) for a in report.assessment.chosen) or "nothing chosen"


def reasoning_sections(session: ReasoningSession) -> list[tuple[str, list[str]]]:
    """(title, lines) of what the learner wrote and chose, visit by visit, for reading back
    after submission: problem statement, differentials, justified tests, plans, confidence,
    reflection. Shared by :func:`reasoning_summary_html` and :func:`reasoning_summary_text`."""
    several = session.visit_count > 1

    def at(visit: int) -> str:
        return f"Visit {visit + 1}: " if several else ""

    differentials = [f"{at(v)}{_STAGES.get(stage, stage)}: {differential_text(d)}"
                     for v, stage, d in session.differential_history]
    values = {(t.visit, t.step): t.value for t in session.judged_tests}

    def value(t: OrderedTest) -> str:
        return f" ({values[t.visit, t.step]})" if (t.visit, t.step) in values else ""

    tests = [f"{at(t.visit)}{t.label}{value(t)}. Why you ordered it: {_sentence(t.change)}"
             + (f" To confirm or exclude: {diagnosis_label(t.target)}." if t.target else "")
             + f" Result: {_sentence(t.report)}" for t in session.tests]
    reports = session.reports
    plans = [f"{at(r.visit)}{_plan_line(r)}" for r in reports]
    confidence = [f"{at(r.visit)}{r.confidence.confidence}% sure of the leading diagnosis"
                  for r in reports if r.confidence]
    return [("Problem statement", [session.problem_statement or "not written"]),
            ("Your differential", differentials or ["not recorded"]),
            ("Tests and why you ordered them", tests or ["none ordered"]),
            ("Your plan", plans or ["not submitted"]),
            ("Confidence", confidence or ["not recorded"]),
            ("Your reflection", [session.reflection or "not written yet"])]


def reasoning_summary_text(session: ReasoningSession) -> str:
    """The learner's reasoning as plain text (see :func:`reasoning_sections`)."""
    lines = ["Your reasoning"]
    for title, items in reasoning_sections(session):
        lines += ["", title, *(f"- {item}" for item in items)]
    return "\n".join(lines)


def reasoning_summary_html(session: ReasoningSession) -> str:
    """The learner's reasoning as HTML, a labelled region (see :func:`reasoning_sections`)."""
    parts = ['<div class="dt-reasoning" role="region" aria-label="Your reasoning">',
             "<h4>Your reasoning</h4>"]
    for title, items in reasoning_sections(session):
        parts.append(f"<h5>{escape(title)}</h5><ul>"
                     + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>")
    parts.append("</div>")
    return "".join(parts)
