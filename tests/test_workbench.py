"""The workbench driven headless: set ``.value`` on a panel's controls, call ``.click()`` on its
buttons, read what the panels show (each panel's message beside its controls).

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
from dystonia_teach.widgets import case_picker
from dystonia_teach.widgets._keyboard import KeyboardGuard
from dystonia_teach.widgets.workbench import Workbench

from .conftest import make_case

REASON = "a result at the level and side of the signs would change the plan"


def _add(wb: Workbench, action: Action | str, dose: float | None = None) -> None:
    """An assessment step by its button, any other step through the plan's list."""
    if isinstance(action, Action):
        action, dose = action.step, action.dose_mg_per_day
    if action in wb.examine.buttons:
        wb.examine.buttons[action].click()
        return
    wb.choose_step(action)
    if dose is not None:
        wb.plan.dose.value = dose
    wb.plan.add.click()


def _order(wb: Workbench, step: str, reason: str = REASON, target: str = "",
           urgent: bool = False) -> None:
    wb.tests.picker.value = step
    wb.tests.target.value = target
    wb.tests.change.value = reason
    wb.tests.urgent.value = urgent
    wb.tests.order.click()


def _rank(wb: Workbench, ranked: list[str], must_not_miss: str | None = None) -> None:
    """Find each diagnosis by searching its label's first word, put it in place, commit."""
    d = wb.differential
    d.clear.click()
    for place, diagnosis in [*enumerate(ranked), *([(3, must_not_miss)] if must_not_miss
                                                   else [])]:
        d.search.value = diagnosis_label(diagnosis).split()[0][:5]
        assert diagnosis in [value for _, value in d.matches.options], diagnosis
        d.matches.value = diagnosis
        d.place.value = place
        d.put.click()
    d.commit.click()


def _confidence(wb: Workbench, percent: int) -> None:
    """Move the slider (or, at its current value, press Record confidence)."""
    if wb.differential.confidence.value == percent:
        wb.differential.record_confidence.click()
    else:
        wb.differential.confidence.value = percent


def _submit(wb: Workbench, diagnosis: str | None = None, percent: int = 60) -> None:
    """Submit, first recording a differential (``diagnosis``, else the case's) and a
    confidence when the test has not."""
    if wb.session.differential is None:
        _rank(wb, [diagnosis or wb.case.diagnosis])
    if wb.session.confidence is None:
        _confidence(wb, percent)
    wb.feedback.submit.click()


def _messages(wb: Workbench) -> str:
    return "".join(p.message.value for p in wb.panels)


def _work(wb: Workbench, actions: list[Action], diagnosis: str | None = None) -> None:
    """Every recommended step through the workbench: tests justified, the rest added."""
    steps = knowledge().steps
    for action in actions:
        if steps[action.step].reveals:  # an urgent order with the priority box ticked
            _order(wb, action.step, urgent=action.urgent)
        else:
            _add(wb, action)
        assert "Problem" not in _messages(wb), (action, _messages(wb))
    if diagnosis:
        _rank(wb, [diagnosis])


@pytest.mark.parametrize("case_id", list_cases())
def test_recommended_plan_with_justified_tests_scores_full_marks(case_id: str) -> None:
    case = load_case(case_id)
    wb = Workbench(case_id)
    _work(wb, recommended_actions(case), case.diagnosis)
    _submit(wb)
    report = wb.session.reports[-1]
    assert "Problem" not in _messages(wb)
    assert report.assessment.score == 1.0 and not report.assessment.by_severity("critical")
    # The score line is the engine's rubric (knowledge/scoring.yaml): 100 points, safe.
    feedback = wb.feedback.feedback.value
    assert "Score 100/100: " in feedback and "✖ Critical" not in feedback
    assert report.assessment.points == 100 and report.assessment.safety == "safe"
    assert wb.summary().splitlines()[1].startswith("Score 100/100: ")


