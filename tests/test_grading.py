"""Batch re-grading on both backends: every attempt re-scored by the current engine, versions
recorded beside each grade, the pathway derived once per case, unknown cases listed; and the
`grade` and `store` commands."""

from __future__ import annotations

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
from dystonia_teach.store import AttemptStore, ProgressStoreError, open_store
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
    assert sorted(derived) == sorted(CASES)  # once per case, not per attempt
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
    bad = runner.invoke(cli, ["store", "provision", "--store", pg_url, "--learner", "a b"])
    assert bad.exit_code == 1 and "pseudonym" in bad.stderr and "Traceback" not in bad.output
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
