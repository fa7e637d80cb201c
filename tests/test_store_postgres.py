"""PostgreSQL only, on the real test server: privacy enforced by the database (row-level
security keyed to the connecting role, with a negative control), provisioning, schema refusal,
and a server restart in the middle of writing that loses and doubles nothing."""

from __future__ import annotations

import csv
import json
import multiprocessing
import time

import psycopg
import pytest
from click.testing import CliRunner

from dystonia_teach import evaluate, load_case, recommended_actions
from dystonia_teach.cli import cli
from dystonia_teach.store import ProgressStoreError, learner_id_for, open_store
from dystonia_teach.store.base import AS_SUBMITTED
from dystonia_teach.store.migrations import migrations
from dystonia_teach.store.postgres import (
    SCHEMA_VERSION,
    PostgresStore,
    provision_instructor,
    provision_learner,
    redact,
    role_name_for,
    upgrade_sql,
)

from .store_fixtures import PgServer

CASE_ID = "early_uncomplicated"


def _plans():
    case = load_case(CASE_ID)
    return evaluate(case, ["bed_rest"]), evaluate(case, recommended_actions(case))


@pytest.fixture
def class_urls(pg_url: str) -> dict[str, str]:
    """Two learners and an instructor, each with their own login role."""
    return {"admin": pg_url, "learner_a": provision_learner(pg_url, "learner_a"),
            "learner_b": provision_learner(pg_url, "learner_b"),
            "teacher": provision_instructor(pg_url, "teacher_1")}