def test_a_test_is_ordered_urgently_by_ticking_its_priority() -> None:
    """MRI is contraindicated and a red flag needs imaging now: the CT myelogram is urgent."""
    wb = Workbench("night_pain_after_cancer_no_mri")
    _add(wb, "history_red_flags")
    _add(wb, "neuro_exam")
    _order(wb, "ct_myelography", urgent=True)
    assert "Ordered: CT myelography, urgent." in wb.tests.message.value
    assert not wb.tests.urgent.value  # the next order is routine unless ticked again
    assert "CT myelography, urgent" in wb.plan.plan.value
    _submit(wb)
    assert "missed_red_flag" not in wb.session.reports[-1].assessment.pitfalls
    routine = Workbench("night_pain_after_cancer_no_mri")
    _add(routine, "neuro_exam")
    _order(routine, "ct_myelography")
    assert "urgent" not in routine.tests.message.value + routine.plan.plan.value
    _submit(routine)
    assert "missed_red_flag" in routine.session.reports[-1].assessment.pitfalls


def test_differential_is_found_by_search_only_and_compared_with_the_facts() -> None:
    case = load_case("functional_dystonia_mimic")
    wb = Workbench(case)
    d = wb.differential
    assert d.matches.options == ()  # nothing listed before the learner searches
    d.search.value = "p"
    assert d.matches.options == ()
    d.search.value = "parkin"
    assert [v for _, v in d.matches.options] == ["parkinsonism_foot_dystonia"]
    d.matches.value = None
    d.put.click()  # nothing selected
    assert "select it in Matches" in d.message.value
    every = set(diagnosis_scripts())
    found = set()
    for script in diagnosis_scripts().values():
        d.search.value = script.label.split()[0]
        found |= {v for _, v in d.matches.options}
    assert found == every  # the full vocabulary is reachable by search

    _rank(wb, ["radiculopathy_dystonia", "parkinsonism_foot_dystonia", "polyneuropathy"],
          must_not_miss="cauda_equina_syndrome")
    assert wb.session.differential.ranked[0] == "radiculopathy_dystonia"
    assert "Recorded differential" in d.view.value and "Differential recorded" in d.message.value
    _add(wb, "neuro_exam")
    _submit(wb)
    report = wb.session.reports[-1].differential
    assert report is not None and not report.leading_correct
    feedback = wb.feedback.feedback.value
    assert "the facts point to" in feedback and "Illness scripts" in feedback
    assert escape(diagnosis_label(case.diagnosis).lower()) in feedback.lower()


def test_a_test_is_justified_before_its_result_is_revealed() -> None:
    case = load_case("early_uncomplicated")
    wb = Workbench(case)
    report = escape(case.investigations.imaging.report)
    assert "once you have examined" in wb.tests.hint.value
    _order(wb, "mri_lumbar_noncontrast")
    assert "examine the patient" in wb.tests.message.value
    assert report not in wb.tests.results.value
    _add(wb, "neuro_exam")
    assert wb.tests.hint.value == ""
    _order(wb, "mri_lumbar_noncontrast", reason="  ")
    assert "which result would change management" in wb.tests.message.value
    assert report not in wb.tests.results.value
    _add(wb, "naproxen", 1000)
    _order(wb, "mri_lumbar_noncontrast", reason="a compressed L5 root")
    assert "Ordered: MRI lumbar spine without contrast" in wb.tests.message.value
    results = wb.tests.results.value
    assert report in results and "a compressed L5 root" in results
    assert "low value" not in results.lower() and "indicated" not in results.lower()
    assert wb.tests.picker.value == "" and wb.tests.change.value == ""  # ready for the next
    assert "mri_lumbar_noncontrast" not in [v for _, v in wb.plan.step.options]
    wb.plan.undo.click()  # undo removes the last step that is not a test
    assert [a.step for a in wb.session.actions] == ["neuro_exam", "mri_lumbar_noncontrast"]
    assert "Removed: Naproxen 1000 mg/day" in wb.plan.message.value
    _submit(wb)
    assert "(low value): Low-value test" in wb.feedback.feedback.value  # judged at submission


