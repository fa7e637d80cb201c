"""`dystonia-teach report`: the class report (text on stdout, or one HTML file)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dystonia_teach.cli._common import EXIT_PROBLEMS, echo, examples
from dystonia_teach.cli._frames import read_class, store_option


@click.command(epilog=examples(
    "dystonia-teach report --store sqlite:///srv/course/progress.sqlite3",
    "dystonia-teach report --store postgresql://instructor@db/course --html class.html",
))
@store_option
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the whole report, with figures, as one self-contained HTML file.")
@click.option("--title", default="Class report", show_default=True)
@click.option("--pass-mark", type=click.FloatRange(0, 1), default=0.8, show_default=True,
              help="Score from which a case counts as passed.")
def report(store_url: str | None, html_path: Path | None, title: str, pass_mark: float) -> None:
    """What the class did: attempts and scores per case, the pitfalls it makes (where, how
    often, how they change over attempts), the common paths, and learners who may need help.
    Scores are the latest re-grades (`dystonia-teach grade`), else as submitted; the report
    says how many were not re-graded.

    Without --html, the report's text is printed; the HTML file adds the figures and opens in
    any browser without a network connection. Stored rows that cannot be read are left out and
    listed under "Rows needing attention".
    """
    from dystonia_teach.cli._frames import say_attention
    from dystonia_teach.course import dashboard
    from dystonia_teach.course.grading_status import case_change_notes, grading_status
    from dystonia_teach.render.files import OutputFileError

    frame, attention = read_class(store_url)
    if html_path is not None:
        try:
            dashboard.write_report(frame, html_path, title, pass_mark, attention)
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
    echo(dashboard.report_text(frame, title, pass_mark, attention))
