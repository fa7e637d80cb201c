"""The workbench driven headless: set ``.value``, call ``.click()``, read what it shows."""

from __future__ import annotations

import sqlite3
from html import escape
from pathlib import Path

import pytest

from dystonia_teach import Action, list_cases, load_case, recommended_actions
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.store.sqlite import ProgressStore
from dystonia_teach.widgets.workbench import Workbench, case_picker

from .conftest import make_case


def _add(wb: Workbench, action: Action | str, dose: float | None = None) -> None:
    if isinstance(action, Action):
        action, dose = action.step, action.dose_mg_per_day
    wb.step_picker.value = action
    if dose is not None:
        wb.dose.value = dose
    wb.add_button.click()


@pytest.mark.parametrize("case_id", list_cases())
def test_recommended_plan_scores_full_marks(case_id: str) -> None:
    case = load_case(case_id)
    wb = Workbench(case_id)
    for action in recommended_actions(case):
        _add(wb, action)
        assert wb.errors.value == ""
    wb.diagnosis.value = case.diagnosis
    wb.submit_button.click()

    assert wb.errors.value == ""
    assessment = wb.session.assessment
    assert assessment is not None and assessment.score == 1.0
    assert not assessment.by_severity("critical")
    assert "Score: 1.00" in wb.feedback.value
    assert "Critical" not in wb.feedback.value
    assert "Recommended pathway" in wb.feedback.value
    # the debrief: true diagnosis, follow-up and teaching notes appear once submitted
    assert "Teaching notes" in wb.vignette.value
    assert escape(case.stages.follow_up) in wb.vignette.value
    assert wb.summary().startswith(f"Case {case_id}: score 1.00")


def test_a_poor_plan_shows_its_pitfalls_with_evidence_badges() -> None:
    wb = Workbench("early_uncomplicated")
    _add(wb, "rigid_splinting")
    _add(wb, "bed_rest")
    wb.submit_button.click()

    assessment = wb.session.assessment
    assert assessment is not None and assessment.pitfalls and assessment.score < 1.0
    pitfalls = [f for f in assessment.findings if f.pitfall]
    for finding in pitfalls:
        assert escape(finding.summary) in wb.feedback.value
    assert any(f.sources for f in pitfalls)
    assert "OCEBM 2011 level" in wb.feedback.value
    assert "Why:" in wb.feedback.value and "Instead:" in wb.feedback.value
    assert f"Score: {assessment.score:.2f}" in wb.feedback.value
    assert "pitfalls" in wb.summary().lower()


def test_undo_and_reset() -> None:
    wb = Workbench("early_uncomplicated")
    labels = {s.id: s.label for s in knowledge().steps.values()}
    _add(wb, "neuro_exam")
    _add(wb, "physical_therapy")
    assert labels["physical_therapy"] in wb.plan.value
    wb.undo_button.click()
    assert wb.session.chosen_steps == ["neuro_exam"]
    assert labels["physical_therapy"] not in wb.plan.value
    assert labels["neuro_exam"] in wb.plan.value

    wb.diagnosis.value = "functional_dystonia"
    wb.submit_button.click()
    assert "Teaching notes" in wb.vignette.value
    wb.reset_button.click()
    assert wb.session.chosen_steps == [] and wb.session.working_diagnosis is None
    assert wb.diagnosis.value == ""
    assert labels["neuro_exam"] not in wb.plan.value and "nothing chosen" in wb.plan.value
    assert "Teaching notes" not in wb.vignette.value and "Examination" not in wb.vignette.value
    wb.undo_button.click()
    assert "already empty" in wb.status.value and wb.errors.value == ""


def _figure_traces(wb: Workbench) -> dict[str, dict]:
    (output,) = wb.path_figure.outputs
    figure = output["data"]["application/vnd.plotly.v1+json"]
    return {trace["name"]: trace for trace in figure["data"]}


def test_submit_draws_the_learner_path_over_the_recommended_one() -> None:
    wb = Workbench("early_uncomplicated")
    assert wb.path_figure.outputs == () and wb.path_text.value == ""
    _add(wb, "neuro_exam")
    _add(wb, "mri_lumbar_noncontrast")
    wb.submit_button.click()
    traces = _figure_traces(wb)
    assert "Recommended path (solid line, rings)" in traces
    learner = traces["Your path (dashed line, crosses)"]
    assert len([x for x in learner["x"] if x is not None]) == 2  # one point per chosen step
    assert "Your path:" in wb.path_text.value and "Off the recommended path" in wb.path_text.value

    wb.reset_button.click()
    assert wb.path_figure.outputs == () and wb.path_text.value == ""