@pytest.mark.parametrize(("leading", "percent", "verdict"), [
    ("functional_dystonia", 90, "Confidently wrong"),
    ("radiculopathy_dystonia", 90, "Right, and sure of it"),
    ("radiculopathy_dystonia", 20, "Right, but unsure"),
])
def test_confidence_weights_the_feedback(leading: str, percent: int, verdict: str) -> None:
    wb = Workbench("early_uncomplicated")
    assert "Move the slider" in wb.differential.confidence_note.value
    _add(wb, "neuro_exam")
    _rank(wb, [leading])
    _confidence(wb, percent)
    assert wb.session.confidence == percent
    assert f"Recorded: {percent}%" in wb.differential.confidence_note.value
    _submit(wb)
    assert verdict in wb.feedback.feedback.value


def test_two_visits_then_a_debrief_with_a_saved_reflection(tmp_path: Path) -> None:
    case = load_case("early_uncomplicated")
    store = ProgressStore(tmp_path / "progress.sqlite3")
    wb = Workbench(case, store=store, learner_id="owl_1")
    assert "Visit 1 of 2" in wb.patient.visit_line.value
    wb.patient.problem.value = "46-year-old man, 3 weeks of right leg pain, toes curl when walking"
    _work(wb, recommended_actions(case), case.diagnosis)
    _confidence(wb, 80)
    assert wb.feedback.next_visit.layout.display == "none"
    _submit(wb)
    assert "Saved" in wb.feedback.message.value and wb.feedback.next_visit.layout.display is None

    wb.feedback.next_visit.click()
    later = case_at_visit(case, 1)
    assert "Problem" not in _messages(wb) and "Visit 2 of 2" in wb.patient.visit_line.value
    assert "Visit 2: the patient returns" in wb.patient.message.value
    assert wb.guard.focus_request.startswith("dt-panel-problem#")  # the page goes up there
    assert f"week {later.course.symptom_weeks:g}" in wb.patient.visit_line.value
    assert escape(later.stages.presentation.split("\n")[0][:60]) in wb.patient.history.value
    assert wb.feedback.feedback.value == "" and wb.feedback.flowchart.value == ""
    _work(wb, recommended_actions(later))
    _submit(wb)
    assert wb.session.reports[-1].assessment.score == 1.0
    assert wb.feedback.next_visit.layout.display == "none"  # the last visit

    wb.debrief.reflection.value = "I wanted an MRI at week 3; the history was enough."
    wb.debrief.button.click()
    view = wb.debrief.view.value
    assert "Anchoring on the MRI" in view and "the history was enough" in view
    assert escape(diagnosis_label(case.diagnosis)) in view
    assert wb.session.reflection.startswith("I wanted an MRI")
    assert "reflection is saved" in wb.debrief.message.value
    assert [a.score for a in store.attempts("owl_1", case.id)] == [1.0, 1.0]


def test_earlier_submissions_are_shown_again_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    case = load_case("early_uncomplicated")
    wb = Workbench(case, store=ProgressStore(path), learner_id="owl_2")
    _add(wb, "bed_rest")
    _submit(wb)
    first = wb.feedback.feedback.value
    _work(wb, recommended_actions(case))
    _submit(wb)
    wb.feedback.next_visit.click()
    _add(wb, "neuro_exam")
    _submit(wb)  # visit 2, judged on the week-10 facts

    restarted = Workbench(case.id, store=ProgressStore(path), learner_id="owl_2")
    earlier = restarted.earlier
    labels = [label for label, _ in earlier.choice.options]
    assert len(labels) == 3 and labels[0].startswith("Attempt 3")
    earlier.choice.value = next(v for label, v in earlier.choice.options
                                if label.startswith("Attempt 1"))
    earlier.show.click()
    assert "Problem" not in earlier.message.value
    assert "Bed rest" in earlier.feedback.value
    summary = first.split('<p class="dt-score">')[1].split("</p>")[0]
    assert summary in earlier.feedback.value
    assert "<svg" in earlier.flowchart.value and "in words" in earlier.flowchart.value
    earlier.choice.value = earlier.choice.options[0][1]  # attempt 3: the second visit
    earlier.show.click()
    shown = earlier.shown
    assert shown.case.course.symptom_weeks == case_at_visit(case, 1).course.symptom_weeks
    other = Workbench(case.id, store=ProgressStore(path), learner_id="owl_3")
    assert other.earlier.choice.options == (("— none yet —", -1),)


