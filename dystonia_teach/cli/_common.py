"""What every verb shares: exit codes, help epilogs, loading a case and printing safely.

Everything a verb prints from a case file or a path goes through :func:`echo`, which shows
control characters and bidirectional overrides as escapes (``\x1b``, ``\u202e``): a hostile
file cannot clear the screen, retitle the window or reorder a line.
"""

from __future__ import annotations

import sys

import click

from dystonia_teach.casefiles.authoring import validation_summary
from dystonia_teach.casefiles.lints import terminal_safe
from dystonia_teach.casefiles.loader import CaseReport, load_case
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.errors import CaseInvalidError, CaseNotFoundError

EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def examples(*lines: str) -> str:
    """A click epilog listing examples verbatim (``\\b`` stops click re-wrapping them)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print ``text`` with its unsafe characters escaped (see the module docstring)."""
    click.echo(terminal_safe(text), err=err, nl=nl)


def load(case: str) -> Case:
    """Load a case for a command, or exit with the problem (2: not found, 1: invalid)."""
    try:
        return load_case(case)
    except CaseNotFoundError as err:
        echo(f"error: {err}", err=True)
        sys.exit(EXIT_USAGE)
    except CaseInvalidError as err:
        print_issues([CaseReport(err.path, None, list(err.issues))])
        sys.exit(EXIT_PROBLEMS)


def print_issues(reports: list[CaseReport]) -> None:
    for report in reports:
        for issue in report.issues:
            echo(str(issue))
    echo(validation_summary(reports))
