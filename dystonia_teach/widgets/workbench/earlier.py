"""Your earlier submissions: any saved (or, without saving, this session's) submission shown
again with its feedback, reasoning and flowchart, judged by the current engine."""

from __future__ import annotations

from html import escape

from ipywidgets import HTML, Button, Dropdown, HBox, Layout

from dystonia_teach.core.errors import ActionError
from dystonia_teach.render.feedback import feedback_html
from dystonia_teach.render.reasoning import reasoning_summary_html
from dystonia_teach.store import Attempt
from dystonia_teach.store.replay import Submission, replay
from dystonia_teach.widgets._choices import refill
from dystonia_teach.widgets.workbench._panel import ROW, WIDE, Panel
from dystonia_teach.widgets.workbench.feedback import flowchart_html, score_text

NONE_YET = ("— none yet —", -1)


def attempt_label(attempt: Attempt, *, several_visits: bool = False) -> str:
    """"Attempt 2, visit 2: score 85/100 (2026-11-30 17:02 UTC)": the visit when the case has
    several and the saved reasoning tells it, then the score, then the time."""
    when = attempt.submitted_at[:16].replace("T", " ")
    visits = (attempt.record or {}).get("visits")
    visit = (f", visit {len(visits)}" if several_visits and isinstance(visits, list) and visits
             else "")
    return f"Attempt {attempt.number}{visit}: score {score_text(attempt.score)} ({when} UTC)"


class EarlierPanel(Panel):
    title = "Your earlier submissions"

    def __init__(self, host, number: int) -> None:
        super().__init__(host, number)
        self.entries: list[Attempt | Submission] = []
        self.shown: Submission | None = None
        self.choice = Dropdown(options=[NONE_YET], value=-1, description="Earlier submissions",
                               style=WIDE, layout=Layout(flex="1 1 24em", width="auto",
                                                         min_width="0"))
        self.show = Button(description="Show again", icon="history",
                           tooltip="Show that submission's feedback and flowchart")
        self.show.on_click(self.act(self._on_show))
        self.feedback = HTML()
        self.reasoning = HTML()
        self.flowchart = HTML()
        self.children = (self.heading, HBox([self.choice, self.show], layout=ROW),
                         self.message, self.feedback, self.reasoning, self.flowchart)

    def list(self, saved: list[Attempt], made: list[Submission]) -> None:
        """Offer the saved attempts, then this session's unsaved submissions, newest first."""
        listed = {a.id for a in saved}
        self.entries = [*saved, *(s for s in made if s.attempt_id is None
                                  or s.attempt_id not in listed)]
        several = self.host.session.visit_count > 1
        options = [(attempt_label(e, several_visits=several) if isinstance(e, Attempt)
                    else e.label, i) for i, e in enumerate(self.entries)]
        listed = options[::-1] or [NONE_YET]
        refill(self.choice, listed, listed[0][1])

    def _on_show(self, _: Button) -> None:
        if self.choice.value < 0:
            raise ActionError("there is no earlier submission to show yet")
        entry = self.entries[self.choice.value]
        shown = self.shown = (replay(self.host.case, entry) if isinstance(entry, Attempt)
                              else entry)
        label = dict((v, k) for k, v in self.choice.options)[self.choice.value]
        self.feedback.value = (f"<h4>Shown again — {escape(label)}</h4>"
                               + feedback_html(shown.assessment, shown.report, level=5,
                                               label=f"Earlier submission: {label}"))
        self.reasoning.value = (
            reasoning_summary_html(shown.session) if shown.session is not None else
            f"<p><i>{escape(shown.note)}</i></p>" if shown.note else "")
        self.flowchart.value = flowchart_html(shown.case, shown.assessment,
                                              f"{self.host.key}-earlier")
        self.message.say(f"Shown below: {label}.")
