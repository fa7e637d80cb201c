"""Feedback that teaches in thirty seconds, and no internal ids, notes or paths for students."""

from __future__ import annotations

import random
import re
from dataclasses import replace

import pytest

from dystonia_teach.casefiles.loader import list_cases, load_case
from dystonia_teach.core.engine import evaluate, recommended_actions
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.reasoning import ReasoningSession
from dystonia_teach.core.visits import case_at_visit, visit_count
from dystonia_teach.render.feedback import (
    debrief_html,
    debrief_text,
    feedback_html,
    feedback_text,
    score_line,
)
from dystonia_teach.render.html import case_html
from dystonia_teach.render.student_text import student_text_problems

CASES = list_cases()
HARMFUL = ["rigid_splinting", "bed_rest", "long_term_opioids", "decompressive_laminectomy",
           "tlif", "deep_brain_stimulation", {"step": "naproxen", "dose_mg_per_day": 5000},
           "ibuprofen", "mri_lumbar_contrast", "dat_scan"]


def random_plan(seed: int) -> list[object]:
    rng = random.Random(seed)
    steps = rng.sample(sorted(knowledge().steps), rng.randint(1, 12))
    return [{"step": s, "dose_mg_per_day": rng.choice([100, 1000, 3000])}
            if knowledge().steps[s].dose and rng.random() < 0.7 else s for s in steps]


def plans(case_id: str) -> dict[str, list[object]]:
    case = load_case(case_id)
    seed = sum(map(ord, case_id))
    return {"recommended": list(recommended_actions(case)), "empty": [], "harmful": HARMFUL,
            "random 1": random_plan(seed), "random 2": random_plan(seed + 1)}


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def assert_clean(text: str) -> None:
    assert student_text_problems(text, tuple(CASES)) == []


@pytest.mark.parametrize("case_id", CASES)
def test_feedback_for_every_case_and_plan_has_no_ids_notes_or_paths(case_id: str) -> None:
    case = load_case(case_id)
    for visit in range(visit_count(case)):
        at_visit = case_at_visit(case, visit)
        for plan in plans(case_id).values():
            assessment = evaluate(at_visit, plan, "functional_dystonia")
            assert_clean(feedback_text(assessment))
            assert_clean(visible_text(feedback_html(assessment)))
    assert_clean(visible_text(case_html(case, examination=True, debrief=True)))


@pytest.mark.parametrize("case_id", CASES)
def test_reasoning_feedback_and_debrief_for_every_case_are_clean(case_id: str) -> None:
    session = ReasoningSession(load_case(case_id))
    session.state_problem("A patient with a foot problem")
    session.add("neuro_exam")
    session.set_differential(["polyneuropathy", "tardive_dystonia", "radiculopathy_dystonia"],
                             must_not_miss="peroneal_neuropathy")
    session.order_test("dat_scan", change="reduced uptake", target="polyneuropathy")
    session.order_test("emg_ncs", change="a root pattern", target="radiculopathy_dystonia")
    session.set_confidence(95)
    report = session.submit()
    assert_clean(feedback_text(report.assessment, report))
    assert_clean(visible_text(feedback_html(report.assessment, report)))
    debrief = session.debrief("I should have examined for functional signs.")
    assert_clean(debrief_text(debrief) + visible_text(debrief_html(debrief)))


def test_student_text_check_catches_ids_notes_and_paths() -> None:
    problems = student_text_problems(
        "See seed_pt_bullets_origin (Seed: specification §3) in /home/x/progress.sqlite",
        ("early_uncomplicated",))
    assert len(problems) >= 5
    assert student_text_problems("early_uncomplicated", ("early_uncomplicated",))
    assert student_text_problems("Naproxen 1000 mg/day, doi:10.1002/mds.870110620") == []


