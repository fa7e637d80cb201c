"""Item statistics: checked against a worked classroom example computed by hand, then on
frames of attempts (first attempts only, chances only where possible), flags and rendering.

The worked example is K. L. Wuensch's "The Kuder-Richardson 20" (East Carolina University,
StatHelp, https://core.ecu.edu/wuenschk/StatHelp/KR20.txt): ten students, a ten-item quiz
scored right (1) or wrong (0). The page lists each item's p and pq and the variance of the
totals (5.84); the other figures below are worked by hand from its data, the arithmetic in the
comments.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dystonia_teach import evaluate, load_case, recommended_actions
from dystonia_teach.course.demo import demo_frame
from dystonia_teach.course.item_stats import (
    MIN_LEARNERS,
    first_attempts,
    item_scores,
    item_statistics,
    item_stats_section,
    statistics_of,
    upper_lower,
)
from dystonia_teach.render.item_stats import item_stats_html, item_stats_text

WUENSCH = """\
A 1 1 1 1 1 1 0 1 1 0
B 1 0 1 1 0 1 1 1 0 1
C 1 1 1 1 0 1 1 0 0 1
D 0 0 1 0 0 0 1 0 0 0
E 0 0 0 0 0 1 0 0 1 0
F 1 1 1 0 1 1 1 1 1 1
G 1 1 0 1 1 1 0 1 1 1
H 1 1 1 1 1 1 1 1 0 1
I 0 1 0 1 1 1 1 1 0 1
J 1 1 0 1 1 0 1 1 1 0"""


def scores_table(text: str, kind: str = "case") -> pd.DataFrame:
    rows = []
    for line in text.splitlines():
        learner, *values = line.split()
        rows += [(learner, kind, f"item{n:02d}", float(v)) for n, v in enumerate(values, 1)]
    return pd.DataFrame(rows, columns=["learner_id", "kind", "item", "value"])


@pytest.fixture(scope="module")
def quiz():
    return statistics_of(scores_table(WUENSCH), min_learners=5)


def test_item_stat_difficulty_is_the_share_right_of_the_textbook_quiz(quiz) -> None:
    # p per item, as the page lists it: .7 .7 .6 .7 .6 .8 .7 .7 .5 .6
    assert quiz.table["difficulty"].tolist() == [0.7, 0.7, 0.6, 0.7, 0.6, 0.8, 0.7, 0.7, 0.5,
                                                 0.6]


def test_item_stat_kr20_of_the_textbook_quiz(quiz) -> None:
    # sum of pq = 5 x .21 + 3 x .24 + .16 + .25 = 2.18; variance of the totals 5.84 (the page)
    # KR-20 = 10/9 x (1 - 2.18 / 5.84) = 1.1111 x 0.62671 = 0.6963
    (reliability,) = quiz.reliability
    assert reliability.alpha == pytest.approx(0.696, abs=0.0005)
    assert (reliability.items, reliability.learners) == (10, 10)


def test_item_stat_point_biserial_against_the_rest_by_hand(quiz) -> None:
    # Item 1: x = 1 1 1 0 0 1 1 1 0 1; rest = total - x = 7 6 6 2 2 8 7 8 7 6 (mean 5.9).
    # Sxy = sum over x=1 of (rest - 5.9) = 1.1+.1+.1+2.1+1.1+2.1+.1 = 6.7; Sxx = 10 x .21 = 2.1;
    # Syy = 1.21+.01+.01+15.21+15.21+4.41+1.21+4.41+1.21+.01 = 42.9
    # r = 6.7 / sqrt(2.1 x 42.9) = 6.7 / 9.4916 = 0.7059
    item1 = quiz.table.set_index("item").loc["item01"]
    assert item1["discrimination"] == pytest.approx(0.706, abs=0.0005)
    # Item 3: rest = 7 6 6 1 2 8 8 8 7 7 (mean 6.0); the six right have 7+6+6+1+8+8 = 36 =
    # 6 x 6.0, so Sxy = 0 and r = 0: the item does not separate anyone, and is flagged.
    item3 = quiz.table.set_index("item").loc["item03"]
    assert item3["discrimination"] == 0.0
    assert item3["flag"].startswith("near-zero discrimination: r = +0.00")


def test_item_stat_fisher_interval_by_hand(quiz) -> None:
    # z = atanh(0.7059) = 0.8790; half-width 1.96 / sqrt(10 - 3) = 0.7408
    # interval tanh(0.1382) = 0.137 to tanh(1.6198) = 0.925
    item1 = quiz.table.set_index("item").loc["item01"]
    assert (item1["low"], item1["high"]) == (pytest.approx(0.137, abs=0.001),
                                             pytest.approx(0.925, abs=0.001))


def test_item_stat_upper_lower_index_with_ties_by_hand(quiz) -> None:
    # 27% of 10 = 3 places per group. Item 1 by rest: F 8, H 8 (both right), then A, G, I tied
    # at 7 share the last place (right, right, wrong: 2/3). Upper = (1 + 1 + 2/3) / 3 = 0.889.
    # Lower: D 2, E 2 (both wrong), then B, C, J tied at 6 (all right) share the last place:
    # (0 + 0 + 1) / 3 = 0.333. Index = 0.889 - 0.333 = 0.556.
    item1 = quiz.table.set_index("item").loc["item01"]
    assert item1["upper_lower"] == pytest.approx(0.556, abs=0.0005)


def test_item_stat_upper_lower_without_ties() -> None:
    x = pd.Series([1, 1, 0, 1, 0, 0, 0, 1, 0, 0]).to_numpy(float)
    rest = pd.Series(range(10, 0, -1)).to_numpy(float)  # learner 1 best ... learner 10 worst
    # top 3: 1, 1, 0 -> 2/3; bottom 3 (rest 3, 2, 1): 1, 0, 0 -> 1/3
    assert upper_lower(x, rest) == pytest.approx(1 / 3)
    # 30 learners: 27% is 8 places. The best 8 are right, everyone else wrong: 1 - 0.
    thirty = np.array([1.0] * 8 + [0.0] * 22)
    assert upper_lower(thirty, np.arange(30, 0, -1, dtype=float)) == 1.0


def test_item_stat_flags_a_reversed_item_with_its_counts_and_interval() -> None:
    # 30 learners; items a, b, c rise with ability; item "reversed" falls with it.
    rows = []
    for n in range(30):
        good = n >= 15
        for item in "abc":
            rows.append((f"l{n:02d}", "case", item, float(good ^ (n % 7 == 0))))
        rows.append((f"l{n:02d}", "case", "reversed", float(not good)))
    stats = statistics_of(pd.DataFrame(rows, columns=["learner_id", "kind", "item", "value"]))
    flag = stats.table.set_index("item").loc["reversed", "flag"]
    assert flag.startswith("negative discrimination: r = -")
    assert "30 learners" in flag and "95% interval" in flag and "excludes 0" in flag
    assert stats.table.set_index("item").loc["a", "flag"] == ""


def test_item_stat_no_spread_is_flagged_not_divided_by_zero() -> None:
    rows = [(f"l{n}", "case", item, 1.0 if item == "easy" else float(n % 2))
            for n in range(25) for item in ("easy", "x", "y")]
    stats = statistics_of(pd.DataFrame(rows, columns=["learner_id", "kind", "item", "value"]))
    easy = stats.table.set_index("item").loc["easy"]
    assert math.isnan(easy["discrimination"])
    assert easy["flag"] == "no spread: all 25 learners scored 1.00, so it cannot separate them"


def test_item_stat_says_when_the_class_is_too_small(quiz) -> None:
    small = statistics_of(scores_table(WUENSCH))  # 10 learners, MIN_LEARNERS needed
    assert small.too_small and not quiz.too_small
    assert set(small.table["flag"]) == {f"too few learners to judge (10; {MIN_LEARNERS} needed)"}
    text = item_stats_text(small.table, small.reliability_table(), small.learners,
                           small.min_learners)
    assert f"Too few learners to judge items: 10; at least {MIN_LEARNERS} are needed" in text


def test_item_stat_alpha_needs_items_taken_together() -> None:
    rows = [("a", "case", "x", 1.0), ("b", "case", "x", 0.0),
            ("c", "case", "y", 1.0), ("d", "case", "y", 0.0)]
    (reliability,) = statistics_of(pd.DataFrame(
        rows, columns=["learner_id", "kind", "item", "value"])).reliability
    assert reliability.alpha is None
    assert reliability.note == "some pairs of items were never taken by the same learners"


EARLY, DROP = "early_uncomplicated", "progressive_foot_drop"


def attempt(attempt_id: int, learner: str, case_id: str, plan: list) -> dict:
    result = evaluate(load_case(case_id), plan)
    return {"attempt_id": attempt_id, "learner_id": learner, "case_id": case_id,
            "number": 1, "submitted_at": f"2026-02-{attempt_id:02d}T10:00:00+00:00",
            "score": result.score, "pitfalls": result.pitfalls,
            "actions": tuple(a.as_data() for a in result.chosen)}


def test_item_stat_scores_come_from_first_attempts_and_possible_chances() -> None:
    early = [a.as_data() for a in recommended_actions(load_case(EARLY))]
    drop = [a.as_data() for a in recommended_actions(load_case(DROP))]
    frame = pd.DataFrame([
        attempt(1, "bob", DROP, ["neuro_exam", "physical_therapy"]),  # misses the red flag
        attempt(2, "bob", DROP, drop),  # a later attempt: not part of the test
        attempt(3, "bob", EARLY, early),
        attempt(4, "ann", EARLY, [*early, "rigid_splinting"]),
    ])
    assert first_attempts(frame)["attempt_id"].tolist() == [1, 3, 4]
    scores = item_scores(frame).set_index(["learner_id", "kind", "item"])["value"]
    assert scores[("bob", "case", DROP)] == frame.loc[0, "score"]
    assert scores[("bob", "case", EARLY)] == 1.0
    assert scores[("bob", "pitfall", "missed_red_flag")] == 0.0  # made in its one chance
    assert scores[("ann", "pitfall", "splinting")] == 0.0
    assert scores[("bob", "pitfall", "splinting")] == 1.0  # avoided at both cases
    # ann's only case has no red flag: no chance at the red-flag pitfall, so no score
    assert ("ann", "pitfall", "missed_red_flag") not in scores.index


def test_item_stat_table_and_section_for_the_class_report() -> None:
    frame = demo_frame(learners=24, seed=3)
    stats = item_statistics(frame)
    cases = stats.table[stats.table["kind"] == "case"]
    assert set(cases["item"]) == set(frame["case_id"])
    assert (stats.table["learners"] <= 24).all()
    assert {r.kind for r in stats.reliability} == {"case", "pitfall"}
    section = item_stats_section(frame)
    assert section["heading"].startswith("Item statistics")
    assert str(section["table"]).count("<tr>") == len(stats.table) + 1  # header + one per item
    assert "Reliability of the cases: Cronbach's α" in section["text"]


def test_item_stat_html_escapes_labels_and_writes_flags_out() -> None:
    rows = [(f"l{n:02d}", "case", item, float((n >= 12) ^ (item == "<b>odd</b>")))
            for n in range(24) for item in ("<b>odd</b>", "p", "q")]
    stats = statistics_of(pd.DataFrame(rows, columns=["learner_id", "kind", "item", "value"]))
    html = item_stats_html(stats.table, stats.reliability_table(), stats.learners,
                           stats.min_learners)
    assert "<b>odd</b>" not in html and "&lt;b&gt;odd&lt;/b&gt;" in html
    assert "⚑ negative discrimination" in html


def test_item_stat_text_counts_items_too_thin_to_judge_in_a_large_enough_class() -> None:
    rows = [(f"l{n:02d}", "case", item, float((n + len(item)) % 3 > 0))
            for n in range(25) for item in ("aa", "bbb")]
    rows += [(f"l{n:02d}", "case", "rare", 1.0) for n in range(5)]
    stats = statistics_of(pd.DataFrame(rows, columns=["learner_id", "kind", "item", "value"]))
    text = item_stats_text(stats.table, stats.reliability_table(), stats.learners,
                           stats.min_learners)
    assert "1 item had too few learners to judge." in text
    assert "too few learners to judge (5;" not in text  # counted, not listed as a flag
    assert "5 of 25 learners took all of them" in text
