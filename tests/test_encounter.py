"""Issue 19, the learner experience, headless: the encounter in order with a tracker, no
spoilers before submission, submission needing the reasoning, visible progress, clinical
shorthand, diagnosis synonyms, resuming and the next case.

Names carry the issue's words: ``-k "encounter or tracker or spoiler or shorthand or synonym
or progress or resume or next_case"`` selects them.
"""

from __future__ import annotations

import itertools
import re
from html import escape
from pathlib import Path

import pytest

from dystonia_teach import list_cases, load_case, recommended_actions
from dystonia_teach.core.continuity import continuity_note
from dystonia_teach.core.diagnoses import search_diagnoses
from dystonia_teach.core.encounter import DONE, LATER, OPTIONAL, TO_DO, encounter_stages
from dystonia_teach.core.errors import ActionError
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.problem_statement import check_problem, read_statement
from dystonia_teach.core.progress import progress
from dystonia_teach.core.reasoning import NO_RESULT, ReasoningSession
from dystonia_teach.core.results import Action
from dystonia_teach.core.visits import case_at_visit, visit_count
from dystonia_teach.course.case_order import finished_cases, next_case
from dystonia_teach.course.workspace import LEARNER_FILE, remembered_learner
from dystonia_teach.render.feedback import components, feedback_html, feedback_text
from dystonia_teach.store import ProgressStore
from dystonia_teach.widgets import case_picker
from dystonia_teach.widgets.workbench import Workbench

from .test_workbench import _add, _confidence, _order, _rank, _submit

#: Every test once (urgent_mri is an urgent order of the lumbar MRI, not another test).
TESTS = [s.id for s in knowledge().steps.values() if s.reveals and not s.alias_of]
#: Words that judge a test or a plan: none may reach the learner before submission.
JUDGING = re.compile(r"indicated|low[ -]value|recommended|reasonable|pathway", re.IGNORECASE)


def _visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


# --- the encounter in order, with a tracker -------------------------------------------------

def test_encounter_page_follows_the_order_of_the_encounter() -> None:
    wb = Workbench("early_uncomplicated")
    headings = [_visible(p.heading.value).strip() for p in wb.panels]
    assert headings == ["Where you are", "1. What the patient tells you",
                        "2. History and examination", "3. Your differential and confidence",
                        "4. Tests: say why before you see the result", "5. Your plan",
                        "6. Submit and feedback", "7. Debrief", "8. Your earlier submissions"]
    # examining comes before the tests that need it, and the submit button after the plan
    assert wb.children.index(wb.examine) < wb.children.index(wb.tests)
    assert wb.children.index(wb.plan) < wb.children.index(wb.feedback)


def test_tracker_shows_where_the_learner_is_and_what_is_still_needed() -> None:
    wb = Workbench("early_uncomplicated")

    def states() -> dict[str, str]:
        return {s.key: s.state for s in encounter_stages(wb.session)}

    assert states()["problem"] == TO_DO and states()["submit"] == LATER
    assert states()["tests"] == OPTIONAL and 'aria-current="step"' in wb.tracker.stages.value
    assert "Next: problem statement" in wb.tracker.stages.value
    wb.patient.problem.value = "46M 3/52 R leg pain, toes curl on walking"
    assert "Next: history" in wb.tracker.stages.value
    _add(wb, "history_red_flags")
    _add(wb, "neuro_exam")
    assert (states()["history"], states()["examination"]) == (DONE, DONE)
    assert "Next: differential and confidence" in wb.tracker.stages.value
    _rank(wb, ["radiculopathy_dystonia"])
    assert "your confidence" in wb.tracker.stages.value
    _confidence(wb, 70)
    _add(wb, "physical_therapy")
    assert states()["submit"] == TO_DO and "Next: submit" in wb.tracker.stages.value
    wb.feedback.submit.click()
    assert states()["submit"] == DONE and states()["next_visit"] == TO_DO
    assert "press Next visit" in wb.tracker.stages.value
    wb.feedback.next_visit.click()
    assert states()["examination"] == TO_DO and "Visit 2 of 2" in wb.tracker.stages.value


