"""The store interface, the same behaviour on every backend: open_store's URLs, record and read
back, the instructor view, to_frame's columns and salted pseudonyms, the hub learner, and rows of
the wrong shape reported as ProgressStoreError."""

from __future__ import annotations

import sqlite3
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from dystonia_teach import Assessment, evaluate, load_case, recommended_actions
from dystonia_teach.store import (
    FRAME_COLUMNS,
    STORE_VAR,
    AttemptStore,
    ProgressStore,
    ProgressStoreError,
    current_learner,
    learner_id_for,
    open_store,
    pseudonym,
    validate_learner_id,
)
from dystonia_teach.store.sqlite import ENV_VAR

CASE_ID = "early_uncomplicated"


def _assessments() -> tuple[Assessment, Assessment]:
    case = load_case(CASE_ID)
    return evaluate(case, ["bed_rest"]), evaluate(case, recommended_actions(case), case.diagnosis)


def test_record_read_back_and_instructor_view(store: AttemptStore) -> None:
    poor, good = _assessments()
    first = store.record("stu_1", poor)
    second = store.record("stu_1", good)
    other = store.record("stu_2", poor)
    assert first < second < other

    mine = store.attempts("stu_1")
    assert [(a.id, a.number, a.learner_id) for a in mine] == [(first, 1, "stu_1"),
                                                               (second, 2, "stu_1")]
    assert list(mine[1].actions) == [a.as_data() for a in good.chosen]
    assert mine[0].pitfalls == poor.pitfalls and mine[1].score == good.score
    assert mine[1].working_diagnosis == good.working_diagnosis
    assert datetime.fromisoformat(mine[0].submitted_at).utcoffset() == timedelta(0)
    assert store.attempts("stu_1", "another_case") == []
    latest = store.latest("stu_1", CASE_ID)
    assert latest is not None and latest.id == second
    [summary] = store.summary("stu_1")
    assert (summary.attempts, summary.best_score, summary.latest_score) == (2, good.score,
                                                                            good.score)
    assert [a.id for a in store.all_attempts()] == [first, second, other]
    assert [a.id for a in store.all_attempts("another_case")] == []


def test_to_frame_has_one_row_per_attempt_and_salted_pseudonyms(store: AttemptStore) -> None:
    assert list(store.to_frame().columns) == list(FRAME_COLUMNS) and store.to_frame().empty
    poor, good = _assessments()
    ids = [store.record("stu_1", poor), store.record("stu_1", good), store.record("stu_2", good)]
    frame = store.to_frame()
    assert list(frame.columns) == list(FRAME_COLUMNS)
    assert frame["attempt_id"].tolist() == ids
    assert frame["number"].tolist() == [1, 2, 1]
    assert frame["score"].tolist() == [poor.score, good.score, good.score]
    assert frame["pitfalls"].iloc[0] == poor.pitfalls
    assert isinstance(frame["actions"].iloc[1], tuple)
    assert all(pd.Timestamp(t).tz is not None for t in frame["submitted_at"])

    exported = store.to_frame(salt="course-secret")
    assert set(exported["learner_id"]) == {pseudonym("stu_1", "course-secret"),
                                           pseudonym("stu_2", "course-secret")}
    assert "course-secret" not in exported.to_csv() and "stu_1" not in exported.to_csv()


def test_open_store_chooses_the_backend_from_the_url(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(STORE_VAR, raising=False)
    monkeypatch.delenv(ENV_VAR, raising=False)
    with open_store() as store:
        assert isinstance(store, ProgressStore)
        assert store.path == tmp_path / "home" / ".dystonia_teach" / "progress.sqlite3"
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "legacy.sqlite3"))
    with open_store() as store:
        assert store.path == tmp_path / "legacy.sqlite3"
    monkeypatch.setenv(STORE_VAR, f"sqlite://{tmp_path}/url%20store.sqlite3")
    with open_store() as store:
        assert store.path == tmp_path / "url store.sqlite3"
    with open_store(tmp_path / "arg.sqlite3") as store:
        assert store.path == tmp_path / "arg.sqlite3"
    for bad in ("mysql://host/db", "sqlite://host/x.sqlite3"):
        with pytest.raises(ProgressStoreError, match="sqlite:///"):
            open_store(bad)


def test_current_learner_is_the_hub_user(monkeypatch) -> None:
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    assert current_learner() is None
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    assert current_learner() == "alice"
    monkeypatch.setenv("JUPYTERHUB_USER", "alice@uni.example")
    assert current_learner() == learner_id_for("alice@uni.example")


