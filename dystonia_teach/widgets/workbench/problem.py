"""What the patient tells you: the visit, the history, how the story goes on after the learner's
plan (at a later visit), and the one-line problem statement, read with clinical shorthand and
checked against the history at once (the model statement waits for the feedback)."""

from __future__ import annotations

from html import escape
from typing import Any

from ipywidgets import HTML, Text

from dystonia_teach.core.continuity import continuity_note
from dystonia_teach.core.problem_statement import check_problem
from dystonia_teach.core.visits import case_at_visit
from dystonia_teach.widgets.workbench._panel import FULL, WIDE, Panel, paragraphs


def problem_message(feedback: Any) -> str:
    """What the problem-statement check says beside the box: what was read, what is missing,
    what disagrees with the history."""
    parts = ["Recorded."]
    if feedback.understood:
        parts.append("Read as: " + ", ".join(feedback.understood) + ".")
    if feedback.mismatches:
        parts.append("Check: " + "; ".join(feedback.mismatches) + ".")
    parts.append("Still to add: " + ", ".join(feedback.missing) + "." if feedback.missing else
                 "It has the essentials (age, sex, time course, what brings it on, side).")
    if feedback.too_long:
        parts.append("Keep it to one line.")
    return " ".join(parts)


class ProblemPanel(Panel):
    title = "What the patient tells you"

    def __init__(self, host, number: int) -> None:
        super().__init__(host, number)
        self.visit_line = HTML()
        self.continuity = HTML()
        self.history = HTML()
        # sent when the learner presses Enter or leaves the box
        self.problem = Text(description="Problem statement", style=WIDE, layout=FULL,
                            continuous_update=False,
                            placeholder="one line: who, how long, what, when; e.g. 46M, 3/52 "
                                        "R leg pain …; press Enter",
                            tooltip="Summarise the patient in one line, then press Enter")
        self.problem.observe(self.act(self._on_problem), names="value")
        self.children = (self.heading, self.visit_line, self.continuity, self.history,
                         self.problem, self.message)

    def _on_problem(self, change: dict[str, Any]) -> None:
        s = self.host.session
        s.state_problem(change["new"])
        case = case_at_visit(s.case, s.visit)
        self.message.say(problem_message(check_problem(case, s.problem_statement or "")))

    def sync(self) -> None:
        self.problem.value = self.host.session.problem_statement or ""

    def redraw(self) -> None:
        s = self.host.session
        self.visit_line.value = (f"<p><b>Visit {s.visit + 1} of {s.visit_count}</b>, week "
                                 f"{s.week:g} of symptoms</p>" if s.visit_count > 1 else
                                 f"<p>Week {s.week:g} of symptoms</p>")
        earlier = [r for r in s.reports if r.visit == s.visit - 1]
        note = continuity_note(s.case, s.visit, earlier[-1].assessment.chosen) if earlier else ""
        self.continuity.value = (f'<p class="dt-continuity"><b>Since the last visit:</b> '
                                 f"{escape(note)}</p>" if note else "")
        self.history.value = paragraphs(s.history)
