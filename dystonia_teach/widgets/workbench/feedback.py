"""Submit and feedback: what submission still needs (said beside the button), the attempt
count, the feedback (summary first), what improved since the last attempt at this visit, how
the score is made up, the flowchart of the learner's path, and the next visit."""

from __future__ import annotations

from html import escape

from ipywidgets import HTML, Button, HBox, Layout

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.progress import progress
from dystonia_teach.core.results import Assessment
from dystonia_teach.core.visits import case_at_visit
from dystonia_teach.render.feedback import components_html, feedback_html, progress_html
from dystonia_teach.render.figures import algorithm_description
from dystonia_teach.render.flowchart_svg import flowchart_svg
from dystonia_teach.widgets.workbench._panel import ROW, Panel


def score_text(score: float) -> str:
    """A score as the feedback states it: "62/100"."""
    return f"{round(score * 100)}/100"


def flowchart_html(case: Case, assessment: Assessment, key: str) -> str:
    """The flowchart of the learner's path over the recommended one, with its text."""
    chosen = list(assessment.chosen)
    return (f'<figure class="dt-flowchart">{flowchart_svg(case, key=key, chosen=chosen)}'
            "<figcaption>Your path (dashed line, crosses) over the recommended path (thick "
            "line, boxes marked ✔).</figcaption></figure><details><summary>The flowchart in "
            "words (your path and the recommended path)</summary><pre style=\"white-space:"
            f'pre-wrap">{escape(algorithm_description(case, chosen))}</pre></details>')


class FeedbackPanel(Panel):
    title = "Submit and feedback"

    def __init__(self, host, number: int) -> None:
        super().__init__(host, number)
        self.ready = HTML()
        self.submit = Button(description="Submit plan", icon="check", button_style="primary",
                             tooltip="Get feedback on this visit's reasoning and plan")
        self.next_visit = Button(description="Next visit", icon="forward",
                                 layout=Layout(display="none"),
                                 tooltip="See the patient again, weeks later")
        self.progress = HTML()
        self.feedback = HTML()
        self.components = HTML()
        self.flowchart = HTML()
        self._shown: object = None  # the report the feedback shows
        self.submit.on_click(self.act(self._on_submit))
        self.next_visit.on_click(self.act(self._on_next))
        self.children = (self.heading, self.ready,
                         HBox([self.submit, self.next_visit], layout=ROW), self.message,
                         self.progress, self.feedback, self.components, self.flowchart)

    def _on_submit(self, _: Button) -> None:
        host = self.host
        before = host.previous_assessment()
        report = host.session.submit()
        self._show(report)  # first: on screen soonest
        self.progress.value = (progress_html(progress(before, report.assessment))
                               if before is not None else "")
        note = (f"Submitted (attempt {report.attempt} at this visit): score "
                f"{score_text(report.assessment.score)}; the feedback is below.")
        self.message.say(note + host.save_submission(report))

    def _on_next(self, _: Button) -> None:
        """The next visit; its news is told where the learner reads next (the page goes up
        to what the patient tells you, and the focus with it)."""
        s = self.host.session
        s.next_visit()
        self.progress.value = ""
        self.host.sync()
        self.host.patient.message.say(
            f"Visit {s.visit + 1}: the patient returns at week {s.week:g}. Read what the "
            "patient tells you now and update your problem statement.")
        self.host.focus("problem")

    def _show(self, report: object) -> None:
        s = self.host.session
        if report is self._shown:
            return
        self._shown = report
        if report is None:
            self.feedback.value = self.components.value = self.flowchart.value = ""
            return
        self.feedback.value = feedback_html(
            report.assessment, report, level=4,
            label=f"Feedback on visit {report.visit + 1}, attempt {report.attempt}")
        self.components.value = components_html(report.assessment)
        self.flowchart.value = flowchart_html(case_at_visit(s.case, report.visit),
                                              report.assessment, f"{self.host.key}-fc")

    def redraw(self) -> None:
        s = self.host.session
        missing = s.missing_for_submission()
        reports = s.visit_reports
        if missing:
            self.ready.value = ("<p><b>Before you submit</b>, record "
                                + escape(" and ".join(missing))
                                + " (Your differential and confidence, above).</p>")
        elif s.submitted:
            self.ready.value = (f"<p>Submitted: attempt {s.attempts} at this visit. Change "
                                "anything and submit again to see what improves.</p>")
        elif reports or s.attempts:
            self.ready.value = ("<p><i>Your work changed since the feedback below (attempt "
                                f"{s.attempts}); submit again (attempt {s.attempts + 1}) to "
                                "update it.</i></p>")
        else:
            self.ready.value = "<p>Ready to submit when your plan is complete.</p>"
        self.next_visit.layout.display = None if s.submitted and s.has_next_visit else "none"
        self._show(reports[-1] if reports else None)
        if not reports:
            self.progress.value = ""
