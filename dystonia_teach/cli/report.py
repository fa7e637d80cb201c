"""`dystonia-teach report`: the class report (text on stdout, or one HTML file)."""

from __future__ import annotations

from pathlib import Path

import click

from dystonia_teach.cli._common import examples
from dystonia_teach.cli._frames import read_frame, store_option


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
    any browser without a network connection.
    """
    from dystonia_teach.course import dashboard
    from dystonia_teach.course.grading_status import grading_status

    frame = read_frame(store_url)
    if html_path is not None:
        dashboard.write_report(frame, html_path, title, pass_mark)
        click.echo(f"wrote {html_path} ({len(frame)} attempts)")
        if len(frame):
            click.echo(grading_status(frame).note())
        return
    click.echo(dashboard.report_text(frame, title, pass_mark))