def test_encounter_submission_needs_a_committed_differential_and_a_confidence() -> None:
    wb = Workbench("functional_dystonia_mimic")
    _add(wb, "neuro_exam")
    assert "Before you submit" in wb.feedback.ready.value
    wb.feedback.submit.click()  # a blank plan, no differential, no confidence
    assert "committed differential" in wb.feedback.message.value
    assert "your confidence" in wb.feedback.message.value
    assert wb.feedback.feedback.value == "" and not wb.session.reports  # nothing judged
    wb.differential.search.value = "radic"
    wb.differential.put.click()  # placed but not committed: still refused
    wb.feedback.submit.click()
    assert "committed differential" in wb.feedback.message.value
    wb.differential.commit.click()
    _confidence(wb, 50)
    assert "Ready to submit" in wb.feedback.ready.value
    wb.feedback.submit.click()
    assert "attempt 1 at this visit" in wb.feedback.message.value
    with pytest.raises(ActionError, match="committed differential"):
        ReasoningSession(load_case("early_uncomplicated")).submit()


def test_encounter_resubmitting_a_visit_counts_and_shows_the_attempts() -> None:
    wb = Workbench("early_uncomplicated")
    _add(wb, "neuro_exam")
    _submit(wb)
    _add(wb, "physical_therapy")
    assert "submit again (attempt 2)" in wb.feedback.ready.value
    assert "Score" in wb.feedback.feedback.value  # the last feedback stays to work from
    wb.feedback.submit.click()
    assert "attempt 2 at this visit" in wb.feedback.message.value
    assert 'aria-label="Feedback on visit 1, attempt 2"' in wb.feedback.feedback.value
    assert wb.session.attempts == 2 and wb.session.record()["visits"][0]["attempts"] == 2


def test_encounter_messages_appear_in_the_panel_of_the_control_that_caused_them() -> None:
    """Each action's confirmation or error is in its own panel's message line, and only one
    message is shown at a time."""
    wb = Workbench("early_uncomplicated")
    actions = [
        (wb.tests, lambda: _order(wb, "emg_ncs")),  # before examining: refused, and why
        (wb.examine, lambda: _add(wb, "neuro_exam")),
        (wb.differential, lambda: wb.differential.put.click()),
        (wb.tests, lambda: _order(wb, "emg_ncs")),
        (wb.plan, lambda: _add(wb, "naproxen", 1000)),
        (wb.feedback, lambda: wb.feedback.submit.click()),
        (wb.patient, lambda: setattr(wb.patient.problem, "value", "46M 3 wk R")),
    ]
    for panel, act in actions:
        act()
        assert panel.message.value, panel.title
        assert [p for p in wb.panels if p.message.value] == [panel], panel.title
        assert 'class="dt-message"' not in panel.message.value  # the widget carries it
        assert "dt-message" in panel.message._dom_classes


# --- no spoilers before submission --------------------------------------------------------

def _tests_at_every_visit(case_id: str):
    """(visit, session, ordered tests) for every visit, every test ordered (examined first)."""
    session = ReasoningSession(load_case(case_id))
    for visit in range(session.visit_count):
        session.add("neuro_exam")
        ordered = [session.order_test(step, change="an abnormal result")
                   for step in TESTS if step not in {a.step for a in session.actions}]
        yield visit, session, ordered
        if session.has_next_visit:
            session.set_differential(["other"])
            session.set_confidence(50)
            session.submit()
            session.next_visit()


@pytest.mark.parametrize("case_id", list_cases())
def test_spoiler_free_ordering_of_every_test_in_every_case(case_id: str) -> None:
    """Every test of every case at every visit, through the session API: a result (or the
    neutral "no result") and nothing that judges the test; its value arrives with the
    feedback."""
    for visit, session, ordered in _tests_at_every_visit(case_id):
        for test in ordered:
            assert not {"value", "verdict", "target_note"} & set(vars(test)), test
            assert test.report == NO_RESULT or not JUDGING.search(test.report), (visit, test)
        if not session.has_next_visit:
            session.set_differential(["other"])
            session.set_confidence(50)
            report = session.submit()
            assert {t.step for t in report.tests} == {t.step for t in ordered}
            assert all(t.value in ("indicated", "reasonable", "low value") for t in report.tests)