@pytest.mark.parametrize("name", ["jane.doe", "jd@uni.edu", "zoë", "Zoe\u0308", "李雷",
                                  "x" * 80, "pg_admin", "a b", "o'brien; DROP TABLE attempts"])
def test_username_of_any_form_maps_to_a_safe_stable_learner_id(name: str) -> None:
    learner = learner_id_for(name)
    assert validate_learner_id(learner) == learner and len(learner) <= 63
    assert not learner.startswith("pg_") and "@" not in learner and "." not in learner
    assert learner_id_for(name) == learner  # stable
    assert learner_id_for(unicodedata.normalize("NFD", name)) == learner  # however composed


def test_username_mapping_keeps_valid_ids_and_separates_look_alikes() -> None:
    assert learner_id_for("stu_1") == "stu_1" and learner_id_for(" ana ") == "ana"
    names = ["jane.doe", "jane_doe", "jane-doe", "jane@doe", "Jane.Doe", "jane..doe"]
    assert len({learner_id_for(n) for n in names}) == len(names)
    assert learner_id_for("jane.doe").startswith("jane-doe-")
    with pytest.raises(ValueError, match="empty"):
        learner_id_for("  ")


@pytest.mark.parametrize(("column", "value", "problem"), [
    ("actions", '{"step": "neuro_exam"}', "not a list"),
    ("actions", "[42]", "neither a step id"),
    ("actions", '[{"dose_mg_per_day": 5}]', "neither a step id"),
    ("pitfalls", '"bed_rest"', "not a list"),
    ("pitfalls", "[1, 2]", "not a list"),
    ("record", '{"visits": "x", "case_id": "early_uncomplicated"}', "record.visits"),
    ("record", "[" * 2000 + "]" * 2000, "recursion"),
])
def test_hostile_rows_are_skipped_counted_and_named(tmp_path: Path, column: str, value: str,
                                                    problem: str) -> None:
    """One bad row stops no reading: the others are read, the bad one is named."""
    path = tmp_path / "p.sqlite3"
    with ProgressStore(path) as store:
        good = store.record("stu_1", _assessments()[0])
        bad = store.record("stu_2", _assessments()[1])
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute(f"UPDATE attempts SET {column} = ? WHERE id = ?", (value, bad))
    conn.close()
    with ProgressStore(path, read_only=True) as store:
        assert [a.id for a in store.all_attempts()] == [good]
        [named] = store.needing_attention
    with ProgressStore(path, read_only=True) as store:  # class tools never read the record
        in_frame = store.to_frame()["attempt_id"].tolist()
    assert in_frame == ([good, bad] if column == "record" else [good])
    assert named.what == f"attempt {bad}" and named.learner_id == "stu_2"
    assert problem in named.problem.lower() or problem in named.problem
    with ProgressStore(path, read_only=True) as store, pytest.raises(
            ProgressStoreError, match=f"attempt {bad} is not a saved attempt"):
        store.attempts("stu_2")  # the learner's own view says so


@pytest.mark.parametrize("bad", ["jane.doe@uni.example", "Jane Doe", ""])
def test_bad_learner_ids_are_refused_and_save_nothing(store: AttemptStore, bad: str) -> None:
    with pytest.raises(ValueError, match="pseudonym"):
        store.record(bad, _assessments()[0])
    with pytest.raises(ValueError, match="pseudonym"):
        store.attempts(bad)
    assert store.all_attempts() == []


def test_a_read_only_store_reads_and_refuses_to_save(store_url: str) -> None:
    poor, _ = _assessments()
    with open_store(store_url) as store:
        saved = store.record("stu_1", poor)
    with open_store(store_url, read_only=True) as reader:
        assert [a.id for a in reader.attempts("stu_1")] == [saved]
        with pytest.raises(ProgressStoreError, match="read-only"):
            reader.record("stu_1", poor)
        assert len(reader.all_attempts()) == 1


def test_an_unreachable_or_unknown_store_is_a_clear_error(tmp_path: Path) -> None:
    from .store_fixtures import _free_port

    url = f"postgresql://nobody:secret@127.0.0.1:{_free_port()}/course"
    with pytest.raises(ProgressStoreError, match="could not be opened") as error:
        open_store(url, timeout=30)
    assert "secret" not in str(error.value) and "nobody:***@" in str(error.value)
