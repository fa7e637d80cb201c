"""The workbench driven headless: set ``.value``, call ``.click()``, read what it shows.

Names carry the issue's words so that ``-k "differential or justif or confidence or visit"``
selects the reasoning walk-through.
"""

from __future__ import annotations

import sqlite3
from html import escape
from pathlib import Path

import pytest

from dystonia_teach import Action, list_cases, load_case, recommended_actions
from dystonia_teach.core.diagnoses import diagnosis_label, diagnosis_scripts
from dystonia_teach.core.errors import ActionError
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.visits import case_at_visit
from dystonia_teach.render.teaser import case_teaser
from dystonia_teach.store import ProgressStore
from dystonia_teach.widgets._keyboard import KeyboardGuard
from dystonia_teach.widgets.workbench import Workbench, case_picker

from .conftest import make_case

REASON = "a result at the level and side of the signs would change the plan"


def _add(wb: Workbench, action: Action | str, dose: float | None = None) -> None:
    if isinstance(action, Action):
        action, dose = action.step, action.dose_mg_per_day
    wb.choose_step(action)
    if dose is not None:
        wb.dose.value = dose
    wb.add_button.click()


def _order(wb: Workbench, step: str, reason: str = REASON, target: str = "") -> None:
    wb.test_picker.value = step
    wb.test_target.value = target
    wb.test_change.value = reason
    wb.order_button.click()


def _rank(wb: Workbench, ranked: list[str], must_not_miss: str | None = None) -> None:
    """Find each diagnosis by searching its label's first word, put it in place, commit."""
    wb.dx_clear.click()
    for place, diagnosis in [*enumerate(ranked), *([(3, must_not_miss)] if must_not_miss
                                                   else [])]:
        wb.dx_search.value = diagnosis_label(diagnosis).split()[0][:5]
        assert diagnosis in [value for _, value in wb.dx_matches.options], diagnosis
        wb.dx_matches.value = diagnosis
        wb.dx_slot.value = place
        wb.dx_put.click()
    wb.dx_commit.click()


def _work(wb: Workbench, actions: list[Action], diagnosis: str | None = None) -> None:
    """Every recommended step through the workbench: tests justified, the rest added."""
    steps = knowledge().steps
    aliases = {s.alias_of: s.id for s in steps.values() if s.alias_of}
    for action in actions:
        if steps[action.step].reveals:  # an urgent order through its alias (urgent_mri)
            _order(wb, aliases[f"{action.step}!urgent"] if action.urgent else action.step)
        else:
            _add(wb, action)
        assert wb.errors.value == "", (action, wb.errors.value)
    if diagnosis:
        _rank(wb, [diagnosis])


@pytest.mark.parametrize("case_id", list_cases())
def test_recommended_plan_with_justified_tests_scores_full_marks(case_id: str) -> None:
    case = load_case(case_id)
    wb = Workbench(case_id)
    _work(wb, recommended_actions(case), case.diagnosis)
    wb.submit_button.click()
    report = wb.session.reports[-1]
    assert wb.errors.value == ""
    assert report.assessment.score == 1.0 and not report.assessment.by_severity("critical")
    # The score line is the engine's rubric (knowledge/scoring.yaml): 100 points, safe.
    assert "Score 100/100: " in wb.feedback.value and "✖ Critical" not in wb.feedback.value
    assert report.assessment.points == 100 and report.assessment.safety == "safe"
    assert wb.summary().splitlines()[1].startswith("Score 100/100: ")