@pytest.mark.parametrize("case_id", list_cases())
def test_spoiler_free_workbench_html_before_submission(case_id: str) -> None:
    """The rendered workbench (every panel) after ordering every test says nothing that
    judges a test or the plan, and does not name the diagnosis, until submission."""
    case = load_case(case_id)
    wb = Workbench(case)
    names = {s.label.lower() for s in knowledge().steps.values()}
    for visit in range(visit_count(case)):
        _add(wb, "neuro_exam")
        for step in TESTS:
            if step not in {a.step for a in wb.session.actions}:
                _order(wb, step, reason="an abnormal result")
        page = " ".join(_visible(p.heading.value + "".join(
            c.value for c in p.children if hasattr(c, "value") and isinstance(c.value, str)))
            for p in wb.panels)
        case_text = " ".join((case_at_visit(case, visit).stages.presentation,
                              case_at_visit(case, visit).stages.examination,
                              *(r.report for r in wb.session.tests)))
        for found in JUDGING.finditer(page):
            context = page[max(0, found.start() - 60):found.end() + 60]
            assert any(escape(found.group(0)) in w for w in (case_text,)) or any(
                found.group(0).lower() in n for n in names), (visit, context)
        assert "low value" not in page.lower() and "(indicated)" not in page
        if wb.session.has_next_visit:
            _submit(wb, "other", 50)
            wb.feedback.next_visit.click()
    _submit(wb, "other", 50)
    assert re.search(r"\((indicated|reasonable|low value)\)", _visible(wb.feedback.feedback.value))


# --- progress: a score that shows it ------------------------------------------------------

def test_progress_since_the_last_attempt_names_what_was_fixed() -> None:
    case = load_case("early_uncomplicated")
    wb = Workbench(case)
    _add(wb, "neuro_exam")
    _add(wb, "bed_rest")
    _submit(wb)
    assert wb.feedback.progress.value == ""  # a first attempt has nothing to compare
    wb.plan.undo.click()  # bed rest out
    _add(wb, "history_red_flags")
    _add(wb, "physical_therapy")
    wb.feedback.submit.click()
    shown = _visible(wb.feedback.progress.value)
    assert "Since your last attempt" in shown and "No longer a problem:" in shown
    assert "Bed rest" in shown and "Pitfalls no longer made" in shown
    before, after = wb.session.visit_reports
    change = progress(before.assessment, after.assessment)
    delta = round(after.assessment.points) - round(before.assessment.points)
    assert change.points_delta > 0 and f"({delta:+d})" in shown


def test_progress_between_better_plans_is_visible_even_when_scores_clip_to_zero() -> None:
    """Plans that all read 0/100 still differ in points, and the comparison says so."""
    case = load_case("cauda_equina_red_flags")
    plans = [["bed_rest", "long_term_opioids"], ["bed_rest"], ["history_red_flags", "bed_rest"],
             ["history_red_flags", "neuro_exam"]]
    session = ReasoningSession(case)
    session.set_differential(["cauda_equina_syndrome"])
    session.set_confidence(80)
    assessments = []
    for plan in plans:
        while session.undo():
            pass
        for step in plan:
            session.add(step)
        assessments.append(session.submit().assessment)
    points = [a.points for a in assessments]
    assert points == sorted(points) and len(set(points)) == len(points)
    for before, after in itertools.pairwise(assessments):
        change = progress(before, after)
        assert change.points_delta > 0 and (change.fixed or change.credited)


def test_progress_components_of_the_score_are_shown_with_the_feedback() -> None:
    case = load_case("early_uncomplicated")
    wb = Workbench(case)
    _add(wb, "neuro_exam")
    _add(wb, "bed_rest")
    _submit(wb)
    rows = dict(components(wb.session.reports[-1].assessment))
    # the engine's breakdown: each required decision made or not, each cost
    assert rows["neurological examination: done"] != "0"
    assert rows["red-flag history: not done"] == "0"
    assert rows["Bed rest is low-value care"].startswith("-")
    assert "Points (before the score is capped at 0 and 100)" in rows
    assert "How the score is made up" in wb.feedback.components.value


