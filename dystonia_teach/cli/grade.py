"""`dystonia-teach grade`: re-score every stored attempt with the current engine."""

from __future__ import annotations

import sys

import click

from dystonia_teach.cli._common import EXIT_PROBLEMS, echo, examples
from dystonia_teach.cli.store import STORE_HELP
from dystonia_teach.store import ProgressStoreError, open_store


@click.command(epilog=examples(
    "dystonia-teach grade",
    "dystonia-teach grade --store postgresql://prof_x@db.example/course",
))
@click.option("--store", "url", metavar="URL", help=STORE_HELP)
@click.option("--progress/--no-progress", default=None,
              help="a progress bar on stderr (default: when stderr is a terminal)")
def grade(url: str | None, progress: bool | None) -> None:
    """Re-grade every stored attempt with this release's engine and knowledge base, saving
    each new score beside the versions and the case digest that produced it (the attempts are
    not changed). On PostgreSQL connect as an instructor. A stored row that cannot be read is
    left out and named (`dystonia-teach store quarantine` moves it aside). Exit 1 if some
    attempts could not be re-graded."""
    from dystonia_teach.course.grading import regrade  # tqdm: only when the verb runs

    try:
        with open_store(url) as opened:
            report = regrade(opened, progress=progress)
    except ProgressStoreError as exc:
        echo(f"error: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    for line in report.lines():
        echo(line)
    if report.skipped:
        sys.exit(EXIT_PROBLEMS)
