"""A class store no learner can break, on the real PostgreSQL server: each attack a learner's own
connection can make (malformed, deep or huge JSON, back-dated rows, the group role, row locks,
listing classmates) reproduced and shown refused or harmless; and the instructor's tools, which
time out naming the blocking session instead of waiting for ever."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import psycopg
import pytest

from dystonia_teach import evaluate, load_case, recommended_actions
from dystonia_teach.core.reasoning import ReasoningSession
from dystonia_teach.course.grading import regrade
from dystonia_teach.store import ProgressStoreError, learner_id_for, open_store
from dystonia_teach.store.postgres import (
    LEARNER_GROUP,
    PostgresStore,
    provision_instructor,
    provision_learner,
)

CASE_ID = "early_uncomplicated"
ANA = "ana.lopez@uni.example"  # a single-sign-on user name


def _record() -> dict[str, Any]:
    session = ReasoningSession(load_case(CASE_ID))
    session.add("neuro_exam")
    session.set_differential(["radiculopathy_dystonia"])  # submission needs the reasoning
    session.set_confidence(60)
    session.submit()
    return dict(session.record())


@pytest.fixture
def classroom(pg_url: str) -> dict[str, Any]:
    """Learners ana and ben with an attempt each, and an instructor; their URLs and ids."""
    urls = {"admin": pg_url, "ana": provision_learner(pg_url, ANA),
            "ben": provision_learner(pg_url, "ben"), "teacher": provision_instructor(
                pg_url, "dr_lee")}
    case = load_case(CASE_ID)
    ids = {}
    for name in ("ana", "ben"):
        with open_store(urls[name]) as store:
            ids[name] = store.record(learner_id_for(ANA if name == "ana" else name),
                                     evaluate(case, recommended_actions(case)), _record())
    return {"urls": urls, "ids": ids}


def _as(classroom: dict[str, Any], who: str) -> psycopg.Connection[Any]:
    return psycopg.connect(classroom["urls"][who], autocommit=True)


def _deep(depth: int) -> str:
    return f'{{"case_id": "{CASE_ID}", "visits": [], "x": {"[" * depth}{"]" * depth}}}'


HOSTILE_WRITES = {
    "visits_not_a_list": ("UPDATE attempts SET record = %s::jsonb",
                          json.dumps({"case_id": CASE_ID, "visits": "x"})),
    "record_of_another_case": ("UPDATE attempts SET record = %s::jsonb",
                               json.dumps({"case_id": "other_case", "visits": []})),
    "nested_2000_deep": ("UPDATE attempts SET record = %s::jsonb", _deep(2000)),
    "reflection_of_25k_characters": ("UPDATE attempts SET record = %s::jsonb", json.dumps(
        {"case_id": CASE_ID, "visits": [], "reflection": "x" * 25_000})),
    "record_of_300_kb": ("UPDATE attempts SET record = %s::jsonb", json.dumps(
        {"case_id": CASE_ID, "visits": [{"actions": ["y" * 60] * 5000}]})),
    "case_id_with_a_carriage_return": (
        "INSERT INTO attempts (case_id, actions, score, pitfalls, schema_version, "
        "package_version, submission_key) VALUES (%s, '[]', 0.5, '[]', 4, '0.1', "
        "gen_random_uuid())", "x\r=HYPERLINK(1)"),
    "actions_not_steps": (
        "INSERT INTO attempts (case_id, actions, score, pitfalls, schema_version, "
        "package_version, submission_key) VALUES ('early_uncomplicated', %s::jsonb, 0.5, '[]', "
        "4, '0.1', gen_random_uuid())", json.dumps([42, {"dose_mg_per_day": 1}])),
    "pitfalls_not_codes": (
        "INSERT INTO attempts (case_id, actions, score, pitfalls, schema_version, "
        "package_version, submission_key) VALUES ('early_uncomplicated', '[]', 0.5, %s::jsonb, "
        "4, '0.1', gen_random_uuid())", json.dumps([{"code": 1}])),
    "draft_not_a_record": ("INSERT INTO drafts (case_id, record) VALUES ('early_uncomplicated', "
                           "%s::jsonb)", json.dumps({"case_id": CASE_ID, "visits": {"a": 1}})),
}


@pytest.mark.parametrize("attack", sorted(HOSTILE_WRITES))
def test_hostile_learner_write_is_refused_by_the_database(classroom: dict[str, Any],
                                                          attack: str) -> None:
    statement, value = HOSTILE_WRITES[attack]
    with _as(classroom, "ana") as raw:
        with pytest.raises(psycopg.errors.CheckViolation):
            raw.execute(statement, (value,))
        assert raw.execute("SELECT count(*) FROM attempts").fetchone() == (1,)
    with open_store(classroom["urls"]["teacher"]) as teacher:
        assert len(teacher.all_attempts()) == 2 and teacher.needing_attention == []


def test_hostile_learner_cannot_back_date_or_choose_ids(classroom: dict[str, Any]) -> None:
    with _as(classroom, "ana") as raw:
        for column, value in (("submitted_at", "2001-01-01"), ("id", "999")):
            with pytest.raises((psycopg.errors.InsufficientPrivilege,
                                psycopg.errors.GeneratedAlways)):
                raw.execute(f"INSERT INTO attempts (case_id, actions, score, pitfalls, "
                            f"schema_version, package_version, submission_key, {column}) VALUES "
                            f"('early_uncomplicated', '[]', 0.5, '[]', 4, '0.1', "
                            f"gen_random_uuid(), %s)", (value,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute("UPDATE attempts SET submitted_at = '2001-01-01'")
        raw.execute("INSERT INTO drafts (case_id, record) VALUES (%s, %s::jsonb)",
                    (CASE_ID, json.dumps(_record())))
        raw.execute("UPDATE drafts SET record = record")  # saved_at: the server's clock
        saved = raw.execute("SELECT saved_at > now() - interval '1 hour' FROM drafts")
        assert saved.fetchone() == (True,)


def test_hostile_learner_cannot_use_the_group_role(classroom: dict[str, Any]) -> None:
    with _as(classroom, "ana") as raw:
        raw.execute(f"SET ROLE {LEARNER_GROUP}")
        assert raw.execute("SELECT count(*) FROM attempts").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute("INSERT INTO attempts (case_id, actions, score, pitfalls, "
                        "schema_version, package_version, submission_key) VALUES "
                        "('early_uncomplicated', '[]', 1, '[]', 4, '0.1', gen_random_uuid())")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute("INSERT INTO drafts (learner_id, case_id, record) VALUES "
                        "('dystonia_teach_learner', %s, %s::jsonb)",
                        (CASE_ID, json.dumps(_record())))
    with open_store(classroom["urls"]["teacher"]) as teacher:
        assert {a.learner_id for a in teacher.all_attempts()} == {learner_id_for(ANA), "ben"}


def test_hostile_learner_temp_table_cannot_impersonate_a_classmate(
        classroom: dict[str, Any]) -> None:
    """A temporary table named like the role map (found first by an unqualified name) does not
    make a learner anyone else."""
    with _as(classroom, "ana") as raw:
        role = raw.execute("SELECT current_user").fetchone()[0]
        raw.execute("CREATE TEMP TABLE learner_roles (role_name text, learner_id text)")
        raw.execute("INSERT INTO learner_roles VALUES (%s, 'ben')", (role,))
        raw.execute("SET search_path = pg_temp, public")
        assert raw.execute("SELECT dystonia_teach_learner_id()").fetchone() == (
            learner_id_for(ANA),)
        assert [r[0] for r in raw.execute("SELECT learner_id FROM public.attempts")] == [
            learner_id_for(ANA)]


def test_hostile_learner_lists_no_classmates_user_names(classroom: dict[str, Any]) -> None:
    with _as(classroom, "ana") as raw:
        roles = [r[0] for r in raw.execute("SELECT rolname FROM pg_roles")]
        sessions = [r[0] for r in raw.execute("SELECT usename FROM pg_stat_activity")]
        mapped = raw.execute("SELECT learner_id FROM learner_roles").fetchall()
    assert not any("ben" in r for r in roles) and "ben" not in sessions  # (no hex has an n)
    assert ANA not in roles and learner_id_for(ANA) not in roles
    assert mapped == [(learner_id_for(ANA),)]
    learners = {psycopg.conninfo.conninfo_to_dict(classroom["urls"][n])["user"]
                for n in ("ana", "ben")}
    assert learners <= set(roles) and all(r.startswith("dtl_") for r in learners)


def test_hostile_row_lock_does_not_stall_grading(classroom: dict[str, Any]) -> None:
    with _as(classroom, "ana") as raw, raw.transaction():
        raw.execute("SELECT * FROM attempts FOR UPDATE")  # held while the instructor grades
        with PostgresStore(classroom["urls"]["teacher"], timeout=3) as teacher:
            report = regrade(teacher, progress=False)
    assert report.regraded == 2 and not report.skipped


def test_timeout_quarantine_names_the_blocking_learner_session(classroom: dict[str, Any]) -> None:
    with _as(classroom, "ana") as raw, raw.transaction():
        pid = raw.execute("SELECT pg_backend_pid()").fetchone()[0]
        role = raw.execute("SELECT current_user").fetchone()[0]
        raw.execute("SELECT * FROM attempts FOR UPDATE")
        with PostgresStore(classroom["urls"]["teacher"], timeout=1) as teacher, \
                pytest.raises(ProgressStoreError, match="waited 1 s for a lock") as error:
            teacher.quarantine(classroom["ids"]["ana"], "test")
    assert f"session {pid} (role {role}" in str(error.value)
    assert "pg_terminate_backend" in str(error.value) and "Nothing was changed" in str(
        error.value)
    with open_store(classroom["urls"]["teacher"]) as teacher:
        assert len(teacher.all_attempts()) == 2


def test_timeout_of_a_long_statement_is_a_clear_error(classroom: dict[str, Any]) -> None:
    with PostgresStore(classroom["urls"]["teacher"], statement_timeout=0.2) as teacher, \
            pytest.raises(ProgressStoreError, match=r"ran longer than 0\.2 s"):
        teacher._run(lambda conn: conn.execute("SELECT pg_sleep(3)"))


def test_hostile_reflection_too_long_is_refused_before_anything_is_lost(
        classroom: dict[str, Any]) -> None:
    record = _record()
    record["reflection"] = "x" * 25_000
    with open_store(classroom["urls"]["ana"]) as store:
        learner = learner_id_for(ANA)
        with pytest.raises(ProgressStoreError, match=r"record\.reflection is 25,000 characters"):
            store.save_reasoning(learner, classroom["ids"]["ana"], record)
        assert store.attempts(learner)[0].record == _record()


def test_hostile_timeout_upgrade_never_queues_the_class(pg_server, pg_url: str) -> None:
    """An idle-in-transaction learner holds the attempts table: the upgrade retries briefly and
    gives up naming that session, while other learners' reads never wait behind it."""
    from dystonia_teach.store import upgrade
    from dystonia_teach.store.migrations import migrations

    with psycopg.connect(pg_url, autocommit=True) as admin:
        for step in migrations("postgres")[:3]:
            admin.execute(step.sql.encode())
        admin.execute("INSERT INTO store_schema VALUES (3)")
        for name in ("old_ana", "old_ben"):
            admin.execute(f"CREATE ROLE {name} LOGIN IN ROLE {LEARNER_GROUP}")
    base = pg_url.replace("postgres@", "{}@")
    with psycopg.connect(base.format("old_ana"), autocommit=True) as ana:
        ana.execute("INSERT INTO attempts (case_id, actions, score, pitfalls, schema_version, "
                    "package_version, submission_key) VALUES ('early_uncomplicated', "
                    "'[\"neuro_exam\"]', 0.5, '[]', 3, '0.1', gen_random_uuid())")
    idle = psycopg.connect(base.format("old_ana"))
    idle.execute("SELECT count(*) FROM attempts")  # and stays idle in its transaction
    idle_pid = idle.info.backend_pid
    outcome: dict[str, Any] = {}

    def run_upgrade() -> None:
        try:
            outcome["done"] = upgrade(pg_url, wait=3)
        except ProgressStoreError as exc:
            outcome["error"] = str(exc)

    reads = 0
    with psycopg.connect(base.format("old_ben"), autocommit=True) as ben:
        ben.execute("SET lock_timeout = '2s'")  # a read queued behind the upgrade would fail
        upgrading = threading.Thread(target=run_upgrade)
        upgrading.start()
        while upgrading.is_alive():
            ben.execute("SELECT count(*) FROM attempts").fetchone()
            reads += 1
            time.sleep(0.05)
        upgrading.join()
    assert reads >= 10
    assert "error" in outcome and f"session {idle_pid} (role old_ana" in outcome["error"]
    assert "no one was kept waiting" in outcome["error"]
    idle.rollback()
    idle.close()
    assert upgrade(pg_url, wait=3) == (3, 4)
    with open_store(base.format("old_ana")) as store:  # her role maps to her old rows
        assert [a.learner_id for a in store.all_attempts()] == ["old_ana"]
        store.record("old_ana", evaluate(load_case(CASE_ID), ["neuro_exam"]))
        assert len(store.attempts("old_ana")) == 2
