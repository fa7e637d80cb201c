"""The case workbench: one small panel per stage of the encounter, each a view over the same
:class:`~dystonia_teach.core.reasoning.ReasoningSession`, in the order a clinician works:
where you are (tracker), what the patient tells you, history and examination, differential and
confidence, tests, plan, submit and feedback, debrief, earlier submissions. Its second mode,
the quick check, asks the case's key-feature questions instead (:mod:`.quick_check`).

A panel's handler makes one call into the session; its message appears in that panel, beside
the control; then every panel redraws from the session. The workbench owns the session and the
store hand-off: with a store and a learner id each submission is saved with its reasoning,
unfinished work (an uncommitted differential included) is kept as a draft to resume, and any
earlier attempt can be shown again. Tests and notebooks drive it headless: set ``.value`` on a
panel's controls, call ``.click()`` on its buttons, read its HTML or :meth:`Workbench.summary`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from html import escape

from ipywidgets import HTML, Layout, VBox

from dystonia_teach.casefiles.loader import load_case
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.errors import ActionError
from dystonia_teach.core.reasoning import ReasoningSession
from dystonia_teach.render.feedback import feedback_text
from dystonia_teach.render.teaser import case_teaser
from dystonia_teach.store import AttemptStore
from dystonia_teach.store.replay import Submission
from dystonia_teach.widgets._keyboard import KeyboardGuard
from dystonia_teach.widgets.workbench._panel import Panel
from dystonia_teach.widgets.workbench.debrief import DebriefPanel
from dystonia_teach.widgets.workbench.differential import DifferentialPanel
from dystonia_teach.widgets.workbench.earlier import EarlierPanel
from dystonia_teach.widgets.workbench.examine import ExaminePanel
from dystonia_teach.widgets.workbench.feedback import FeedbackPanel
from dystonia_teach.widgets.workbench.plan import PlanPanel, step_options
from dystonia_teach.widgets.workbench.problem import ProblemPanel
from dystonia_teach.widgets.workbench.quick_check import ModeSwitch, QuickCheckPanel
from dystonia_teach.widgets.workbench.saved import SavedWork
from dystonia_teach.widgets.workbench.tests import TestsPanel
from dystonia_teach.widgets.workbench.tracker import TrackerPanel

_KEYS = itertools.count(1)
#: Suggest the next case: current case id -> (case id, reason), or None.
NextCase = Callable[[str], "tuple[str, str] | None"]


class Workbench(SavedWork, VBox):
    """Work one case as a clinician would, visit by visit (see the module docstring)."""

    def __init__(self, case: Case | str, *, store: AttemptStore | None = None,
                 learner_id: str | None = None, title: str | None = None,
                 next_case: NextCase | None = None,
                 open_case: Callable[[str], None] | None = None) -> None:
        super().__init__(layout=Layout(width="100%"), _dom_classes=("dt-root", "dt-workbench"))
        case = case if isinstance(case, Case) else load_case(case)
        self.session = ReasoningSession(case)
        self.key = f"dt-wb{next(_KEYS)}"  # ids of this workbench's figures, unique on a page
        self.store: AttemptStore | None = None
        self.learner_id: str | None = None
        self.syncing = False
        self._made: list[Submission] = []  # submitted in this workbench
        self._kept = self.session.record()  # the work as last kept
        self._next_case, self._open_case = next_case, open_case
        self._suggestion: tuple[object, tuple[str, str] | None] = (None, None)
        self.guard = KeyboardGuard()
        self.tracker = TrackerPanel(self)
        self.patient = ProblemPanel(self, 1)
        self.examine = ExaminePanel(self, 2)
        self.differential = DifferentialPanel(self, 3)
        self.tests = TestsPanel(self, 4)
        self.plan = PlanPanel(self, 5)
        self.feedback = FeedbackPanel(self, 6)
        self.debrief = DebriefPanel(self, 7)
        self.earlier = EarlierPanel(self, 8)
        self.panels: tuple[Panel, ...] = (
            self.tracker, self.patient, self.examine, self.differential, self.tests, self.plan,
            self.feedback, self.debrief, self.earlier)
        self.quick_check = QuickCheckPanel(self)
        self.mode = ModeSwitch(self.panels, self.quick_check)
        for panel in (*self.panels, self.quick_check):
            key = type(panel).__name__.removesuffix("Panel").lower()
            panel.add_class(f"dt-panel-{key}")
        self.title = HTML(f"<h2>{escape(title or case_teaser(case))}</h2>",
                          _dom_classes=("dt-panel-title",))
        self.children = (self.guard, self.title, self.mode, *self.panels, self.quick_check)
        self.sync()
        self.redraw()
        if store is not None and learner_id:
            self.tracker.message.guard(self.use_learner)(learner_id, store)

    @property
    def case(self) -> Case:
        return self.session.case

    def __repr__(self) -> str:  # the text/plain a notebook saves: short and deterministic
        return "Workbench: run this cell to work the case"

    def summary(self) -> str:
        """A deterministic text verdict of the last submission (for notebooks and graders)."""
        reports = self.session.reports
        if not reports:
            return "Not submitted yet: work the case, then press Submit plan."
        return feedback_text(reports[-1].assessment, reports[-1])

    def choose_step(self, step_id: str) -> None:
        """Select ``step_id`` in the plan's list (for notebooks and tests)."""
        self.plan.choose(step_id)

    # -- what the panels call -------------------------------------------------------------------

    def quiet(self, acting: Panel) -> None:
        """Clear every other panel's messages: one message at a time, beside its control."""
        for panel in self.panels:
            if panel is not acting:
                panel.message.clear()

    def redraw(self) -> None:
        for panel in self.panels:
            panel.redraw()
        self._keep()

    def changed(self) -> None:
        """The learner's work changed outside the session's judged state (the draft)."""
        self._keep()

    def sync(self) -> None:
        """Set every control from the session without recording anything."""
        self.syncing = True
        try:
            for panel in self.panels:
                panel.sync()
        finally:
            self.syncing = False

    def focus(self, panel: str) -> None:
        """Scroll to the ``panel`` ("title", "problem", "feedback", …) and move the focus
        to its heading."""
        self.guard.focus(f"dt-panel-{panel}")

    def suggest_next_case(self) -> tuple[str, str] | None:
        """The case to work next, with why (asked once per submission)."""
        if self._next_case is None or self._open_case is None:
            return None
        key = (len(self._made), self.learner_id)
        if self._suggestion[0] != key:
            self._suggestion = (key, self._next_case(self.case.id))
        return self._suggestion[1]

    def open_case(self, case_id: str) -> None:
        if self._open_case is None:
            raise ActionError("open the next case from the case list")
        self._open_case(case_id)


__all__ = ["Workbench", "step_options"]
