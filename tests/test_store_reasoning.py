"""Store schema 3 on both backends: the reasoning saved with each attempt (and updated by the
debrief), one draft per learner and case, records of the wrong shape refused on the way in and
reported with their field on the way out (the row kept as it was), a v2 store upgraded in place,
row-level security for records and drafts on PostgreSQL, and the class exports on a store with
reasoning."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dystonia_teach import load_case
from dystonia_teach.cli import cli
from dystonia_teach.core.reasoning import ReasoningSession
from dystonia_teach.store import AttemptStore, ProgressStoreError, open_store, upgrade, upgrade_sql
from dystonia_teach.store.migrations import migrations
from dystonia_teach.store.replay import NOT_REBUILT, replay, resume
from dystonia_teach.store.sqlite import APPLICATION_ID, SCHEMA_VERSION

CASE_ID = "early_uncomplicated"
PROBLEM = "46-year-old man, 3 weeks of right leg pain, toes curl when walking"


def _worked(submit: bool = True) -> ReasoningSession:
    """A first visit reasoned through: problem, differential, a justified test, confidence."""
    session = ReasoningSession(load_case(CASE_ID))
    session.state_problem(PROBLEM)
    session.add("history_red_flags")
    session.add("neuro_exam")
    session.set_differential(["radiculopathy_dystonia", "isolated_dystonia"],
                             must_not_miss="cauda_equina_syndrome")
    session.order_test("emg_ncs", change="a root pattern would argue for radiculopathy",
                       target="radiculopathy_dystonia")
    session.set_confidence(70)
    if submit:
        session.submit()
    return session


def _plain(record: dict[str, object]) -> dict[str, Any]:
    return json.loads(json.dumps(record))


@contextmanager
def _raw(url: str) -> Iterator[Any]:
    """A plain connection to the store (superuser on PostgreSQL), autocommitting, closed after."""
    if url.startswith("postgresql://"):
        import psycopg

        conn: Any = psycopg.connect(url, autocommit=True)
    else:
        conn = sqlite3.connect(url.removeprefix("sqlite://"), isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def test_reasoning_is_saved_with_the_attempt_and_the_reflection_later(
        store: AttemptStore) -> None:
    session = _worked()
    assessment = session.reports[-1].assessment
    with_reasoning = store.record("stu_1", assessment, session.record())
    without = store.record("stu_1", assessment)
    first, second = store.attempts("stu_1")
    assert first.record == _plain(session.record()) and second.record is None
    assert first.record["differential"]["ranked"][0] == "radiculopathy_dystonia"

    session.debrief("I ordered the EMG before the history was done.")
    store.save_reasoning("stu_1", with_reasoning, session.record())
    again = store.attempts("stu_1")[0]
    assert again.record["reflection"] == "I ordered the EMG before the history was done."
    assert (again.score, again.actions, again.pitfalls) == (first.score, first.actions,
                                                            first.pitfalls)
    with pytest.raises(ProgressStoreError, match=f"no attempt {with_reasoning} of 'stu_2'"):
        store.save_reasoning("stu_2", with_reasoning, session.record())
    with pytest.raises(ProgressStoreError, match=r"record\.case_id"):  # another case's reasoning
        other = ReasoningSession(load_case("functional_dystonia_mimic"))
        store.save_reasoning("stu_1", without, other.record())
    assert store.attempts("stu_1")[1].record is None

    shown = replay(load_case(CASE_ID), again)  # the session rebuilt read-only
    assert shown.session is not None and shown.session.problem_statement == PROBLEM
    assert shown.session.reflection.startswith("I ordered the EMG")
    assert shown.session.tests[0].change == "a root pattern would argue for radiculopathy"
    assert shown.report is not None and shown.report.confidence.confidence == 70
    assert shown.assessment.score == first.score and shown.attempt_id == with_reasoning
    plain = replay(load_case(CASE_ID), store.attempts("stu_1")[1])
    assert plain.session is None and plain.report is None and plain.note == ""


def test_a_saved_record_this_version_cannot_replay_is_shown_without_its_reasoning(
        store: AttemptStore) -> None:
    session = _worked()
    record = _plain(session.record())
    record["visits"][0]["actions"].append("a_step_from_a_later_release")
    store.record("stu_1", session.reports[-1].assessment, record)
    shown = replay(load_case(CASE_ID), store.attempts("stu_1")[0])
    assert shown.session is None and shown.note.startswith(NOT_REBUILT)
    assert shown.assessment.score == session.reports[-1].assessment.score


def test_drafts_keep_unfinished_work_one_per_learner_and_case(store: AttemptStore) -> None:
    assert store.draft("stu_1", CASE_ID) is None
    session = _worked(submit=False)
    store.save_draft("stu_1", session.record())
    session.add("physical_therapy")
    store.save_draft("stu_1", session.record())  # replaces the earlier draft
    draft = store.draft("stu_1", CASE_ID)
    assert draft is not None and draft.record == _plain(session.record())
    assert draft.saved_at[:4].isdigit()
    assert store.draft("stu_2", CASE_ID) is None
    assert store.draft("stu_1", "functional_dystonia_mimic") is None
    resumed = resume(load_case(CASE_ID), draft)
    assert resumed.record() == session.record() and not resumed.submitted
    store.discard_draft("stu_1", CASE_ID)
    store.discard_draft("stu_1", CASE_ID)  # nothing left: no error
    assert store.draft("stu_1", CASE_ID) is None
    assert store.all_attempts() == []  # a draft is not an attempt


def _bad_records() -> list[tuple[dict[str, Any], str]]:
    good = _plain(_worked().record())
    no_change = json.loads(json.dumps(good))
    del no_change["visits"][0]["tests"][0]["change"]
    sure = {**good, "confidence": 150}
    dosed = json.loads(json.dumps(good))
    dosed["visits"][0]["actions"][0] = {"step": "naproxen", "dose_mg_per_day": "lots"}
    return [({"case_id": CASE_ID, "visits": "every one"}, "record.visits: is str, not a list"),
            (no_change, "record.visits[0].tests[0].change: is missing"),
            (sure, "record.confidence: is 150"),
            (dosed, "record.visits[0].actions[0].dose_mg_per_day: is 'lots', not a number"),
            ({**good, "format": 99}, "record.format: is 99"),
            (["not", "an", "object"], "record: is list, not an object")]


@pytest.mark.parametrize("index", range(6))
def test_a_record_of_the_wrong_shape_is_refused_naming_the_field_and_nothing_is_saved(
        store: AttemptStore, index: int) -> None:
    bad, field = _bad_records()[index]
    assessment = _worked().reports[-1].assessment
    with pytest.raises(ProgressStoreError, match="nothing was saved") as error:
        store.record("stu_1", assessment, bad)
    assert field in str(error.value)
    with pytest.raises(ProgressStoreError) as error:
        store.save_draft("stu_1", bad)
    assert field in str(error.value) or "record" in str(error.value)
    assert store.all_attempts() == [] and store.draft("stu_1", CASE_ID) is None


CORRUPT = {"case_id": CASE_ID, "visits": [{"actions": {"step": "neuro_exam"}}]}


def test_a_corrupt_stored_record_is_a_clear_error_and_loses_nothing(store_url: str) -> None:
    session = _worked()
    with open_store(store_url) as store:
        attempt_id = store.record("stu_1", session.reports[-1].assessment, session.record())
        store.save_draft("stu_1", session.record())
    corrupt = json.dumps(CORRUPT)
    with _raw(store_url) as raw:
        cast = "::jsonb" if store_url.startswith("postgresql") else ""
        mark = "%s" if cast else "?"
        raw.execute(f"UPDATE attempts SET record = {mark}{cast}", (corrupt,))
        raw.execute(f"UPDATE drafts SET record = {mark}{cast}", (corrupt,))
        before = [tuple(map(str, row)) for row in raw.execute(
            "SELECT id, record, score FROM attempts ORDER BY id").fetchall()]
    with open_store(store_url) as store:
        with pytest.raises(ProgressStoreError) as error:  # the learner's own view says so
            store.attempts("stu_1")
        message = str(error.value)
        assert f"attempt {attempt_id}" in message and "record.visits[0].actions" in message
        assert "Nothing was changed" in message
        assert store.all_attempts() == []  # the class view skips it, and names it:
        [named] = store.needing_attention
        assert named.what == f"attempt {attempt_id}" and named.learner_id == "stu_1"
        assert "record.visits[0].actions" in named.problem
        with pytest.raises(ProgressStoreError, match=r"draft .*\(record\.visits\[0\]\.actions"):
            store.draft("stu_1", CASE_ID)
        store.record("stu_2", session.reports[-1].assessment, session.record())  # still saves
        assert [a.learner_id for a in store.attempts("stu_2")] == ["stu_2"]
    with _raw(store_url) as raw:
        after = [tuple(map(str, row)) for row in raw.execute(
            "SELECT id, record, score FROM attempts ORDER BY id").fetchall()]
    assert after[:1] == before  # the damaged row is kept exactly as it was


def _v2_store(url: str) -> None:
    """A store as schema 2 left it, with two attempts (no record column, no drafts)."""
    postgres = url.startswith("postgresql")
    with _raw(url) as raw:
        for step in migrations("postgres" if postgres else "sqlite")[:2]:
            if postgres:
                raw.execute(step.sql.encode())
            else:
                for statement in step.statements():
                    raw.execute(statement)
        if postgres:
            raw.execute("INSERT INTO store_schema VALUES (2)")
        else:
            raw.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            raw.execute("PRAGMA user_version = 2")
        for score in (0.25, 0.75):
            columns = ("learner_id, case_id, submitted_at, actions, working_diagnosis, score, "
                       "pitfalls, schema_version, package_version")
            values = ["stu_1", CASE_ID, "2026-01-05T10:00:00+00:00", '["neuro_exam"]', None,
                      score, "[]", 2, "0.9"]
            if postgres:
                raw.execute(f"INSERT INTO attempts ({columns}, submission_key) VALUES "
                            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, gen_random_uuid())", values)
            else:
                raw.execute(f"INSERT INTO attempts ({columns}) VALUES "
                            "(?, ?, ?, ?, ?, ?, ?, ?, ?)", values)


def test_a_v2_store_upgrades_in_place_old_attempts_without_reasoning(store_url: str) -> None:
    _v2_store(store_url)
    sql = upgrade_sql(store_url)
    assert "ADD COLUMN record" in sql and "CREATE TABLE drafts" in sql
    assert "CREATE TABLE grades" not in sql  # only the step from 2 to 3
    if store_url.startswith("postgresql"):
        with pytest.raises(ProgressStoreError, match="store upgrade"):
            open_store(store_url)  # a server store waits for its administrator
    else:
        with open_store(store_url, read_only=True) as old:  # a reader reads v2 as it is
            assert [a.record for a in old.attempts("stu_1")] == [None, None]
            assert old.draft("stu_1", CASE_ID) is None
    assert upgrade(store_url) == (2, SCHEMA_VERSION)
    assert upgrade_sql(store_url) == ""
    session = _worked()
    with open_store(store_url) as store:
        old = store.attempts("stu_1")
        assert [(a.score, a.record, a.schema_version) for a in old] == [(0.25, None, 2),
                                                                        (0.75, None, 2)]
        new = store.record("stu_1", session.reports[-1].assessment, session.record())
        assert store.latest("stu_1", CASE_ID).record["problem_statement"] == PROBLEM
        assert store.latest("stu_1", CASE_ID).id == new
        store.save_draft("stu_1", session.record())
        assert store.draft("stu_1", CASE_ID) is not None
    if not store_url.startswith("postgresql"):
        backup = Path(store_url.removeprefix("sqlite://") + ".v2-backup")
        with open_store(backup, read_only=True) as copy:
            assert copy.schema_version() == 2 and len(copy.all_attempts()) == 2


def test_postgres_learners_keep_reasoning_and_drafts_only_in_their_own_rows(
        pg_url: str) -> None:
    import psycopg

    from dystonia_teach.store.postgres import provision_instructor, provision_learner

    urls = {name: provision_learner(pg_url, name) for name in ("learner_a", "learner_b")}
    session = _worked()
    assessment = session.reports[-1].assessment
    with open_store(urls["learner_a"]) as a, open_store(urls["learner_b"]) as b:
        mine = a.record("learner_a", assessment, session.record())
        theirs = b.record("learner_b", assessment, session.record())
        session.debrief("mine")
        a.save_reasoning("learner_a", mine, session.record())
        with pytest.raises(ProgressStoreError, match="no attempt"):
            a.save_reasoning("learner_a", theirs, session.record())
        a.save_draft("learner_a", session.record())
        b.save_draft("learner_b", session.record())
        assert a.draft("learner_b", CASE_ID) is None and b.attempts("learner_b")[0].record[
            "reflection"] is None
        with pytest.raises(ProgressStoreError):
            a.save_draft("learner_b", session.record())  # refused by row-level security
    with psycopg.connect(urls["learner_a"], autocommit=True) as raw:
        assert raw.execute("SELECT count(*) FROM drafts").fetchone() == (1,)
        hit = raw.execute("UPDATE attempts SET record = '{}'::jsonb WHERE learner_id = "
                          "'learner_b'")
        assert hit.rowcount == 0  # another learner's rows are invisible
        for attack in ("UPDATE attempts SET score = 0", "UPDATE attempts SET actions = '[]'",
                       "INSERT INTO drafts (learner_id, case_id, record) VALUES "
                       "('learner_b', 'x', '{}')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                raw.execute(attack)
    with open_store(provision_instructor(pg_url, "teacher_1")) as teacher:
        by_learner = {x.learner_id: x.record["reflection"] for x in teacher.all_attempts()}
        assert by_learner == {"learner_a": "mine", "learner_b": None}


def test_gradebook_and_xapi_exports_work_on_a_store_with_reasoning(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/class.sqlite3"
    session = _worked()
    session.debrief("PRIVATE-REFLECTION")
    with open_store(url) as store:
        for learner in ("owl_1", "owl_2"):
            store.record(learner, session.reports[-1].assessment, session.record())
        store.save_draft("owl_1", session.record())
        assert list(store.to_frame().columns)[-2:] == ["package_version", "case_digest"]
    runner = CliRunner()
    grades, statements = tmp_path / "grades.csv", tmp_path / "statements.json"
    result = runner.invoke(cli, ["export", "gradebook", "--store", url, "-o", str(grades),
                                 "--salt", "s3"])
    assert result.exit_code == 0, result.output
    assert len(list(csv.DictReader(grades.open(encoding="utf-8")))) == 2
    result = runner.invoke(cli, ["export", "xapi", "--store", url, "-o", str(statements),
                                 "--salt", "s3"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(statements.read_text(encoding="utf-8"))) >= 2
    for written in (grades, statements):
        text = written.read_text(encoding="utf-8")
        assert "PRIVATE-REFLECTION" not in text and PROBLEM not in text