def test_differential_is_found_by_search_only_and_compared_with_the_facts() -> None:
    case = load_case("functional_dystonia_mimic")
    wb = Workbench(case)
    assert wb.dx_matches.options == ()  # nothing listed before the learner searches
    wb.dx_search.value = "p"
    assert wb.dx_matches.options == ()
    wb.dx_search.value = "parkin"
    assert [v for _, v in wb.dx_matches.options] == ["parkinsonism_foot_dystonia"]
    wb.dx_put.click()  # nothing selected yet
    assert "select it in Matches" in wb.errors.value
    every = {v for d in diagnosis_scripts().values() for v in [d.id]}
    found = set()
    for d in diagnosis_scripts().values():
        wb.dx_search.value = d.label.split()[0]
        found |= {v for _, v in wb.dx_matches.options}
    assert found == every  # the full vocabulary is reachable by search

    _rank(wb, ["radiculopathy_dystonia", "parkinsonism_foot_dystonia", "polyneuropathy"],
          must_not_miss="cauda_equina_syndrome")
    assert wb.session.differential.ranked[0] == "radiculopathy_dystonia"
    assert "Recorded differential" in wb.dx_view.value
    _add(wb, "neuro_exam")
    wb.submit_button.click()
    d = wb.session.reports[-1].differential
    assert d is not None and not d.leading_correct
    assert "the facts point to" in wb.feedback.value
    assert "Illness scripts" in wb.feedback.value
    assert escape(diagnosis_label(case.diagnosis).lower()) in wb.feedback.value.lower()


def test_a_test_is_justified_before_its_result_is_revealed() -> None:
    case = load_case("early_uncomplicated")
    wb = Workbench(case)
    report = escape(case.investigations.imaging.report)
    _order(wb, "mri_lumbar_noncontrast")
    assert "examine the patient" in wb.errors.value and report not in wb.tests_view.value
    _add(wb, "neuro_exam")
    _order(wb, "mri_lumbar_noncontrast", reason="  ")
    assert "which result would change management" in wb.errors.value
    assert report not in wb.tests_view.value
    _add(wb, "naproxen", 1000)
    wb.test_picker.value = "mri_lumbar_noncontrast"
    wb.test_change.value = "a compressed L5 root"
    wb.order_button.click()
    assert wb.errors.value == ""
    assert report in wb.tests_view.value and "low value" in wb.tests_view.value
    assert "a compressed L5 root" in wb.tests_view.value
    assert wb.test_picker.value == "" and wb.test_change.value == ""  # ready for the next
    assert "mri_lumbar_noncontrast" not in [v for _, v in wb.step_picker.options]
    wb.undo_button.click()  # undo removes the last step that is not a test
    assert [a.step for a in wb.session.actions] == ["neuro_exam", "mri_lumbar_noncontrast"]
    wb.submit_button.click()
    assert "(low value): Low-value test" in wb.feedback.value  # low-value ordering is named


@pytest.mark.parametrize(("leading", "percent", "verdict"), [
    ("functional_dystonia", 90, "Confidently wrong"),
    ("radiculopathy_dystonia", 90, "Right, and sure of it"),
    ("radiculopathy_dystonia", 20, "Right, but unsure"),
])
def test_confidence_weights_the_feedback(leading: str, percent: int, verdict: str) -> None:
    wb = Workbench("early_uncomplicated")
    assert "Move the slider" in wb.confidence_note.value
    _add(wb, "neuro_exam")
    _rank(wb, [leading])
    wb.confidence.value = percent
    assert wb.session.confidence == percent and wb.confidence_note.value == ""
    wb.submit_button.click()
    assert verdict in wb.feedback.value


