"""Batch re-grading on both backends: every attempt re-scored by the current engine, versions
recorded beside each grade, the pathway derived once per case, unknown cases listed; and the
`grade` and `store` commands."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
import sqlite3
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from dystonia_teach import __version__, evaluate, load_case, recommended_actions
from dystonia_teach.cli import cli
from dystonia_teach.core import engine
from dystonia_teach.course import grading, grading_status
from dystonia_teach.course.grading import knowledge_version, regrade
from dystonia_teach.store import FRAME_COLUMNS, AttemptStore, ProgressStoreError, open_store
from dystonia_teach.store.base import AS_SUBMITTED
from dystonia_teach.store.sqlite import SCHEMA_VERSION

CASES = ("early_uncomplicated", "cauda_equina_red_flags")
V1_STORE = Path(__file__).parent / "fixtures" / "store_v1.sqlite3"


def _fill(store: AttemptStore) -> list[int]:
    ids = []
    for case_id in CASES:
        case = load_case(case_id)
        for plan in (["bed_rest"], recommended_actions(case), ["bed_rest"]):
            ids.append(store.record("stu_1", evaluate(case, plan)))
    return ids


def _set_score(url: str, attempt_id: int, score: float) -> None:
    """Simulate a score given by an older knowledge base (the admin edits the row)."""
    if url.startswith("postgresql"):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE attempts SET score = %s WHERE id = %s", (score, attempt_id))
    else:
        with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
            conn.execute("UPDATE attempts SET score = ? WHERE id = ?", (score, attempt_id))
        conn.close()


def test_regrade_rescores_every_attempt_once_per_case(store_url: str, monkeypatch) -> None:
    with open_store(store_url) as store:
        ids = _fill(store)
    _set_score(store_url, ids[1], 0.123)
    # evaluate derives the pathway once per case object (core.engine caches it by identity), so
    # grading passes no pathway: count the derivations made while judging (loading a case also
    # derives its visits' pathways to check them, which is not judging)
    derived, judging = [], []
    real_derive, real_evaluate = engine._derive, grading.evaluate

    def spy_evaluate(case, *rest):
        judging.append(case)
        try:
            return real_evaluate(case, *rest)
        finally:
            judging.pop()

    monkeypatch.setattr(engine, "_derive", lambda case, *rest: (
        judging and derived.append(case.id)) or real_derive(case, *rest))
    monkeypatch.setattr(grading, "evaluate", spy_evaluate)
    with open_store(store_url) as store:
        before = store.all_attempts()
        report = regrade(store, progress=False, workers=1)
        grades = store.grades()
        assert store.all_attempts() == before  # the attempts themselves are not changed
    # once per case and set of results known (spec v3 §0.2), often cached already: never once
    # per attempt
    assert set(derived) <= set(CASES) and len(derived) <= report.distinct_plans
    assert (report.attempts, report.regraded, report.changed) == (6, 6, 1)
    assert report.distinct_plans == 4 and not report.skipped
    assert sorted(grades) == ids
    for attempt in before:
        expected = evaluate(load_case(attempt.case_id), attempt.actions,
                            attempt.working_diagnosis)
        grade = grades[attempt.id]
        assert (grade.score, grade.pitfalls) == (expected.score, expected.pitfalls)
        assert (grade.package_version, grade.knowledge_version) == (__version__,
                                                                   knowledge_version())
    assert grades[ids[1]].score != 0.123


def test_parallel_workers_grade_the_same(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    with open_store(path) as store:
        _fill(store)
        serial = (regrade(store, progress=False, workers=1), store.grades())
        parallel = (regrade(store, progress=False, workers=2), store.grades())
    assert serial[1] == parallel[1] and serial[0].lines() == parallel[0].lines()


def test_knowledge_version_follows_the_knowledge_files(tmp_path: Path, monkeypatch) -> None:
    import dystonia_teach

    assert knowledge_version().startswith("kb-") and len(knowledge_version()) == 15
    copy = tmp_path / "dystonia_teach"
    shutil.copytree(Path(dystonia_teach.__file__).parent / "knowledge", copy / "knowledge")
    (copy / "__init__.py").write_text("")
    monkeypatch.setattr(grading_status, "files", lambda _: copy)
    same = knowledge_version()
    with (copy / "knowledge" / "steps.yaml").open("a") as extra:
        extra.write("\n# edited\n")
    assert knowledge_version() != same


def test_grade_command_reports_unknown_cases_and_shows_progress(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    shutil.copy(V1_STORE, path)
    with sqlite3.connect(path) as conn:  # an attempt at a case that no longer exists
        conn.execute("UPDATE attempts SET case_id = 'retired_case' WHERE id = 1")
    conn.close()
    result = CliRunner().invoke(cli, ["grade", "--store", str(path), "--progress"])
    assert result.exit_code == 1, result.output
    assert "Re-graded 8 of 9 attempts" in result.stdout
    assert "retired_case (1 attempts)" in result.stdout
    assert "re-grading" in result.stderr and "100%" in result.stderr  # the tqdm bar
    quiet = CliRunner().invoke(cli, ["grade", "--store", str(path), "--no-progress"])
    assert quiet.stderr == ""


def test_store_upgrade_command_shows_then_runs_the_sql(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    shutil.copy(V1_STORE, path)
    runner = CliRunner()
    shown = runner.invoke(cli, ["store", "upgrade", "--sql", "--store", f"sqlite://{path}"])
    assert shown.exit_code == 0 and "CREATE TABLE grades" in shown.stdout
    assert path.read_bytes() == V1_STORE.read_bytes()  # --sql changes nothing
    done = runner.invoke(cli, ["store", "upgrade", "--store", str(path)])
    assert done.exit_code == 0 and f"store schema 1 -> {SCHEMA_VERSION}" in done.stdout
    again = runner.invoke(cli, ["store", "upgrade", "--store", str(path)])
    assert "up to date" in again.stdout
    newer = tmp_path / "newer.sqlite3"
    shutil.copy(path, newer)
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 9")
    conn.close()
    refused = runner.invoke(cli, ["store", "upgrade", "--store", str(newer)])
    assert refused.exit_code == 1 and "newer dystonia_teach" in refused.stderr
    assert "Traceback" not in refused.output


def test_provision_command_and_grades_need_an_instructor(pg_url: str) -> None:
    runner = CliRunner()
    made = runner.invoke(cli, ["store", "provision", "--store", pg_url, "--learner", "learner_g"])
    assert made.exit_code == 0, made.output
    learner_url = made.stdout.strip()
    teacher_url = runner.invoke(cli, ["store", "provision", "--store", pg_url,
                                      "--instructor", "teacher_g"]).stdout.strip()
    with open_store(learner_url) as mine:
        _fill_one = mine.record("learner_g", evaluate(load_case(CASES[0]), ["neuro_exam"]))
        with pytest.raises(ProgressStoreError, match="permission denied"):
            regrade(mine, progress=False)  # a learner may not write grades
    with open_store(teacher_url) as teacher:
        report = regrade(teacher, progress=False)
        assert report.regraded == 1 and list(teacher.grades()) == [_fill_one]
    bad = runner.invoke(cli, ["store", "provision", "--store", pg_url, "--learner", "  "])
    assert bad.exit_code == 1 and "empty user name" in bad.stderr
    assert "Traceback" not in bad.output
    usage = runner.invoke(cli, ["store", "provision", "--store", pg_url])
    assert usage.exit_code == 2


def test_plans_judged_once_are_only_plans_judged_alike() -> None:
    """The re-grader judges each distinct plan once; doses that compare equal but are judged
    differently (1 and true, 0.0 and -0.0, 1000 and 1000.0) stay distinct plans."""
    dose = "dose_mg_per_day"
    rows = [(i, tuple(actions), None, 0.0) for i, actions in enumerate((
        ["history_red_flags", {"step": "naproxen", dose: 1}],
        ["history_red_flags", {"step": "naproxen", dose: True}],
        ["history_red_flags", {"step": "naproxen", dose: 0.0}],
        ["history_red_flags", {"step": "naproxen", dose: -0.0}],
        ["history_red_flags", {"step": "naproxen", dose: 1000}],
        ["history_red_flags", {"step": "naproxen", dose: 1000.0}],
        ["history_red_flags", {dose: 1000.0, "step": "naproxen"}],
        ["history_red_flags", {"step": "naproxen", dose: [1000]}],
    ), start=1)]
    result = grading._grade_case(("early_uncomplicated", rows, "v", "k"))
    assert result.distinct_plans == 7  # key order alone does not make a new plan
    assert sorted(result.skipped) == ["attempt 2", "attempt 3", "attempt 4", "attempt 8"]
    assert "-0.0" in result.skipped["attempt 4"] and "True" in result.skipped["attempt 2"]
    assert [g.attempt_id for g in result.grades] == [1, 5, 6, 7]


# -- class outputs use the re-grades ---------------------------------------------------------

def _self_scored(store: AttemptStore, learner: str) -> tuple[int, float, tuple[str, ...]]:
    """A learner's program saves a bad plan with a score and pitfalls of its own choosing;
    returns the attempt id and what the engine makes of the plan."""
    honest = evaluate(load_case(CASES[1]), ["bed_rest"])  # red flags, bed rest: a bad plan
    assert honest.score < 0.5 and honest.pitfalls
    forged = dataclasses.replace(honest, score=1.0, pitfalls=())
    return store.record(learner, forged), honest.score, honest.pitfalls


def _gradebook_row(store_url: str, tmp_path: Path, learner: str) -> tuple[dict, str]:
    out = tmp_path / "grades.csv"
    result = CliRunner().invoke(cli, ["export", "gradebook", "--store", store_url, "-o",
                                      str(out), "--real-ids"])
    assert result.exit_code == 0, result.output
    rows = {r["learner"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    return rows[learner], result.stdout


def test_class_outputs_use_the_re_grade_of_a_self_scored_attempt(store_url: str,
                                                                  tmp_path: Path) -> None:
    with open_store(store_url) as store:
        honest_id = store.record("stu_2", evaluate(load_case(CASES[0]), ["neuro_exam"]))
        forged_id, score, pitfalls = _self_scored(store, "stu_1")
        before = store.to_frame().set_index("attempt_id")
    assert before.loc[forged_id, "score"] == 1.0 and before.loc[forged_id, "pitfalls"] == ()
    assert set(before["graded"]) == {AS_SUBMITTED}
    report = CliRunner().invoke(cli, ["report", "--store", store_url])
    assert report.exit_code == 0, report.output
    assert "None of 2 attempts has been re-graded" in report.stdout
    assert "Run `dystonia-teach grade` first" in report.stdout
    row, said = _gradebook_row(store_url, tmp_path, "stu_1")
    assert row[f"{CASES[1]} best (%)"] == "100.0" and row["attempts not re-graded"] == "1"
    assert "None of 2 attempts" in said

    graded = CliRunner().invoke(cli, ["grade", "--store", store_url, "--no-progress"])
    assert graded.exit_code == 0, graded.output
    with open_store(store_url, read_only=True) as store:
        after = store.to_frame().set_index("attempt_id")
    label = f"re-graded with dystonia_teach {__version__}, knowledge {knowledge_version()}"
    assert after.loc[forged_id, "score"] == score and after.loc[forged_id, "pitfalls"] == pitfalls
    assert set(after["graded"]) == {label}
    assert after.loc[honest_id, "score"] == before.loc[honest_id, "score"]
    assert [c for c in FRAME_COLUMNS if c != "graded"][:10] == [  # the earlier columns, in order
        "attempt_id", "learner_id", "case_id", "number", "submitted_at", "score", "pitfalls",
        "actions", "working_diagnosis", "package_version"]
    report = CliRunner().invoke(cli, ["report", "--store", store_url])
    assert f"All 2 attempts were re-graded ({label})" in report.stdout
    assert "grade` first" not in report.stdout
    row, said = _gradebook_row(store_url, tmp_path, "stu_1")
    assert row[f"{CASES[1]} best (%)"] == str(round(100 * score, 1))
    assert row["attempts not re-graded"] == "0" and "All 2 attempts were re-graded" in said
    statements = tmp_path / "statements.json"
    xapi = CliRunner().invoke(cli, ["export", "xapi", "--store", store_url, "-o",
                                    str(statements), "--real-ids"])
    assert xapi.exit_code == 0, xapi.output
    completed = [s for s in json.loads(statements.read_text(encoding="utf-8"))
                 if s["verb"]["display"]["en-US"] == "completed"
                 and s["actor"]["account"]["name"] == "stu_1"]
    assert [s["result"]["score"]["raw"] for s in completed] == [round(score, 4)]

    with open_store(store_url) as store:  # a later submission is not re-graded yet
        store.record("stu_2", evaluate(load_case(CASES[0]), ["neuro_exam"]))
    report = CliRunner().invoke(cli, ["report", "--store", store_url])
    assert "1 of 3 attempts was not re-graded" in report.stdout
    html = tmp_path / "class.html"
    written = CliRunner().invoke(cli, ["report", "--store", store_url, "--html", str(html)])
    assert "1 of 3 attempts was not re-graded" in written.stdout
    assert "1 of 3 attempts was not re-graded" in html.read_text(encoding="utf-8")


def test_an_older_store_read_only_reports_its_scores_as_submitted(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    shutil.copy(V1_STORE, path)  # schema 1: no grades table, and read-only opens change nothing
    with open_store(path, read_only=True) as store:
        frame = store.to_frame()
        assert store.grades() == {}
    assert len(frame) == 9 and set(frame["graded"]) == {AS_SUBMITTED}
    assert path.read_bytes() == V1_STORE.read_bytes()
