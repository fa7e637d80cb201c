"""What every verb shares: exit codes, help epilogs, loading a case and printing issues."""

from __future__ import annotations

import sys

import click

from dystonia_teach.casefiles.authoring import validation_summary
from dystonia_teach.casefiles.loader import CaseReport, load_case
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.errors import CaseInvalidError, CaseNotFoundError

EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def examples(*lines: str) -> str:
    """A click epilog listing examples verbatim (``\\b`` stops click re-wrapping them)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def load(case: str) -> Case:
    """Load a case for a command, or exit with the problem (2: not found, 1: invalid)."""
    try:
        return load_case(case)
    except CaseNotFoundError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(EXIT_USAGE)
    except CaseInvalidError as err:
        print_issues([CaseReport(err.path, None, list(err.issues))])
        sys.exit(EXIT_PROBLEMS)


def print_issues(reports: list[CaseReport]) -> None:
    for report in reports:
        for issue in report.issues:
            click.echo(str(issue))
    click.echo(validation_summary(reports))
