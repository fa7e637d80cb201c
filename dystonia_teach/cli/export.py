"""`dystonia-teach export gradebook|xapi`: grades for an LMS, statements for an LRS."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dystonia_teach.cli._common import EXIT_PROBLEMS, echo, examples
from dystonia_teach.cli._frames import (
    SALT_VAR,
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

    from dystonia_teach.course.xapi import Statement

DEFAULT_HOMEPAGE = "https://jupyterhub.invalid"  # course.xapi.DEFAULT_HOMEPAGE (test-checked)

output_option = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                             required=True, help="File to write.")


@click.group(epilog=examples(
    "dystonia-teach export gradebook --store sqlite:///srv/progress.sqlite3 -o grades.csv",
    "dystonia-teach export xapi --store postgresql://instructor@db/course -o statements.json",
))
def export() -> None:
    """Export the class's attempts (gradebook CSV, or as Canvas or Moodle import it; xAPI
    statements) or a case's teaching material (a static HTML page, printable key-feature
    questions, the algorithm as a FHIR PlanDefinition, feedback as CDS Hooks cards).

    In class exports learner ids are pseudonyms unless --real-ids is given; the Canvas and
    Moodle layouts name learners by their LMS ids from --roster.
    """


def scores_note(frame: pd.DataFrame) -> None:
    """Say where the exported scores come from (how many were not re-graded)."""
    from dystonia_teach.course.grading_status import grading_status

    echo(grading_status(frame).note() or "no attempts")


@export.command(epilog=examples(
    "dystonia-teach export gradebook --store progress.sqlite3 -o grades.csv --real-ids",
    "dystonia-teach export gradebook -o grades.csv --roster class-list.txt --salt S3cret",
    "dystonia-teach export gradebook --format canvas --roster roster.csv -o canvas.csv",
    "dystonia-teach export gradebook --format moodle --roster roster.csv "
    "--assignments assignments.yaml -o moodle.csv",
))
@store_option
@output_option
@click.option("--format", "layout", type=click.Choice(["csv", "canvas", "moodle"]),
              default="csv", show_default=True,
              help="csv: best and last score and attempts per case, for the instructor; "
                   "canvas, moodle: that LMS's gradebook import layout, one column per "
                   "assignment, learners named by their LMS ids (needs --roster).")
@real_ids_option
@salt_option
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The class: one learner id a line, or a CSV with a 'learner' column and "
                   "their LMS ids (name, email, lms_user_id, sis_user_id, login_id, section), "
                   "as `dystonia-teach lti roster` writes it. Learners with no attempt get a "
                   "row too.")
@click.option("--case", "cases", multiple=True, metavar="ID",
              help="Only these cases, in this order (repeatable); default: every case tried.")
@click.option("--assignments", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="canvas, moodle: YAML file of assignments (groups of cases, one column "
                   "each); default: one column per case.")
def gradebook(store_url: str | None, output: Path, layout: str, real_ids: bool,
              salt: str | None, roster: Path | None, cases: tuple[str, ...],
              assignments: Path | None) -> None:
    """The class's grades: per case for the instructor (csv), or as Canvas or Moodle import
    them (canvas, moodle).

    csv: one row per learner, best and last score (%) and attempts per case. Scores are the
    latest re-grades (`dystonia-teach grade`); an attempt never re-graded counts with its
    score as submitted, and the column "attempts not re-graded" counts those. A case the
    learner never tried has empty score cells and 0 attempts.

    canvas, moodle: one row per learner of --roster, named by their LMS ids, one column per
    assignment (the mean of the best score at each of its cases, in %). Only scores re-graded
    by this release are written; other cells stay empty (the LMS then changes nothing).

    Cells a spreadsheet would run as formulas are neutralised.
    """
    if layout != "csv":
        lms_gradebook(store_url, output, layout, roster, cases, assignments)
        return
    from dystonia_teach.course.gradebook import gradebook as gradebook_table
    from dystonia_teach.course.gradebook import write_csv
    from dystonia_teach.course.lms_gradebook import IdMapError, read_roster
    from dystonia_teach.store import pseudonym

    salt = pseudonym_salt(real_ids, salt)
    frame, attention = read_class(store_url, salt)
    try:
        names = list(read_roster(roster)) if roster else []
    except IdMapError as err:
        echo(f"error: {err}", err=True)
        sys.exit(EXIT_PROBLEMS)
    if salt is not None:
        names = [pseudonym(name, salt) for name in names]
    table = gradebook_table(frame, roster=names, cases=cases or None)
    _write(output, lambda: write_csv(table, output))
    echo(f"wrote {output}: {len(table)} learners, "
         f"{len(cases) if cases else frame['case_id'].nunique()} cases")
    scores_note(frame[frame["case_id"].isin(cases)] if cases else frame)
    say_attention(attention, "the gradebook")


def lms_gradebook(store_url: str | None, output: Path, layout: str, roster: Path | None,
                  cases: tuple[str, ...], assignments: Path | None) -> None:
    """`export gradebook --format canvas|moodle`."""
    from dystonia_teach.core.errors import DystoniaTeachError
    from dystonia_teach.course.assignments import (
        assignment_scores,
        load_assignments,
        one_per_case,
    )
    from dystonia_teach.course.gradebook import write_csv
    from dystonia_teach.course.lms_gradebook import (
        canvas_gradebook,
        moodle_gradebook,
        read_roster,
    )

    if roster is None:
        click.echo(f"error: --format {layout} needs --roster, the id map of LMS ids (`dystonia-"
                   "teach lti roster -o roster.csv` writes it from the LMS launches)", err=True)
        sys.exit(EXIT_PROBLEMS)
    frame, attention = read_class(store_url)
    try:
        id_map = read_roster(roster)
        groups = (load_assignments(assignments) if assignments
                  else one_per_case(cases or sorted(frame["case_id"].unique())))
        make = canvas_gradebook if layout == "canvas" else moodle_gradebook
        book = make(assignment_scores(frame, groups), groups, id_map)
        write_csv(book.table, output)
    except (DystoniaTeachError, ValueError) as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(EXIT_PROBLEMS)
    click.echo(f"wrote {output}: {book.learners} learners, {len(groups)} assignments "
               f"({layout} import layout)")
    if book.pending:
        click.echo(f"{book.pending} scores left empty: their attempts are not re-graded by this "
                   "release. Run `dystonia-teach grade`, then export again.")
    if book.not_in_roster:
        click.echo(f"{len(book.not_in_roster)} learners with attempts are not in {roster} and "
                   f"were left out: {', '.join(book.not_in_roster[:10])}"
                   f"{', …' if len(book.not_in_roster) > 10 else ''}")
    for note in book.notes:
        click.echo(f"note: {note}")
    say_attention(attention, "the gradebook")


@export.command(epilog=examples(
    "dystonia-teach export xapi -o statements.json --homepage https://hub.example.edu",
    "DYSTONIA_TEACH_LRS_PASSWORD=… dystonia-teach export xapi -o s.json --salt S3cret "
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
@click.option("--lrs", "lrs_url", metavar="URL",
              help="Also bring this LRS in step: send new statements, and void those of "
                   "attempts re-graded or removed since (needs --salt or --real-ids).")
@click.option("--lrs-user", envvar="DYSTONIA_TEACH_LRS_USER", help="LRS basic-auth user.")
@click.option("--lrs-password", envvar="DYSTONIA_TEACH_LRS_PASSWORD",
              help="LRS basic-auth password (better: $DYSTONIA_TEACH_LRS_PASSWORD).")
@click.option("--ledger", envvar="DYSTONIA_TEACH_XAPI_LEDGER", metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Where what the LRS acknowledged is remembered (default "
                   "~/.dystonia_teach/xapi.sqlite3); keep it: it is how a re-graded "
                   "attempt's old statement is found and voided.")
@click.option("--dry-run", is_flag=True, help="With --lrs: say what would be sent; send nothing.")
@click.option("--batch-size", type=click.IntRange(1, 10000), default=100, show_default=True)
@click.option("--lrs-timeout", type=click.FloatRange(1, 3600), default=60, show_default=True,
              metavar="SECONDS", help="Longest time one batch may take, retries included.")
@click.option("--lrs-deadline", type=click.FloatRange(1, 86400), default=600, show_default=True,
              metavar="SECONDS", help="Longest time the whole posting may take.")
def xapi(store_url: str | None, output: Path, real_ids: bool, salt: str | None, homepage: str,
         pass_mark: float, lrs_url: str | None, lrs_user: str | None, lrs_password: str | None,
         ledger: Path | None, dry_run: bool, batch_size: int, lrs_timeout: float,
         lrs_deadline: float) -> None:
    """xAPI 1.0.3 statements, one per attempt (the learner completed the case, with the score
    and pitfalls), as JSON; each statement's id follows from its content.

    With --lrs the LRS is brought in step: statements it lacks are sent, a re-graded attempt
    gets a new statement and its old one is voided, as is the statement of an attempt removed
    from the store; the ledger remembers what the LRS acknowledged, so running the command
    again sends nothing new. Posting goes to that http(s) URL only (redirects are not followed,
    so the credentials go nowhere else), counts only when the LRS answers with the statements'
    ids, within --lrs-timeout per batch and --lrs-deadline in all.
    """
    from dystonia_teach.course.lrs import LrsError, lrs_target
    from dystonia_teach.course.reports import ReportError
    from dystonia_teach.course.xapi import check_homepage, class_statements, statements_json
    from dystonia_teach.render.files import write_text

    try:
        check_homepage(homepage)
        target = lrs_target(lrs_url)[0] if lrs_url else None
    except (ReportError, LrsError) as err:
        echo(f"error: {err}", err=True)
        sys.exit(EXIT_PROBLEMS)
    if lrs_url and not (real_ids or salt):
        echo(f"error: --lrs needs learner ids that stay the same from run to run: give the "
             f"course's --salt (or ${SALT_VAR}), or --real-ids; with one-off pseudonyms every "
             "run would record the class again as new learners", err=True)
        sys.exit(EXIT_PROBLEMS)
    frame, attention = read_class(store_url, pseudonym_salt(real_ids, salt))
    made = class_statements(frame, homepage, pass_mark)
    _write(output, lambda: write_text(output, statements_json(made)))
    echo(f"wrote {output}: {len(made)} statements of {len(frame)} attempts")
    scores_note(frame)
    say_attention(attention, "the statements")
    if target:
        _sync(made, str(lrs_url), homepage, ledger, dry_run,
              auth=(lrs_user or "", lrs_password or "") if lrs_user or lrs_password else None,
              batch_size=batch_size, timeout=lrs_timeout, deadline=lrs_deadline)


def _sync(made: list[Statement], lrs_url: str, homepage: str, ledger: Path | None, dry_run: bool,
          **post_options: object) -> None:
    """`export xapi --lrs`: bring the LRS in step, or exit 1 saying what to do."""
    from dystonia_teach.course.lrs import LrsError
    from dystonia_teach.course.xapi_ledger import DEFAULT_LEDGER, LedgerError, XapiLedger
    from dystonia_teach.course.xapi_sync import sync_statements

    path = ledger or DEFAULT_LEDGER
    try:
        with XapiLedger(path) as remembered:
            report = sync_statements(made, lrs_url, remembered, homepage, dry_run=dry_run,
                                     **post_options)
    except LedgerError as err:
        echo(f"error: {err}", err=True)
        sys.exit(EXIT_PROBLEMS)
    except LrsError as err:
        after = ("the same statements would be refused again" if err.status in (400, 409)
                 else "running the same command again sends only the rest")
        echo(f"error: {err}. What the LRS acknowledged is remembered in {path}; {after}.",
             err=True)
        sys.exit(EXIT_PROBLEMS)
    for line in report.lines():
        echo(line)


def _write(output: Path, write: Callable[[], object]) -> None:
    """Write an output file, or exit with status 1 and the reason (nothing left behind)."""
    from dystonia_teach.render.files import OutputFileError

    try:
        write()
    except OutputFileError as err:
        echo(f"error: {err}", err=True)
        sys.exit(EXIT_PROBLEMS)
