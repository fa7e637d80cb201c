"""The case workbench: a thin ipywidgets shell over :class:`~dystonia_teach.core.session.Session`.

Handlers only call the session (and the optional progress store) and re-render with
:mod:`dystonia_teach.render.html`; all judgement comes from the engine. Tests and notebooks
drive it headless: set ``.value`` on the controls, call ``.click()`` on the buttons and read
``feedback.value``, ``plan.value``, ``errors.value`` or :meth:`Workbench.summary`.
"""

from __future__ import annotations

from html import escape
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from ipywidgets import (
    HTML,
    Box,
    Button,
    Dropdown,
    FloatText,
    HBox,
    Layout,
    Output,
    Select,
    Text,
    VBox,
)

from dystonia_teach.casefiles.loader import list_cases, load_case
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.errors import ActionError, DystoniaTeachError
from dystonia_teach.core.kb_model import KnowledgeBase
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.session import Session
from dystonia_teach.core.vocabulary import DIAGNOSIS_LABELS, PHASE_LABELS, PHASES
from dystonia_teach.render.figures import algorithm_description, algorithm_figure
from dystonia_teach.render.html import (
    assessment_html,
    case_html,
    history_html,
    plan_html,
    results_html,
    step_help_html,
)
from dystonia_teach.render.text import assessment_text
from dystonia_teach.store.sqlite import (
    Attempt,
    ProgressStore,
    ProgressStoreError,
    validate_learner_id,
)
from dystonia_teach.widgets._errors import ErrorArea
from dystonia_teach.widgets._keyboard import KeyboardGuard

NOT_CHOSEN = "— not chosen yet —"
_WIDE = {"description_width": "initial"}


def _heading(text: str) -> HTML:
    return HTML(f"<h4>{text}</h4>")


def figure_output(fig: go.Figure) -> dict[str, Any]:
    """An Output-widget entry showing ``fig`` with Plotly's MIME type, as a notebook cell
    would (no FigureWidget, no embedded plotly.js; works without a kernel too)."""
    bundle = pio.renderers["plotly_mimetype"].to_mimebundle(fig.to_dict())
    return {"output_type": "display_data", "metadata": {},
            "data": {**bundle, "text/plain": "Flowchart of your path and the recommended path"}}


