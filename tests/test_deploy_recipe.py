"""docs/deploy.md's class-database recipe, run as written on the test's PostgreSQL server: the
SQL block as the superuser, then everything else through the `course_admin` it makes (no
"permission denied for schema public" on PostgreSQL 15)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from dystonia_teach import evaluate, load_case
from dystonia_teach.cli import cli
from dystonia_teach.store import learner_id_for, open_store

from .store_fixtures import PgServer

DOC = Path(__file__).resolve().parent.parent / "docs" / "deploy.md"


def recipe_sql() -> str:
    """The first ```sql block under "The class database, once"."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### The class database, once"):]
    found = re.search(r"```sql\n(.*?)```", section, re.S)
    assert found, "docs/deploy.md has no SQL block under 'The class database, once'"
    return found.group(1)


@pytest.fixture
def recipe_database(pg_server: PgServer) -> Iterator[str]:
    """The doc's SQL run by the superuser; yields the course_admin URL it names; undone after."""
    sql = recipe_sql()
    password = re.search(r"PASSWORD '([^']+)'", sql).group(1)
    with psycopg.connect(pg_server.admin_url(), autocommit=True) as admin:
        for statement in filter(str.strip, sql.split(";")):  # CREATE DATABASE: one at a time
            admin.execute(statement.encode())
    try:
        yield f"postgresql://course_admin:{password}@127.0.0.1:{pg_server.port}/course"
    finally:
        with psycopg.connect(pg_server.admin_url(), autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS course WITH (FORCE)")
            admin.execute("DROP ROLE IF EXISTS course_admin")


def test_deploy_recipe_runs_as_written_on_postgresql_15(pg_server: PgServer,
                                                        recipe_database: str) -> None:
    with psycopg.connect(recipe_database) as conn:  # the recipe is for PostgreSQL 15 and later
        assert int(conn.execute("SHOW server_version_num").fetchone()[0]) >= 150000
    runner = CliRunner()
    learner = runner.invoke(cli, ["store", "provision", "--store", recipe_database,
                                  "--learner", "jane.doe"])
    assert learner.exit_code == 0, learner.output
    teacher = runner.invoke(cli, ["store", "provision", "--store", recipe_database,
                                  "--instructor", "dr.lee"])
    assert teacher.exit_code == 0, teacher.output
    with open_store(learner.stdout.strip()) as mine:
        saved = mine.record(learner_id_for("jane.doe"),
                            evaluate(load_case("early_uncomplicated"), ["neuro_exam"]))
    with open_store(teacher.stdout.strip()) as theirs:
        assert [(a.id, a.learner_id) for a in theirs.all_attempts()] == [
            (saved, learner_id_for("jane.doe"))]
    graded = runner.invoke(cli, ["grade", "--store", teacher.stdout.strip(), "--no-progress"])
    assert graded.exit_code == 0, graded.output
    current = runner.invoke(cli, ["store", "upgrade", "--store", recipe_database])
    assert current.exit_code == 0 and "up to date" in current.output
    with psycopg.connect(recipe_database) as conn:
        assert conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'attempts'"
                            ).fetchone() == ("course_admin",)
