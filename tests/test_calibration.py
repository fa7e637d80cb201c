"""Calibration: how often a learner was right at each certainty level, across saved attempts,
counted from hand-made records, read from the store, rendered as text, HTML and a figure, shown
in the debrief, and built for the demo class.

Names carry the issue's word so that ``-k calibration`` selects them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dystonia_teach import load_case
from dystonia_teach.core.calibration import calibration
from dystonia_teach.core.reasoning import ReasoningSession
from dystonia_teach.course.calibration import learner_calibration
from dystonia_teach.course.demo import demo_attempts
from dystonia_teach.render.certainty import calibration_html, calibration_text
from dystonia_teach.render.figures import calibration_figure
from dystonia_teach.store import AttemptStore, ProgressStore
from dystonia_teach.widgets.workbench import Workbench

from .test_workbench import _add, _confidence, _order, _rank

EARLY = "early_uncomplicated"


def _record(marks: list[tuple[str, bool]], attempts: int = 1) -> dict:
    """A saved record whose last visit was submitted with these (certainty, right) marks."""
    return {"visits": [{"attempts": 1}, {"attempts": attempts, "certainty_marks": [
        {"kind": "step", "item": f"s{n}", "certainty": c, "right": r}
        for n, (c, r) in enumerate(marks)]}]}


def test_calibration_counts_right_answers_at_each_certainty() -> None:
    records = [
        _record([("high", True), ("high", False), ("low", True)]),
        _record([("high", True), ("medium", False)]),
        _record([("high", False), ("high", False)], attempts=2),  # a resubmission: left out
        None,  # an attempt saved without its reasoning
        {"visits": [{"attempts": 1}]},  # no certainty said
    ]
    table = calibration(records)
    rows = {r.certainty: (r.responses, r.right, r.marks) for r in table.levels}
    assert rows == {"low": (1, 1, 1), "medium": (1, 0, -2), "high": (3, 2, 0)}
    assert (table.submissions, table.resubmissions, table.responses, table.marks) == (
        2, 1, 5, -1)
    assert table.level("high").share_right == pytest.approx(2 / 3)


def test_calibration_says_how_each_level_was_used() -> None:
    def verdict(certainty: str, right: int, wrong: int) -> str:
        return calibration([_record([(certainty, True)] * right + [(certainty, False)] * wrong)]
                           ).level(certainty).verdict

    assert verdict("high", 7, 3) == "too sure"  # 70% right: medium pays more
    assert verdict("high", 9, 1) == "well used"
    assert verdict("medium", 6, 2) == "well used"  # 75%
    assert verdict("low", 9, 1) == "not sure enough"
    assert verdict("low", 3, 3) == "well used"
    assert verdict("medium", 2, 2) == "too few to judge"  # fewer than five answers


def test_calibration_text_and_html_name_the_levels_the_bands_and_the_scheme() -> None:
    table = calibration([_record([("high", True)] * 7 + [("high", False)] * 3
                                 + [("low", True)] * 2)])
    text = calibration_text(table)
    assert "12 answers with a certainty in 1 submission" in text
    assert ("high (3): 7 right of 10 (70%), mean mark +0.30. It pays best when you are right "
            "more than 80% of the time. Too sure: at 70% right, medium certainty pays more."
            ) in text
    assert "medium (2): not used." in text and "Gardner-Medwin" in text
    html = calibration_html(table)
    assert 'aria-label="Your calibration"' in html and "<th scope=\"row\">high (3)</th>" in html
    assert "Too few answers to judge." in html  # two low answers
    empty = calibration([])
    assert "no answer with a certainty yet" in calibration_text(empty)
    assert "no answer with a certainty yet" in calibration_html(empty)


def test_calibration_figure_draws_the_share_right_over_the_bands_where_each_level_pays() -> None:
    table = calibration([_record([("high", True)] * 3 + [("high", False)] + [("low", True)])])
    fig = calibration_figure(table).to_dict()
    (bars,) = fig["data"]
    assert bars["x"] == ["low (1)", "medium (2)", "high (3)"]
    assert bars["y"] == [100.0, 0, 75.0]
    assert bars["text"] == ["1 of 1", "not used", "3 of 4"]
    bands = [(round(s["y0"]), round(s["y1"])) for s in fig["layout"]["shapes"]]
    assert bands == [(0, 67), (67, 80), (80, 100)]


def _work(case_id: str, sure: str, right_step: bool) -> ReasoningSession:
    session = ReasoningSession(load_case(case_id))
    session.add("history_red_flags")
    session.add("neuro_exam")
    session.add("physical_therapy" if right_step else "bed_rest", certainty=sure)
    session.set_differential([session.case.diagnosis])
    session.set_confidence(70)
    return session


def test_calibration_from_the_store_across_attempts(store: AttemptStore) -> None:
    for sure, right in (("high", True), ("high", False), ("medium", True)):
        session = _work(EARLY, sure, right)
        store.record("ivy", session.submit().assessment, session.record())
    again = _work(EARLY, "high", False)
    again.submit()
    store.record("ivy", again.submit().assessment, again.record())  # resubmitted: left out
    store.record("ivy", _work(EARLY, "low", True).submit().assessment)  # no reasoning saved
    store.record("joe", _work(EARLY, "high", True).submit().assessment,
                 _work(EARLY, "high", True).record())
    table = learner_calibration(store, "ivy")
    assert [(r.responses, r.right) for r in table.levels] == [(0, 0), (1, 1), (2, 1)]
    assert (table.submissions, table.resubmissions) == (3, 1)
    assert learner_calibration(store, "ivy", "progressive_foot_drop").responses == 0


def test_calibration_shown_in_the_debrief_from_the_learners_saved_attempts(
        tmp_path: Path) -> None:
    store = ProgressStore(tmp_path / "progress.sqlite3")
    wb = Workbench(EARLY, store=store, learner_id="kit_2")
    _add(wb, "history_red_flags")
    _add(wb, "neuro_exam")
    wb.tests.sure.value = "high"
    _order(wb, "emg_ncs")
    _rank(wb, [wb.case.diagnosis])
    _confidence(wb, 70)
    wb.feedback.submit.click()
    assert wb.debrief.calibration.value == ""  # shown with the debrief
    wb.debrief.reflection.value = "I ordered a test I did not need."
    wb.debrief.button.click()
    shown = wb.debrief.calibration.value
    assert 'aria-label="Your calibration"' in shown
    value = wb.session.reports[-1].tests[0].value
    right = value in ("indicated", "reasonable")
    assert f"<td>1</td><td>{int(right)}</td>" in shown  # one high-certainty answer
    unsaved = Workbench(EARLY)
    _add(unsaved, "neuro_exam")
    _rank(unsaved, [unsaved.case.diagnosis])
    _confidence(unsaved, 70)
    unsaved.feedback.submit.click()
    unsaved.debrief.button.click()
    assert "Type a learner id to keep your attempts" in unsaved.debrief.calibration.value


def test_calibration_of_the_demo_class_comes_from_real_sessions() -> None:
    """The demo class's reasoning records are sessions the workbench could have made: each
    replays to the verdict saved with it, and says certainties."""
    attempts = list(demo_attempts(4, ["early_uncomplicated", "progressive_foot_drop"], seed=2,
                                  reasoning=True))
    with_records = [a for a in attempts if a.record is not None]
    assert len(with_records) >= 0.8 * len(attempts)
    for attempt in with_records:
        case = load_case(attempt.assessment.case_id)
        replayed = ReasoningSession.from_record(case, attempt.record).reports[-1]
        assert replayed.assessment.score == attempt.assessment.score
        assert replayed.assessment.pitfalls == attempt.assessment.pitfalls
    assert calibration(a.record for a in with_records).responses > len(with_records)
    plain = demo_attempts(4, ["early_uncomplicated", "progressive_foot_drop"], seed=2)
    assert [a.assessment for a in plain] == [a.assessment for a in attempts]  # plans unchanged
