"""`dystonia-teach validate`: check case files and folders."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dystonia_teach.casefiles.loader import validate_paths
from dystonia_teach.casefiles.locate import bundled_cases_dir
from dystonia_teach.cli._common import EXIT_PROBLEMS, echo, examples, print_issues


@click.command(epilog=examples(
    "dystonia-teach validate                    # the bundled cases",
    "dystonia-teach validate cases/",
    "dystonia-teach validate cases/my_case.yaml other/",
))
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check case files and folders (their *.yaml files) and report every problem at once.

    Each problem is one line, file:line: field.path: code: message (hint), followed by a
    summary. With no PATHS, the bundled cases are checked.
    """
    targets = list(paths) or [bundled_cases_dir()]
    reports = validate_paths(targets)
    if not reports:
        echo(f"no case files (*.yaml, *.yml) in {', '.join(map(str, targets))}", err=True)
        sys.exit(EXIT_PROBLEMS)
    print_issues(reports)
    sys.exit(EXIT_PROBLEMS if any(r.issues for r in reports) else 0)