def test_two_visits_then_a_debrief_with_a_saved_reflection(tmp_path: Path) -> None:
    case = load_case("early_uncomplicated")
    store = ProgressStore(tmp_path / "progress.sqlite3")
    wb = Workbench(case, store=store, learner_id="owl_1")
    assert "Visit 1 of 2" in wb.visit_line.value
    wb.problem.value = "46-year-old man, 3 weeks of right leg pain, toes curl when walking"
    _work(wb, recommended_actions(case), case.diagnosis)
    wb.confidence.value = 80
    assert wb.next_button.layout.display == "none"
    wb.submit_button.click()
    assert "Saved" in wb.status.value and wb.next_button.layout.display is None

    wb.next_button.click()
    later = case_at_visit(case, 1)
    assert wb.errors.value == "" and "Visit 2 of 2" in wb.visit_line.value
    assert f"week {later.course.symptom_weeks:g}" in wb.visit_line.value
    assert escape(later.stages.presentation.split("\n")[0][:60]) in wb.history.value
    assert "Submit your plan" in wb.feedback.value and wb.path_figure.outputs == ()
    _work(wb, recommended_actions(later))
    wb.submit_button.click()
    assert wb.session.reports[-1].assessment.score == 1.0
    assert wb.next_button.layout.display == "none"  # the last visit

    wb.reflection.value = "I wanted an MRI at week 3; the history was enough."
    wb.debrief_button.click()
    assert "Anchoring on the MRI" in wb.debrief.value
    assert "the history was enough" in wb.debrief.value
    assert escape(diagnosis_label(case.diagnosis)) in wb.debrief.value
    assert wb.session.reflection.startswith("I wanted an MRI")
    assert [a.score for a in store.attempts("owl_1", case.id)] == [1.0, 1.0]


def test_earlier_submissions_are_shown_again_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    case = load_case("early_uncomplicated")
    wb = Workbench(case, store=ProgressStore(path), learner_id="owl_2")
    _add(wb, "bed_rest")
    wb.submit_button.click()
    first = wb.feedback.value
    _work(wb, recommended_actions(case), case.diagnosis)
    wb.submit_button.click()
    wb.next_button.click()
    _add(wb, "neuro_exam")
    wb.submit_button.click()  # visit 2, judged on the week-10 facts

    restarted = Workbench(case.id, store=ProgressStore(path), learner_id="owl_2")
    labels = [label for label, _ in restarted.earlier.options]
    assert len(labels) == 3 and labels[0].startswith("Attempt 3")
    restarted.earlier.value = next(v for label, v in restarted.earlier.options
                               if label.startswith("Attempt 1"))
    restarted.show_earlier.click()
    assert restarted.errors.value == ""
    assert "Bed rest" in restarted.earlier_feedback.value
    assert first.split("<h4>Your reasoning")[0] in restarted.earlier_feedback.value
    assert len(restarted.earlier_figure.outputs) == 1 and "in words" in restarted.earlier_text.value
    restarted.earlier.value = restarted.earlier.options[0][1]  # attempt 3: the second visit
    restarted.show_earlier.click()
    shown = restarted.shown
    assert shown.case.course.symptom_weeks == case_at_visit(case, 1).course.symptom_weeks
    other = Workbench(case.id, store=ProgressStore(path), learner_id="owl_3")
    assert other.earlier.options == (("— none yet —", -1),)


def test_examination_appears_only_after_an_assessment_step() -> None:
    case = load_case("early_uncomplicated")
    wb = Workbench(case)
    exam = escape(case.stages.examination.split("\n")[0][:60])
    assert escape(case.stages.presentation.split("\n")[0][:60]) in wb.history.value
    assert exam not in wb.examination.value and "Examine the patient" in wb.examination.value
    _add(wb, "physical_therapy")  # a treatment is not an examination
    assert exam not in wb.examination.value
    _add(wb, "neuro_exam")
    assert exam in wb.examination.value


def test_case_text_is_inert() -> None:
    script = "<script>alert('x')</script>"
    case = make_case(stages__presentation=f"Walks badly {script}",
                     investigations__imaging__report=f"Stenosis at L5-S1 {script}")
    wb = Workbench(case)
    assert escape(script) in wb.history.value and script not in wb.history.value
    _add(wb, "neuro_exam")
    _order(wb, "mri_lumbar_noncontrast")
    assert escape(f"Stenosis at L5-S1 {script}") in wb.tests_view.value
    assert "<script>" not in wb.tests_view.value


def test_dose_entry_is_enabled_for_dosed_drugs_only() -> None:
    wb = Workbench("early_uncomplicated")
    assert wb.dose.description == "Daily dose (mg/day)" and wb.dose.disabled
    wb.choose_step("naproxen")
    assert not wb.dose.disabled
    wb.choose_step("physical_therapy")
    assert wb.dose.disabled and wb.dose.value == 0
    _add(wb, "naproxen", 1000)
    assert wb.session.actions == (Action("naproxen", 1000.0),)
    assert "1000 mg/day" in wb.plan.value