def test_examination_appears_only_after_an_assessment_step() -> None:
    case = load_case("early_uncomplicated")
    wb = Workbench(case)
    exam = escape(case.stages.examination)
    assert escape(case.stages.presentation) in wb.vignette.value
    assert exam not in wb.vignette.value
    _add(wb, "mri_lumbar_noncontrast")  # an investigation is not an assessment step
    assert exam not in wb.vignette.value
    _add(wb, "neuro_exam")
    assert exam in wb.vignette.value


def test_ordered_tests_reveal_results_and_case_text_is_inert() -> None:
    script = "<script>alert('x')</script>"
    case = make_case(stages__presentation=f"Walks badly {script}",
                     investigations__imaging__report=f"Stenosis at L5-S1 {script}")
    wb = Workbench(case)
    assert "No tests ordered yet" in wb.results.value
    assert escape(script) in wb.vignette.value and script not in wb.vignette.value
    _add(wb, "mri_lumbar_noncontrast")
    assert escape(f"Stenosis at L5-S1 {script}") in wb.results.value
    assert "<script>" not in wb.results.value
    assert knowledge().steps["mri_lumbar_noncontrast"].label in wb.results.value


def test_dose_entry_is_enabled_for_dosed_drugs_only() -> None:
    wb = Workbench("early_uncomplicated")
    assert wb.dose.description == "Daily dose (mg/day)" and wb.dose.disabled
    wb.step_picker.value = "naproxen"
    assert not wb.dose.disabled and "daily dose" in wb.step_help.value
    wb.step_picker.value = "physical_therapy"
    assert wb.dose.disabled and wb.dose.value == 0
    _add(wb, "naproxen", 1000)
    assert wb.session.actions == [Action("naproxen", 1000.0)]
    assert "1000 mg/day" in wb.plan.value


@pytest.mark.parametrize(("act", "message"), [
    (lambda wb: (_add(wb, "neuro_exam"), _add(wb, "neuro_exam")), "already in your plan"),
    (lambda wb: _add(wb, "physical_therapy", 10), "not a dosed drug"),
    (lambda wb: _add(wb, "naproxen", -5), "must be positive"),
    (lambda wb: wb.add_button.click(), "choose a step"),
])
def test_errors_in_callbacks_show_in_the_widget(act, message: str) -> None:
    wb = Workbench("early_uncomplicated")
    act(wb)
    assert message in wb.errors.value and "Problem" in wb.errors.value
    assert 'role="alert"' in wb.errors.value
    assert len(wb.session.actions) <= 1
    _add(wb, "history_red_flags")  # the next successful action clears the error
    assert wb.errors.value == ""


def test_an_unexpected_error_is_shown_not_lost(monkeypatch) -> None:
    wb = Workbench("early_uncomplicated")

    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(wb.session, "submit", broken)
    wb.submit_button.click()
    assert "Unexpected error (RuntimeError)" in wb.errors.value and "boom" in wb.errors.value
    assert isinstance(wb.errors.last_error, RuntimeError)


def test_every_control_is_labelled() -> None:
    wb = Workbench("early_uncomplicated")
    for control in (wb.step_picker, wb.dose, wb.diagnosis):
        assert control.description and control.tooltip
    for button in (wb.add_button, wb.undo_button, wb.reset_button, wb.submit_button,
                   wb.resume_button):
        assert button.description.strip() and button.tooltip
    assert wb.diagnosis.options[0][1] == "" and "not chosen" in wb.diagnosis.options[0][0]


def _work(wb: Workbench, actions: list[Action], diagnosis: str) -> None:
    for action in actions:
        _add(wb, action)
    wb.diagnosis.value = diagnosis
    wb.submit_button.click()