def test_examination_appears_only_after_an_examination() -> None:
    case = load_case("early_uncomplicated")
    wb = Workbench(case)
    exam = escape(case.stages.examination.split("\n")[0][:60])
    assert escape(case.stages.presentation.split("\n")[0][:60]) in wb.patient.history.value
    assert exam not in wb.examine.examination.value
    assert "Examine the patient" in wb.examine.examination.value
    _add(wb, "physical_therapy")  # a treatment is not an examination
    _add(wb, "history_red_flags")  # nor is the history
    assert exam not in wb.examine.examination.value
    assert "answers are in what the patient tells you" in wb.examine.message.value
    _add(wb, "neuro_exam")
    assert exam in wb.examine.examination.value
    assert wb.examine.buttons["neuro_exam"].disabled  # done: the button says so
    assert "The examination findings are below" in wb.examine.message.value


def test_case_text_is_inert() -> None:
    script = "<script>alert('x')</script>"
    case = make_case(stages__presentation=f"Walks badly {script}",
                     investigations__imaging__report=f"Stenosis at L5-S1 {script}")
    wb = Workbench(case)
    assert escape(script) in wb.patient.history.value and script not in wb.patient.history.value
    _add(wb, "neuro_exam")
    _order(wb, "mri_lumbar_noncontrast")
    assert escape(f"Stenosis at L5-S1 {script}") in wb.tests.results.value
    assert "<script>" not in wb.tests.results.value


def test_dose_entry_is_enabled_for_dosed_drugs_only() -> None:
    wb = Workbench("early_uncomplicated")
    dose = wb.plan.dose
    assert dose.description == "Daily dose (mg/day)" and dose.disabled
    wb.choose_step("naproxen")
    assert not dose.disabled
    wb.choose_step("physical_therapy")
    assert dose.disabled and dose.value == 0
    _add(wb, "naproxen", 1000)
    assert wb.session.actions == (Action("naproxen", 1000.0),)
    assert "1000 mg/day" in wb.plan.plan.value
    assert "Added to your plan: Naproxen 1000 mg/day" in wb.plan.message.value


@pytest.mark.parametrize(("act", "panel", "message"), [
    (lambda wb: (_add(wb, "physical_therapy"), _add(wb, "physical_therapy")), "plan",
     "already in your plan"),
    (lambda wb: _add(wb, "physical_therapy", 10), "plan", "not a dosed drug"),
    (lambda wb: _add(wb, "naproxen", -5), "plan", "must be positive"),
    (lambda wb: wb.plan.add.click(), "plan", "choose a step"),
    (lambda wb: wb.tests.order.click(), "tests", "choose a test"),
    (lambda wb: wb.differential.commit.click(), "differential", "name at least one diagnosis"),
    (lambda wb: wb.feedback.submit.click(), "feedback", "committed differential"),
    (lambda wb: wb.feedback.next_visit.click(), "feedback", "submit your plan"),
    (lambda wb: wb.debrief.button.click(), "debrief", "submit your plan"),
    (lambda wb: wb.earlier.show.click(), "earlier", "no earlier submission"),
])
def test_errors_in_callbacks_show_beside_their_control(act, panel: str, message: str) -> None:
    wb = Workbench("early_uncomplicated")
    act(wb)
    shown = getattr(wb, {"plan": "plan", "tests": "tests", "differential": "differential",
                         "feedback": "feedback", "debrief": "debrief",
                         "earlier": "earlier"}[panel]).message.value
    assert message in shown and "Problem" in shown and 'role="alert"' in shown
    others = [p.message.value for p in wb.panels if p is not getattr(wb, panel)]
    assert not any("Problem" in m for m in others)  # only beside the control that caused it
    _add(wb, "history_red_flags")  # the next action elsewhere clears it
    assert getattr(wb, panel).message.value == ""


