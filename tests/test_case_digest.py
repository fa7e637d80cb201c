"""Every grade records the digest of the case it was judged on; the report says when a case
changed after its attempts were graded, and a new `grade` clears it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dystonia_teach import evaluate, load_case
from dystonia_teach.casefiles.digest import case_digest
from dystonia_teach.cli import cli
from dystonia_teach.store import open_store

CASE_ID = "early_uncomplicated"
SOURCE = Path(__file__).parent.parent / "cases" / f"{CASE_ID}.yaml"


@pytest.fixture
def course_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of a bundled case in a course folder (DYSTONIA_TEACH_CASES), as ``course_case``."""
    folder = tmp_path / "cases"
    folder.mkdir()
    path = folder / "course_case.yaml"
    path.write_text(SOURCE.read_text(encoding="utf-8").replace(f"id: {CASE_ID}",
                                                               "id: course_case"), "utf-8")
    monkeypatch.setenv("DYSTONIA_TEACH_CASES", str(folder))
    return path


def test_case_digest_changes_with_the_facts_not_with_comments(course_case: Path) -> None:
    before = case_digest(load_case(course_case))
    assert len(before) == 64 and before == case_digest(load_case(course_case))
    text = course_case.read_text(encoding="utf-8")
    course_case.write_text("# reviewed by the course team\n" + text.replace("\n", "  # ok\n", 1),
                           encoding="utf-8")
    assert case_digest(load_case(course_case)) == before
    age = load_case(course_case).patient.age
    course_case.write_text(text.replace(f"age: {age}", f"age: {age + 1}", 1), encoding="utf-8")
    assert case_digest(load_case(course_case)) != before


def test_release_digest_every_grade_records_its_case_and_report_names_changed_cases(
        course_case: Path, tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/class.sqlite3"
    with open_store(url) as store:
        for learner in ("stu_1", "stu_2"):
            store.record(learner, evaluate(load_case("course_case"), ["neuro_exam"]))
        store.record("stu_1", evaluate(load_case(CASE_ID), ["neuro_exam"]))
    runner = CliRunner()
    assert runner.invoke(cli, ["grade", "--store", url, "--no-progress"]).exit_code == 0
    with open_store(url, read_only=True) as store:
        frame = store.to_frame()
    digests = dict(zip(frame["case_id"], frame["case_digest"], strict=False))
    assert digests == {"course_case": case_digest(load_case(course_case)),
                       CASE_ID: case_digest(load_case(CASE_ID))}
    assert "earlier version" not in runner.invoke(cli, ["report", "--store", url]).output

    age = load_case(course_case).patient.age
    course_case.write_text(course_case.read_text(encoding="utf-8").replace(
        f"age: {age}", f"age: {age + 1}", 1), encoding="utf-8")
    said = runner.invoke(cli, ["report", "--store", url]).output
    assert ("2 attempts were graded on an earlier version of case course_case: run "
            "dystonia-teach grade") in said
    assert f"case {CASE_ID}" not in said
    html = tmp_path / "r.html"
    written = runner.invoke(cli, ["report", "--store", url, "--html", str(html)])
    assert "earlier version of case course_case" in written.output
    assert "earlier version of case course_case" in html.read_text(encoding="utf-8")
    assert runner.invoke(cli, ["grade", "--store", url, "--no-progress"]).exit_code == 0
    assert "earlier version" not in runner.invoke(cli, ["report", "--store", url]).output
