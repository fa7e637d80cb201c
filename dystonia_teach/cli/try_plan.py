"""`dystonia-teach try`: score a learner's plan on a case, as the workbench would."""

from __future__ import annotations

import sys

import click

from dystonia_teach.cli._common import EXIT_USAGE, echo, examples, load
from dystonia_teach.core.engine import evaluate
from dystonia_teach.core.errors import ActionError
from dystonia_teach.core.visits import case_at_visit, visit_count
from dystonia_teach.render.text import assessment_text


@click.command("try", epilog=examples(
    "dystonia-teach try early_uncomplicated history_red_flags neuro_exam naproxen=1000",
    "dystonia-teach try cauda_equina_red_flags neuro_exam mri_lumbar_noncontrast!urgent",
    "dystonia-teach try cases/my_case.yaml mri_lumbar_noncontrast --diagnosis polyneuropathy",
    "dystonia-teach try disc_herniation_after_trial --visit 2 postoperative_rehabilitation",
    "dystonia-teach try early_uncomplicated --visit 2 --earlier mri_lumbar_noncontrast "
    "microdiscectomy",
))
@click.argument("case")
@click.argument("steps", nargs=-1, metavar="STEP[=MG_PER_DAY]...")
@click.option("--diagnosis", metavar="DIAGNOSIS",
              help="The learner's working diagnosis: an id of the knowledge's diagnoses (the "
                   "package's, and a course pack's beside the case).")
@click.option("--visit", type=click.IntRange(min=1), default=1, show_default=True,
              help="Score the plan at this visit (1 = the first; later ones are the case's "
                   "`visits:` entries, their facts applied in order).")
@click.option("--earlier", "earlier", multiple=True, metavar="STEP",
              help="A test ordered at an earlier visit (repeat for each): its result is known "
                   "at this visit.")
def try_pathway(case: str, steps: tuple[str, ...], diagnosis: str | None, visit: int,
                earlier: tuple[str, ...]) -> None:
    """Score a learner's pathway on a case, as the workbench would: the feedback for each step
    with its evidence, the score and the recommended pathway. A drug's daily dose in mg follows
    its step id after "="; an urgent order is written STEP!urgent. Step ids: `dystonia-teach
    schema`."""
    loaded = load(case)
    if visit > visit_count(loaded):
        echo(f"error: {case} has {visit_count(loaded)} visit(s); there is no visit {visit}",
             err=True)
        sys.exit(EXIT_USAGE)
    at_visit = case_at_visit(loaded, visit - 1)
    try:
        actions = [_action(step) for step in steps]
        assessment = evaluate(at_visit, actions, working_diagnosis=diagnosis,
                              earlier=list(earlier))
    except ActionError as err:
        echo(f"error: {err}", err=True)
        sys.exit(EXIT_USAGE)
    if visit_count(loaded) > 1:
        later = (f" (--visit {visit + 1} scores a plan at the next visit)"
                 if visit < visit_count(loaded) else "")
        echo(f"Visit {visit} of {visit_count(loaded)}, week {at_visit.course.symptom_weeks:g}"
             f"{later}")
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
