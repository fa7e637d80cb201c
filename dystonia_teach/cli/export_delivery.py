"""`dystonia-teach export html|fhir|cards`: static case pages, the algorithm as FHIR, feedback
as CDS Hooks cards.

The renderers are imported inside the commands: the page's flowchart needs plotly's module, which
other verbs should not pay for at start-up."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from dystonia_teach import __version__
from dystonia_teach.casefiles.loader import list_cases
from dystonia_teach.cli._common import EXIT_USAGE, examples, load
from dystonia_teach.cli.try_plan import _action
from dystonia_teach.core.engine import evaluate
from dystonia_teach.core.errors import ActionError


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        click.echo(f"error: cannot write {path}: {err.strerror}", err=True)
        sys.exit(EXIT_USAGE)


@click.command("html", epilog=examples(
    "dystonia-teach export html early_uncomplicated -o early_uncomplicated.html",
    "dystonia-teach export html --all -o pages/",
))
@click.argument("case", required=False)
@click.option("--all", "every", is_flag=True, help="One page per case of the bank, in folder -o.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The page to write (a folder with --all).")
def export_html(case: str | None, every: bool, output: Path) -> None:
    """Write a case (by id or file path) as one self-contained HTML page: vignette, recommended
    pathway with reasons, flowchart and evidence with levels. No script needed to read it."""
    if every == (case is not None):
        raise click.UsageError("give either a CASE or --all")
    from dystonia_teach.render.case_page import case_page, write_case_pages  # plotly: lazily

    if every:
        try:
            written = write_case_pages([load(case_id) for case_id in list_cases()], output)
        except OSError as err:
            click.echo(f"error: cannot write to {output}: {err.strerror}", err=True)
            sys.exit(EXIT_USAGE)
        click.echo(f"{len(written)} pages written to {output}")
        return
    _write(output, case_page(load(str(case))))
    click.echo(f"written {output}")


@click.command("fhir", epilog=examples("dystonia-teach export fhir -o bundle.json"))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The JSON file to write.")
def export_fhir(output: Path) -> None:
    """Write the algorithm (pathway blocks and checks of the knowledge base) as a FHIR R4
    PlanDefinition in a Bundle, each step citing its evidence with its level."""
    from dystonia_teach.render.fhir import bundle

    _write(output, json.dumps(bundle(__version__), indent=1, ensure_ascii=False) + "\n")
    click.echo(f"written {output}")


@click.command("cards", epilog=examples(
    "dystonia-teach export cards early_uncomplicated neuro_exam naproxen=1000 -o cards.json"))
@click.argument("case")
@click.argument("steps", nargs=-1, metavar="STEP[=MG_PER_DAY]...")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The JSON file to write.")
def export_cards(case: str, steps: tuple[str, ...], output: Path) -> None:
    """Write the feedback on a plan for a case as CDS Hooks cards (one per finding)."""
    from dystonia_teach.render.cds_cards import cards

    loaded = load(case)
    try:
        assessment = evaluate(loaded, [_action(step) for step in steps])
    except ActionError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(EXIT_USAGE)
    _write(output, json.dumps({"cards": cards(assessment)}, indent=1, ensure_ascii=False) + "\n")
    click.echo(f"written {output}")


COMMANDS = (export_html, export_fhir, export_cards)