def test_progress_dose_problems_are_named_in_the_summary_and_steps_named_once() -> None:
    case = load_case("nsaid_contraindicated_ckd")
    session = ReasoningSession(case)
    session.add("neuro_exam")
    session.add({"step": "naproxen", "dose_mg_per_day": 3000})
    session.add({"step": "ibuprofen", "dose_mg_per_day": 3000})
    session.set_differential(["radiculopathy_dystonia"])
    session.set_confidence(60)
    report = session.submit()
    text = feedback_text(report.assessment, report)
    summary = text.split("\n\n")[0]
    assert "Naproxen: the daily dose" in summary  # in the summary, not only under Details
    assert "Naproxen, Naproxen" not in text and "Ibuprofen, Ibuprofen" not in text
    assert "unreviewed draft" not in text and "unreviewed draft" not in feedback_html(
        report.assessment, report)


# --- clinical language: shorthand and synonyms ---------------------------------------------

@pytest.mark.parametrize("text", [
    "46M, 3/52 R leg pain, toes curl on walking",
    "46 M 3 wk R sciatica + toe curling when walking",
    "46 y/o M, 21 days of R leg pain, worse on walking",
    "46-year-old man, three weeks of right leg pain, toes curl when walking",
])
def test_shorthand_problem_statements_name_every_essential(text: str) -> None:
    feedback = check_problem(load_case("early_uncomplicated"), text)
    assert feedback.missing == () and feedback.mismatches == (), feedback


def test_shorthand_facts_are_checked_against_the_case_and_wrong_ones_named() -> None:
    case = load_case("early_uncomplicated")  # a 46-year-old man, 3 weeks, right side
    feedback = check_problem(case, "64F, 3/12 L foot dystonia on walking, LBP, PMH nil")
    wrong = " | ".join(feedback.mismatches)
    assert "the patient is 46, not 64" in wrong and "a man" in wrong
    assert "3 weeks ago, not 3/12 (13 weeks)" in wrong and "not the left" in wrong
    assert "LBP = low back pain" in feedback.understood
    assert "PMH = past medical history" in feedback.understood
    assert read_statement("46M").sexes == ("male",) and read_statement("L5 S1").sides == ()
    wb = Workbench(case)
    wb.patient.problem.value = "46M 5 wk R leg pain on walking"
    assert "the symptoms began 3 weeks ago, not 5 wk" in wb.patient.message.value
    _add(wb, "neuro_exam")
    _submit(wb)
    assert "Correct the problem statement" in wb.feedback.feedback.value


@pytest.mark.parametrize(("query", "first"), [
    ("trauma", "post_traumatic_dystonia"), ("l5", "radiculopathy_dystonia"),
    ("func", "functional_dystonia"), ("CES", "cauda_equina_syndrome"),
    ("crps", "post_traumatic_dystonia"), ("S1 radiculopathy", "radiculopathy_dystonia"),
    ("drd", "dopa_responsive_dystonia"), ("FND", "functional_dystonia"),
])
def test_synonym_and_abbreviation_search_ranks_by_relevance(query: str, first: str) -> None:
    assert search_diagnoses(query)[0].id == first


def test_synonym_search_orders_equal_matches_by_the_words_not_the_case() -> None:
    found = search_diagnoses("dyst", limit=0)
    assert len(found) > 3
    assert [d.id for d in found] == [d.id for d in search_diagnoses("DYST", limit=0)]
    wb = Workbench("functional_dystonia_mimic")
    wb.differential.search.value = "func"
    assert wb.differential.matches.options[0][1] == "functional_dystonia"
    assert wb.differential.matches.value == "functional_dystonia"  # the best match selected


# --- visit facts and the learner's plan -------------------------------------------------------

