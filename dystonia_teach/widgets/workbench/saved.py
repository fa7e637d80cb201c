"""The workbench's store hand-off: each submission saved with its reasoning, the reflection
added to its attempt, unfinished work kept as a draft and resumed, earlier attempts listed and
the last attempt at a visit found (for "what improved"). A store error is shown in the panel
that caused it; the learner's work goes on and nothing saved is lost."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from dystonia_teach.core.errors import ActionError
from dystonia_teach.core.reasoning import ReasoningSession, VisitReport
from dystonia_teach.core.results import Assessment
from dystonia_teach.core.visits import case_at_visit
from dystonia_teach.store import Attempt, AttemptStore, ProgressStoreError, validate_learner_id
from dystonia_teach.store.replay import Submission, replay, resume
from dystonia_teach.widgets.workbench.feedback import score_text

if TYPE_CHECKING:
    from dystonia_teach.widgets.workbench import Workbench


class SavedWork:
    """The saving half of :class:`~dystonia_teach.widgets.workbench.Workbench`."""

    store: AttemptStore | None
    learner_id: str | None
    session: ReasoningSession
    _made: list[Submission]
    _kept: dict[str, object]

    def use_learner(self: Workbench, learner_id: str | None,
                    store: AttemptStore | None) -> None:
        """Save from now on as ``learner_id`` in ``store`` (None: stop saving); lists the
        learner's saved attempts at this case and offers to resume unfinished work."""
        self.learner_id = validate_learner_id(learner_id) if learner_id else None
        self.store = store if self.learner_id else None
        self._list_earlier()
        self._offer_draft()

    def resume(self: Workbench) -> None:
        """Continue the learner's unfinished work at this case (their saved draft)."""
        draft = (self.store.draft(self.learner_id, self.case.id)
                 if self.store is not None and self.learner_id else None)
        if draft is None:
            raise ActionError("there is no unfinished work on this case to resume")
        self.session = resume(self.case, draft)
        self._kept = self.session.record()
        self._made = []
        self.sync()
        self.tracker.offer(None)
        self.redraw()
        self.tracker.message.say(f"Resumed your work at visit {self.session.visit + 1}.")

    def has_draft(self: Workbench) -> bool:
        return self.tracker.resume_button.layout.display != "none"

    def save_submission(self: Workbench, report: VisitReport) -> str:
        """Keep the submission (saved when there is a learner id); the note to add."""
        made = Submission(f"Visit {report.visit + 1}, attempt {report.attempt}: score "
                          f"{score_text(report.assessment.score)} (not saved)",
                          case_at_visit(self.case, report.visit), report.assessment, report)
        self._made.append(made)
        try:
            if self.store is None or not self.learner_id:
                return " Not saved: type a learner id to keep your attempts."
            attempt_id = self.store.record(self.learner_id, report.assessment,
                                           self.session.record())
            self._made[-1] = replace(made, attempt_id=attempt_id)
            return " Saved."
        except ProgressStoreError as exc:
            raise ProgressStoreError(f"your feedback is below, but it was not saved ({exc}); "
                                     "submit again to save it") from exc
        finally:
            self._list_earlier()

    def save_reflection(self: Workbench) -> str:
        """Save the reflection with the attempt the session shows; the note to show."""
        attempt_id = self._current_attempt()
        if attempt_id is None or self.store is None or not self.learner_id:
            return "The debrief is below."
        self.store.save_reasoning(self.learner_id, attempt_id, self.session.record())
        return "Your reflection is saved with your attempt; the debrief is below."

    def previous_assessment(self: Workbench) -> Assessment | None:
        """The learner's last judged attempt at this visit: in this session, else saved."""
        reports = self.session.visit_reports
        if reports:
            return reports[-1].assessment
        for attempt in reversed(self._saved()):
            visits = (attempt.record or {}).get("visits") or []
            if len(visits) == self.session.visit + 1 and visits[-1].get("score") is not None:
                return replay(self.case, attempt).assessment
        return None

    # -- the store, read and written -------------------------------------------------------------

    def _saved(self: Workbench) -> list[Attempt]:
        if self.store is None or not self.learner_id:
            return []
        try:
            return self.store.attempts(self.learner_id, self.case.id)
        except ProgressStoreError as exc:  # the case stays workable
            self.earlier.message.show(exc)
            return []

    def _current_attempt(self: Workbench) -> int | None:
        """The store id of the submission the session shows: made in this workbench, or
        (after resuming) the saved attempt whose visits are the session's."""
        if not self.session.submitted:
            return None
        if self._made:
            return self._made[-1].attempt_id
        visits = self.session.record()["visits"]
        for attempt in reversed(self._saved()):
            if attempt.record is not None and attempt.record.get("visits") == visits:
                return attempt.id
        return None

    def _keep(self: Workbench) -> None:
        """Keep the learner's work as a draft whenever it changed (none once the last visit is
        submitted: the attempt holds it)."""
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
            self.tracker.message.show(exc)
            return
        self.tracker.offer(None)  # the draft is now this work

    def _offer_draft(self: Workbench) -> None:
        """Offer "Resume where you stopped" when the learner has unfinished work here."""
        draft = None
        if self.store is not None and self.learner_id:
            try:
                draft = self.store.draft(self.learner_id, self.case.id)
            except ProgressStoreError as exc:
                self.tracker.message.show(exc)
        fresh = draft is None or draft.record == self.session.record()
        self.tracker.offer(None if fresh else draft.saved_at[:16].replace("T", " "))

    def _list_earlier(self: Workbench) -> None:
        saved = self._saved()
        count = len(saved)
        self.tracker.saved_note.value = (
            f"<p>You have {count} saved {'submission' if count == 1 else 'submissions'} on "
            "this case: choose one under <b>Your earlier submissions</b> at the end of the page "
            "to see its feedback, flowchart and reasoning again.</p>" if count else "")
        self.earlier.list(saved, self._made)