@pytest.mark.parametrize(("act", "message"), [
    (lambda wb: (_add(wb, "neuro_exam"), _add(wb, "neuro_exam")), "already in your plan"),
    (lambda wb: _add(wb, "physical_therapy", 10), "not a dosed drug"),
    (lambda wb: _add(wb, "naproxen", -5), "must be positive"),
    (lambda wb: wb.add_button.click(), "choose a step"),
    (lambda wb: wb.order_button.click(), "choose a test"),
    (lambda wb: wb.dx_commit.click(), "name at least one diagnosis"),
    (lambda wb: wb.next_button.click(), "submit your plan"),
    (lambda wb: wb.debrief_button.click(), "submit your plan"),
    (lambda wb: wb.show_earlier.click(), "no earlier submission"),
])
def test_errors_in_callbacks_show_in_the_widget(act, message: str) -> None:
    wb = Workbench("early_uncomplicated")
    act(wb)
    assert message in wb.errors.value and "Problem" in wb.errors.value
    assert 'role="alert"' in wb.errors.value
    _add(wb, "history_red_flags")  # the next successful action clears the error
    assert wb.errors.value == ""


def test_an_unexpected_error_is_shown_not_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    wb = Workbench("early_uncomplicated")

    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(wb.session, "submit", broken)
    wb.submit_button.click()
    assert "Unexpected error (RuntimeError)" in wb.errors.value and "boom" in wb.errors.value


def test_every_control_is_labelled_and_keyboard_guarded() -> None:
    wb = Workbench("early_uncomplicated")
    for control in (wb.problem, wb.dx_search, wb.dx_matches, wb.dx_slot, wb.test_picker,
                    wb.test_target, wb.test_change, wb.step_picker, wb.dose, wb.confidence,
                    wb.reflection, wb.earlier):
        assert control.description, control
    for button in (wb.dx_put, wb.dx_clear, wb.dx_commit, wb.order_button, wb.add_button,
                   wb.undo_button, wb.submit_button, wb.next_button, wb.debrief_button,
                   wb.show_earlier):
        assert button.description.strip() and button.tooltip
    picker = case_picker()
    for box in (wb, picker):
        assert isinstance(box.children[0], KeyboardGuard)
        assert "dt-root" in box._dom_classes
    assert "dt-flowchart" in wb.path_figure._dom_classes