def test_feedback_summary_comes_first_with_the_rubric_and_at_most_three_changes() -> None:
    case = load_case("early_uncomplicated")
    assessment = evaluate(case, ["history_red_flags", "neuro_exam", "mri_lumbar_noncontrast",
                                 "rigid_splinting"])
    html = feedback_html(assessment)
    assert html.index("dt-summary") < html.index("<details")
    # The engine's rubric (knowledge/scoring.yaml): what earned (2 of 7 required decisions)
    # and what cost points, named (never "lost N points"), and the safety verdict apart: the
    # splint of a dystonic foot can harm, so caution (spec v3 §0.3).
    assert "2 of the 7 required decisions made" in html
    assert "Rigid splint or cast for the dystonic foot (splinting the dystonic foot)" in html
    assert "lost" not in html and "Safety: caution" in html
    changes = re.search(r"Top things to change:</b></p><ol>(.*?)</ol>", html).group(1)
    assert changes.count("<li>") == 3
    text = feedback_text(assessment)
    assert text.splitlines()[1].startswith(f"Score {round(assessment.score * 100)}/100: ")
    assert 0 < assessment.score < 0.3


def test_feedback_groups_findings_of_one_kind_and_collapses_each() -> None:
    case = load_case("early_uncomplicated")
    html = feedback_html(evaluate(case, ["naproxen"]))
    skipped = re.findall(r"<details class=\"dt-finding[^>]*><summary>[^<]*core assessment", html)
    assert len(skipped) == 1
    assert html.count("Every patient needs a red-flag history") == 1
    entries = html.count('<details class="dt-finding')
    assert entries == len(re.findall(r"<summary>(?:✖|⚠|ℹ)", html))


def test_feedback_shows_each_caveat_once_in_the_evidence_section() -> None:
    case = load_case("early_uncomplicated")
    assessment = evaluate(case, ["mri_lumbar_noncontrast", "urgent_mri", "ct_myelography"])
    html = feedback_html(assessment)
    caveats = {s.caveat for f in assessment.findings for s in f.sources if s.weak}
    assert caveats
    for caveat in caveats:
        assert html.count(" ".join(caveat.split())[:60]) == 1, caveat[:60]
    assert html.index("Evidence behind this feedback") > html.rindex('<details class="dt-finding')


def test_feedback_for_a_perfect_plan_is_short_and_says_so() -> None:
    case = load_case("early_uncomplicated")
    html = feedback_html(evaluate(case, recommended_actions(case)))
    assert "Nothing to change" in html and "Score 100/100: " in html
    assert 'class="dt-finding' not in html


def test_feedback_is_deterministic_and_escaped() -> None:
    case = load_case("functional_dystonia_mimic")
    session = ReasoningSession(case)
    session.state_problem("<script>alert(1)</script> 31-year-old woman")
    session.add("neuro_exam")
    session.set_differential(["functional_dystonia"])
    session.set_confidence(80)
    report = session.submit()
    first = feedback_html(report.assessment, report)
    assert first == feedback_html(report.assessment, report)
    assert "<script>" not in first and "&lt;script&gt;" not in first  # not echoed at all
    debrief = session.debrief("<b>bold</b>")
    assert "&lt;b&gt;bold&lt;/b&gt;" in debrief_html(debrief)


def test_feedback_uses_the_engine_rubric_points_and_safety_when_present() -> None:
    base = evaluate(load_case("early_uncomplicated"), ["neuro_exam"])
    scored = replace(base, rubric="coverage 0.8 minus 0.1 for one warning", points=7,
                     safety="unsafe")
    # The score line is the engine's rubric sentence as it is (it states the score itself).
    assert score_line(scored) == "Score coverage 0.8 minus 0.1 for one warning"
    assert score_line(replace(scored, rubric="")) == f"Score {round(base.score * 100)}/100."
    assert "Unsafe: a step in this plan could harm this patient." in feedback_text(scored)
    safe = feedback_text(replace(scored, safety="safe"))
    assert "Unsafe" not in safe and "Caution" not in safe


def test_feedback_reasoning_names_confidently_wrong_and_low_value_tests_first() -> None:
    session = ReasoningSession(load_case("functional_dystonia_mimic"))
    session.add("neuro_exam")
    session.set_differential(["radiculopathy_dystonia"], must_not_miss="cauda_equina_syndrome")
    session.order_test("mri_lumbar_noncontrast", change="a disc", target="radiculopathy_dystonia")
    session.set_confidence(90)
    text = feedback_text(session.submit().assessment, session.submit())
    changes = text.split("Top things to change:")[1].split("\n\n")[0]
    assert "Confidently wrong" in changes.splitlines()[1]
    assert "MRI lumbar spine without contrast (low value)" in text
    assert "Illness scripts:" in text and "Functional (psychogenic) dystonia:" in text