def step_options(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """(label, step id) for every step, grouped by phase in pathway order."""
    return [(f"{PHASE_LABELS[phase]}: {step.label}", step.id)
            for phase in PHASES for step in kb.steps.values() if step.phase == phase]


class Workbench(VBox):
    """Work one case: staged vignette, step picker, plan, results, diagnosis, feedback.

    With ``store`` (and a pseudonymous ``learner_id``) every submission is saved, the
    learner's earlier attempts are listed and the latest can be resumed.
    """

    def __init__(self, case: Case | str, *, store: ProgressStore | None = None,
                 learner_id: str | None = None) -> None:
        super().__init__(layout=Layout(width="100%"), _dom_classes=("dt-root",))
        case = case if isinstance(case, Case) else load_case(case)
        if store is not None:
            learner_id = validate_learner_id(learner_id)
        self.session = Session(case)
        self.store = store
        self.learner_id = learner_id
        self.debriefed = False
        kb = knowledge()
        self._labels = {step_id: step.label for step_id, step in kb.steps.items()}

        self.vignette = HTML()
        self.step_picker = Select(
            options=step_options(kb), value=None, rows=12, description="Step",
            tooltip="Choose a step; what it is appears below the list",
            style=_WIDE, layout=Layout(width="98%"))
        self.step_help = HTML(step_help_html(None))
        self.dose = FloatText(value=0.0, description="Daily dose (mg/day)", disabled=True,
                              tooltip="Total daily dose in mg, for drugs only", style=_WIDE)
        self.add_button = Button(description="Add step", icon="plus",
                                 tooltip="Add the selected step (with its dose) to your plan")
        self.undo_button = Button(description="Undo last step", icon="undo",
                                  tooltip="Remove the step added last")
        self.reset_button = Button(description="Reset case", icon="refresh",
                                   tooltip="Clear your plan and diagnosis and start again")
        self.diagnosis = Dropdown(
            options=[(NOT_CHOSEN, "")] + [(label, d) for d, label in DIAGNOSIS_LABELS.items()],
            value="", description="Working diagnosis", style=_WIDE,
            tooltip="Your working diagnosis for this patient", layout=Layout(width="98%"))
        self.submit_button = Button(description="Submit plan", icon="check",
                                    button_style="primary",
                                    tooltip="Get feedback on your plan and diagnosis")
        self.resume_button = Button(description="Resume saved attempt", icon="history",
                                    tooltip="Restore the plan of your latest saved attempt",
                                    layout=Layout(display="none"))
        self.plan = HTML()
        self.results = HTML()
        self.status = HTML()
        self.errors = ErrorArea()
        self.feedback = HTML()
        self.path_text = HTML()
        self.path_figure = Output(layout=Layout(width="100%"))
        self.history = HTML()

        guard = self.errors.guard
        self.step_picker.observe(guard(self._on_step), names="value")
        self.diagnosis.observe(guard(self._on_diagnosis), names="value")
        self.add_button.on_click(guard(self._on_add))
        self.undo_button.on_click(guard(self._on_undo))
        self.reset_button.on_click(guard(self._on_reset))
        self.submit_button.on_click(guard(self._on_submit))
        self.resume_button.on_click(guard(self._on_resume))

        picker = VBox([_heading("Choose a step"), self.step_picker, self.step_help, self.dose,
                       HBox([self.add_button, self.undo_button, self.reset_button])],
                      layout=Layout(flex="1 1 50%"))
        progress = VBox([_heading("Your plan"), self.plan, _heading("Results"), self.results],
                        layout=Layout(flex="1 1 50%"))
        saved: list[Any] = [_heading("Saved attempts"), self.history] if store else []
        columns = Box([picker, progress], layout=Layout(flex_flow="row wrap"))
        buttons = HBox([self.submit_button, self.resume_button])
        self.children = (KeyboardGuard(), self.vignette, columns, self.diagnosis, buttons,
                         self.status, self.errors, self.feedback, self.path_text,
                         self.path_figure, *saved)
        self._render()
        if store is not None:
            guard(self._show_saved)()

    @property
    def case(self) -> Case:
        return self.session.case

    def __repr__(self) -> str:  # the text/plain a notebook saves: short and deterministic
        return f"Workbench(case={self.case.id!r})"

    def summary(self) -> str:
        """A deterministic text verdict of the last submission (for notebooks and graders)."""
        if self.session.assessment is None:
            return "Not submitted yet: add steps, choose a diagnosis, then Submit plan."
        return assessment_text(self.session.assessment)

    # -- handlers: one call into the session, then re-render --------------------------------

    def _on_step(self, change: dict[str, Any]) -> None:
        step = knowledge().steps.get(change["new"]) if change["new"] else None
        self.dose.value = 0.0
        self.dose.disabled = step is None or step.dose is None
        self.step_help.value = step_help_html(step)
        self.step_picker.tooltip = step.description if step else "Choose a step"

    def _on_add(self, _: Button) -> None:
        if not self.step_picker.value:
            raise ActionError("choose a step in the list first, then press Add step")
        dose = self.dose.value or None  # 0 means "no dose entered": the engine judges that
        action = self.session.add({"step": self.step_picker.value, "dose_mg_per_day": dose}
                                  if dose is not None else self.step_picker.value)
        self._say(f"Added: {self._describe(action.step, action.dose_mg_per_day)}.")

    def _on_undo(self, _: Button) -> None:
        removed = self.session.undo()
        self._say(f"Removed: {self._describe(removed.step, removed.dose_mg_per_day)}."
                  if removed else "Your plan is already empty.")

    def _on_reset(self, _: Button) -> None:
        self.session.reset()
        self.debriefed = False
        self.diagnosis.value = ""
        self._clear_path()
        self._say("The case was reset.")

    def _on_diagnosis(self, change: dict[str, Any]) -> None:
        self.session.set_diagnosis(change["new"] or None)
        self._render()

    def _on_submit(self, _: Button) -> None:
        assessment = self.session.submit()
        self.debriefed = True
        self._say(f"Submitted: score {assessment.score:.2f}.")
        try:
            if self.store is not None:  # feedback is already shown if saving fails
                self.store.record(str(self.learner_id), assessment)
                attempts = self._show_saved()
                self._say(f"Submitted: score {assessment.score:.2f}; saved as attempt "
                          f"{attempts[-1].number} of this case.")
        finally:
            self._draw_path()  # last: the figure takes longest, and saving comes first

    def _on_resume(self, _: Button) -> None:
        if self.store is None:
            raise DystoniaTeachError("this workbench has no progress store to resume from")
        latest = self.store.latest(str(self.learner_id), self.case.id)
        if latest is None:
            raise DystoniaTeachError("there is no saved attempt at this case to resume")
        self.session.restore(list(latest.actions), latest.working_diagnosis)
        self.debriefed = False
        self._clear_path()
        self.diagnosis.value = latest.working_diagnosis or ""
        self._say(f"Resumed attempt {latest.number} (score {latest.score:.2f}); "
                  "change the plan and submit again.")

    # -- rendering ---------------------------------------------------------------------------

    def _show_saved(self) -> list[Attempt]:
        assert self.store is not None
        attempts = self.store.attempts(str(self.learner_id), self.case.id)
        self.history.value = history_html(attempts)
        if attempts:
            last = attempts[-1]
            self.resume_button.description = f"Resume attempt {last.number}"
            self.resume_button.tooltip = (f"Restore the plan of attempt {last.number} "
                                          f"(score {last.score:.2f})")
            self.resume_button.layout.display = None
        return attempts

    def _draw_path(self) -> None:
        """The flowchart with the learner's path over the recommended one, and its text."""
        chosen = list(self.session.actions)
        self.path_figure.outputs = (figure_output(algorithm_figure(self.case, chosen)),)
        self.path_text.value = (
            "<h4>Your path and the recommended path</h4><details><summary>Text description of "
            f"the flowchart</summary><pre>{escape(algorithm_description(self.case, chosen))}"
            "</pre></details>")

    def _clear_path(self) -> None:
        self.path_figure.outputs = ()
        self.path_text.value = ""

    def _describe(self, step: str, dose: float | None) -> str:
        return self._labels[step] + (f" {dose:g} mg/day" if dose else "")

    def _say(self, message: str) -> None:
        self.status.value = f'<div role="status" aria-live="polite">{escape(message)}</div>'
        self._render()

    def _render(self) -> None:
        session = self.session
        self.vignette.value = case_html(
            session.case, examination=session.examination_revealed or self.debriefed,
            debrief=self.debriefed)
        self.plan.value = plan_html(session.actions, self._labels)
        self.results.value = results_html(session.results())
        if session.assessment is not None:
            self.feedback.value = assessment_html(session.assessment, self._labels)
        elif self.debriefed:
            self.feedback.value = ("<p><i>Your plan changed since the last feedback; "
                                   "submit again to update it.</i></p>")
        else:
            self.feedback.value = "<p><i>Submit your plan to get feedback.</i></p>"


class CasePicker(VBox):
    """Choose a case from ``list_cases()`` and open a :class:`Workbench` for it.

    With a learner id (a nickname, typed in the picker or given), every submission is saved to
    ``store`` (by default the progress store at ``$DYSTONIA_TEACH_PROGRESS`` or
    ``~/.dystonia_teach/progress.sqlite3``, opened only when first needed), so the learner can
    resume after a restart. Without one, the case is worked without saving.
    """

    def __init__(self, *, store: ProgressStore | None = None,
                 learner_id: str | None = None, save: bool = True) -> None:
        super().__init__(_dom_classes=("dt-root",))
        self.store, self.save = store, save
        self.errors = ErrorArea()
        options: list[tuple[str, str]] = [("— choose a case —", "")]
        problems = []
        for case_id in list_cases():
            try:
                options.append((f"{load_case(case_id).title} ({case_id})", case_id))
            except DystoniaTeachError as exc:
                problems.append(f"{case_id}: {exc}")
        self.cases = Dropdown(options=options, value="", description="Case", style=_WIDE,
                              tooltip="The case to work", layout=Layout(width="98%"))
        self.learner = Text(value=learner_id or "", description="Learner id", style=_WIDE,
                            placeholder="a nickname, never your real name",
                            tooltip="Type the same nickname each time to keep and resume "
                                    "your attempts; leave empty to work without saving",
                            layout=Layout(display=None if save else "none"))
        self.open_button = Button(description="Open case", icon="folder-open",
                                  tooltip="Open the chosen case in a workbench")
        self.open_button.on_click(self.errors.guard(self._on_open))
        self.workbench: Workbench | None = None
        self.status = HTML()
        self.area = VBox()
        self.children = (KeyboardGuard(), HBox([self.cases, self.open_button]), self.learner,
                         self.errors, self.status, self.area)
        if problems:
            self.errors.show(DystoniaTeachError("some cases could not be loaded and are not "
                                                "listed: " + " | ".join(problems)))

    def __repr__(self) -> str:
        return f"CasePicker(cases={len(self.cases.options) - 1})"

    def _on_open(self, _: Button) -> None:
        if not self.cases.value:
            raise ValueError("choose a case in the list first, then press Open case")
        learner_id = self.learner.value.strip() if self.save else ""
        store, problem = None, None
        if learner_id:
            validate_learner_id(learner_id)
            try:
                store = self.store = self.store or ProgressStore()
            except ProgressStoreError as exc:  # the case still opens; nothing is overwritten
                problem = exc
        if store is not None:
            note = (f"Saving your attempts as {learner_id!r} in {store.path}; use the same "
                    "learner id after a restart to resume.")
        elif problem is not None:
            note = "Not saving: the progress store could not be opened (see the message above)."
        else:
            note = ("Not saving: type a learner id (a nickname) before opening a case to keep "
                    "your attempts after a restart." if self.save else "")
        self.workbench = Workbench(self.cases.value, store=store,
                                   learner_id=learner_id if store else None)
        self.area.children = (self.workbench,)
        self.status.value = f'<div role="status">{escape(note)}</div>' if note else ""
        if problem is not None:
            self.errors.show(problem)


def case_picker(*, store: ProgressStore | None = None, learner_id: str | None = None,
                save: bool = True) -> CasePicker:
    """A case chooser that opens a workbench; with a learner id, attempts are saved (to
    ``store``, else the default progress store). ``save=False`` hides the learner id."""
    return CasePicker(store=store, learner_id=learner_id, save=save)
