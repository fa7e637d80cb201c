"""Certainty on each decision: CBM marks against Gardner-Medwin's published table, what counts as
right for each kind of answer, the marks kept apart from the score, the certainties and an
order's priority in the saved record (old records still load), and the workbench's controls
driven headless.

Names carry the issue's words so that ``-k certainty`` selects them.
"""

from __future__ import annotations

import json

import pytest

from dystonia_teach import load_case
from dystonia_teach.core.certainty import (
    LEVELS,
    PAYS_ABOVE,
    best_certainty,
    cbm_mark,
    expected_mark,
)
from dystonia_teach.core.errors import ActionError
from dystonia_teach.core.reasoning import ReasoningSession
from dystonia_teach.core.reasoning_record import RecordError, check_record
from dystonia_teach.widgets.workbench import Workbench

from .test_workbench import _add, _confidence, _order, _rank

EARLY, CAUDA = "early_uncomplicated", "cauda_equina_red_flags"
WHY = "a result at the level and side of the signs would change the plan"

# Gardner-Medwin's scheme as published (ALT-J 1995; Moodle Docs, "Using certainty-based
# marking"): certainty 1, 2, 3 score 1, 2, 3 when right and 0, -2, -6 when wrong.
PUBLISHED = [("low", True, 1), ("medium", True, 2), ("high", True, 3),
             ("low", False, 0), ("medium", False, -2), ("high", False, -6)]


@pytest.mark.parametrize(("certainty", "right", "mark"), PUBLISHED)
def test_certainty_marks_follow_the_published_scheme(certainty: str, right: bool,
                                                     mark: int) -> None:
    assert cbm_mark(certainty, right) == mark


def test_certainty_levels_pay_best_in_the_published_bands() -> None:
    # Gardner-Medwin advises the upper levels above 67% and 80% chance of being right: there
    # the expected marks of neighbouring levels are equal.
    assert [round(100 * PAYS_ABOVE[level]) for level in LEVELS] == [0, 67, 80]
    assert expected_mark("low", 2 / 3) == pytest.approx(expected_mark("medium", 2 / 3))
    assert expected_mark("medium", 0.8) == pytest.approx(expected_mark("high", 0.8))
    assert [best_certainty(p) for p in (0.0, 0.5, 0.66, 0.7, 0.79, 0.81, 1.0)] == [
        "low", "low", "low", "medium", "medium", "high", "high"]
    assert expected_mark("high", 0.5) == pytest.approx(-1.5)  # guessing at high costs


def _examined(case_id: str) -> ReasoningSession:
    session = ReasoningSession(load_case(case_id))
    session.add("history_red_flags")
    session.add("neuro_exam")
    return session


def _marks(session: ReasoningSession) -> dict[tuple[str, str], tuple[bool, int]]:
    if session.differential is None:
        session.set_differential([session.case.diagnosis])
    session.set_confidence(60)
    report = session.submit()
    return {(r.kind, r.item): (r.right, r.mark) for r in report.certainty.responses}


def test_certainty_on_a_diagnosis_is_right_when_the_facts_support_it() -> None:
    session = _examined(EARLY)
    session.set_differential(["radiculopathy_dystonia", "functional_dystonia"],
                             certainty={"radiculopathy_dystonia": "high",
                                        "functional_dystonia": "medium"})
    marks = _marks(session)
    assert marks[("diagnosis", "radiculopathy_dystonia")] == (True, 3)
    assert marks[("diagnosis", "functional_dystonia")] == (False, -2)


def test_certainty_on_the_must_not_miss_diagnosis() -> None:
    # Early sciatica: cauda equina is worth excluding (right); a DaT-scan diagnosis is not a
    # must-not-miss one (wrong).
    right = _examined(EARLY)
    right.set_differential(["radiculopathy_dystonia"], "cauda_equina_syndrome",
                           certainty={"cauda_equina_syndrome": "high"})
    assert _marks(right)[("must_not_miss", "cauda_equina_syndrome")] == (True, 3)
    wrong = _examined(EARLY)
    wrong.set_differential(["radiculopathy_dystonia"], "parkinsonism_foot_dystonia",
                           certainty={"parkinsonism_foot_dystonia": "medium"})
    assert _marks(wrong)[("must_not_miss", "parkinsonism_foot_dystonia")] == (False, -2)
    # Cauda equina present but named nowhere: another must-not-miss pick is wrong too.
    missed = _examined(CAUDA)
    missed.set_differential(["radiculopathy_dystonia"], "spinal_infection_or_malignancy",
                            certainty={"spinal_infection_or_malignancy": "low"})
    assert _marks(missed)[("must_not_miss", "spinal_infection_or_malignancy")] == (False, 0)