def test_a_learner_reads_and_alters_only_their_own_rows(class_urls: dict[str, str]) -> None:
    poor, good = _plans()
    with open_store(class_urls["learner_a"]) as a, open_store(class_urls["learner_b"]) as b:
        mine = a.record("learner_a", poor)
        theirs = [b.record("learner_b", good), b.record("learner_b", poor)]
        assert [x.id for x in a.all_attempts()] == [mine]
        assert a.attempts("learner_b") == [] and a.latest("learner_b", CASE_ID) is None
        assert [x.id for x in b.attempts("learner_b")] == theirs
        with pytest.raises(ProgressStoreError, match="only its own learner"):
            a.record("learner_b", good)  # writing as another learner: refused by the database
    with psycopg.connect(class_urls["learner_a"], autocommit=True) as raw:
        assert raw.execute("SELECT count(*) FROM attempts").fetchone() == (1,)
        for attack in ("UPDATE attempts SET score = 0", "DELETE FROM attempts",
                       "INSERT INTO attempts (learner_id, case_id, actions, score, pitfalls, "
                       "schema_version, package_version, submission_key) VALUES ('learner_b', "
                       "'x', '[]', 1, '[]', 2, '0', gen_random_uuid())"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                raw.execute(attack)
    with open_store(class_urls["teacher"]) as teacher:  # the instructor reads everyone
        assert sorted(x.id for x in teacher.all_attempts()) == sorted([mine, *theirs])
        assert set(teacher.to_frame()["learner_id"]) == {"learner_a", "learner_b"}
        with pytest.raises(ProgressStoreError):
            teacher.record("teacher_1", good)  # instructors do not submit attempts
    with psycopg.connect(class_urls["admin"], autocommit=True) as admin:  # the table owner
        admin.execute("CREATE ROLE store_owner_probe")
        admin.execute("ALTER TABLE attempts OWNER TO store_owner_probe")
        admin.execute("SET ROLE store_owner_probe")  # FORCE: the owner obeys the policies too
        assert admin.execute("SELECT count(*) FROM attempts").fetchone() == (0,)
        admin.execute("RESET ROLE")
        admin.execute("ALTER TABLE attempts OWNER TO postgres")
        admin.execute("DROP ROLE store_owner_probe")


def test_negative_control_without_row_level_security_a_sees_b(
        class_urls: dict[str, str]) -> None:
    poor, good = _plans()
    with open_store(class_urls["learner_a"]) as a, open_store(class_urls["learner_b"]) as b:
        a.record("learner_a", poor)
        b.record("learner_b", good)
        assert len(a.all_attempts()) == 1
        with psycopg.connect(class_urls["admin"], autocommit=True) as admin:
            admin.execute("ALTER TABLE attempts DISABLE ROW LEVEL SECURITY")
        assert {x.learner_id for x in a.all_attempts()} == {"learner_a", "learner_b"}



def test_a_self_scored_attempt_is_reported_with_its_re_grade(class_urls: dict[str, str],
                                                              tmp_path) -> None:
    """Row-level security limits a learner to their own rows, not to honest values: their role
    inserts a bad plan scored 1.0; the instructor's report and gradebook show the re-grade."""
    poor, _ = _plans()
    with psycopg.connect(class_urls["learner_a"], autocommit=True) as raw:
        forged = raw.execute(
            "INSERT INTO attempts (case_id, actions, score, pitfalls, schema_version, "
            "package_version, submission_key) VALUES (%s, %s, 1, '[]', %s, '0', "
            "gen_random_uuid()) RETURNING id",
            (CASE_ID, json.dumps([a.as_data() for a in poor.chosen]), SCHEMA_VERSION),
        ).fetchone()[0]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # nor can they grade it
            raw.execute("INSERT INTO grades (attempt_id, score, pitfalls, package_version, "
                        "knowledge_version) VALUES (%s, 1, '[]', 'x', 'y')", (forged,))
    runner = CliRunner()
    out = tmp_path / "grades.csv"

    def best() -> tuple[str, str, str]:
        made = runner.invoke(cli, ["export", "gradebook", "--store", class_urls["teacher"],
                                   "-o", str(out), "--real-ids"])
        assert made.exit_code == 0, made.output
        row = next(csv.DictReader(out.open(encoding="utf-8")))
        return row[f"{CASE_ID} best (%)"], row["attempts not re-graded"], made.stdout

    assert best()[:2] == ("100.0", "1")
    before = runner.invoke(cli, ["report", "--store", class_urls["teacher"]]).stdout
    assert "The 1 attempt has not been re-graded" in before
    graded = runner.invoke(cli, ["grade", "--store", class_urls["teacher"], "--no-progress"])
    assert graded.exit_code == 0 and "1 scores changed" in graded.stdout, graded.output
    score, unchecked, said = best()
    assert (score, unchecked) == (str(round(100 * poor.score, 1)), "0")
    assert "The 1 attempt was re-graded" in said
    after = runner.invoke(cli, ["report", "--store", class_urls["teacher"]]).stdout
    assert "The 1 attempt was re-graded" in after and "grade` first" not in after
    with open_store(class_urls["learner_a"]) as mine:  # the learner's role reads no grades
        frame = mine.to_frame()
    assert list(frame["score"]) == [1.0] and list(frame["graded"]) == [AS_SUBMITTED]

def test_provisioning_refuses_roles_it_must_not_touch(pg_url: str) -> None:
    url = provision_learner(pg_url, "learner_c", password="first-secret")
    assert "first-secret" in url and "***" in redact(url) and "first-secret" not in redact(url)
    again = provision_learner(pg_url, "learner_c", password="second-secret")  # re-keys
    with psycopg.connect(again) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (role_name_for("learner_c"),)
        assert conn.execute("SELECT dystonia_teach_learner_id()").fetchone() == ("learner_c",)
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("CREATE ROLE stranger_2 LOGIN")  # a role the store did not make
    for name in ("postgres", "stranger_2"):
        with pytest.raises(ProgressStoreError, match="already exists"):
            provision_instructor(pg_url, name)
    odd = provision_learner(pg_url, "x; DROP TABLE attempts")  # a name, never SQL
    with psycopg.connect(odd) as conn:
        assert conn.execute("SELECT dystonia_teach_learner_id()").fetchone() == (
            learner_id_for("x; DROP TABLE attempts"),)
        assert conn.execute("SELECT count(*) FROM attempts").fetchone() == (0,)


def test_older_or_newer_schema_is_refused_naming_the_fix(pg_server: PgServer,
                                                         pg_url: str) -> None:
    PostgresStore(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("UPDATE store_schema SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(ProgressStoreError, match="newer dystonia_teach"):
        open_store(pg_url)
    old = pg_server.admin_url(pg_server.create_database())
    with psycopg.connect(old, autocommit=True) as admin:  # what v1 made
        admin.execute(migrations("postgres")[0].sql.encode())
        admin.execute("INSERT INTO store_schema VALUES (1)")
    with pytest.raises(ProgressStoreError, match="dystonia-teach store upgrade"):
        open_store(old)
    sql = upgrade_sql(old)
    assert "CREATE TABLE grades" in sql and "CREATE TABLE attempts" not in sql
    assert "ADD COLUMN record" in sql and "CREATE TABLE learner_roles" in sql
    PostgresStore(old, upgrade=True).close()
    assert upgrade_sql(old) == ""
    with open_store(old) as store:
        assert store.schema_version() == SCHEMA_VERSION


RESTART_WRITERS, RESTART_PER_WRITER = 4, 150


def _restart_writer(url: str, index: int, barrier, results) -> None:
    poor = _plans()[0]
    barrier.wait(timeout=120)
    with open_store(url, timeout=60) as store:
        ids = [store.record(f"writer_{index}", poor) for _ in range(RESTART_PER_WRITER)]
    results.put(ids)


def test_a_server_restart_mid_run_loses_no_committed_attempt(pg_server: PgServer,
                                                             pg_url: str) -> None:
    PostgresStore(pg_url).close()
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(RESTART_WRITERS + 1), ctx.Queue()
    processes = [ctx.Process(target=_restart_writer, args=(pg_url, i, barrier, results))
                 for i in range(RESTART_WRITERS)]
    for process in processes:
        process.start()
    barrier.wait(timeout=120)
    with psycopg.connect(pg_url, autocommit=True) as watch:  # restart once writing is under way
        deadline = time.monotonic() + 60
        while (seen := watch.execute("SELECT count(*) FROM attempts").fetchone()[0]) < 50:
            assert time.monotonic() < deadline, "the writers never started"
            time.sleep(0.02)
    pg_server.stop()
    assert seen < RESTART_WRITERS * RESTART_PER_WRITER  # the restart came mid-run
    time.sleep(0.5)
    pg_server.start()
    returned = [results.get(timeout=180) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0] * RESTART_WRITERS
    ids = sorted(i for batch in returned for i in batch)
    with psycopg.connect(pg_url) as conn:
        stored = [r[0] for r in conn.execute("SELECT id FROM attempts ORDER BY id")]
    assert len(ids) == RESTART_WRITERS * RESTART_PER_WRITER == len(set(ids))
    assert stored == ids  # every committed attempt is there, none twice