def test_encounter_next_visit_says_when_the_story_does_not_follow_the_plan() -> None:
    case = load_case("early_uncomplicated")  # visit 2: naproxen, physiotherapy were given
    note = continuity_note(case, 1, [Action("neuro_exam"), Action("microdiscectomy")])
    assert "did not have the microdiscectomy of your plan" in note
    assert "naproxen" in note
    followed = continuity_note(case, 1, [Action(s) for s in case.visits[0].conservative_care])
    assert followed == ""
    operated = load_case("disc_herniation_after_trial")  # visit 2: after a microdiscectomy
    assert "had microdiscectomy, which your plan did not include" in continuity_note(
        operated, 1, [Action("physical_therapy")])
    wb = Workbench(case)
    _add(wb, "neuro_exam")
    _add(wb, "microdiscectomy")
    _submit(wb)
    wb.feedback.next_visit.click()
    assert "Since the last visit" in wb.patient.continuity.value


# --- coming back: resume, remembered learner, finished cases, next case ----------------------

def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "progress.sqlite3"
    monkeypatch.setenv("DYSTONIA_TEACH_PROGRESS", str(path))
    monkeypatch.delenv("DYSTONIA_TEACH_STORE", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    return path


def test_resume_where_you_stopped_is_one_click_with_the_uncommitted_differential(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch, tmp_path)
    picker = case_picker()
    picker.learner.value = "wren_1"
    picker.cases.value = "discordant_imaging"
    picker.open_button.click()
    wb = picker.workbench
    _add(wb, "neuro_exam")
    wb.differential.search.value = "radic"
    wb.differential.put.click()  # placed, never committed
    assert wb.session.differential is None

    again = case_picker()  # a restarted kernel: the nickname is remembered
    assert again.learner.value == "wren_1" and "wren_1" in again.status.value
    assert again.resume_button.layout.display is None
    number = list_cases().index("discordant_imaging") + 1
    assert again.resume_button.description == f"Resume where you stopped: case {number}"
    again.resume_button.click()  # the one click
    resumed = again.workbench
    assert resumed is not None and resumed.case.id == "discordant_imaging"
    assert resumed.session.draft_differential[0] == "radiculopathy_dystonia"
    assert "Foot dystonia caused by lumbar radiculopathy" in resumed.differential.view.value
    assert [a.step for a in resumed.session.actions] == ["neuro_exam"]


def test_resume_learner_id_is_kept_with_the_working_copy_and_never_under_a_hub(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch, tmp_path)
    workdir = tmp_path / "course"
    monkeypatch.setenv("DYSTONIA_TEACH_WORKDIR", str(workdir))
    picker = case_picker()
    assert picker.learner.value == ""
    picker.learner.value = "wren_2"
    assert (workdir / LEARNER_FILE).read_text().strip() == "wren_2"
    assert remembered_learner() == "wren_2" and case_picker().learner.value == "wren_2"
    (workdir / LEARNER_FILE).unlink()
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    hub = case_picker()
    assert hub.learner_id == "alice" and not (workdir / LEARNER_FILE).exists()


def test_resume_finished_cases_are_marked_in_the_picker(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _env(monkeypatch, tmp_path)
    case = load_case("discordant_imaging")
    assert visit_count(case) == 1
    wb = Workbench(case, store=ProgressStore(path), learner_id="wren_3")
    for action in recommended_actions(case):
        (_order if knowledge().steps[action.step].reveals else _add)(wb, action.step)
    _submit(wb)
    picker = case_picker(learner_id="wren_3")
    labels = dict((v, k) for k, v in picker.cases.options)
    assert labels["discordant_imaging"].endswith("(finished ✔)")
    assert not labels["early_uncomplicated"].endswith("(finished ✔)")
    assert finished_cases(ProgressStore(path).attempts("wren_3")) == {"discordant_imaging"}


def _finish(wb: Workbench) -> None:
    """Submit every visit of the workbench's case."""
    while True:
        _add(wb, "neuro_exam")
        _submit(wb)
        if not wb.session.has_next_visit:
            return
        wb.feedback.next_visit.click()


def test_next_case_after_the_debrief_opens_the_next_unfinished_case_without_saving() -> None:
    cases = list_cases()
    picker = case_picker(save=False)
    picker.cases.value = cases[0]
    picker.open_button.click()
    wb = picker.workbench
    assert wb.debrief.next_case.layout.display == "none"  # not before the case is finished
    _finish(wb)
    assert wb.debrief.next_case.layout.display is None
    assert "Case 2 is the next case you have not finished" in wb.debrief.next_note.value
    wb.debrief.next_case.click()
    assert picker.workbench is not wb and picker.workbench.case.id == cases[1]
    assert picker.cases.value == cases[1]
    assert picker.workbench.guard.focus_request.startswith("dt-panel-title#")  # shown there


def test_next_case_with_saved_attempts_is_the_recommenders_choice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a learner's attempts in a store the button offers the adaptive recommender's
    choice (the case testing the learner's riskiest pitfall) and its reason."""
    from dystonia_teach.course.recommend import recommend_next_case

    path = _env(monkeypatch, tmp_path)
    cases = list_cases()
    picker = case_picker(learner_id="wren_4")
    picker.cases.value = "early_uncomplicated"
    picker.open_button.click()
    wb = picker.workbench
    _add(wb, "bed_rest")  # a pitfall to be tested again
    _finish(wb)
    expected = recommend_next_case(ProgressStore(path), "wren_4",
                                   [c for c in cases if c != "early_uncomplicated"])
    assert escape(expected.reason) in wb.debrief.next_note.value
    wb.debrief.next_case.click()
    assert picker.workbench.case.id == expected.case_id != "early_uncomplicated"


def test_next_case_order_skips_finished_cases_and_wraps_round(tmp_path: Path) -> None:
    from dystonia_teach.course.case_order import next_unfinished

    store = ProgressStore(tmp_path / "progress.sqlite3")
    cases = list_cases()
    one_visit = [c for c in cases if visit_count(load_case(c)) == 1][:3]
    for case_id in one_visit[:2]:
        session = ReasoningSession(load_case(case_id))
        session.add("neuro_exam")
        session.set_differential(["other"])
        session.set_confidence(50)
        store.record("wren_5", session.submit().assessment, session.record())
    assert finished_cases(store.attempts("wren_5")) == set(one_visit[:2])
    choice = next_unfinished(one_visit[0], one_visit, finished=one_visit[:2])
    assert choice == (one_visit[2], "Case 3 is the next case you have not finished.")
    every = next_unfinished(one_visit[0], one_visit, finished=one_visit)
    assert every.case_id == one_visit[1] and "finished every case" in every.reason
    assert next_case(None, None, cases[-1], cases).case_id == cases[0]  # wraps round
    assert next_case(None, None, cases[0], cases[:1]) is None  # no other case


def test_progress_uses_the_engines_breakdown_when_it_gives_one() -> None:
    """Engine-agnostic: an assessment that reports its decisions and costs is broken down by
    them, and the decisions newly made are named in the progress."""
    from types import SimpleNamespace

    from dystonia_teach.core.progress import Progress, _made

    decision = SimpleNamespace(decision="pain", label="Pain relief", made=True, points=25.0)
    missed = SimpleNamespace(decision="rehab", label="Rehabilitation", made=False, points=0.0)
    cost = SimpleNamespace(code="premature_imaging", summary="MRI too early", points=30.0)
    after = SimpleNamespace(decisions=(decision, missed), costs=(cost,), points=-5.0,
                            safety="caution", findings=())
    rows = components(after)
    assert rows[:3] == [("Pain relief: done", "+25"), ("Rehabilitation: not done", "0"),
                        ("MRI too early", "-30")]
    assert rows[-1] == ("Safety", "caution")
    before = SimpleNamespace(decisions=(SimpleNamespace(decision="pain", label="Pain relief",
                                                        made=False, points=0.0),))
    assert _made(after) == {"pain": "Pain relief"} and _made(before) == {}
    change = Progress(0, 0, -30, -5, (), (), (), (), decisions_made=("Pain relief",))
    from dystonia_teach.render.feedback import progress_lines
    assert "Decisions now made: Pain relief." in progress_lines(change)
