"""The SQLite progress store: round trip across restarts, refusal of damaged or locked files
without touching them, learner-id rules (concurrent writers: test_store_concurrency.py)."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dystonia_teach import Assessment, evaluate, load_case, recommended_actions
from dystonia_teach.store.sqlite import (
    ENV_VAR,
    SCHEMA_VERSION,
    ProgressStore,
    ProgressStoreError,
    pseudonym,
    validate_learner_id,
)

CASE_ID = "early_uncomplicated"


def _assessments() -> tuple[Assessment, Assessment]:
    """A poor attempt and the recommended one, both derived from the engine."""
    case = load_case(CASE_ID)
    good = recommended_actions(case, choose=("naproxen",))  # with the optional analgesic's dose
    return evaluate(case, ["bed_rest"]), evaluate(case, good, case.diagnosis)


def _rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]


def test_record_then_resume_after_restart(tmp_path: Path) -> None:
    poor, good = _assessments()
    path = tmp_path / "progress.sqlite3"
    with ProgressStore(path) as store:
        first = store.record("stu_1", poor)
        second = store.record("stu_1", good)
        store.record("stu_2", poor)
    assert second > first

    restarted = ProgressStore(path)  # a new object on the same file: a kernel restart
    attempts = restarted.attempts("stu_1", CASE_ID)
    assert [a.number for a in attempts] == [1, 2]
    assert [a.id for a in attempts] == [first, second]
    for attempt, assessment in zip(attempts, (poor, good), strict=True):
        assert list(attempt.actions) == [a.as_data() for a in assessment.chosen]
        assert attempt.pitfalls == assessment.pitfalls
        assert attempt.score == assessment.score
        assert attempt.working_diagnosis == assessment.working_diagnosis
        assert attempt.learner_id == "stu_1" and attempt.case_id == CASE_ID
        assert datetime.fromisoformat(attempt.submitted_at).utcoffset() == timedelta(0)
        assert attempt.schema_version == SCHEMA_VERSION
    assert poor.pitfalls and "bed_rest" in attempts[0].actions
    assert any(isinstance(a, dict) and a["dose_mg_per_day"] for a in attempts[1].actions)

    latest = restarted.latest("stu_1", CASE_ID)
    assert latest is not None and latest.id == second
    assert restarted.latest("stu_1", "another_case") is None
    assert restarted.latest("nobody", CASE_ID) is None
    [summary] = restarted.summary("stu_1")
    assert (summary.case_id, summary.attempts) == (CASE_ID, 2)
    assert summary.best_score == max(poor.score, good.score)
    assert summary.latest_score == good.score
    assert len(restarted.attempts("stu_2")) == 1


def test_path_argument_then_environment_then_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert ProgressStore().path == tmp_path / "home" / ".dystonia_teach" / "progress.sqlite3"
    assert ProgressStore().path.is_file()

    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env" / "deep" / "p.sqlite3"))
    assert ProgressStore().path == tmp_path / "env" / "deep" / "p.sqlite3"
    assert (tmp_path / "env" / "deep" / "p.sqlite3").is_file()
    assert ProgressStore(tmp_path / "arg.sqlite3").path == tmp_path / "arg.sqlite3"


def _damaged_store(tmp_path: Path) -> Path:
    """A real store whose pages after the first are overwritten (header still valid)."""
    path = tmp_path / "damaged.sqlite3"
    poor, _ = _assessments()
    with ProgressStore(path) as store:
        for _ in range(200):
            store.record("stu_1", poor)
    data = bytearray(path.read_bytes())
    assert len(data) > 4 * 4096
    data[2 * 4096:4 * 4096] = b"\xff" * (2 * 4096)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("kind", ["garbage", "damaged"])
@pytest.mark.parametrize("read_only", [False, True])
def test_corrupt_file_is_refused_and_left_untouched(tmp_path: Path, kind: str,
                                                    read_only: bool) -> None:
    if kind == "garbage":
        path = tmp_path / "garbage.sqlite3"
        path.write_bytes(b"this is not a database\n" * 300)
    else:
        path = _damaged_store(tmp_path)
    before = path.read_bytes()
    with pytest.raises(ProgressStoreError) as error:
        ProgressStore(path, read_only=read_only)
    message = str(error.value)
    assert str(path) in message and "damaged" in message and "Move it aside" in message
    assert path.read_bytes() == before
    if not read_only:  # (a read-only reader may leave SQLite's own -wal/-shm companions)
        assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no side files left


def test_foreign_or_newer_database_is_refused_untouched(tmp_path: Path) -> None:
    foreign = tmp_path / "other.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE grades (x)")
    before = foreign.read_bytes()
    with pytest.raises(ProgressStoreError, match="another program"):
        ProgressStore(foreign)
    assert foreign.read_bytes() == before

    newer = tmp_path / "newer.sqlite3"
    ProgressStore(newer).close()
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    before = newer.read_bytes()
    with pytest.raises(ProgressStoreError, match="newer dystonia_teach"):
        ProgressStore(newer)
    assert newer.read_bytes() == before


def test_folder_or_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProgressStoreError, match="is a folder"):
        ProgressStore(tmp_path)
    missing = tmp_path / "missing.sqlite3"
    with pytest.raises(ProgressStoreError, match="no progress store"):
        ProgressStore(missing, read_only=True)
    assert not missing.exists()


def test_read_only_reads_and_changes_nothing(tmp_path: Path) -> None:
    poor, good = _assessments()
    path = tmp_path / "progress.sqlite3"
    with ProgressStore(path) as store:
        store.record("stu_1", poor)
        store.record("stu_1", good)
    before = path.read_bytes()
    with ProgressStore(path, read_only=True) as reader:
        assert [a.score for a in reader.attempts("stu_1", CASE_ID)] == [poor.score, good.score]
        with pytest.raises(ProgressStoreError, match="read-only"):
            reader.record("stu_1", good)
    assert path.read_bytes() == before


def test_locked_store_is_a_clear_error_and_loses_nothing(tmp_path: Path) -> None:
    poor, good = _assessments()
    path = tmp_path / "progress.sqlite3"
    store = ProgressStore(path, timeout=0.3)
    store.record("stu_1", poor)

    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    started = time.monotonic()
    with pytest.raises(ProgressStoreError) as error:
        store.record("stu_1", good)
    assert time.monotonic() - started >= 0.3
    assert "locked" in str(error.value) and str(path) in str(error.value)
    assert len(ProgressStore(path, timeout=0.3).attempts("stu_1")) == 1  # readers still work
    holder.execute("ROLLBACK")
    holder.close()

    store.record("stu_1", good)
    assert [a.score for a in store.attempts("stu_1")] == [poor.score, good.score]


@pytest.mark.parametrize(("bad", "reason"), [
    ("jane.doe@uni.example", "e-mail"),
    ("", "not allowed"),
    ("Jane Doe", "not allowed"),
    ("x" * 65, "not allowed"),
    ("stü_1", "not allowed"),
    (12345, "not text"),
])
def test_bad_learner_id_is_a_clear_error(tmp_path: Path, bad: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as error:
        validate_learner_id(bad)
    assert "pseudonym" in str(error.value)
    store = ProgressStore(tmp_path / "p.sqlite3")
    with pytest.raises(ValueError, match=reason):
        store.record(bad, _assessments()[0])  # type: ignore[arg-type]
    assert _rows(store.path) == 0


@pytest.mark.parametrize("good", ["stu_01", "A-b_9", "x" * 64])
def test_pseudonymous_ids_are_accepted(good: str) -> None:
    assert validate_learner_id(good) == good


def test_pseudonym_is_stable_salted_and_hides_the_name() -> None:
    made = pseudonym("Jane.Doe@uni.example", "course-2025")
    assert made == pseudonym("  jane.doe@UNI.example ", "course-2025")
    assert made != pseudonym("Jane.Doe@uni.example", "another-course")
    assert made != pseudonym("John.Roe@uni.example", "course-2025")
    assert validate_learner_id(made) == made and "jane" not in made.lower()
    with pytest.raises(ValueError, match="course salt"):
        pseudonym("Jane", " ")
