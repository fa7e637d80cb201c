"""The case picker: choose a case (described neutrally) and open a workbench for it.

Coming back is one click. The learner id is the JupyterHub user under a hub; on a laptop the
nickname typed once is kept with the working copy of the course. With a learner id, finished
cases are marked in the list and "Resume where you stopped" opens the case with the learner's
latest unfinished work, as it was (an uncommitted differential included). After a case's
debrief, "Next case" opens the case :func:`~dystonia_teach.course.case_order.next_case` chooses.
"""

from __future__ import annotations

from html import escape

from ipywidgets import HTML, Button, Layout, RadioButtons, Text, VBox

from dystonia_teach.core.errors import DystoniaTeachError
from dystonia_teach.course.case_order import finished_cases, next_case
from dystonia_teach.course.workspace import remember_learner, remembered_learner
from dystonia_teach.render.text import case_teasers
from dystonia_teach.store import (
    AttemptStore,
    Draft,
    ProgressStoreError,
    current_learner,
    open_store,
    validate_learner_id,
)
from dystonia_teach.widgets._choices import refill
from dystonia_teach.widgets._errors import ErrorArea
from dystonia_teach.widgets._keyboard import KeyboardGuard
from dystonia_teach.widgets.workbench import Workbench
from dystonia_teach.widgets.workbench._panel import FULL, STACKED, WIDE

FINISHED = " (finished ✔)"


class CasePicker(VBox):
    """A case list, the learner id, "Resume where you stopped" and the open workbench."""

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
        self.teasers = {case_id: teaser for case_id, teaser, _ in teasers if teaser}
        problems = [f"case {number}: {problem}"
                    for number, (_, _, problem) in enumerate(teasers, 1) if problem]
        # a radio list whose texts wrap (a select cuts a long title off in a narrow window);
        # one Tab stop, arrow keys inside (the keyboard guard names the group)
        self.cases = RadioButtons(options=self._options(set()), value=None, description="Case",
                                  style=WIDE, tooltip="The patient to see", layout=FULL,
                                  _dom_classes=(*STACKED, "dt-cases"))
        typed = learner_id or (remembered_learner() if save and not self.hub_user else None)
        self.learner = Text(value=self.hub_user or typed or "", description="Learner id",
                            disabled=bool(self.hub_user), style=WIDE, continuous_update=False,
                            placeholder="a nickname, never your real name; press Enter",
                            tooltip="Type the same nickname each time to keep your attempts; "
                                    "leave empty to work without saving",
                            layout=Layout(display=None if save and not self.hub_user
                                          else "none"))
        self.status = HTML()
        self.resume_button = Button(description="Resume where you stopped", icon="play",
                                    layout=Layout(display="none", width="auto"),
                                    tooltip="Open the case you were working on, as you left it")
        self.open_button = Button(description="Open case", icon="folder-open",
                                  tooltip="Open the chosen case")
        self.open_button.on_click(self.errors.guard(self._on_open))
        self.resume_button.on_click(self.errors.guard(lambda _: self._resume()))
        self.learner.observe(self.errors.guard(lambda _: self._apply_learner()), names="value")
        self.workbench: Workbench | None = None
        self._draft: Draft | None = None
        self.area = VBox()
        self.children = (KeyboardGuard(), self.learner, self.status, self.resume_button,
                         self.cases, self.open_button, self.errors, self.area)
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

    def _options(self, finished: set[str]) -> list[tuple[str, str]]:
        return [(teaser + (FINISHED if case_id in finished else ""), case_id)
                for case_id, teaser in self.teasers.items()]

    def _apply_learner(self) -> None:
        """Save from now on as the current learner id (also in an open workbench); mark the
        finished cases and offer the latest unfinished work."""
        learner_id, store = self.learner_id, None
        if learner_id:
            validate_learner_id(learner_id)
            try:
                store = self.store = self.store or open_store()
            except ProgressStoreError:
                self.status.value = ('<p role="status">Not saving: the progress store could '
                                     "not be opened (see the message below).</p>")
                raise
        if self.save and not self.hub_user:
            remember_learner(learner_id)
        if self.workbench is not None:
            self.workbench.use_learner(learner_id, store)
        self._show_progress(store)
        if store is not None and self.hub_user:
            note = f"Saving your attempts as {learner_id} (your JupyterHub user)."
        elif store is not None:
            note = f"Saving your attempts as {learner_id}; this computer remembers it."
        else:
            note = ("Not saving: type a learner id (a nickname) and press Enter to keep your "
                    "attempts." if self.save else "")
        self.status.value = f'<p role="status">{escape(note)}</p>' if note else ""

    def _show_progress(self, store: AttemptStore | None) -> None:
        """Finished cases marked in the list; the latest unfinished work offered."""
        finished: set[str] = set()
        self._draft = None
        if store is not None and self.learner_id:
            finished = finished_cases(store.attempts(self.learner_id))
            drafts = [d for d in (store.draft(self.learner_id, c) for c in self.teasers) if d]
            self._draft = max(drafts, key=lambda d: d.saved_at, default=None)
        refill(self.cases, self._options(finished), self.cases.value)
        draft = self._draft
        if draft is not None:
            number = list(self.teasers).index(draft.case_id) + 1
            visit = len(draft.record.get("visits") or [None])
            self.resume_button.description = (f"Resume where you stopped: case {number}"
                                              + (f", visit {visit}" if visit > 1 else ""))
        self.resume_button.layout.display = None if draft is not None else "none"

    def open_case(self, case_id: str) -> Workbench:
        """Open ``case_id`` in a new workbench below the list (the learner's id applies)."""
        self.cases.value = case_id
        self.workbench = Workbench(case_id, title=self.teasers.get(case_id),
                                   next_case=self._next_case, open_case=self.open_case)
        self.area.children = (self.workbench,)
        self._apply_learner()
        self.workbench.focus("title")  # the page goes to the case, and the focus with it
        return self.workbench

    def _on_open(self, _: Button) -> None:
        if not self.cases.value:
            raise ValueError("choose a case in the list first, then press Open case")
        self.open_case(self.cases.value)

    def _resume(self) -> None:
        if self._draft is None:
            raise ValueError("there is no unfinished work to resume")
        self.open_case(self._draft.case_id).resume()

    def _next_case(self, current: str) -> tuple[str, str] | None:
        finished = {current} if self.workbench is not None else set()
        choice = next_case(self.store if self.learner_id else None, self.learner_id, current,
                           list(self.teasers), finished)
        return (choice.case_id, choice.reason) if choice else None


def case_picker(*, store: AttemptStore | None = None, learner_id: str | None = None,
                save: bool = True) -> CasePicker:
    """A case chooser that opens a workbench; with a learner id (the JupyterHub user, or a
    nickname, remembered on this computer), attempts are saved. ``save=False`` hides the
    learner id."""
    return CasePicker(store=store, learner_id=learner_id, save=save)
