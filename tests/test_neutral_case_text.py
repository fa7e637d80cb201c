"""Nothing a student sees before submitting names the diagnosis or shows the case id."""

from __future__ import annotations

import re
from html import escape

import pytest

from dystonia_teach.casefiles.loader import list_cases, load_case
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.diagnoses import diagnosis_scripts
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.reasoning import ReasoningSession
from dystonia_teach.render.reasoning import NOT_EXAMINED, visit_html, visit_text
from dystonia_teach.render.teaser import case_teaser
from tests.conftest import make_case

CASES = list_cases()


def _mentions(text: str, term: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(term.lower())}(?!\w)", text.lower()) is not None


def shown_before_submission(case: Case) -> dict[str, str]:
    """Every text a learner can reach before submitting, visit by visit, tests included."""
    session = ReasoningSession(case)
    texts = {"teaser": case_teaser(case, 7), "title": case.title, "summary": case.summary}
    tests = [s.id for s in knowledge().steps.values() if s.reveals and not s.alias_of]
    while True:
        texts[f"visit {session.visit} history"] = session.history
        session.add("neuro_exam")
        texts[f"visit {session.visit} examination"] = session.examination or ""
        for step in tests:
            if step not in {a.step for a in session.actions}:
                ordered = session.order_test(step, change="any abnormal result")
                texts[f"visit {session.visit} result of {step}"] = ordered.report
        view = visit_text(session) + re.sub(r"<[^>]+>", " ", visit_html(session))
        for _, label in session.offered_steps():
            # The same step labels are offered for every case (a test below), so they tell
            # nothing about this one ("Polyneuropathy blood screen" is ordered in every case).
            view = view.replace(label, " ").replace(escape(label), " ")
        texts[f"visit {session.visit} view (with results)"] = view
        if not session.has_next_visit:
            return texts
        session.set_differential(["other"])
        session.set_confidence(50)
        session.submit()
        session.next_visit()


@pytest.mark.parametrize("case_id", CASES)
def test_nothing_shown_before_submission_names_the_diagnosis_or_the_case(case_id: str) -> None:
    case = load_case(case_id)
    script = diagnosis_scripts()[case.diagnosis]
    for where, text in shown_before_submission(case).items():
        assert not _mentions(text, case.id) and not _mentions(text, case.id.replace("_", " "))
        assert not _mentions(text, script.label), (where, script.label)
        if "result" in where:
            continue  # a result may name a finding (an EMG "radiculopathy"), never the label
        for name in script.names:
            assert not _mentions(text, name), (where, name)


def test_step_labels_offered_are_the_same_for_every_case_and_name_no_case() -> None:
    offered = {tuple(ReasoningSession(load_case(c)).offered_steps()) for c in CASES}
    assert len(offered) == 1
    labels = " ".join(label for _, label in offered.pop())
    assert not any(_mentions(labels, c) for c in CASES)


def test_case_teaser_is_built_from_facts() -> None:
    teaser = case_teaser(load_case("early_uncomplicated"), 4)
    assert teaser == ("Case 4 — a 46-year-old postal worker whose right toes curl after a "
                      "few minutes' walk")
    child = make_case(patient={"age": 8, "sex": "female"},
                      dystonia={"foot": "both", "postures": ["inversion"], "triggers": ["stairs"],
                                "relieved_by_rest": True})
    assert case_teaser(child) == "An 8-year-old girl whose feet turn in on the stairs"


def test_case_teasers_tell_the_bank_apart() -> None:
    teasers = [case_teaser(load_case(c)) for c in CASES]
    assert len(set(teasers)) == len(teasers)


def test_visit_view_discloses_history_then_examination_then_results() -> None:
    session = ReasoningSession(load_case("nsaid_contraindicated_ckd"))
    assert NOT_EXAMINED in visit_text(session)
    assert visit_text(session).startswith("Visit 1 of 2, week 4")
    session.add("neuro_exam")
    session.order_test("emg_ncs", change="a <b>root</b> pattern")
    html = visit_html(session)
    assert session.examination in visit_text(session) and NOT_EXAMINED not in html
    assert "a &lt;b&gt;root&lt;/b&gt; pattern" in html
    assert "low value" not in html.lower() and "indicated" not in html.lower()
    session.set_differential(["other"])
    session.set_confidence(50)
    session.submit()
    session.next_visit()
    text = visit_text(session)
    assert text.startswith("Visit 2 of 2, week 7") and "Earlier results" in text
    assert "Tests ordered" not in text
