"""One bad row stops no instructor tool: `report`, `grade` and both exports skip it, count it and
name it under "Rows needing attention"; `dystonia-teach store quarantine` moves it aside (or
deletes it), after which the class reads clean. On SQLite, and on PostgreSQL with rows saved
before the database checked them (an old store, upgraded). A malformed reasoning record does not
even count: class tools never read learners' records."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from dystonia_teach import evaluate, load_case
from dystonia_teach.cli import cli
from dystonia_teach.store import ProgressStoreError, open_store
from dystonia_teach.store.migrations import migrations
from dystonia_teach.store.postgres import (
    LEARNER_GROUP,
    PostgresStore,
    provision_instructor,
    provision_learner,
)

from .store_fixtures import PgServer

CASE_ID = "early_uncomplicated"
DEEP = "[" * 2000 + "]" * 2000  # actions nested 2,000 deep
NOT_CODES = json.dumps([{"code": 1}])  # pitfalls that are not codes
MALFORMED = json.dumps({"case_id": CASE_ID, "visits": "x"})  # a record: not read by the tools


def _tools(url: str, tmp_path: Path) -> dict[str, str]:
    """Run every reading tool; each must finish, naming the bad rows. Returns their outputs."""
    runner = CliRunner()
    said = {}
    for name, args, code in (
            ("report", ["report"], 0),
            ("html", ["report", "--html", str(tmp_path / "r.html")], 0),
            ("grade", ["grade", "--no-progress"], None),
            ("gradebook", ["export", "gradebook", "-o", str(tmp_path / "g.csv"), "--real-ids"], 0),
            ("xapi", ["export", "xapi", "-o", str(tmp_path / "s.json"), "--real-ids"], 0)):
        result = runner.invoke(cli, [*args, "--store", url])
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            name, result.output)
        if code is not None:
            assert result.exit_code == code, (name, result.output)
        said[name] = result.output
    return said


def test_quarantine_sqlite_bad_rows_are_named_then_moved_aside(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "class.sqlite3"
    url = f"sqlite://{path}"
    case = load_case(CASE_ID)
    with open_store(url) as store:
        ids = [store.record(f"stu_{i}", evaluate(case, ["neuro_exam"])) for i in range(5)]
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute("UPDATE attempts SET pitfalls = ? WHERE id = ?", (NOT_CODES, ids[1]))
        conn.execute("UPDATE attempts SET actions = ? WHERE id = ?", (DEEP, ids[2]))
        conn.execute("UPDATE attempts SET record = ? WHERE id = ?", (MALFORMED, ids[4]))
    conn.close()
    said = _tools(url, tmp_path)
    for name in ("report", "gradebook", "xapi", "html"):
        assert "Rows needing attention: 2 stored rows" in said[name], said[name]
        assert f"attempt {ids[1]}" in said[name] and f"attempt {ids[2]}" in said[name]
    assert "not a list of step or pitfall codes" in said["report"]
    assert "recursion" in said["report"]
    assert "Re-graded 3 of 3 attempts" in said["grade"]
    assert f"Not re-graded: attempt {ids[2]}" in said["grade"]
    assert "Rows needing attention" in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert len(json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))) > 0

    runner = CliRunner()
    moved = runner.invoke(cli, ["store", "quarantine", "--store", url, str(ids[1])])
    assert moved.exit_code == 0 and "moved to the quarantine table" in moved.output
    dropped = runner.invoke(cli, ["store", "quarantine", "--store", url, str(ids[2]),
                                  "--delete"])
    assert dropped.exit_code == 0 and "deleted" in dropped.output
    missing = runner.invoke(cli, ["store", "quarantine", "--store", url, "999"])
    assert missing.exit_code == 1 and "no attempt 999" in missing.output
    said = _tools(url, tmp_path)
    assert not any("needing attention" in text for text in said.values())
    with sqlite3.connect(path) as conn:
        kept = conn.execute("SELECT attempt_id, saved_row FROM quarantine").fetchall()
        left = [r[0] for r in conn.execute("SELECT id FROM attempts ORDER BY id")]
    conn.close()
    assert [k[0] for k in kept] == [ids[1]]
    assert json.loads(json.loads(kept[0][1])["pitfalls"]) == [{"code": 1}]  # kept as saved
    assert left == [ids[0], ids[3], ids[4]]


def test_quarantine_postgres_rows_saved_before_the_checks(pg_server: PgServer,
                                                          tmp_path: Path) -> None:
    admin = pg_server.admin_url(pg_server.create_database())
    with psycopg.connect(admin, autocommit=True) as conn:  # a store as version 3 made it
        for step in migrations("postgres")[:3]:
            conn.execute(step.sql.encode())
        conn.execute("INSERT INTO store_schema VALUES (3)")
        conn.execute(f"DROP ROLE IF EXISTS q_stu; CREATE ROLE q_stu LOGIN IN ROLE "
                     f"{LEARNER_GROUP}")
    learner = admin.replace("postgres@", "q_stu@")
    with psycopg.connect(learner, autocommit=True) as conn:
        for actions, pitfalls, record in (('["neuro_exam"]', "[]", None),
                                          ('["neuro_exam"]', NOT_CODES, None),
                                          (DEEP, "[]", None),
                                          ('["neuro_exam"]', "[]", MALFORMED)):
            conn.execute("INSERT INTO attempts (case_id, actions, score, pitfalls, "
                         "schema_version, package_version, submission_key, record) VALUES "
                         "(%s, %s::jsonb, 0.5, %s::jsonb, 3, '0.1', gen_random_uuid(), "
                         "%s::jsonb)", (CASE_ID, actions, pitfalls, record))
    PostgresStore(admin, upgrade=True).close()
    teacher = provision_instructor(admin, "q_teacher")
    said = _tools(teacher, tmp_path)
    assert "Rows needing attention: 2 stored rows" in said["report"]
    assert "Re-graded 2 of 2 attempts" in said["grade"]
    with open_store(provision_learner(admin, "q_stu")) as mine, \
            pytest.raises(ProgressStoreError, match="permission denied"):  # a learner cannot
        mine.quarantine(2, "mine")
    moved = CliRunner().invoke(cli, ["store", "quarantine", "--store", teacher, "2", "3"])
    assert moved.exit_code == 0, moved.output
    assert not any("needing attention" in text for text in _tools(teacher, tmp_path).values())
    with psycopg.connect(admin) as conn:
        assert conn.execute("SELECT attempt_id, quarantined_by FROM quarantine ORDER BY 1"
                            ).fetchall() == [(2, "q_teacher"), (3, "q_teacher")]
        assert conn.execute("SELECT count(*) FROM grades WHERE attempt_id IN (2, 3)"
                            ).fetchone() == (0,)