def test_certainty_on_a_test_is_right_when_indicated_or_reasonable() -> None:
    session = _examined(CAUDA)
    session.order_test("mri_lumbar_noncontrast", priority="urgent", change=WHY,
                       certainty="high")
    session.order_test("dat_scan", change="a normal scan", certainty="high")
    marks = _marks(session)
    assert marks[("test", "mri_lumbar_noncontrast")] == (True, 3)
    assert marks[("test", "dat_scan")] == (False, -6)
    values = {t.step: t.value for t in session.reports[-1].tests}
    assert values == {"mri_lumbar_noncontrast": "indicated", "dat_scan": "low value"}


def test_certainty_on_a_plan_step_is_right_when_an_option_of_a_decision() -> None:
    session = _examined(EARLY)
    session.add("physical_therapy", certainty="medium")  # required decision's option
    session.add({"step": "naproxen", "dose_mg_per_day": 1000}, certainty="low")  # optional
    session.add("bed_rest", certainty="high")  # low-value care
    marks = _marks(session)
    assert marks[("step", "physical_therapy")] == (True, 2)
    assert marks[("step", "naproxen")] == (True, 1)
    assert marks[("step", "bed_rest")] == (False, -6)
    overdose = _examined(EARLY)
    overdose.add({"step": "naproxen", "dose_mg_per_day": 5000}, certainty="medium")
    assert _marks(overdose)[("step", "naproxen")] == (False, -2)  # a critical dose


def test_certainty_marks_are_kept_apart_from_the_score() -> None:
    plain, sure = _examined(EARLY), _examined(EARLY)
    plain.add("bed_rest")
    sure.add("bed_rest", certainty="high")
    plain.set_differential(["radiculopathy_dystonia"])
    sure.set_differential(["radiculopathy_dystonia"],
                          certainty={"radiculopathy_dystonia": "high"})
    for s in (plain, sure):
        s.set_confidence(70)
    a, b = plain.submit(), sure.submit()
    assert (a.assessment.score, a.assessment.points, a.assessment.safety) == (
        b.assessment.score, b.assessment.points, b.assessment.safety)
    assert a.certainty.responses == () and (b.certainty.total, b.certainty.maximum) == (-3, 6)


def test_certainty_is_optional_and_only_low_medium_or_high() -> None:
    session = _examined(EARLY)
    with pytest.raises(ActionError, match="certainty 'very' is not one of low, medium, high"):
        session.add("physical_therapy", certainty="very")
    with pytest.raises(ActionError, match="certainty 3"):
        session.place(0, "radiculopathy_dystonia", certainty=3)  # type: ignore[arg-type]
    assert session.actions[-1].step == "neuro_exam"  # nothing half-added
    assert _marks(session) == {}


def test_certainty_and_priority_survive_the_saved_record() -> None:
    session = _examined(CAUDA)
    session.place(0, "radiculopathy_dystonia", certainty="high")
    session.place(3, "cauda_equina_syndrome", certainty="medium")
    session.commit_differential()
    session.order_test("mri_lumbar_contrast", priority="urgent", change=WHY, certainty="high")
    session.add("urgent_surgical_referral", certainty="medium")
    session.set_confidence(80)
    report = session.submit()
    session.place(1, "functional_dystonia", certainty="low")  # a draft not yet committed
    record = json.loads(json.dumps(session.record()))
    again = ReasoningSession.from_record(session.case, record)
    assert again.record() == record
    assert again.reports[-1].certainty == report.certainty
    (mri,) = again.tests
    assert (mri.priority, mri.certainty) == ("urgent", "high")
    assert again.draft_certainty == ("high", "low", None, "medium")
    visit = record["visits"][0]
    assert visit["tests"][0]["priority"] == "urgent"
    assert visit["step_certainty"] == {"urgent_surgical_referral": "medium"}
    assert {m["item"]: m["right"] for m in visit["certainty_marks"]} == {
        "radiculopathy_dystonia": True, "cauda_equina_syndrome": True,
        "mri_lumbar_contrast": True, "urgent_surgical_referral": True}


def test_certainty_absent_from_an_old_record_which_still_loads() -> None:
    """A record saved before certainties and priorities were recorded (format 1, as the
    previous release wrote it) replays, and is written back without them."""
    old = {"format": 1, "case_id": EARLY, "problem_statement": "46M, 3/52 R leg pain",
           "differential": {"ranked": ["radiculopathy_dystonia"], "must_not_miss": None},
           "draft_differential": ["radiculopathy_dystonia", None, None, None],
           "confidence": 70,
           "visits": [{"visit": 0, "week": 3, "actions": ["history_red_flags", "neuro_exam",
                                                           "emg_ncs", "physical_therapy"],
                       "tests": [{"step": "emg_ncs", "target": None, "change": WHY,
                                  "value": "low value"}],
                       "differentials": [{"stage": "examination",
                                          "ranked": ["radiculopathy_dystonia"],
                                          "must_not_miss": None}],
                       "confidence": 70, "score": 0.9, "attempts": 1}],
           "reflection": None}
    session = ReasoningSession.from_record(load_case(EARLY), check_record(old))
    assert session.reports[-1].certainty.responses == ()
    assert session.tests[0].priority == "routine" and session.tests[0].certainty is None
    written = session.record()
    assert "draft_certainty" not in written and "certainty" not in written["differential"]
    visit = written["visits"][0]
    assert "step_certainty" not in visit and "certainty_marks" not in visit


