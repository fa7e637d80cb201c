"""`dystonia-teach report`: the class report (text on stdout, or one HTML file)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dystonia_teach.cli._common import EXIT_PROBLEMS, echo, examples
from dystonia_teach.cli._frames import pseudonym_salt, read_class, salt_option, store_option

if TYPE_CHECKING:
    from dystonia_teach.course.coordinator import Coordination
    from dystonia_teach.store import RowProblem


@click.command(epilog=examples(
    "dystonia-teach report --store sqlite:///srv/course/progress.sqlite3",
    "dystonia-teach report --store postgresql://instructor@db/course --html class.html",
    "dystonia-teach report --html class.html --pseudonymous --salt S3cret --roster roster.csv "
    "--assignments assignments.yaml",
))
@store_option
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the whole report, with figures, as one self-contained HTML file.")
@click.option("--title", default="Class report", show_default=True)
@click.option("--pass-mark", type=click.FloatRange(0, 1), default=0.8, show_default=True,
              help="Score from which a case counts as passed.")
@click.option("--pseudonymous", is_flag=True,
              help="Show learners by pseudonym, the same as `export gradebook` with the same "
                   "--salt: for a report you mail.")
@salt_option
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The class list (as `export gradebook` reads it): learners on it with no "
                   "attempt are listed among those who may need help.")
@click.option("--assignments", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The assignments YAML file (as `export gradebook` reads it): learners who "
                   "started fewer of its cases than were assigned are listed among those who "
                   "may need help.")
def report(store_url: str | None, html_path: Path | None, title: str, pass_mark: float,
           pseudonymous: bool, salt: str | None, roster: Path | None,
           assignments: Path | None) -> None:
    """What the class did: attempts and scores per case, learners who may need help (with the
    reasons), cases that may be faulty (with the command to check each), the pitfalls the class
    makes (where, how often, how they change over attempts), item statistics, and the paths
    through each case. Scores are the latest re-grades (`dystonia-teach grade`), else as
    submitted; the report says how many were not re-graded.

    Without --html, the report's text is printed; the HTML file adds the figures and opens in
    any browser without a network connection. Stored rows that cannot be read are left out and
    listed under "Rows needing attention".
    """
    from dystonia_teach.cli._frames import say_attention
    from dystonia_teach.course import dashboard
    from dystonia_teach.course.grading_status import case_change_notes, grading_status
    from dystonia_teach.render.files import OutputFileError

    used_salt = pseudonym_salt(False, salt) if pseudonymous else None
    frame, attention = read_class(store_url, used_salt)
    who = _coordination(roster, assignments, used_salt)
    attention = _pseudonymised(attention, used_salt)
    if html_path is not None:
        try:
            dashboard.write_report(frame, html_path, title, pass_mark, attention, who)
        except OutputFileError as exc:
            echo(f"error: {exc}", err=True)
            sys.exit(EXIT_PROBLEMS)
        echo(f"wrote {html_path} ({len(frame)} attempts)")
        if len(frame):
            echo(grading_status(frame).note())
            for note in case_change_notes(frame):
                echo(note)
        say_attention(attention, "the report")
        return
    echo(dashboard.report_text(frame, title, pass_mark, attention, who))


def _coordination(roster: Path | None, assignments: Path | None,
                  salt: str | None) -> Coordination:
    """The class list (pseudonymised with ``salt``) and the assignments, or exit 1 naming each
    problem of their files."""
    from dystonia_teach.core.errors import DystoniaTeachError
    from dystonia_teach.course.assignments import load_assignments
    from dystonia_teach.course.coordinator import Coordination
    from dystonia_teach.course.lms_gradebook import read_roster
    from dystonia_teach.store import pseudonym

    try:
        names = list(read_roster(roster)) if roster else []
        groups = load_assignments(assignments) if assignments else []
    except DystoniaTeachError as err:
        echo(f"error: {err}", err=True)
        sys.exit(EXIT_PROBLEMS)
    if salt is not None:
        names = [pseudonym(name, salt) for name in names]
    return Coordination(tuple(names), tuple(groups), pseudonymous=salt is not None)


def _pseudonymised(problems: list[RowProblem], salt: str | None) -> list[RowProblem]:
    """The unreadable rows with their learners' pseudonyms (the learner of a row too damaged
    to tell stays "?")."""
    from dystonia_teach.store import pseudonym

    if salt is None:
        return problems
    return [replace(p, learner_id=pseudonym(p.learner_id, salt)) if p.learner_id != "?" else p
            for p in problems]
