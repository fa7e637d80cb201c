"""Debrief: bias prompts drawn from the attempt, the learner's reflection (saved with it), the
diagnosis and teaching points once the last visit is submitted, the learner's calibration
across their saved attempts (how often right at each certainty), and the next case."""

from __future__ import annotations

from html import escape

from ipywidgets import HTML, Button, Layout, Textarea

from dystonia_teach.core.diagnoses import diagnosis_label
from dystonia_teach.core.reasoning import ReasoningSession
from dystonia_teach.course.calibration import learner_calibration
from dystonia_teach.render.certainty import calibration_html
from dystonia_teach.render.feedback import debrief_html
from dystonia_teach.render.student_text import without_draft_history
from dystonia_teach.widgets.workbench._panel import FULL, WIDE, Panel


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(without_draft_history(p))}</p>" for p in text.split("\n\n")
                   if without_draft_history(p))


def teaching_html(session: ReasoningSession) -> str:
    """The diagnosis, the outcome and the teaching points: only once the last visit is
    submitted (they would give the later visits away)."""
    case = session.case
    if session.has_next_visit:
        return ("<p><i>The diagnosis, what happened next and the teaching points appear after "
                "the last visit: press Next visit to see the patient again.</i></p>")
    return (f"<h4>Diagnosis</h4><p>{escape(diagnosis_label(case.diagnosis))}</p>"
            f"<h4>What happened next</h4>{_paragraphs(case.stages.follow_up)}"
            f"<h4>Teaching points</h4>{_paragraphs(case.teaching_notes)}")


class DebriefPanel(Panel):
    title = "Debrief"

    def __init__(self, host, number: int) -> None:
        super().__init__(host, number)
        self.reflection = Textarea(description="Your reflection", style=WIDE, layout=FULL,
                                   continuous_update=False,
                                   placeholder="What would you do differently next time?")
        self.button = Button(description="Debrief", icon="comments",
                             tooltip="Bias prompts for this case and your reflection")
        self.view = HTML()
        self.calibration = HTML()
        self.next_case = Button(description="Next case", icon="forward",
                                layout=Layout(display="none"),
                                tooltip="Open the case suggested next")
        self.next_note = HTML()  # the suggestion (not a message: it does not pull the page)
        self._suggested: tuple[str, str] | None = None
        self.button.on_click(self.act(self._on_debrief))
        self.next_case.on_click(self.act(self._on_next_case))
        self.children = (self.heading, self.reflection, self.button, self.message, self.view,
                         self.calibration, self.next_note, self.next_case)

    def _on_debrief(self, _: Button) -> None:
        s = self.host.session
        self.view.value = (debrief_html(s.debrief(self.reflection.value)) + teaching_html(s))
        self.message.say(self.host.save_reflection())
        self.show_calibration()

    def show_calibration(self) -> None:
        """The learner's calibration across their saved attempts (with a learner id)."""
        host = self.host
        if host.store is None or not host.learner_id:
            self.calibration.value = ("<p><i>Type a learner id to keep your attempts: your "
                                      "calibration across them then appears here.</i></p>")
            return
        self.calibration.value = calibration_html(
            learner_calibration(host.store, host.learner_id), level=4)

    def _on_next_case(self, _: Button) -> None:
        if self._suggested is not None:
            self.host.open_case(self._suggested[0])

    def sync(self) -> None:
        s = self.host.session
        self.reflection.value = s.reflection or ""
        self.view.value = (debrief_html(s.debrief(s.reflection)) + teaching_html(s)
                           if s.submitted and s.reflection is not None else "")
        self.calibration.value = ""

    def redraw(self) -> None:
        s = self.host.session
        finished = s.submitted and not s.has_next_visit
        if not s.submitted:
            self.view.value = self.calibration.value = ""
        suggested = self.host.suggest_next_case() if finished else None
        if suggested != self._suggested:
            self._suggested = suggested
            self.next_case.layout.display = None if suggested else "none"
            self.next_note.value = (f"<p><b>Next:</b> {escape(suggested[1])}</p>"
                                    if suggested else "")
