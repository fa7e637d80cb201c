"""The case workbench: a thin ipywidgets shell over
:class:`~dystonia_teach.core.reasoning.ReasoningSession`.

The page follows the clinical encounter: what the patient tells you, a one-line problem
statement, the examination (shown once you examine), a ranked differential found by search,
tests ordered only after saying which result would change management, the plan, confidence,
then feedback (summary first), the next visit and a debrief. Handlers call the session and
re-render; all judgement comes from the core. With a store and a learner id, each submission is
saved with its reasoning (the reflection too, once given), unfinished work is kept as a draft
that a reopened workbench offers to resume, and any earlier attempt can be shown again with its
plan, feedback, flowchart and reasoning. Tests and notebooks drive it headless: set
``.value`` on the controls, call ``.click()`` on the buttons, read ``feedback.value`` or
:meth:`Workbench.summary`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from html import escape
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from ipywidgets import (
    HTML,
    Button,
    Dropdown,
    FloatText,
    HBox,
    IntSlider,
    Layout,
    Output,
    RadioButtons,
    Select,
    Text,
    Textarea,
    VBox,
)

from dystonia_teach.casefiles.loader import load_case
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.diagnoses import diagnosis_label, diagnosis_scripts, search_diagnoses
from dystonia_teach.core.errors import ActionError, DystoniaTeachError
from dystonia_teach.core.kb_model import KnowledgeBase
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.reasoning import TOP, ReasoningSession
from dystonia_teach.core.results import Assessment
from dystonia_teach.core.visits import case_at_visit
from dystonia_teach.core.vocabulary import PHASE_LABELS, PHASES
from dystonia_teach.render.feedback import debrief_html, feedback_html, feedback_text
from dystonia_teach.render.figures import algorithm_description, algorithm_figure
from dystonia_teach.render.reasoning import (
    differential_html,
    ordered_tests_html,
    plan_html,
    reasoning_summary_html,
)
from dystonia_teach.render.teaser import case_teaser
from dystonia_teach.render.text import case_teasers
from dystonia_teach.store import (
    Attempt,
    AttemptStore,
    ProgressStoreError,
    current_learner,
    open_store,
    validate_learner_id,
)
from dystonia_teach.store.replay import Submission, replay, resume
from dystonia_teach.widgets._errors import ErrorArea
from dystonia_teach.widgets._keyboard import KeyboardGuard

NOT_CHOSEN = "— not chosen yet —"
NOT_SURE = "— not sure —"
SLOTS = ("1st (most likely)", "2nd", "3rd", "Must not miss")
_WIDE = {"description_width": "initial"}
_FULL = Layout(width="98%")
#: A list whose option texts must stay readable in a narrow window: the description above it,
#: the list the full width (see the guard's stylesheet).
_STACKED = ("dt-stacked",)


def _heading(text: str) -> HTML:
    return HTML(f"<h4>{escape(text)}</h4>")


def figure_output(fig: go.Figure) -> dict[str, Any]:
    """An Output-widget entry showing ``fig`` with Plotly's MIME type, as a notebook cell
    would (no FigureWidget, no embedded plotly.js; works without a kernel too)."""
    bundle = pio.renderers["plotly_mimetype"].to_mimebundle(fig.to_dict())
    return {"output_type": "display_data", "metadata": {},
            "data": {**bundle, "text/plain": "Flowchart of your path and the recommended path"}}


def step_options(kb: KnowledgeBase, *, tests: bool | None = None,
                 phase: str | None = None) -> list[tuple[str, str]]:
    """(label, step id) for every step, grouped by phase in pathway order; ``tests=True``
    only the tests (steps with a result), ``False`` only the others; ``phase`` only that
    phase's. The label is the step's own, short enough for a narrow window: the phase is
    shown by the list's phase filter, not repeated in every option."""
    return [(step.label, step.id)
            for p in PHASES if phase is None or p == phase for step in kb.steps.values()
            if step.phase == p and (tests is None or bool(step.reveals) == tests)]