def test_an_unexpected_error_is_shown_not_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    wb = Workbench("early_uncomplicated")

    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(wb.session, "submit", broken)
    wb.feedback.submit.click()
    shown = wb.feedback.message.value
    assert "Unexpected error (RuntimeError)" in shown and "boom" in shown


def test_every_control_is_labelled_and_keyboard_guarded() -> None:
    wb = Workbench("early_uncomplicated")
    for control in (wb.patient.problem, wb.differential.search, wb.differential.matches,
                    wb.differential.place, wb.tests.picker, wb.tests.target, wb.tests.change,
                    wb.tests.urgent,
                    wb.plan.phase, wb.plan.step, wb.plan.dose, wb.differential.confidence,
                    wb.debrief.reflection, wb.earlier.choice):
        assert control.description, control
    buttons = [*wb.examine.buttons.values(), wb.differential.put, wb.differential.clear,
               wb.differential.commit, wb.differential.record_confidence, wb.tests.order,
               wb.plan.add, wb.plan.undo, wb.feedback.submit, wb.feedback.next_visit,
               wb.debrief.button, wb.debrief.next_case, wb.earlier.show,
               wb.tracker.resume_button]
    for button in buttons:
        assert button.description.strip() and button.tooltip
    picker = case_picker()
    for box in (wb, picker):
        assert isinstance(box.children[0], KeyboardGuard)
        assert "dt-root" in box._dom_classes
    headings = [p.heading.value for p in wb.panels]
    assert len(set(headings)) == len(headings) and all(h.startswith("<h3>") for h in headings)
    assert wb.title.value.startswith("<h2>")