@pytest.mark.parametrize(("path", "value", "field"), [
    (("visits", 0, "tests", 0, "certainty"), "sure", "record.visits[0].tests[0].certainty"),
    (("visits", 0, "step_certainty"), {"physical_therapy": 3},
     "record.visits[0].step_certainty.physical_therapy"),
    (("differential", "certainty"), {"radiculopathy_dystonia": "certain"},
     "record.differential.certainty.radiculopathy_dystonia"),
    (("visits", 0, "certainty_marks"), [{"kind": "guess", "item": "x", "certainty": "low",
                                         "right": True}],
     "record.visits[0].certainty_marks[0].kind"),
    (("draft_certainty",), ["low", "unsure"], "record.draft_certainty[1]"),
])
def test_certainty_in_a_damaged_record_is_named(path: tuple, value: object, field: str) -> None:
    session = _examined(EARLY)
    session.order_test("emg_ncs", change=WHY, certainty="low")
    session.add("physical_therapy", certainty="high")
    session.set_differential(["radiculopathy_dystonia"],
                             certainty={"radiculopathy_dystonia": "high"})
    session.set_confidence(60)
    session.submit()
    record = json.loads(json.dumps(session.record()))
    target = record
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(RecordError) as caught:
        check_record(record)
    assert caught.value.field == field


def test_priority_of_an_ordered_test_is_recorded_and_shown_before_submission() -> None:
    session = _examined(CAUDA)
    routine = session.order_test("emg_ncs", change=WHY)
    urgent = session.order_test("mri_lumbar_noncontrast!urgent", change=WHY)
    assert (routine.priority, urgent.priority) == ("routine", "urgent")
    assert session.actions[-1].urgent
    with pytest.raises(ActionError, match="priority 'soon'"):
        session.order_test("ct_myelography", priority="soon", change=WHY)
    wb = Workbench(CAUDA)
    _add(wb, "history_red_flags")
    _add(wb, "neuro_exam")
    _order(wb, "mri_lumbar_contrast", urgent=True)
    assert "Ordered: MRI lumbar spine without and with contrast, urgent." in (
        wb.tests.message.value)
    assert "MRI lumbar spine without and with contrast, urgent" in wb.tests.results.value
    assert wb.tests.urgent.value is False  # ready for the next order
    assert "urgent_mri" not in [v for _, v in wb.tests.picker.options]  # the control's job
    _rank(wb, [wb.case.diagnosis])
    _confidence(wb, 70)
    wb.feedback.submit.click()
    (mri,) = wb.session.reports[-1].tests
    assert (mri.priority, mri.value) == ("urgent", "indicated")


def test_certainty_beside_each_answer_in_the_workbench() -> None:
    """Drive the controls: a certainty beside a placed diagnosis, an ordered test and a plan
    step; each is confirmed beside its control and shown; after Submit the feedback lists the
    marks apart from the score."""
    wb = Workbench(EARLY)
    _add(wb, "history_red_flags")
    _add(wb, "neuro_exam")
    d = wb.differential
    d.search.value = "radic"
    d.matches.value = "radiculopathy_dystonia"
    d.sure.value = "high"
    d.put.click()
    assert "placed 1st (high certainty)" in d.message.value
    assert "Foot dystonia caused by lumbar radiculopathy (high certainty)" in d.view.value
    assert d.sure.value == ""  # the next diagnosis starts unsaid
    d.commit.click()
    wb.tests.sure.value = "high"
    _order(wb, "dat_scan", reason="a normal scan would argue against parkinsonism")
    assert "Ordered: Dopamine transporter scan (DaT scan), routine (high certainty)." in (
        wb.tests.message.value)
    wb.choose_step("physical_therapy")
    wb.plan.sure.value = "medium"
    wb.plan.add.click()
    assert wb.plan.message.value.count("Physical therapy programme (medium certainty)") == 1
    assert "Physical therapy programme (medium certainty)" in wb.plan.plan.value
    assert wb.session.step_certainty == {"physical_therapy": "medium"}
    _confidence(wb, 70)
    wb.feedback.submit.click()
    shown = wb.feedback.feedback.value
    assert 'aria-label="Certainty-based marks"' in shown
    assert "Total:</b> −1 of a possible +9" in shown  # +3, -6 and +2
    marks = {r.item: r.mark for r in wb.session.reports[-1].certainty.responses}
    assert marks == {"radiculopathy_dystonia": 3, "dat_scan": -6, "physical_therapy": 2}
    assert "It does not change your score." in shown
    assert "Certainty-based marks (apart from the score):" in wb.summary()
    assert "Total: −1 of a possible +9" in wb.summary()
