"""What a learner sees while reasoning, before submitting: the visit, the history, the
examination once revealed, and each ordered test with the reason given and its result.

Nothing here judges (no value, no diagnosis): judgements come with the feedback
(:mod:`dystonia_teach.render.feedback`). HTML is escaped; text is deterministic::

    visit_html(session)   # or visit_text(session)
"""

from __future__ import annotations

from html import escape

from dystonia_teach.core.reasoning import ReasoningSession

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