def test_a_locked_store_shows_an_error_but_keeps_the_feedback(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    wb = Workbench("early_uncomplicated", store=ProgressStore(path, timeout=0.2),
                   learner_id="stu_1")
    _add(wb, "neuro_exam")
    _rank(wb, ["radiculopathy_dystonia"])
    _confidence(wb, 60)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    wb.feedback.submit.click()
    holder.execute("ROLLBACK")
    holder.close()
    shown = wb.feedback.message.value
    assert "locked" in shown and "your feedback is below, but it was not saved" in shown
    assert "Score" in wb.feedback.feedback.value and "<svg" in wb.feedback.flowchart.value
    wb.feedback.submit.click()  # submitting again saves it
    assert "Saved" in wb.feedback.message.value and "Problem" not in wb.feedback.message.value


def test_step_list_shows_the_chosen_phase_with_the_steps_own_labels() -> None:
    """The plan's list shows one phase at a time (a narrow window cuts "Phase: step" off); a
    phase shows exactly its steps; examinations have their own buttons, tests their own list,
    and every step can be reached."""
    kb = knowledge()
    wb = Workbench("early_uncomplicated")
    plan = wb.plan
    assert plan.phase.description == "Phase" and "dt-stacked" in plan.step._dom_classes
    reached = []
    for label, phase in plan.phase.options:
        plan.phase.value = phase
        assert plan.step.value is None
        shown = list(plan.step.options)
        assert shown, label
        for text, step_id in shown:
            step = kb.steps[step_id]
            assert (step.phase, text) == (phase, step.label) and not step.reveals
            assert step.phase != "assessment" and label not in text
        assert plan.step.rows >= len(shown)  # the whole phase on screen
        reached += [step_id for _, step_id in shown]
    tests = [t for _, t in wb.tests.picker.options[1:]]
    assert all(kb.steps[t].reveals for t in tests)
    assert sorted([*reached, *tests, *wb.examine.buttons]) == sorted(kb.steps)
    wb.choose_step("physical_therapy")
    assert (plan.phase.value, plan.step.value) == (
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
    _submit(wb)  # before any learner id: shown, not saved
    assert "Not saved" in wb.feedback.message.value and not path.exists()

    picker.learner.value = "me@example.org"
    assert "e-mail" in picker.errors.value
    picker.learner.value = "owl_7"  # typed after opening the case
    assert picker.errors.value == "" and "owl_7" in picker.status.value
    assert str(path) not in picker.status.value  # no file path shown to students
    wb.feedback.submit.click()
    assert "Saved" in wb.feedback.message.value
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
    _submit(picker.workbench)
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
    wb.patient.problem.value = PROBLEM
    _add(wb, "history_red_flags")
    _add(wb, "neuro_exam")
    _rank(wb, ["radiculopathy_dystonia", "isolated_dystonia"],
          must_not_miss="cauda_equina_syndrome")
    _order(wb, "emg_ncs", reason=WHY_EMG, target="radiculopathy_dystonia")
    _confidence(wb, 70)
    assert "Problem" not in _messages(wb)


def test_differential_justification_confidence_and_reflection_reopen_read_only(
        tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    case = load_case("early_uncomplicated")
    wb = Workbench(case, store=ProgressStore(path), learner_id="owl_5")
    _reason_first_visit(wb)
    _submit(wb)
    assert "Saved" in wb.feedback.message.value
    wb.debrief.reflection.value = ("I ordered the EMG before I had ruled out a cauda equina "
                                   "syndrome.")
    wb.debrief.button.click()
    assert "reflection is saved" in wb.debrief.message.value
    [saved] = ProgressStore(path).attempts("owl_5", case.id)
    assert saved.record["reflection"].startswith("I ordered the EMG")

    reopened = Workbench(case.id, store=ProgressStore(path), learner_id="owl_5")
    assert reopened.session.problem_statement is None  # a new attempt starts empty
    assert reopened.earlier.choice.options[0][0].startswith("Attempt 1")
    reopened.earlier.show.click()
    shown = reopened.earlier.reasoning.value
    assert "Problem" not in reopened.earlier.message.value and "Your reasoning" in shown
    assert escape(PROBLEM) in shown
    for dx in ("radiculopathy_dystonia", "isolated_dystonia", "cauda_equina_syndrome"):
        assert escape(diagnosis_label(dx)) in shown, dx
    assert escape(f"Why you ordered it: {WHY_EMG}") in shown
    assert "70% sure" in shown and "ruled out a cauda equina syndrome" in shown
    assert "Confidence 70%" in reopened.earlier.feedback.value  # the judged reasoning too
    assert "<svg" in reopened.earlier.flowchart.value
    assert reopened.session.record() == Workbench(case.id).session.record()  # read-only
    assert ProgressStore(path).attempts("owl_5")[0].record == saved.record


def test_resume_an_unfinished_differential_and_justified_tests(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    case = load_case("early_uncomplicated")
    wb = Workbench(case, store=ProgressStore(path), learner_id="owl_6")
    assert wb.tracker.resume_button.layout.display == "none"
    _reason_first_visit(wb)  # not submitted: kept as a draft as the learner works
    assert ProgressStore(path).draft("owl_6", case.id).record == wb.session.record()
    assert ProgressStore(path).attempts("owl_6") == []

    again = Workbench(case.id, store=ProgressStore(path), learner_id="owl_6")
    assert again.tracker.resume_button.layout.display is None
    assert "unfinished work" in again.tracker.resume_note.value and again.session.tests == ()
    again.tracker.resume_button.click()
    assert "Resumed your work at visit 1" in again.tracker.message.value
    assert again.tracker.resume_button.layout.display == "none"
    assert again.session.record() == wb.session.record()
    assert again.patient.problem.value == PROBLEM and again.differential.confidence.value == 70
    assert escape(WHY_EMG) in again.tests.results.value
    assert escape(diagnosis_label("cauda_equina_syndrome")) in again.differential.view.value
    assert not again.session.submitted  # restoring the controls changed nothing
    again.feedback.submit.click()
    assert "Saved" in again.feedback.message.value
    [attempt] = ProgressStore(path).attempts("owl_6", case.id)
    assert attempt.record["visits"][0]["tests"][0]["change"] == WHY_EMG
    assert attempt.record["confidence"] == 70

    other = Workbench(case.id, store=ProgressStore(path), learner_id="owl_7")
    assert other.tracker.resume_button.layout.display == "none"  # drafts are the learner's own
    other.tracker.resume_button.click()
    assert "no unfinished work" in other.tracker.message.value


def test_starting_afresh_replaces_the_unfinished_differential(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    wb = Workbench("early_uncomplicated", store=ProgressStore(path), learner_id="owl_11")
    _reason_first_visit(wb)
    fresh = Workbench("early_uncomplicated", store=ProgressStore(path), learner_id="owl_11")
    assert fresh.tracker.resume_button.layout.display is None
    assert ProgressStore(path).draft("owl_11", "early_uncomplicated").record[
        "problem_statement"] == PROBLEM  # opening alone keeps the draft
    _add(fresh, "neuro_exam")  # the learner starts afresh instead
    assert fresh.tracker.resume_button.layout.display == "none"
    assert fresh.tracker.resume_note.value == ""
    draft = ProgressStore(path).draft("owl_11", "early_uncomplicated")
    assert draft.record == fresh.session.record() and draft.record["differential"] is None


def test_a_later_visit_is_resumed_and_its_reflection_saved_with_the_right_attempt(
        tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    case = load_case("early_uncomplicated")
    assert case.visits  # the case has a follow-up visit
    wb = Workbench(case, store=ProgressStore(path), learner_id="owl_8")
    _reason_first_visit(wb)
    _submit(wb)
    wb.feedback.next_visit.click()
    assert wb.session.confidence is None
    assert "Move the slider" in wb.differential.confidence_note.value
    _add(wb, "neuro_exam")  # visit 2 begun, not submitted

    again = Workbench(case.id, store=ProgressStore(path), learner_id="owl_8")
    again.tracker.resume_button.click()
    assert again.session.visit == 1
    assert f"Visit 2 of {1 + len(case.visits)}" in again.patient.visit_line.value
    assert [a.step for a in again.session.actions] == ["neuro_exam"]
    assert again.feedback.flowchart.value == "" and again.differential.confidence.value == 50
    _work(again, [a for a in recommended_actions(case_at_visit(case, 1))
                  if a.step != "neuro_exam"])
    _submit(again)
    again.debrief.reflection.value = "Waited for the trial before imaging."
    again.debrief.button.click()
    first, second = ProgressStore(path).attempts("owl_8", case.id)
    assert first.record["reflection"] is None and len(first.record["visits"]) == 1
    assert second.record["reflection"] == "Waited for the trial before imaging."
    assert len(second.record["visits"]) == 2
    if not again.session.has_next_visit:  # finished: nothing left to resume
        assert ProgressStore(path).draft("owl_8", case.id) is None

    reopened = Workbench(case.id, store=ProgressStore(path), learner_id="owl_8")
    reopened.earlier.choice.value = next(v for label, v in reopened.earlier.choice.options
                                         if label.startswith("Attempt 2"))
    reopened.earlier.show.click()
    assert reopened.earlier.shown.case.course.symptom_weeks == case_at_visit(
        case, 1).course.symptom_weeks
    assert "Visit 2: " in reopened.earlier.reasoning.value
    assert "Waited for the trial" in reopened.earlier.reasoning.value


def test_a_resumed_submitted_visit_saves_its_reflection_with_that_attempt(
        tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    case = load_case("early_uncomplicated")
    wb = Workbench(case, store=ProgressStore(path), learner_id="owl_9")
    _reason_first_visit(wb)
    _submit(wb)  # a next visit remains: the work is kept as a draft
    again = Workbench(case.id, store=ProgressStore(path), learner_id="owl_9")
    again.tracker.resume_button.click()
    assert again.session.submitted and "Confidence 70%" in again.feedback.feedback.value
    assert "<svg" in again.feedback.flowchart.value
    again.debrief.reflection.value = "Too quick to order the EMG."
    again.debrief.button.click()
    assert "reflection is saved" in again.debrief.message.value
    [attempt] = ProgressStore(path).attempts("owl_9", case.id)
    assert attempt.record["reflection"] == "Too quick to order the EMG."


def test_a_corrupt_saved_record_is_reported_and_the_case_stays_workable_visit_one(
        tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    wb = Workbench("early_uncomplicated", store=ProgressStore(path), learner_id="owl_10")
    _reason_first_visit(wb)
    _submit(wb)
    with sqlite3.connect(path) as raw:
        raw.execute("""UPDATE attempts SET record = '{"case_id": "early_uncomplicated",
                       "visits": [{"actions": 5}]}'""")
    raw.close()
    again = Workbench("early_uncomplicated", store=ProgressStore(path), learner_id="owl_10")
    shown = again.earlier.message.value + again.tracker.message.value
    assert "record.visits[0].actions" in shown
    assert str(path) not in shown.split("<details>")[0]  # no path to learners
    _add(again, "neuro_exam")
    assert "neuro_exam" in again.session.record()["visits"][0]["actions"]


def test_a_debrief_before_the_last_visit_keeps_the_diagnosis_and_outcome_back() -> None:
    """The teaching points describe the later visits: they wait for the last one."""
    case = load_case("disc_herniation_after_trial")
    label = escape(diagnosis_label(case.diagnosis))
    wb = Workbench(case)
    _add(wb, "history_red_flags")
    _add(wb, "neuro_exam")
    _order(wb, "mri_lumbar_noncontrast")
    _submit(wb, "isolated_dystonia")
    wb.debrief.reflection.value = "I ordered the MRI before examining her."
    wb.debrief.button.click()
    view = wb.debrief.view.value
    assert "Anchoring on the MRI" in view
    assert label not in view and "press Next visit" in view
    assert escape(case.stages.follow_up[:40]) not in view

    wb.feedback.next_visit.click()  # visit 2: the earlier test is marked as such
    assert "Ordered at visit 1 (earlier result)" in wb.tests.results.value
    _add(wb, "neuro_exam")
    assert "Ordered at visit 1" in wb.tests.results.value
    _submit(wb)
    wb.debrief.button.click()
    assert label in wb.debrief.view.value and "Teaching points" in wb.debrief.view.value


def test_saved_work_is_announced_on_opening_and_scores_read_as_the_feedback_does(
        tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    wb = Workbench("early_uncomplicated", store=ProgressStore(path), learner_id="owl_11")
    assert wb.tracker.saved_note.value == ""
    _add(wb, "bed_rest")
    _submit(wb)
    score = round(wb.session.reports[-1].assessment.score * 100)
    assert f"score {score}/100" in wb.feedback.message.value
    assert f": score {score}/100 (" in wb.earlier.choice.options[0][0]
    assert "1 saved submission " in wb.tracker.saved_note.value

    reopened = Workbench("early_uncomplicated", store=ProgressStore(path), learner_id="owl_11")
    assert "1 saved submission " in reopened.tracker.saved_note.value
    assert "Your earlier submissions" in reopened.tracker.saved_note.value
    reopened.earlier.show.click()
    assert "Shown again — Attempt 1, visit 1: score " in reopened.earlier.feedback.value


def test_test_targets_are_offered_in_an_order_that_gives_nothing_away() -> None:
    wb = Workbench("early_uncomplicated")
    targets = [value for _, value in wb.tests.target.options]
    assert targets[0] == "" and targets[-1] == "other"
    labels = [label for label, _ in wb.tests.target.options[1:-1]]
    assert labels == sorted(labels, key=str.casefold)