def step_phases(kb: KnowledgeBase, *, tests: bool | None = None) -> list[tuple[str, str]]:
    """(phase label, phase) for every phase that has steps of the kind ``tests`` selects, in
    pathway order."""
    kept = {kb.steps[step_id].phase for _, step_id in step_options(kb, tests=tests)}
    return [(PHASE_LABELS[phase], phase) for phase in PHASES if phase in kept]


def _alphabetical(options: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(label, id) in alphabetical order, "another diagnosis" last: the order gives nothing
    away (the vocabulary lists the course's topic first)."""
    return sorted(options, key=lambda o: (o[1] == "other", o[0].casefold()))


def _score(score: float) -> str:
    """A score as the feedback states it: "62/100"."""
    return f"{round(score * 100)}/100"


def _attempt_label(attempt: Attempt, *, several_visits: bool = False) -> str:
    """"Attempt 2, visit 2: score 85/100 (2026-11-30 17:02 UTC)": the visit when the case has
    several and the saved reasoning tells it, the score as the feedback gives it, before the
    time (a narrow list cuts the end off)."""
    when = attempt.submitted_at[:16].replace("T", " ")
    visits = (attempt.record or {}).get("visits")
    visit = (f", visit {len(visits)}" if several_visits and isinstance(visits, list) and visits
             else "")
    return f"Attempt {attempt.number}{visit}: score {_score(attempt.score)} ({when} UTC)"


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


class Workbench(VBox):
    """Work one case as a clinician would, visit by visit; with ``store`` and a learner id
    every submission is saved with its reasoning, unfinished work is kept as a draft to resume,
    and earlier submissions can be viewed again."""

    def __init__(self, case: Case | str, *, store: AttemptStore | None = None,
                 learner_id: str | None = None, title: str | None = None) -> None:
        super().__init__(layout=Layout(width="100%"), _dom_classes=("dt-root",))
        case = case if isinstance(case, Case) else load_case(case)
        self.session = ReasoningSession(case)
        self.store: AttemptStore | None = None
        self.learner_id: str | None = None
        self.submissions: list[Attempt | Submission] = []  # what "Earlier submissions" lists
        self.shown: Submission | None = None  # the earlier submission shown again
        self._made: list[Submission] = []  # submitted in this session
        self._slots: list[str | None] = [None] * len(SLOTS)
        self._kept: Mapping[str, Any] = self.session.record()  # the work as last kept
        self._syncing = False  # controls being set from the session: not the learner acting
        self._debriefed = False
        kb = knowledge()
        dx = _alphabetical((s.label, s.id) for s in diagnosis_scripts().values())

        self.title = HTML(f"<h3>{escape(title or case_teaser(case))}</h3>")
        self.visit_line = HTML()
        self.history = HTML()
        self.problem = Text(description="Problem statement", style=_WIDE, layout=_FULL,
                            continuous_update=False,
                            placeholder="one line: who, how long, what, when; press Enter",
                            tooltip="Summarise the patient in one line, then press Enter")
        self.examination = HTML()
        self.dx_search = Text(description="Search diagnoses", style=_WIDE, layout=_FULL,
                              placeholder="type a few letters, e.g. 'root' or 'parkin'",
                              tooltip="Every diagnosis the course knows can be found here")
        self.dx_matches = Select(options=[], rows=5, description="Matches", style=_WIDE,
                                 layout=_FULL, tooltip="Diagnoses matching your search")
        self.dx_slot = Dropdown(options=list(zip(SLOTS, range(len(SLOTS)), strict=True)),
                                value=0, description="Place", style=_WIDE,
                                tooltip="Where the chosen diagnosis goes in your differential")
        self.dx_put = Button(description="Put in my differential", icon="arrow-down",
                             tooltip="Put the selected match at the chosen place")
        self.dx_clear = Button(description="Clear", icon="eraser",
                               tooltip="Empty your draft differential")
        self.dx_commit = Button(description="Commit differential", icon="check",
                                tooltip="Record this ranking (you may revise it later)")
        self.dx_view = HTML()
        self.test_picker = Dropdown(options=[(NOT_CHOSEN, ""), *step_options(kb, tests=True)],
                                    value="", description="Test", style=_WIDE, layout=_FULL,
                                    tooltip="A test or investigation to order")
        self.test_target = Dropdown(options=[(NOT_SURE, ""), *dx], value="",
                                    description="It would confirm or exclude", style=_WIDE,
                                    layout=_FULL, tooltip="The diagnosis this test is for")
        # continuous_update=False here and in the reflection: the value is sent when the
        # learner leaves the box, so before the button click that uses it (while a message is
        # in flight ipywidgets buffers keystrokes, and a click could overtake them)
        self.test_change = Text(description="Which result would change management?",
                                style=_WIDE, layout=_FULL, continuous_update=False,
                                placeholder="e.g. a compressed root at the level of the signs",
                                tooltip="Say this before you see the result")
        self.order_button = Button(description="Order test", icon="flask",
                                   tooltip="Order the test; its result appears below")
        self.tests_view = HTML()
        phases = step_phases(kb, tests=False)
        self.phase_picker = Dropdown(options=phases, value=phases[0][1], description="Phase",
                                     style=_WIDE, tooltip="Show the steps of this phase")
        self.step_picker = Select(options=step_options(kb, tests=False, phase=phases[0][1]),
                                  value=None, description="Step", style=_WIDE, layout=_FULL,
                                  rows=max(len(step_options(kb, tests=False, phase=p))
                                           for _, p in phases),
                                  tooltip="The chosen phase's steps", _dom_classes=_STACKED)
        self.dose = FloatText(value=0.0, description="Daily dose (mg/day)", style=_WIDE,
                              disabled=True, tooltip="Total daily dose in mg, for drugs only",
                              layout=Layout(width="28em", max_width="98%"))
        self.add_button = Button(description="Add step", icon="plus",
                                 tooltip="Add the selected step (with its dose) to your plan")
        self.undo_button = Button(description="Undo last step", icon="undo",
                                  tooltip="Remove the last step that is not a test")
        self.plan = HTML()
        self.confidence = IntSlider(value=50, min=0, max=100, step=5, continuous_update=False,
                                    description="How sure are you of your leading diagnosis "
                                                "(%)?", style=_WIDE, layout=_FULL)
        self.confidence_note = HTML()
        self.submit_button = Button(description="Submit plan", icon="check",
                                    button_style="primary",
                                    tooltip="Get feedback on this visit's reasoning and plan")
        self.next_button = Button(description="Next visit", icon="forward",
                                  layout=Layout(display="none"),
                                  tooltip="See the patient again, weeks later")
        self.status = HTML()
        self.errors = ErrorArea()
        self.feedback = HTML()
        self.path_text = HTML()
        self.path_figure = Output(layout=Layout(width="100%"), _dom_classes=("dt-flowchart",))
        self.reflection = Textarea(description="Your reflection", style=_WIDE, layout=_FULL,
                                   continuous_update=False,
                                   placeholder="What would you do differently next time?")
        self.debrief_button = Button(description="Debrief", icon="comments",
                                     tooltip="Bias prompts for this case and your reflection")
        self.debrief = HTML()
        self.earlier = Dropdown(options=[("— none yet —", -1)], value=-1,
                                description="Earlier submissions", style=_WIDE,
                                layout=Layout(flex="1 1 24em", width="auto", min_width="0"))
        self.show_earlier = Button(description="Show again", icon="history",
                                   tooltip="Show that submission's feedback and flowchart")
        self.earlier_feedback = HTML()
        self.earlier_reasoning = HTML()
        self.earlier_text = HTML()
        self.resume_note = HTML()
        self.saved_note = HTML()  # points to the earlier submissions at the end of the page
        self.resume_button = Button(description="Resume", icon="play",
                                    layout=Layout(display="none"),
                                    tooltip="Continue your unfinished work on this case")
        self.earlier_figure = Output(layout=Layout(width="100%"),
                                     _dom_classes=("dt-flowchart",))

        guard = self.errors.guard
        self.problem.observe(guard(lambda c: self._learner_act(self.session.state_problem,
                                                               c["new"])), names="value")
        self.dx_search.observe(guard(self._on_search), names="value")
        self.dx_put.on_click(guard(self._on_put))
        self.dx_clear.on_click(guard(self._on_clear))
        self.dx_commit.on_click(guard(self._on_commit))
        self.order_button.on_click(guard(self._on_order))
        self.phase_picker.observe(guard(self._on_phase), names="value")
        self.step_picker.observe(guard(self._on_step), names="value")
        self.add_button.on_click(guard(self._on_add))
        self.undo_button.on_click(guard(lambda _: self._act(self.session.undo)))
        self.confidence.observe(guard(lambda c: self._learner_act(self.session.set_confidence,
                                                                  int(c["new"]))),
                                names="value")
        self.submit_button.on_click(guard(self._on_submit))
        self.next_button.on_click(guard(self._on_next))
        self.debrief_button.on_click(guard(self._on_debrief))
        self.show_earlier.on_click(guard(self._on_show_earlier))
        self.resume_button.on_click(guard(lambda _: self.resume()))

        self.children = (
            KeyboardGuard(), self.title, self.saved_note,
            HBox([self.resume_note, self.resume_button], layout=Layout(flex_flow="row wrap")),
            self.visit_line,
            _heading("What the patient tells you"), self.history, self.problem,
            _heading("Examination"), self.examination,
            _heading("Your differential"), self.dx_search, self.dx_matches,
            HBox([self.dx_slot, self.dx_put, self.dx_clear, self.dx_commit],
                 layout=Layout(flex_flow="row wrap")), self.dx_view,
            _heading("Tests: say why before you see the result"), self.test_picker,
            self.test_target, self.test_change, self.order_button, self.tests_view,
            _heading("Your plan"), self.phase_picker, self.step_picker, self.dose,
            HBox([self.add_button, self.undo_button], layout=Layout(flex_flow="row wrap")),
            self.plan, _heading("Confidence"), self.confidence, self.confidence_note,
            HBox([self.submit_button, self.next_button], layout=Layout(flex_flow="row wrap")),
            self.status, self.errors, self.feedback, self.path_text, self.path_figure,
            _heading("Debrief"), self.reflection, self.debrief_button, self.debrief,
            _heading("Your earlier submissions"),
            HBox([self.earlier, self.show_earlier], layout=Layout(flex_flow="row wrap")),
            self.earlier_feedback, self.earlier_reasoning, self.earlier_text,
            self.earlier_figure)
        self._render()
        if store is not None and learner_id:
            guard(self.use_learner)(learner_id, store)

    @property
    def case(self) -> Case:
        return self.session.case

    @property
    def visit_case(self) -> Case:
        """The case as it stands at the current visit."""
        return case_at_visit(self.case, self.session.visit)

    def __repr__(self) -> str:  # the text/plain a notebook saves: short and deterministic
        return "Workbench: run this cell to work the case"

    def summary(self) -> str:
        """A deterministic text verdict of the last submission (for notebooks and graders)."""
        reports = self.session.reports
        if not reports:
            return "Not submitted yet: work the case, then press Submit plan."
        return feedback_text(reports[-1].assessment, reports[-1])

    def use_learner(self, learner_id: str | None, store: AttemptStore | None) -> None:
        """Save from now on as ``learner_id`` in ``store`` (None: stop saving); lists the
        learner's saved attempts at this case and offers to resume unfinished work."""
        self.learner_id = validate_learner_id(learner_id) if learner_id else None
        self.store = store if self.learner_id else None
        self._list_earlier()
        self._offer_draft()

    def resume(self) -> None:
        """Continue the learner's unfinished work at this case (their saved draft)."""
        draft = (self.store.draft(self.learner_id, self.case.id)
                 if self.store is not None and self.learner_id else None)
        if draft is None:
            raise ActionError("there is no unfinished work on this case to resume")
        self.session = resume(self.case, draft)
        self._kept = self.session.record()
        self._made = []
        self._sync_controls()
        self.resume_button.layout.display = "none"
        self.resume_note.value = ""
        s = self.session
        if s.submitted:
            report = s.reports[-1]
            self._draw(self.path_figure, self.path_text, self.visit_case, report.assessment)
            if s.reflection is not None:
                self.debrief.value = debrief_html(s.debrief(s.reflection)) + self._teaching_html()
        else:
            self._clear_figure(self.path_figure, self.path_text)
        self._say(f"Resumed your work at visit {s.visit + 1}.")

    # -- handlers: one call into the session, then re-render --------------------------------

    def _act(self, call: Any, *args: Any) -> None:
        call(*args)
        self._render()

    def _learner_act(self, call: Any, *args: Any) -> None:
        """A control's value changed: the learner's act, unless the workbench set it."""
        if not self._syncing:
            self._act(call, *args)

    def _on_search(self, change: dict[str, Any]) -> None:
        text = change["new"].strip()
        found = search_diagnoses(text, limit=0) if len(text) >= 2 else []
        self.dx_matches.options = _alphabetical((d.label, d.id) for d in found)

    def _on_put(self, _: Button) -> None:
        if not self.dx_matches.value:
            raise ActionError("search for a diagnosis and select it in Matches first")
        self._slots[self.dx_slot.value] = self.dx_matches.value
        self.dx_slot.value = min(self.dx_slot.value + 1, len(SLOTS) - 1)
        self._render()

    def _on_clear(self, _: Button) -> None:
        self._slots = [None] * len(SLOTS)
        self.dx_slot.value = 0
        self._render()

    def _on_commit(self, _: Button) -> None:
        ranked = [d for d in self._slots[:TOP] if d]
        self.session.set_differential(ranked, must_not_miss=self._slots[TOP])
        self._say("Differential recorded; you may revise it as results come in.")

    def _on_order(self, _: Button) -> None:
        if not self.test_picker.value:
            raise ActionError("choose a test first")
        test = self.session.order_test(self.test_picker.value, change=self.test_change.value,
                                       target=self.test_target.value or None)
        self.test_picker.value, self.test_change.value = "", ""
        self._say(f"Ordered: {test.label} ({test.value}). Its result is below.")

    def choose_step(self, step_id: str) -> None:
        """Select ``step_id`` in the plan's list, showing its phase first (for notebooks and
        tests; the learner picks the phase, then the step)."""
        step = knowledge().steps.get(step_id)
        if step is None or step_id not in {v for _, v in step_options(knowledge(), tests=False)}:
            raise ActionError(f"{step_id!r} is not a step of the plan's list")
        self.phase_picker.value = step.phase
        self.step_picker.value = step_id

    def _on_phase(self, change: dict[str, Any]) -> None:
        self.step_picker.options = step_options(knowledge(), tests=False, phase=change["new"])
        self.step_picker.value = None

    def _on_step(self, change: dict[str, Any]) -> None:
        step = knowledge().steps.get(change["new"]) if change["new"] else None
        self.dose.value = 0.0
        self.dose.disabled = step is None or step.dose is None
        self.step_picker.tooltip = step.description if step else "Choose a step"

    def _on_add(self, _: Button) -> None:
        if not self.step_picker.value:
            raise ActionError("choose a step in the list first, then press Add step")
        dose = self.dose.value or None  # 0 means "no dose entered": the engine judges that
        self.session.add({"step": self.step_picker.value, "dose_mg_per_day": dose}
                         if dose is not None else self.step_picker.value)
        self._say("Added to your plan.")

    def _on_submit(self, _: Button) -> None:
        report = self.session.submit()
        self.feedback.value = feedback_html(report.assessment, report)  # first: on screen soonest
        case = self.visit_case
        made = Submission(f"Visit {report.visit + 1}: score {_score(report.assessment.score)} "
                          "(not saved)", case, report.assessment, report)
        self._made.append(made)
        note = f"Submitted: score {_score(report.assessment.score)}; the feedback is below."
        try:
            if self.store is not None and self.learner_id:  # feedback shows even if this fails
                attempt_id = self.store.record(self.learner_id, report.assessment,
                                               self.session.record())
                self._made[-1] = replace(made, attempt_id=attempt_id)
                note += " Saved."
        finally:
            self._list_earlier()
            self._say(note)
            self._draw(self.path_figure, self.path_text, case, report.assessment)

    def _on_next(self, _: Button) -> None:
        self.session.next_visit()
        self._clear_figure(self.path_figure, self.path_text)
        self._sync_controls()  # the slider back at 50, unrecorded until the learner moves it
        self._say(f"Visit {self.session.visit + 1}: the patient returns at week "
                  f"{self.session.week:g}. Scroll up to read what the patient tells you now "
                  "and update your problem statement.")

    def _on_debrief(self, _: Button) -> None:
        self.debrief.value = (debrief_html(self.session.debrief(self.reflection.value))
                              + self._teaching_html())
        self._debriefed = True
        attempt_id = self._current_attempt()
        if attempt_id is not None and self.store is not None and self.learner_id:
            self.store.save_reasoning(self.learner_id, attempt_id, self.session.record())
            self._say("Your reflection is saved with your attempt.")
        else:
            self._render()

    def _on_show_earlier(self, _: Button) -> None:
        if self.earlier.value < 0:
            raise ActionError("there is no earlier submission to show yet")
        entry = self.submissions[self.earlier.value]
        shown = self.shown = replay(self.case, entry) if isinstance(entry, Attempt) else entry
        label = (_attempt_label(entry, several_visits=self.session.visit_count > 1)
                 if isinstance(entry, Attempt) else entry.label)
        self.earlier_feedback.value = (f"<h4>Shown again — {escape(label)}</h4>"
                                       + feedback_html(shown.assessment, shown.report))
        self.earlier_reasoning.value = (
            reasoning_summary_html(shown.session) if shown.session is not None else
            f"<p><i>{escape(shown.note)}</i></p>" if shown.note else "")
        self._draw(self.earlier_figure, self.earlier_text, shown.case, shown.assessment)

    # -- saved work --------------------------------------------------------------------------

    def _current_attempt(self) -> int | None:
        """The store id of the submission the session now shows: made in this workbench, or
        (after resuming) the saved attempt whose visits are the session's."""
        if not self.session.submitted:
            return None
        if self._made:
            return self._made[-1].attempt_id
        if self.store is None or not self.learner_id:
            return None
        visits = self.session.record()["visits"]
        for attempt in reversed(self.store.attempts(self.learner_id, self.case.id)):
            if attempt.record is not None and attempt.record.get("visits") == visits:
                return attempt.id
        return None

    def _keep(self) -> None:
        """Keep the learner's work as a draft whenever it changed (none once the last visit is
        submitted: the attempt holds it); a store error is shown, the work goes on."""
        record = self.session.record()
        if record == self._kept or self.store is None or not self.learner_id:
            return
        s = self.session
        try:
            if s.submitted and not s.has_next_visit:
                self.store.discard_draft(self.learner_id, self.case.id)
            else:
                self.store.save_draft(self.learner_id, record)
            self._kept = record
        except ProgressStoreError as exc:
            self.errors.show(exc)
            return
        self.resume_button.layout.display = "none"  # the draft is now this work
        self.resume_note.value = ""

    def _offer_draft(self) -> None:
        """Show "Resume" when the learner has unfinished work at this case."""
        draft = None
        if self.store is not None and self.learner_id:
            try:
                draft = self.store.draft(self.learner_id, self.case.id)
            except ProgressStoreError as exc:
                self.errors.show(exc)
        if draft is None or draft.record == self.session.record():
            self.resume_button.layout.display = "none"
            self.resume_note.value = ""
            return
        when = draft.saved_at[:16].replace("T", " ")
        self.resume_button.layout.display = None
        self.resume_note.value = (f'<p role="status">You have unfinished work on this case '
                                  f"(saved {escape(when)} UTC). Resume it, or start afresh: "
                                  "your next change replaces it.</p>")

    def _sync_controls(self) -> None:
        """Set the controls from the session without recording anything."""
        s = self.session
        self._syncing = True
        try:
            self.problem.value = s.problem_statement or ""
            self.confidence.value = s.confidence if s.confidence is not None else 50
            self.reflection.value = s.reflection or ""
            d = s.differential
            ranked = list(d.ranked) if d else []
            self._slots = [*ranked, *[None] * (TOP - len(ranked)), d.must_not_miss if d else None]
        finally:
            self._syncing = False

    # -- rendering ---------------------------------------------------------------------------

    def _list_earlier(self) -> None:
        """Saved attempts (judged again when shown), then this session's unsaved ones."""
        saved: list[Attempt] = []
        if self.store is not None and self.learner_id:
            try:
                saved = self.store.attempts(self.learner_id, self.case.id)
            except ProgressStoreError as exc:  # the case stays workable
                self.errors.show(exc)
        listed = {a.id for a in saved}
        count = len(saved)
        self.saved_note.value = (
            f"<p>You have {count} saved {'submission' if count == 1 else 'submissions'} on "
            "this case: choose one under <b>Your earlier submissions</b> at the end of the page "
            "to see its feedback, flowchart and reasoning again.</p>" if count else "")
        self.submissions = [*saved, *(s for s in self._made if s.attempt_id not in listed
                                      or s.attempt_id is None)]
        several = self.session.visit_count > 1
        options = [(_attempt_label(s, several_visits=several) if isinstance(s, Attempt)
                    else s.label, i)
                   for i, s in enumerate(self.submissions)]
        self.earlier.options = options[::-1] or [("— none yet —", -1)]
        self.earlier.value = self.earlier.options[0][1]

    def _draw(self, area: Output, text: HTML, case: Case, assessment: Assessment) -> None:
        chosen = list(assessment.chosen)
        area.outputs = (figure_output(algorithm_figure(case, chosen)),)
        text.value = ("<details><summary>The flowchart in words (your path and the recommended "
                      f"path)</summary><pre style=\"white-space:pre-wrap\">"
                      f"{escape(algorithm_description(case, chosen))}</pre></details>")

    @staticmethod
    def _clear_figure(area: Output, text: HTML) -> None:
        area.outputs = ()
        text.value = ""

    def _teaching_html(self) -> str:
        """The diagnosis, the outcome and the teaching points: only once the last visit is
        submitted (they would give the later visits away)."""
        case = self.case
        if self.session.has_next_visit:
            return ("<p><i>The diagnosis, what happened next and the teaching points appear "
                    "after the last visit: press Next visit to see the patient again.</i></p>")
        return (f"<h4>Diagnosis</h4><p>{escape(diagnosis_label(case.diagnosis))}</p>"
                f"<h4>What happened next</h4>{_paragraphs(case.stages.follow_up)}"
                f"<h4>Teaching points</h4>{_paragraphs(case.teaching_notes)}")

    def _say(self, message: str) -> None:
        self.status.value = f'<div role="status" aria-live="polite">{escape(message)}</div>'
        self._render()

    def _render(self) -> None:
        s = self.session
        total = s.visit_count
        self.visit_line.value = (f"<p><b>Visit {s.visit + 1} of {total}</b>, week "
                                 f"{s.week:g} of symptoms</p>" if total > 1 else
                                 f"<p>Week {s.week:g} of symptoms</p>")
        self.history.value = _paragraphs(s.history)
        self.examination.value = (_paragraphs(s.examination) if s.examination else
                                  "<p><i>Examine the patient to see the findings: add an "
                                  "assessment step to your plan.</i></p>")
        self.dx_view.value = differential_html(list(zip(SLOTS, self._slots, strict=True)),
                                               s.differential)
        self.tests_view.value = ordered_tests_html(s.tests, s.visit)
        self.plan.value = plan_html(s.actions)
        self.confidence_note.value = ("" if s.confidence is not None else
                                      "<p><i>Move the slider to record your confidence.</i></p>")
        self.next_button.layout.display = None if s.submitted and s.has_next_visit else "none"
        reports = s.reports
        if s.submitted:
            self.feedback.value = feedback_html(reports[-1].assessment, reports[-1])
        elif reports and reports[-1].visit == s.visit:
            self.feedback.value = ("<p><i>Your work changed since the last feedback; submit "
                                   "again to update it.</i></p>")
        else:
            self.feedback.value = "<p><i>Submit your plan to get feedback.</i></p>"
        self._keep()


class CasePicker(VBox):
    """Choose a case (described neutrally) and open a :class:`Workbench` for it.

    Under JupyterHub the hub user is the learner id. Elsewhere the learner may type a nickname
    at any time (before or after opening a case); from then on every submission is saved to
    ``store`` (default: :func:`dystonia_teach.store.open_store`, opened when first needed).
    """

    def __init__(self, *, store: AttemptStore | None = None,
                 learner_id: str | None = None, save: bool = True) -> None:
        super().__init__(_dom_classes=("dt-root",))
        self.store, self.save = store, save
        self.errors = ErrorArea()
        hub_problem: ProgressStoreError | None = None
        try:
            self.hub_user = current_learner() if save else None
        except ProgressStoreError as exc:  # a hub user name that cannot be a learner id
            self.hub_user, hub_problem = None, exc
        teasers = case_teasers()
        options = [(teaser, case_id) for case_id, teaser, _ in teasers if teaser]
        problems = [f"case {number}: {problem}"
                    for number, (_, _, problem) in enumerate(teasers, 1) if problem]
        # a list whose texts wrap: a select cuts a long title off in a narrow window
        self.cases = RadioButtons(options=options, value=None, description="Case",
                                  style=_WIDE, tooltip="The patient to see", layout=_FULL,
                                  _dom_classes=(*_STACKED, "dt-cases"))
        self.learner = Text(value=self.hub_user or learner_id or "", description="Learner id",
                            disabled=bool(self.hub_user), style=_WIDE,
                            continuous_update=False,
                            placeholder="a nickname, never your real name; press Enter",
                            tooltip="Type the same nickname each time to keep your attempts; "
                                    "leave empty to work without saving",
                            layout=Layout(display=None if save and not self.hub_user
                                          else "none"))
        self.open_button = Button(description="Open case", icon="folder-open",
                                  tooltip="Open the chosen case")
        self.open_button.on_click(self.errors.guard(self._on_open))
        self.learner.observe(self.errors.guard(lambda _: self._apply_learner()), names="value")
        self.workbench: Workbench | None = None
        self.status = HTML()
        self.area = VBox()
        self.children = (KeyboardGuard(), self.learner, self.cases, self.open_button,
                         self.errors, self.status, self.area)
        self.errors.guard(self._apply_learner)()
        if hub_problem is not None:
            self.errors.show(hub_problem)
        if problems:
            self.errors.show(DystoniaTeachError("some cases could not be loaded and are not "
                                                "listed: " + " | ".join(problems)))

    def __repr__(self) -> str:  # what a reopened notebook shows before the cell is run again
        return "Case picker: run this cell (Shift + Enter) to start"

    @property
    def learner_id(self) -> str | None:
        if self.hub_user:
            return self.hub_user
        return self.learner.value.strip() or None if self.save else None

    def _apply_learner(self) -> None:
        """Save from now on as the current learner id (also in an open workbench)."""
        learner_id, store = self.learner_id, None
        if learner_id:
            validate_learner_id(learner_id)
            try:
                store = self.store = self.store or open_store()
            except ProgressStoreError:
                self.status.value = ('<div role="status">Not saving: the progress store could '
                                     "not be opened (see the message above).</div>")
                raise
        if self.workbench is not None:
            self.workbench.use_learner(learner_id, store)
        if store is not None and self.hub_user:
            note = f"Saving your attempts as {learner_id} (your JupyterHub user)."
        elif store is not None:
            note = (f"Saving your attempts as {learner_id}. Use the same learner id next time "
                    "to see them again.")
        else:
            note = ("Not saving: type a learner id (a nickname) and press Enter to keep your "
                    "attempts." if self.save else "")
        self.status.value = f'<div role="status">{escape(note)}</div>' if note else ""

    def _on_open(self, _: Button) -> None:
        if not self.cases.value:
            raise ValueError("choose a case in the list first, then press Open case")
        title = dict((v, k) for k, v in self.cases.options)[self.cases.value]
        self.workbench = Workbench(self.cases.value, title=title)
        self.area.children = (self.workbench,)
        self._apply_learner()


def case_picker(*, store: AttemptStore | None = None, learner_id: str | None = None,
                save: bool = True) -> CasePicker:
    """A case chooser that opens a workbench; with a learner id (the JupyterHub user, or a
    typed nickname), attempts are saved. ``save=False`` hides the learner id."""
    return CasePicker(store=store, learner_id=learner_id, save=save)
