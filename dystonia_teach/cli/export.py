"""`dystonia-teach export gradebook|xapi`: grades for an LMS, statements for an LRS."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dystonia_teach.cli._common import EXIT_PROBLEMS, echo, examples
from dystonia_teach.cli._frames import (
    pseudonym_salt,
    read_class,
    real_ids_option,
    salt_option,
    say_attention,
    store_option,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

DEFAULT_HOMEPAGE = "https://jupyterhub.invalid"  # course.xapi.DEFAULT_HOMEPAGE (test-checked)

output_option = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                             required=True, help="File to write.")


@click.group(epilog=examples(
    "dystonia-teach export gradebook --store sqlite:///srv/progress.sqlite3 -o grades.csv",
    "dystonia-teach export xapi --store postgresql://instructor@db/course -o statements.json",
))
def export() -> None:
    """Export the class's attempts (gradebook CSV, xAPI statements) or a case's teaching
    material (a static HTML page, the algorithm as a FHIR PlanDefinition, feedback as CDS Hooks
    cards).

    In class exports learner ids are pseudonyms unless --real-ids is given (an LMS import needs
    real ids).
    """


def scores_note(frame: pd.DataFrame) -> None:
    """Say where the exported scores come from (how many were not re-graded)."""
    from dystonia_teach.course.grading_status import grading_status

    echo(grading_status(frame).note() or "no attempts")


@export.command(epilog=examples(
    "dystonia-teach export gradebook --store progress.sqlite3 -o grades.csv --real-ids",
    "dystonia-teach export gradebook -o grades.csv --roster class-list.txt --salt S3cret",
))
@store_option
@output_option
@real_ids_option
@salt_option
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File with one learner id a line: learners with no attempt get a row too "
                   "(pseudonymised like the others unless --real-ids).")
@click.option("--case", "cases", multiple=True, metavar="ID",
              help="Only these cases, in this order (repeatable); default: every case tried.")
def gradebook(store_url: str | None, output: Path, real_ids: bool, salt: str | None,
              roster: Path | None, cases: tuple[str, ...]) -> None:
    """One row per learner: best and last score (%) and attempts per case.

    Scores are the latest re-grades (`dystonia-teach grade`); an attempt never re-graded counts
    with its score as submitted, and the column "attempts not re-graded" counts those. A case
    the learner never tried has empty score cells and 0 attempts. Cells a spreadsheet would run
    as formulas are neutralised.
    """
    from dystonia_teach.course.gradebook import gradebook as gradebook_table
    from dystonia_teach.course.gradebook import write_csv
    from dystonia_teach.store import pseudonym

    salt = pseudonym_salt(real_ids, salt)
    frame, attention = read_class(store_url, salt)
    names = [line.strip() for line in roster.read_text(encoding="utf-8").splitlines()
             if line.strip()] if roster else []
    if salt is not None:
        names = [pseudonym(name, salt) for name in names]
    table = gradebook_table(frame, roster=names, cases=cases or None)
    _write(output, lambda: write_csv(table, output))
    echo(f"wrote {output}: {len(table)} learners, "
         f"{len(cases) if cases else frame['case_id'].nunique()} cases")
    scores_note(frame[frame["case_id"].isin(cases)] if cases else frame)
    say_attention(attention, "the gradebook")


@export.command(epilog=examples(
    "dystonia-teach export xapi -o statements.json --homepage https://hub.example.edu",
    "DYSTONIA_TEACH_LRS_PASSWORD=… dystonia-teach export xapi -o s.json "
    "--lrs https://lrs.example.edu/xapi --lrs-user course",
))
@store_option
@output_option
@real_ids_option
@salt_option
@click.option("--homepage", default=DEFAULT_HOMEPAGE, show_default=True,
              help="URL of the system the learner accounts belong to (e.g. the JupyterHub).")
@click.option("--pass-mark", type=click.FloatRange(0, 1), default=0.8, show_default=True,
              help="Score from which an attempt counts as a success.")
@click.option("--lrs", "lrs_url", metavar="URL", help="Also POST the statements to this LRS.")
@click.option("--lrs-user", envvar="DYSTONIA_TEACH_LRS_USER", help="LRS basic-auth user.")
@click.option("--lrs-password", envvar="DYSTONIA_TEACH_LRS_PASSWORD",
              help="LRS basic-auth password (better: $DYSTONIA_TEACH_LRS_PASSWORD).")
@click.option("--batch-size", type=click.IntRange(1, 10000), default=100, show_default=True)
@click.option("--lrs-timeout", type=click.FloatRange(1, 3600), default=60, show_default=True,
              metavar="SECONDS", help="Longest time one batch may take, retries included.")
@click.option("--lrs-deadline", type=click.FloatRange(1, 86400), default=600, show_default=True,
              metavar="SECONDS", help="Longest time the whole posting may take.")
def xapi(store_url: str | None, output: Path, real_ids: bool, salt: str | None, homepage: str,
         pass_mark: float, lrs_url: str | None, lrs_user: str | None, lrs_password: str | None,
         batch_size: int, lrs_timeout: float, lrs_deadline: float) -> None:
    """xAPI 1.0.3 statements (attempted, answered, completed) of every attempt, as JSON.

    With --lrs they are also posted: to that http(s) URL only (redirects are not followed, so
    the credentials go nowhere else), counted as stored only when the LRS answers with their
    ids, within --lrs-timeout per batch and --lrs-deadline in all.
    """
    from dystonia_teach.course.lrs import LrsError, lrs_target, post_statements
    from dystonia_teach.course.reports import ReportError
    from dystonia_teach.course.xapi import check_homepage, statements
    from dystonia_teach.render.files import write_text

    try:
        check_homepage(homepage)
        target = lrs_target(lrs_url)[0] if lrs_url else None
    except (ReportError, LrsError) as err:
        echo(f"error: {err}", err=True)
        sys.exit(EXIT_PROBLEMS)
    frame, attention = read_class(store_url, pseudonym_salt(real_ids, salt))
    made = statements(frame, homepage, pass_mark)
    _write(output, lambda: write_text(output, json.dumps(made, ensure_ascii=False,
                                                         separators=(",", ":"))))
    echo(f"wrote {output}: {len(made)} statements of {len(frame)} attempts")
    scores_note(frame)
    say_attention(attention, "the statements")
    if lrs_url:
        auth = (lrs_user or "", lrs_password or "") if lrs_user or lrs_password else None
        try:
            sent = post_statements(made, lrs_url, auth=auth, batch_size=batch_size,
                                   timeout=lrs_timeout, deadline=lrs_deadline)
        except LrsError as err:
            echo(f"error: {err}", err=True)
            sys.exit(EXIT_PROBLEMS)
        echo(f"posted {sent} statements to {target}")


def _write(output: Path, write: Callable[[], object]) -> None:
    """Write an output file, or exit with status 1 and the reason (nothing left behind)."""
    from dystonia_teach.render.files import OutputFileError

    try:
        write()
    except OutputFileError as err:
        echo(f"error: {err}", err=True)
        sys.exit(EXIT_PROBLEMS)