def test_submissions_are_saved_and_resumed_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    case = load_case("failed_conservative_stenosis")
    plan = recommended_actions(case)[:5]
    wb = Workbench(case, store=ProgressStore(path), learner_id="stu_7")
    assert "No saved attempts" in wb.history.value
    assert wb.resume_button.layout.display == "none"
    _add(wb, "bed_rest")
    wb.submit_button.click()
    wb.undo_button.click()
    _work(wb, plan, "radiculopathy_dystonia")
    assert wb.errors.value == "" and "saved as attempt 2" in wb.status.value

    restarted = Workbench(case.id, store=ProgressStore(path), learner_id="stu_7")
    assert restarted.session.actions == []
    assert restarted.resume_button.layout.display is None
    assert "Resume attempt 2" in restarted.resume_button.description
    history = restarted.history.value
    assert "<td>1</td>" in history and "<td>2</td>" in history
    first_pitfall = knowledge().findings[ProgressStore(path).attempts("stu_7")[0].pitfalls[0]]
    assert escape(first_pitfall.label) in history
    assert f"{wb.session.assessment.score:.2f}" in history

    restarted.resume_button.click()
    assert restarted.errors.value == ""
    assert restarted.session.actions == plan
    assert restarted.diagnosis.value == "radiculopathy_dystonia"
    assert restarted.session.working_diagnosis == "radiculopathy_dystonia"
    assert knowledge().steps[plan[-1].step].label in restarted.plan.value
    # another learner on the same file sees nothing to resume
    other = Workbench(case.id, store=ProgressStore(path), learner_id="stu_8")
    assert other.resume_button.layout.display == "none"


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
    assert "locked" in wb.errors.value and str(path) in wb.errors.value
    assert "Score:" in wb.feedback.value
    wb.submit_button.click()  # submitting again saves it
    assert wb.errors.value == "" and "saved as attempt 1" in wb.status.value


def test_a_store_needs_a_pseudonymous_learner_id(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path / "p.sqlite3")
    with pytest.raises(ValueError, match="e-mail"):
        Workbench("early_uncomplicated", store=store, learner_id="ann@uni.example")
    with pytest.raises(ValueError, match="pseudonym"):
        Workbench("early_uncomplicated", store=store)


def test_case_picker_opens_the_chosen_case() -> None:
    picker = case_picker()
    assert [value for _, value in picker.cases.options][1:] == list_cases()
    picker.open_button.click()
    assert "choose a case" in picker.errors.value and picker.workbench is None
    picker.cases.value = "functional_dystonia_mimic"
    picker.open_button.click()
    assert picker.errors.value == ""
    assert picker.workbench is not None and picker.workbench.case.id == "functional_dystonia_mimic"
    assert picker.area.children == (picker.workbench,)
    assert repr(picker.workbench) == "Workbench(case='functional_dystonia_mimic')"
    title = load_case("functional_dystonia_mimic").title
    assert any(title in label for label, _ in picker.cases.options)


def test_case_picker_saves_under_a_learner_id_and_resumes_after_a_restart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "progress.sqlite3"
    monkeypatch.setenv("DYSTONIA_TEACH_PROGRESS", str(path))
    picker = case_picker()
    picker.cases.value = "early_uncomplicated"
    picker.open_button.click()  # no learner id: works, saves nothing
    assert "Not saving" in picker.status.value and not path.exists()
    assert picker.workbench is not None and picker.workbench.store is None

    picker.learner.value = "me@example.org"
    picker.open_button.click()
    assert "e-mail" in picker.errors.value

    picker.learner.value = "owl_7"
    picker.open_button.click()
    assert picker.errors.value == "" and "owl_7" in picker.status.value
    _add(picker.workbench, "neuro_exam")
    picker.workbench.submit_button.click()
    assert "saved as attempt 1" in picker.workbench.status.value

    restarted = case_picker()  # a new kernel: same nickname, same case
    restarted.learner.value = "owl_7"
    restarted.cases.value = "early_uncomplicated"
    restarted.open_button.click()
    assert restarted.workbench is not None
    assert restarted.workbench.resume_button.layout.display is None
    restarted.workbench.resume_button.click()
    assert restarted.workbench.session.chosen_steps == ["neuro_exam"]


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
    picker = case_picker(learner_id="owl_7")
    picker.cases.value = "early_uncomplicated"
    picker.open_button.click()
    assert "damaged" in picker.errors.value and str(path) in picker.errors.value
    assert "Not saving" in picker.status.value
    assert picker.workbench is not None and picker.workbench.store is None
    assert path.read_bytes() == before  # the learner's earlier attempts are not overwritten
