"""`dystonia-teach store`: upgrade an attempt store's schema, provision PostgreSQL roles, move a
row that cannot be read aside."""

from __future__ import annotations

import sys

import click

from dystonia_teach.cli._common import EXIT_PROBLEMS, EXIT_USAGE, echo, examples
from dystonia_teach.store import ProgressStoreError, open_store, upgrade, upgrade_sql

STORE_HELP = ("the store: postgresql://user@host/db, sqlite:///path or a file path "
              "(default: $DYSTONIA_TEACH_STORE, else the laptop's progress file)")


@click.group(epilog=examples(
    "dystonia-teach store upgrade --sql",
    "dystonia-teach store upgrade --store postgresql://admin@db.example/course",
    "dystonia-teach store provision --store postgresql://admin@db/course --learner alice",
    "dystonia-teach store quarantine --store postgresql://prof_x@db/course 1234",
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
@click.option("--wait", type=click.FloatRange(0.1, 3600), default=30, show_default=True,
              metavar="SECONDS", help="PostgreSQL: how long to keep trying while other sessions "
                                      "hold the store's tables (learners are never kept waiting)")
def upgrade_command(url: str | None, show_sql: bool, wait: float) -> None:
    """Bring the store to this release's schema, keeping every attempt. An SQLite file is
    copied to <file>.v<N>-backup first; on PostgreSQL connect as the store's owner. If other
    sessions hold the store's tables for --wait seconds, nothing is changed and they are
    named."""
    try:
        if show_sql:
            click.echo(upgrade_sql(url) or "-- the store is up to date: nothing to run")
            return
        before, after = upgrade(url, wait=wait)
    except ProgressStoreError as exc:
        echo(f"error: {exc}", err=True)
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


@store.command("quarantine", epilog=examples(
    "dystonia-teach store quarantine --store postgresql://prof_x@db/course 1234",
    "dystonia-teach store quarantine --store progress.sqlite3 1234 --delete",
))
@click.option("--store", "url", metavar="URL", help=STORE_HELP)
@click.argument("attempt_ids", metavar="ATTEMPT_ID...", type=int, nargs=-1, required=True)
@click.option("--reason", default="cannot be read by the reading tools", show_default=True,
              help="Why, kept beside the row.")
@click.option("--delete", is_flag=True, help="Drop the rows instead of keeping them aside.")
def quarantine(url: str | None, attempt_ids: tuple[int, ...], reason: str, delete: bool) -> None:
    """Move attempts out of the class's attempts (as `report`, `grade` and the exports name
    them under "Rows needing attention"), with their grades. Each row is kept as it was saved
    in the store's quarantine table, unless --delete. On PostgreSQL connect as an
    instructor."""
    try:
        with open_store(url) as opened:
            for attempt_id in attempt_ids:
                moved = opened.quarantine(attempt_id, reason, delete=delete)
                echo(moved.line())
    except ProgressStoreError as exc:
        echo(f"error: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
