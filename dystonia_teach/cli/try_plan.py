"""`dystonia-teach try`: score a learner's plan on a case, as the workbench would."""

from __future__ import annotations

import sys

import click

from dystonia_teach.cli._common import EXIT_USAGE, echo, examples, load
from dystonia_teach.core.engine import evaluate
from dystonia_teach.core.errors import ActionError
from dystonia_teach.core.vocabulary import DIAGNOSES
from dystonia_teach.render.text import assessment_text


@click.command("try", epilog=examples(
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
    loaded = load(case)
    try:
        actions = [_action(step) for step in steps]
        assessment = evaluate(loaded, actions, working_diagnosis=diagnosis)
    except ActionError as err:
        echo(f"error: {err}", err=True)
        sys.exit(EXIT_USAGE)
    echo(assessment_text(assessment))


def _action(text: str) -> str | dict[str, object]:
    step, sep, dose = text.partition("=")
    if not sep:
        return step
    try:
        return {"step": step, "dose_mg_per_day": float(dose)}
    except ValueError:
        raise ActionError(f"{step}: the dose after '=' must be a number of mg per day, "
                          f"not {dose!r}") from None
