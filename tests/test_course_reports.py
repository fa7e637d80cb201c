"""Class reports over an attempts frame: counts checked against a hand-made class and, on a
generated class, against plain recounts; figures valid and readable without colour."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pandas as pd
import pytest

from dystonia_teach import evaluate, load_case, recommended_actions
from dystonia_teach.course import dashboard, reports
from dystonia_teach.course import grading_status as grading_status_module
from dystonia_teach.course.demo import demo_frame
from dystonia_teach.course.grading_status import grading_status
from dystonia_teach.render.class_figures import figure
from dystonia_teach.render.html import PALETTE
from dystonia_teach.store.base import AS_SUBMITTED, graded_label

EARLY, DROP = "early_uncomplicated", "progressive_foot_drop"


def attempt(attempt_id: int, learner: str, case_id: str, number: int, plan: list) -> dict:
    """One row as the store's to_frame() gives it, scored by the engine."""
    result = evaluate(load_case(case_id), plan)
    return {"attempt_id": attempt_id, "learner_id": learner, "case_id": case_id,
            "number": number, "submitted_at": f"2026-02-01T10:{attempt_id:02d}:00+00:00",
            "score": result.score, "pitfalls": result.pitfalls,
            "actions": tuple(a.as_data() for a in result.chosen), "working_diagnosis": None,
            "package_version": "0.1.0"}


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    """Three learners: ann does both cases right; bob misses the red flags twice, then learns;
    cat splints at the early case and misses the red flags once (her only attempt there)."""
    early = [a.as_data() for a in recommended_actions(load_case(EARLY))]
    drop = [a.as_data() for a in recommended_actions(load_case(DROP))]
    rows = [
        attempt(1, "ann", EARLY, 1, early),
        attempt(2, "ann", DROP, 1, drop),
        attempt(3, "bob", DROP, 1, ["neuro_exam", "physical_therapy"]),
        attempt(4, "bob", DROP, 2, ["history_red_flags", "neuro_exam", "physical_therapy"]),
        attempt(5, "bob", DROP, 3, drop),
        attempt(6, "cat", EARLY, 1, [*early, "rigid_splinting"]),
        attempt(7, "cat", DROP, 1, ["neuro_exam", "naproxen"]),
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def generated() -> pd.DataFrame:
    return demo_frame(learners=25, seed=7)


def test_overview_counts_attempts_and_learners_per_case(small: pd.DataFrame) -> None:
    table = reports.case_overview(small).set_index("case_id")
    assert table.loc[DROP, "attempts"] == 5 and table.loc[DROP, "learners"] == 3
    assert table.loc[EARLY, "attempts"] == 2 and table.loc[EARLY, "learners"] == 2
    assert table.loc[DROP, "mean_best_score"] < 1.0  # cat never got it right
    assert table.loc[DROP, "learners_passed"] == 2  # ann and bob (at his third attempt)
    assert table.loc[EARLY, "title"] == load_case(EARLY).title


def test_pitfall_frequency_names_case_count_and_learners(small: pd.DataFrame) -> None:
    table = reports.pitfall_frequency(small)
    missed = table[(table["pitfall"] == "missed_red_flag") & (table["case_id"] == DROP)].iloc[0]
    assert missed["attempts"] == 3  # bob twice, cat once
    assert missed["learners"] == 2
    assert missed["share"] == pytest.approx(3 / 5, abs=1e-3)
    assert missed["severity"] == "critical" and missed["label"] != "missed_red_flag"
    splint = table[table["pitfall"] == "splinting"]
    assert splint[["case_id", "attempts"]].values.tolist() == [[EARLY, 1]]


def test_trend_shows_the_pitfall_fading_over_attempts(small: pd.DataFrame) -> None:
    trend = reports.pitfall_trend(small)
    # attempt 1: 5 attempts, 2 with the missed red flag (bob, cat); attempt 2: bob; 3: none
    assert trend.loc["missed_red_flag"].tolist() == [0.4, 1.0, 0.0]
    assert list(trend.columns) == ["1", "2", "3"]


def test_learner_repeating_a_critical_pitfall_needs_help(small: pd.DataFrame) -> None:
    assert reports.learners_needing_help(small).empty  # bob learnt it; cat made it once
    still = small[small["attempt_id"] != 5]  # without bob's third, correct attempt
    table = reports.learners_needing_help(still)
    # spec v2 §3.2: delayed surgery is critical only for cauda equina, so at the foot-drop case
    # bob's repeated critical pitfall is the missed red flag alone
    assert table[["learner_id", "pitfall", "times"]].values.tolist() == [
        ["bob", "missed_red_flag", 2]]


def test_common_paths_mark_the_recommended_one(small: pd.DataFrame) -> None:
    paths = reports.common_paths(small, DROP)
    assert paths["attempts"].sum() == 5
    recommended = paths[paths["recommended"]]
    assert len(recommended) == 1 and recommended["learners"].iloc[0] == 2  # ann and bob
    grid = reports.step_positions(small, DROP, min_share=0)
    assert grid["attempts"].sum() == sum(len(p) for p in small.loc[
        small["case_id"] == DROP, "actions"])
    wanted = reports.recommended_steps(DROP)
    on_path = grid[grid["recommended"]]
    assert list(zip(on_path["step"], on_path["position"], strict=True)) == sorted(
        (step, str(n)) for n, step in enumerate(wanted, 1))
    assert on_path.set_index("step").loc[wanted[0], "attempts"] == 3  # ann, bob's 3rd, cat
    pooled = reports.step_positions(small, DROP, min_share=0.5, last=2)
    assert set(pooled["position"]) == {"1", "2+"} and "other" in set(pooled["step"])


def test_generated_class_is_deterministic_and_scored_by_the_engine(
        generated: pd.DataFrame) -> None:
    again = demo_frame(learners=25, seed=7)
    pd.testing.assert_frame_equal(generated, again)
    assert not generated.equals(demo_frame(learners=25, seed=8))
    row = generated.iloc[17]
    assert evaluate(load_case(row.case_id), list(row.actions),
                    row.working_diagnosis).score == row.score
    assert generated["attempt_id"].is_unique
    assert (generated.groupby(["learner_id", "case_id"])["number"]
            .apply(lambda n: list(n) == list(range(1, len(n) + 1))).all())


def test_report_tables_match_a_plain_recount(generated: pd.DataFrame) -> None:
    counts = Counter((p, c) for ps, c in zip(generated["pitfalls"], generated["case_id"],
                                             strict=True) for p in ps)
    table = reports.pitfall_frequency(generated)
    assert dict(zip(zip(table["pitfall"], table["case_id"], strict=True), table["attempts"],
                    strict=True)) == counts
    overview = reports.case_overview(generated).set_index("case_id")
    assert overview["attempts"].to_dict() == Counter(generated["case_id"])
    assert overview["attempts"].sum() == len(generated)
    totals = reports.pitfall_totals(generated).set_index("pitfall")["attempts"]
    assert totals.to_dict() == Counter(p for ps in generated["pitfalls"] for p in ps)


def test_a_frame_without_the_columns_is_refused_by_name() -> None:
    with pytest.raises(reports.ReportError, match="pitfalls"):
        reports.case_overview(pd.DataFrame({"attempt_id": [1], "learner_id": ["a"],
                                            "case_id": ["x"], "number": [1],
                                            "submitted_at": ["t"], "score": [1.0],
                                            "actions": [()]}))


def test_figures_are_valid_plotly_with_palette_and_second_signal(generated) -> None:
    scores = dashboard.scores_figure(generated)
    assert {t.marker.color for t in scores.data} <= set(PALETTE.values())
    assert {t.name for t in scores.data} == {"first attempts", "later attempts"}
    trend = dashboard.trend_figure(generated)
    assert len({t.marker.symbol for t in trend.data}) == len(trend.data)  # not colour alone
    heat = dashboard.pitfalls_figure(generated)
    assert heat.data[0].texttemplate == "%{text}"  # counts written in the cells
    grid = dashboard.paths_figure(generated, EARLY)
    marked = [cell for row in grid.data[0].text for cell in row if "✓" in cell]
    assert len(marked) == len(reports.recommended_steps(EARLY))  # not colour alone
    for spec in (dashboard.scores_spec(generated), dashboard.pitfalls_spec(generated),
                 dashboard.trend_spec(generated), dashboard.paths_spec(generated, DROP)):
        figure(spec)  # validates every property


def test_text_alternatives_say_what_the_figures_show(generated: pd.DataFrame) -> None:
    top = reports.pitfall_totals(generated).iloc[0]
    text = dashboard.pitfalls_text(generated)
    assert f"{top['label']} ({top['severity']}): {top['attempts']} attempts" in text
    paths = dashboard.paths_text(generated, EARLY)
    assert paths.startswith("Recommended pathway: History with red-flag screen")
    assert "(the recommended pathway)" in paths
    for text in (dashboard.scores_text(generated), dashboard.trend_text(generated), paths):
        assert "_" not in text, "ids instead of labels"


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.external: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if (tag == "script" and found.get("src")) or (tag == "link" and found.get("href")):
            self.external.append(str(found))


def test_html_report_is_one_self_contained_page(generated: pd.DataFrame, tmp_path) -> None:
    path = dashboard.write_report(generated, tmp_path / "class.html")
    html = path.read_text(encoding="utf-8")
    parser = _Scripts()
    parser.feed(html)
    assert parser.external == []
    assert html.count("plotly.js v") == 1  # the library inlined once, for every figure
    assert "Demo data" in html
    assert html.count('class="plotly-graph-div"') == 3 + generated["case_id"].nunique()
    assert html.count("Text alternative") == 3 + generated["case_id"].nunique()
    for row in reports.learners_needing_help(generated).itertuples():
        assert row.learner_id in html


def test_report_escapes_learner_ids(small: pd.DataFrame) -> None:
    evil = small.assign(learner_id=small["learner_id"].replace("bob", "<script>x</script>"))
    evil = evil[evil["attempt_id"] != 5]
    html = dashboard.report_html(evil)
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>x</script>" not in html


def test_a_case_whose_file_is_not_here_says_how_to_find_it() -> None:
    from dystonia_teach.render.class_figures import paths_description

    paths = pd.DataFrame({"path": [("neuro_exam",)], "attempts": [2], "learners": [1],
                          "mean_score": [0.5], "recommended": [False]})
    text = paths_description(paths, str, ())
    assert text.splitlines()[0].startswith("Recommended pathway: not available")
    assert "DYSTONIA_TEACH_CASES" in text.splitlines()[0]
    assert "1. 2 attempts by 1 learner, mean score 0.50: neuro_exam" in text


def test_grading_status_counts_where_the_scores_come_from(small: pd.DataFrame) -> None:
    now = grading_status_module.current_label()
    older = graded_label("0.0.1", "kb-000000000000")
    assert grading_status(small) == grading_status_module.GradingStatus(7, 7, 0, now)  # no column
    labels = [now, now, AS_SUBMITTED, older, now, None, now]  # None: read as not re-graded
    status = grading_status(small.assign(graded=labels))
    assert (status.attempts, status.as_submitted, status.earlier) == (7, 2, 1)
    assert not status.trusted
    assert status.note().startswith("2 of 7 attempts were not re-graded")
    assert "Run `dystonia-teach grade` first." in status.note()
    later = grading_status(small.assign(graded=[now] * 6 + [older]))
    assert later.note().startswith("All 7 attempts were re-graded, 1 by another release")
    assert grading_status(small.assign(graded=now)).trusted
    assert grading_status(small.assign(graded=now)).note() == (
        f"All 7 attempts were re-graded ({now}).")
    assert grading_status(small.iloc[:1].assign(graded=AS_SUBMITTED)).note().startswith(
        "The 1 attempt has not been re-graded")
    assert grading_status(small.iloc[:0]).note() == ""


def test_reports_say_how_many_scores_were_not_re_graded(small: pd.DataFrame) -> None:
    now = grading_status_module.current_label()
    mixed = small.assign(graded=[now] * 6 + [AS_SUBMITTED])
    text = dashboard.report_text(mixed)
    assert "Scores: 1 of 7 attempts was not re-graded" in text
    html = dashboard.report_html(mixed)
    assert '<p class="dt-demo"><b>Scores:</b> 1 of 7 attempts was not re-graded' in html
    trusted = dashboard.report_html(small.assign(graded=now))
    assert f"<p><b>Scores:</b> All 7 attempts were re-graded ({now}).</p>" in trusted
    assert "first." not in dashboard.report_text(small.assign(graded=now))