def test_a_locked_store_shows_an_error_but_keeps_the_feedback(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    wb = Workbench("early_uncomplicated", store=ProgressStore(path, timeout=0.2),
                   learner_id="stu_1")
    _add(wb, "neuro_exam")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    wb.submit_button.click()
    holder.execute("ROLLBACK")
    holder.close()
    assert "locked" in wb.errors.value
    assert "Score" in wb.feedback.value and len(wb.path_figure.outputs) == 1
    wb.submit_button.click()  # submitting again saves it
    assert wb.errors.value == "" and "Saved" in wb.status.value


def test_step_list_shows_the_chosen_phase_with_the_steps_own_labels() -> None:
    """The plan's list shows one phase at a time (a narrow window cuts "Phase: step" off); a
    phase shows exactly its steps, the test list only tests, and every step can be reached."""
    kb = knowledge()
    wb = Workbench("early_uncomplicated")
    assert wb.phase_picker.description == "Phase" and "dt-stacked" in wb.step_picker._dom_classes
    reached = []
    for label, phase in wb.phase_picker.options:
        wb.phase_picker.value = phase
        assert wb.step_picker.value is None
        shown = list(wb.step_picker.options)
        assert shown, label
        for text, step_id in shown:
            step = kb.steps[step_id]
            assert (step.phase, text) == (phase, step.label) and not step.reveals
            assert label not in text
        assert wb.step_picker.rows >= len(shown)  # the whole phase on screen
        reached += [step_id for _, step_id in shown]
    assert sorted(reached) == sorted(s.id for s in kb.steps.values() if not s.reveals)
    assert all(kb.steps[t].reveals for _, t in wb.test_picker.options[1:])
    assert not any(":" in text for text, _ in wb.test_picker.options[1:])
    wb.choose_step("physical_therapy")
    assert (wb.phase_picker.value, wb.step_picker.value) == (
        kb.steps["physical_therapy"].phase, "physical_therapy")
    with pytest.raises(ActionError, match="mri_lumbar_noncontrast"):
        wb.choose_step("mri_lumbar_noncontrast")  # a test: ordered with its reason instead


def test_case_picker_is_neutral_and_opens_the_chosen_case() -> None:
    picker = case_picker()
    assert repr(picker) == "Case picker: run this cell (Shift + Enter) to start"
    cases = list_cases()
    assert [value for _, value in picker.cases.options] == cases
    assert picker.cases.value is None  # nothing chosen for the learner
    assert "dt-stacked" in picker.cases._dom_classes  # a list whose long titles wrap
    for (label, _), number, case_id in zip(picker.cases.options, range(1, len(cases) + 1), cases,
                                           strict=True):
        assert label == case_teaser(load_case(case_id), number) and case_id not in label
    picker.open_button.click()
    assert "choose a case" in picker.errors.value and picker.workbench is None
    picker.cases.value = "functional_dystonia_mimic"
    picker.open_button.click()
    assert picker.errors.value == "" and picker.area.children == (picker.workbench,)
    assert picker.workbench.case.id == "functional_dystonia_mimic"
    assert "functional" not in picker.workbench.title.value.lower()


def test_a_learner_id_typed_after_opening_a_case_applies(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "progress.sqlite3"
    monkeypatch.setenv("DYSTONIA_TEACH_PROGRESS", str(path))
    monkeypatch.delenv("DYSTONIA_TEACH_STORE", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    picker = case_picker()
    assert "Not saving" in picker.status.value
    picker.cases.value = "early_uncomplicated"
    picker.open_button.click()
    wb = picker.workbench
    _add(wb, "neuro_exam")
    wb.submit_button.click()  # before any learner id: shown, not saved
    assert "Saved" not in wb.status.value and not path.exists()

    picker.learner.value = "me@example.org"
    assert "e-mail" in picker.errors.value
    picker.learner.value = "owl_7"  # typed after opening the case
    assert picker.errors.value == "" and "owl_7" in picker.status.value
    assert str(path) not in picker.status.value  # no file path shown to students
    wb.submit_button.click()
    assert "Saved" in wb.status.value
    assert len(ProgressStore(path).attempts("owl_7")) == 1
    picker.learner.value = ""  # cleared: back to not saving
    assert "Not saving" in picker.status.value and wb.store is None


def test_under_jupyterhub_the_hub_user_is_the_learner(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "progress.sqlite3"
    monkeypatch.setenv("DYSTONIA_TEACH_PROGRESS", str(path))
    monkeypatch.delenv("DYSTONIA_TEACH_STORE", raising=False)
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    picker = case_picker()
    assert picker.learner.layout.display == "none"  # no nickname box
    assert "alice" in picker.status.value
    picker.cases.value = "early_uncomplicated"
    picker.open_button.click()
    _add(picker.workbench, "neuro_exam")
    picker.workbench.submit_button.click()
    assert [a.learner_id for a in ProgressStore(path).attempts("alice")] == ["alice"]


def test_case_picker_without_saving_hides_the_learner_id() -> None:
    picker = case_picker(save=False)
    assert picker.learner.layout.display == "none"
    picker.cases.value = "early_uncomplicated"
    picker.open_button.click()
    assert picker.status.value == "" and picker.workbench is not None
    assert picker.workbench.store is None


def test_case_picker_with_a_damaged_store_says_so_and_still_opens_the_case(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "progress.sqlite3"
    path.write_bytes(b"this is not a database\n" * 300)
    before = path.read_bytes()
    monkeypatch.setenv("DYSTONIA_TEACH_PROGRESS", str(path))
    monkeypatch.delenv("DYSTONIA_TEACH_STORE", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    picker = case_picker(learner_id="owl_7")
    picker.cases.value = "early_uncomplicated"
    picker.open_button.click()
    assert "damaged" in picker.errors.value and "Not saving" in picker.status.value
    assert picker.workbench is not None and picker.workbench.store is None
    assert path.read_bytes() == before  # the learner's earlier attempts are not overwritten


# -- saved work: reasoning kept with each attempt, drafts resumed, attempts reopened ---------

PROBLEM = "46-year-old man, 3 weeks of right leg pain, toes curl when walking"
WHY_EMG = "a root pattern on EMG would make me treat this as radiculopathy"


def _reason_first_visit(wb: Workbench) -> None:
    """Problem, examination, ranked differential, a justified test and confidence."""
    wb.problem.value = PROBLEM
    _add(wb, "history_red_flags")
    _add(wb, "neuro_exam")
    _rank(wb, ["radiculopathy_dystonia", "isolated_dystonia"],
          must_not_miss="cauda_equina_syndrome")
    _order(wb, "emg_ncs", reason=WHY_EMG, target="radiculopathy_dystonia")
    wb.confidence.value = 70
    assert wb.errors.value == ""


def test_differential_justification_confidence_and_reflection_reopen_read_only(
        tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    case = load_case("early_uncomplicated")
    wb = Workbench(case, store=ProgressStore(path), learner_id="owl_5")
    _reason_first_visit(wb)
    wb.submit_button.click()
    assert "Saved" in wb.status.value
    wb.reflection.value = "I ordered the EMG before I had ruled out a cauda equina syndrome."
    wb.debrief_button.click()
    assert wb.errors.value == "" and "reflection is saved" in wb.status.value
    [saved] = ProgressStore(path).attempts("owl_5", case.id)
    assert saved.record["reflection"].startswith("I ordered the EMG")

    reopened = Workbench(case.id, store=ProgressStore(path), learner_id="owl_5")
    assert reopened.session.problem_statement is None  # a new attempt starts empty
    assert reopened.earlier.options[0][0].startswith("Attempt 1")
    reopened.show_earlier.click()
    shown = reopened.earlier_reasoning.value
    assert reopened.errors.value == "" and "Your reasoning" in shown
    assert escape(PROBLEM) in shown
    for dx in ("radiculopathy_dystonia", "isolated_dystonia", "cauda_equina_syndrome"):
        assert escape(diagnosis_label(dx)) in shown, dx
    assert escape(f"Why you ordered it: {WHY_EMG}") in shown
    assert "70% sure" in shown and "ruled out a cauda equina syndrome" in shown
    assert "Confidence 70%" in reopened.earlier_feedback.value  # the judged reasoning too
    assert len(reopened.earlier_figure.outputs) == 1 and "in words" in reopened.earlier_text.value
    assert reopened.session.record() == Workbench(case.id).session.record()  # read-only
    assert ProgressStore(path).attempts("owl_5")[0].record == saved.record


def test_an_unfinished_differential_and_justified_tests_are_resumed(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    case = load_case("early_uncomplicated")
    wb = Workbench(case, store=ProgressStore(path), learner_id="owl_6")
    assert wb.resume_button.layout.display == "none"
    _reason_first_visit(wb)  # not submitted: kept as a draft as the learner works
    assert ProgressStore(path).draft("owl_6", case.id).record == wb.session.record()
    assert ProgressStore(path).attempts("owl_6") == []

    again = Workbench(case.id, store=ProgressStore(path), learner_id="owl_6")
    assert again.resume_button.layout.display is None
    assert "unfinished work" in again.resume_note.value and again.session.tests == ()
    again.resume_button.click()
    assert again.errors.value == "" and again.resume_button.layout.display == "none"
    assert again.session.record() == wb.session.record()
    assert again.problem.value == PROBLEM and again.confidence.value == 70
    assert escape(WHY_EMG) in again.tests_view.value
    assert escape(diagnosis_label("cauda_equina_syndrome")) in again.dx_view.value
    assert not again.session.submitted  # restoring the controls changed nothing
    again.submit_button.click()
    assert "Saved" in again.status.value
    [attempt] = ProgressStore(path).attempts("owl_6", case.id)
    assert attempt.record["visits"][0]["tests"][0]["change"] == WHY_EMG
    assert attempt.record["confidence"] == 70

    other = Workbench(case.id, store=ProgressStore(path), learner_id="owl_7")
    assert other.resume_button.layout.display == "none"  # drafts are the learner's own
    other.resume_button.click()
    assert "no unfinished work" in other.errors.value


def test_starting_afresh_replaces_the_unfinished_differential(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    wb = Workbench("early_uncomplicated", store=ProgressStore(path), learner_id="owl_11")
    _reason_first_visit(wb)
    fresh = Workbench("early_uncomplicated", store=ProgressStore(path), learner_id="owl_11")
    assert fresh.resume_button.layout.display is None
    assert ProgressStore(path).draft("owl_11", "early_uncomplicated").record[
        "problem_statement"] == PROBLEM  # opening alone keeps the draft
    _add(fresh, "neuro_exam")  # the learner starts afresh instead
    assert fresh.resume_button.layout.display == "none" and fresh.resume_note.value == ""
    draft = ProgressStore(path).draft("owl_11", "early_uncomplicated")
    assert draft.record == fresh.session.record() and draft.record["differential"] is None


def test_a_later_visit_is_resumed_and_its_reflection_saved_with_the_right_attempt(
        tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    case = load_case("early_uncomplicated")
    assert case.visits  # the case has a follow-up visit
    wb = Workbench(case, store=ProgressStore(path), learner_id="owl_8")
    _reason_first_visit(wb)
    wb.submit_button.click()
    wb.next_button.click()
    assert wb.session.confidence is None and "Move the slider" in wb.confidence_note.value
    _add(wb, "neuro_exam")  # visit 2 begun, not submitted

    again = Workbench(case.id, store=ProgressStore(path), learner_id="owl_8")
    again.resume_button.click()
    assert again.session.visit == 1
    assert f"Visit 2 of {1 + len(case.visits)}" in again.visit_line.value
    assert [a.step for a in again.session.actions] == ["neuro_exam"]
    assert again.path_figure.outputs == () and again.confidence.value == 50
    _work(again, [a for a in recommended_actions(case_at_visit(case, 1))
                  if a.step != "neuro_exam"])
    again.submit_button.click()
    again.reflection.value = "Waited for the trial before imaging."
    again.debrief_button.click()
    first, second = ProgressStore(path).attempts("owl_8", case.id)
    assert first.record["reflection"] is None and len(first.record["visits"]) == 1
    assert second.record["reflection"] == "Waited for the trial before imaging."
    assert len(second.record["visits"]) == 2
    if not again.session.has_next_visit:  # finished: nothing left to resume
        assert ProgressStore(path).draft("owl_8", case.id) is None

    reopened = Workbench(case.id, store=ProgressStore(path), learner_id="owl_8")
    reopened.earlier.value = next(v for label, v in reopened.earlier.options
                                  if label.startswith("Attempt 2"))
    reopened.show_earlier.click()
    assert reopened.shown.case.course.symptom_weeks == case_at_visit(case, 1).course.symptom_weeks
    assert "Visit 2: " in reopened.earlier_reasoning.value
    assert "Waited for the trial" in reopened.earlier_reasoning.value


def test_a_resumed_submitted_visit_saves_its_reflection_with_that_attempt(
        tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    case = load_case("early_uncomplicated")
    wb = Workbench(case, store=ProgressStore(path), learner_id="owl_9")
    _reason_first_visit(wb)
    wb.submit_button.click()  # a next visit remains: the work is kept as a draft
    again = Workbench(case.id, store=ProgressStore(path), learner_id="owl_9")
    again.resume_button.click()
    assert again.session.submitted and "Confidence 70%" in again.feedback.value
    assert len(again.path_figure.outputs) == 1
    again.reflection.value = "Too quick to order the EMG."
    again.debrief_button.click()
    assert again.errors.value == "" and "reflection is saved" in again.status.value
    [attempt] = ProgressStore(path).attempts("owl_9", case.id)
    assert attempt.record["reflection"] == "Too quick to order the EMG."


def test_a_corrupt_saved_record_is_reported_and_the_case_stays_workable_visit_one(
        tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    wb = Workbench("early_uncomplicated", store=ProgressStore(path), learner_id="owl_10")
    _reason_first_visit(wb)
    wb.submit_button.click()
    with sqlite3.connect(path) as raw:
        raw.execute("""UPDATE attempts SET record = '{"case_id": "early_uncomplicated",
                       "visits": [{"actions": 5}]}'""")
    raw.close()
    again = Workbench("early_uncomplicated", store=ProgressStore(path), learner_id="owl_10")
    assert "record.visits[0].actions" in again.errors.value
    assert str(path) not in again.errors.value.split("<details>")[0]  # no path to learners
    _add(again, "neuro_exam")
    assert again.errors.value == "" and "neuro_exam" in again.session.record()["visits"][0][
        "actions"]


def test_a_debrief_before_the_last_visit_keeps_the_diagnosis_and_outcome_back() -> None:
    """The teaching points describe the later visits: they wait for the last one."""
    case = load_case("disc_herniation_after_trial")
    label = escape(diagnosis_label(case.diagnosis))
    wb = Workbench(case)
    _add(wb, "history_red_flags")
    _add(wb, "neuro_exam")
    _order(wb, "mri_lumbar_noncontrast")
    assert wb.errors.value == ""
    wb.submit_button.click()
    wb.reflection.value = "I ordered the MRI before examining her."
    wb.debrief_button.click()
    assert wb.errors.value == "" and "Anchoring on the MRI" in wb.debrief.value
    assert label not in wb.debrief.value and "press Next visit" in wb.debrief.value
    assert escape(case.stages.follow_up[:40]) not in wb.debrief.value

    wb.next_button.click()  # visit 2: the earlier test is marked as such
    assert "Ordered at visit 1 (earlier result)" in wb.tests_view.value
    _add(wb, "neuro_exam")
    assert "Ordered at visit 1" in wb.tests_view.value
    wb.submit_button.click()
    wb.debrief_button.click()
    assert label in wb.debrief.value and "Teaching points" in wb.debrief.value


def test_saved_work_is_announced_on_opening_and_scores_read_as_the_feedback_does(
        tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    wb = Workbench("early_uncomplicated", store=ProgressStore(path), learner_id="owl_11")
    assert wb.saved_note.value == ""
    _add(wb, "bed_rest")
    wb.submit_button.click()
    score = round(wb.session.reports[-1].assessment.score * 100)
    assert f"score {score}/100" in wb.status.value
    assert f": score {score}/100 (" in wb.earlier.options[0][0]
    assert "1 saved submission " in wb.saved_note.value

    reopened = Workbench("early_uncomplicated", store=ProgressStore(path), learner_id="owl_11")
    assert "1 saved submission " in reopened.saved_note.value
    assert "Your earlier submissions" in reopened.saved_note.value
    reopened.show_earlier.click()
    assert "Shown again — Attempt 1, visit 1: score " in reopened.earlier_feedback.value


def test_diagnoses_are_offered_in_an_order_that_gives_nothing_away() -> None:
    wb = Workbench("early_uncomplicated")
    wb.dx_search.value = "dyst"
    found = [label for label, _ in wb.dx_matches.options]
    assert len(found) > 3 and found == sorted(found, key=str.casefold)
    targets = [value for _, value in wb.test_target.options]
    assert targets[0] == "" and targets[-1] == "other"
    labels = [label for label, _ in wb.test_target.options[1:-1]]
    assert labels == sorted(labels, key=str.casefold)
