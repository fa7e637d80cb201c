"""The ``dystonia-teach`` command: validate, create, preview and document case files.

A thin layer: it parses arguments, calls library functions that return reports, prints them and
maps the outcome to an exit status (0 fine, 1 problems in a case file, 2 usage error or no such
case). Bad case content is always reported as issues, never as a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .authoring import preview_text, schema_reference, validation_summary, write_new_case
from .case_model import Case
from .engine import evaluate
from .errors import ActionError, CaseInvalidError, CaseNotFoundError
from .loader import CaseReport, load_case, validate_paths
from .locate import bundled_cases_dir
from .render_text import assessment_text
from .vocabulary import DIAGNOSES

EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def _examples(*lines: str) -> str:
    """A click epilog listing examples verbatim (``\\b`` stops click re-wrapping them)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


@click.group(epilog=_examples(
    "dystonia-teach new-case early_disc_herniation",
    "dystonia-teach validate cases/",
    "dystonia-teach show early_disc_herniation",
    "dystonia-teach try early_disc_herniation neuro_exam naproxen=1000",
    "dystonia-teach schema > case-reference.md",
    "python -m dystonia_teach validate",
))
def cli() -> None:
    """Author and check dystonia_teach case files (YAML vignettes).

    Exit status: 0 when all is well, 1 when a case file has problems, 2 for a usage error or an
    unknown case.
    """


@cli.command(epilog=_examples(
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
        click.echo(f"no case files (*.yaml, *.yml) in {', '.join(map(str, targets))}", err=True)
        sys.exit(EXIT_PROBLEMS)
    _print_issues(reports)
    sys.exit(EXIT_PROBLEMS if any(r.issues for r in reports) else 0)


@cli.command("new-case", epilog=_examples(
    "dystonia-teach new-case early_disc_herniation",
    "dystonia-teach new-case young_onset_mimic --dir my_cases/",
))
@click.argument("case_id", metavar="ID")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write ID.yaml into, created if needed "
                   "[default: ./cases if it exists, else here].")
def new_case(case_id: str, folder: Path | None) -> None:
    """Write ID.yaml: a commented scaffold with every field, ready to fill in.

    The scaffold fails validation until its placeholders ("", ~ and required empty lists) are
    filled. An existing file is never overwritten.
    """
    if folder is None:
        folder = Path("cases") if Path("cases").is_dir() else Path(".")
    try:
        path = write_new_case(case_id, folder)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="ID") from None
    except FileExistsError:
        click.echo(f"error: {folder / f'{case_id}.yaml'} already exists; not overwriting it "
                   "(choose another ID or --dir)", err=True)
        sys.exit(EXIT_PROBLEMS)
    except OSError as err:
        click.echo(f"error: cannot write {folder / f'{case_id}.yaml'}: {err.strerror}", err=True)
        sys.exit(EXIT_PROBLEMS)
    click.echo(f"wrote {path}\nfill in its placeholders, then check it with:\n"
               f"  dystonia-teach validate {path}")


@cli.command(epilog=_examples(
    "dystonia-teach show early_uncomplicated",
    "dystonia-teach show cases/my_case.yaml",
))
@click.argument("case")
def show(case: str) -> None:
    """Preview a case (by id or file path) as an instructor: every stage, the facts, the
    results, the recommended pathway derived from the facts, and the evidence it cites."""
    click.echo(preview_text(_load(case)))


@cli.command("try", epilog=_examples(
    "dystonia-teach try early_uncomplicated history_red_flags neuro_exam naproxen=1000",
    "dystonia-teach try cases/my_case.yaml mri_lumbar_noncontrast --diagnosis polyneuropathy",
))
@click.argument("case")
@click.argument("steps", nargs=-1, metavar="STEP[=MG_PER_DAY]...")
@click.option("--diagnosis", type=click.Choice(DIAGNOSES), help="The learner's working diagnosis.")
def try_pathway(case: str, steps: tuple[str, ...], diagnosis: str | None) -> None:
    """Score a learner's pathway on a case, as the workbench would: the feedback for each step
    with its evidence, the score and the recommended pathway. A drug's daily dose in mg follows
    its step id after "=". Step ids: `dystonia-teach schema`."""
    loaded = _load(case)
    try:
        actions = [_action(step) for step in steps]
        assessment = evaluate(loaded, actions, working_diagnosis=diagnosis)
    except ActionError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(assessment_text(assessment))


def _action(text: str) -> str | dict[str, object]:
    step, sep, dose = text.partition("=")
    if not sep:
        return step
    try:
        return {"step": step, "dose_mg_per_day": float(dose)}
    except ValueError:
        raise ActionError(f"{step}: the dose after '=' must be a number of mg per day, "
                          f"not {dose!r}") from None


def _load(case: str) -> Case:
    """Load a case for a command, or exit with the problem (2: not found, 1: invalid)."""
    try:
        return load_case(case)
    except CaseNotFoundError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(EXIT_USAGE)
    except CaseInvalidError as err:
        _print_issues([CaseReport(err.path, None, list(err.issues))])
        sys.exit(EXIT_PROBLEMS)


@cli.command(epilog=_examples(
    "dystonia-teach schema",
    "dystonia-teach schema > case-reference.md",
))
def schema() -> None:
    """Print the case-file reference (Markdown), generated from the case model: every field
    with its type, whether it is required, its allowed values, then the step ids, evidence ids
    and issue codes."""
    click.echo(schema_reference(), nl=False)


def _print_issues(reports: list[CaseReport]) -> None:
    for report in reports:
        for issue in report.issues:
            click.echo(str(issue))
    click.echo(validation_summary(reports))


def main() -> None:
    """Entry point of the ``dystonia-teach`` script and ``python -m dystonia_teach``."""
    cli(prog_name="dystonia-teach")
