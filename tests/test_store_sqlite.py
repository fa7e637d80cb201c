"""SQLite schema upgrades and files it must not touch: a store written by the released v1 code
upgrades keeping every attempt (after a backup); an attempts table of the wrong shape is refused
byte-for-byte untouched; read-only opens leave no side files."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from dystonia_teach import evaluate, load_case
from dystonia_teach.store import ProgressStore, ProgressStoreError, open_store
from dystonia_teach.store.sqlite import APPLICATION_ID, SCHEMA_VERSION

V1_STORE = Path(__file__).parent / "fixtures" / "store_v1.sqlite3"  # made by the v1 release


def _version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.close()
    return int(version)


def test_a_v1_store_upgrades_keeping_every_attempt(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    shutil.copy(V1_STORE, path)
    assert _version(path) == 1 < SCHEMA_VERSION
    with ProgressStore(path, read_only=True) as old:  # a reader of any version reads v1 rows
        before = old.all_attempts()
        assert "CREATE TABLE grades" in old.upgrade_sql()
    assert len(before) == 9 and {a.schema_version for a in before} == {1}

    with open_store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.all_attempts() == before
        new = store.record("stu_1", evaluate(load_case(before[0].case_id), ["neuro_exam"]))
        assert store.latest("stu_1", before[0].case_id).id == new
        assert store.upgrade_sql() == ""
    backup = tmp_path / "progress.sqlite3.v1-backup"
    assert _version(backup) == 1
    with ProgressStore(backup, read_only=True) as copy:
        assert copy.all_attempts() == before
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM grades").fetchone() == (0,)
    conn.close()


def test_an_attempts_table_of_the_wrong_shape_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE attempts (id INTEGER PRIMARY KEY, learner TEXT, score TEXT)")
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA user_version = 1")
    conn.close()
    before = path.read_bytes()
    for read_only in (False, True):
        with pytest.raises(ProgressStoreError, match="expected columns") as error:
            ProgressStore(path, read_only=read_only)
        assert "learner_id" in str(error.value) and "score" in str(error.value)
    assert path.read_bytes() == before  # not switched to WAL, not upgraded
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_read_only_opens_leave_no_side_files(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    assessment = evaluate(load_case("early_uncomplicated"), ["neuro_exam"])
    with ProgressStore(path) as store:
        store.record("stu_1", assessment)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    before = path.read_bytes()
    with ProgressStore(path, read_only=True) as reader:
        assert len(reader.attempts("stu_1")) == 1
        with ProgressStore(path) as writer:  # a write while the reader is open is seen
            writer.record("stu_1", assessment)
            assert len(reader.attempts("stu_1")) == 2
        assert len(reader.attempts("stu_1")) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    assert path.read_bytes() != before  # (the writer's rows), and the reader added nothing


def test_rows_read_fast_keep_their_numbers_and_json(tmp_path: Path) -> None:
    """Attempts are numbered per learner and case in id order (counted while reading), and
    JSON written by other programs (spaces around it, escapes) reads as json.loads reads it;
    JSON of the wrong shape is a clear error."""
    path = tmp_path / "progress.sqlite3"
    ProgressStore(path).close()
    rows = [("stu_1", "a", '["neuro_exam"]', "[]"), ("stu_2", "a", '["bed_rest"]', "[]"),
            ("stu_1", "b", ' [ "neuro_exam" ] ', '["low_value_care"]'),
            ("stu_1", "a", '[{"step": "naproxen", "dose_mg_per_day": 1e3}]', '["caution\\u0021"]'),
            ("stu_2", "a", '["bed_rest"]', '[ ]')]
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO attempts (learner_id, case_id, submitted_at, actions, working_diagnosis, "
            "score, pitfalls, schema_version, package_version) VALUES (?, ?, '2026-01-01', ?, "
            "NULL, 0.5, ?, 3, 'x')", rows)
    conn.close()
    with ProgressStore(path) as store:
        read = store.all_attempts()
        assert [(a.learner_id, a.case_id, a.number) for a in read] == [
            ("stu_1", "a", 1), ("stu_2", "a", 1), ("stu_1", "b", 1), ("stu_1", "a", 2),
            ("stu_2", "a", 2)]
        assert [a.number for a in store.attempts("stu_1", "a")] == [1, 2]
        assert read[2].actions == ("neuro_exam",) and read[4].pitfalls == ()
        assert read[3].actions == ({"step": "naproxen", "dose_mg_per_day": 1000.0},)
        assert read[3].pitfalls == ("caution!",)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE attempts SET pitfalls = '{\"a\": 1}' WHERE id = 2")
    conn.close()
    with ProgressStore(path) as store:
        assert [a.id for a in store.all_attempts()] == [1, 3, 4, 5]
        assert [p.what for p in store.needing_attention] == ["attempt 2"]
