"""The learner's reasoning read back after submission (render/reasoning.py): every part of the
attempt appears once, learner text is escaped, and no internal id reaches the page."""

from __future__ import annotations

import re
from html import escape

from dystonia_teach.casefiles.loader import load_case
from dystonia_teach.core.diagnoses import diagnosis_label
from dystonia_teach.core.reasoning import ReasoningSession
from dystonia_teach.render.reasoning import (
    reasoning_sections,
    reasoning_summary_html,
    reasoning_summary_text,
)

SCRIPT = "<script>alert('x')</script>"


def _attempt() -> ReasoningSession:
    session = ReasoningSession(load_case("early_uncomplicated"))
    session.state_problem(f"46-year-old man, toes curl on walking {SCRIPT}")
    session.set_differential(["isolated_dystonia"])
    session.add("neuro_exam")
    session.set_differential(["radiculopathy_dystonia", "isolated_dystonia"],
                             must_not_miss="cauda_equina_syndrome")
    session.order_test("emg_ncs", change="a root pattern", target="radiculopathy_dystonia")
    session.add({"step": "naproxen", "dose_mg_per_day": 1000})
    session.set_confidence(65)
    session.submit()
    session.debrief(f"Too quick {SCRIPT}")
    return session


def test_the_summary_shows_differentials_justifications_confidence_and_reflection() -> None:
    session = _attempt()
    sections = dict(reasoning_sections(session))
    assert list(sections) == ["Problem statement", "Your differential",
                              "Tests and why you ordered them", "Your plan", "Confidence",
                              "Your reflection"]
    first, second = sections["Your differential"]  # set twice: both kept, with the stage
    assert "after the history" in first and "after the examination" in second
    assert f"must not miss: {diagnosis_label('cauda_equina_syndrome')}" in second
    [test] = sections["Tests and why you ordered them"]
    assert "Why you ordered it: a root pattern" in test and "Result: " in test
    assert "1000 mg/day" in sections["Your plan"][0]
    [confidence] = sections["Confidence"]
    assert confidence.endswith("65% sure of the leading diagnosis")
    text = reasoning_summary_text(session)
    assert text.startswith("Your reasoning") and "- Too quick" in text


def test_the_summary_escapes_learner_text_and_shows_no_internal_ids() -> None:
    page = reasoning_summary_html(_attempt())
    assert SCRIPT not in page and escape(SCRIPT) in page
    assert 'role="region"' in page
    visible = re.sub(r"<[^>]+>", " ", page)
    for internal in ("radiculopathy_dystonia", "cauda_equina_syndrome", "emg_ncs",
                     "neuro_exam", "naproxen"):
        assert internal not in visible, internal


def test_an_unsubmitted_session_says_what_is_missing() -> None:
    session = ReasoningSession(load_case("early_uncomplicated"))
    sections = dict(reasoning_sections(session))
    assert sections["Your plan"] == ["not submitted"]
    assert sections["Problem statement"] == ["not written"]
