"""`dystonia-teach store`: upgrade an attempt store's schema, provision PostgreSQL roles."""

from __future__ import annotations

import sys

import click

from dystonia_teach.cli._common import EXIT_PROBLEMS, EXIT_USAGE, examples
from dystonia_teach.store import ProgressStoreError, upgrade, upgrade_sql

STORE_HELP = ("the store: postgresql://user@host/db, sqlite:///path or a file path "
              "(default: $DYSTONIA_TEACH_STORE, else the laptop's progress file)")


@click.group(epilog=examples(
    "dystonia-teach store upgrade --sql",
    "dystonia-teach store upgrade --store postgresql://admin@db.example/course",
    "dystonia-teach store provision --store postgresql://admin@db/course --learner alice",
))
def store() -> None:
    """Look after the attempt store (where learners' submissions are saved)."""


@store.command("upgrade", epilog=examples(
    "dystonia-teach store upgrade --sql",
    "dystonia-teach store upgrade --store ~/.dystonia_teach/progress.sqlite3",
))
@click.option("--store", "url", metavar="URL", help=STORE_HELP)
@click.option("--sql", "show_sql", is_flag=True,
              help="print the SQL the upgrade would run, and change nothing")
def upgrade_command(url: str | None, show_sql: bool) -> None:
    """Bring the store to this release's schema, keeping every attempt. An SQLite file is
    copied to <file>.v<N>-backup first; on PostgreSQL connect as the store's owner."""
    try:
        if show_sql:
            click.echo(upgrade_sql(url) or "-- the store is up to date: nothing to run")
            return
        before, after = upgrade(url)
    except ProgressStoreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    click.echo(f"store schema {before} -> {after}" if before != after
               else f"store schema {after}: up to date")


@store.command("provision", epilog=examples(
    "dystonia-teach store provision --store postgresql://admin@db/course --learner alice",
    "dystonia-teach store provision --store postgresql://admin@db/course --instructor prof_x",
))
@click.option("--store", "url", metavar="ADMIN_URL", required=True,
              help="an administrator's postgresql:// URL (may create roles)")
@click.option("--learner", help="create this learner's role (it sees only its own attempts)")
@click.option("--instructor", help="create this instructor's role (reads every attempt)")
def provision(url: str, learner: str | None, instructor: str | None) -> None:
    """Create a PostgreSQL login role with a new password and print the URL it connects with
    (give it to that user's server as DYSTONIA_TEACH_STORE; it contains the password)."""
    if (learner is None) == (instructor is None) or not url.startswith(("postgresql:",
                                                                          "postgres:")):
        click.echo("error: give a postgresql:// --store and exactly one of --learner or "
                   "--instructor", err=True)
        sys.exit(EXIT_USAGE)
    from dystonia_teach.store.postgres import provision_instructor, provision_learner

    try:
        made = (provision_learner(url, learner) if learner is not None
                else provision_instructor(url, str(instructor)))
    except (ProgressStoreError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    click.echo(made)
