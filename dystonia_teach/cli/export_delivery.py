"""`dystonia-teach export html|items|fhir|cards`: static case pages, printable key-feature
questions, the algorithm as FHIR, feedback as CDS Hooks cards.

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


@click.command("items", epilog=examples(
    "dystonia-teach export items nsaid_contraindicated_ckd cauda_equina_red_flags -o items.html",
    "dystonia-teach export items --all --key -o items-key.html",
))
@click.argument("cases", nargs=-1, metavar="[CASE]...")
@click.option("--all", "every", is_flag=True, help="Every case of the bank, in its order.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The page to write.")
@click.option("--key", is_flag=True,
              help="The instructor's version: each question's key answers and the answers "
                   "that score it 0, with their reasons and evidence levels. Without --key: "
                   "the students' version (stems, questions, answer lines; no key).")
def export_items(cases: tuple[str, ...], every: bool, output: Path, key: bool) -> None:
    """Write the key-feature questions of cases (by id or file path) as one printable HTML
    page for an exam: each visit's history and examination, then its 2 to 4 questions with
    the number of answers allowed. No script needed to read it."""
    if every == bool(cases):
        raise click.UsageError("give one or more CASE ids, or --all")
    from dystonia_teach.core.key_features import key_feature_items
    from dystonia_teach.render.key_features import item_set_html

    loaded = [load(case_id) for case_id in (list_cases() if every else cases)]
    _write(output, item_set_html(loaded, key=key))
    count = sum(len(key_feature_items(case)) for case in loaded)
    click.echo(f"written {output}: {count} questions on {len(loaded)} "
               f"case{'' if len(loaded) == 1 else 's'}, "
               + ("with the key" if key else "students' version (no key)"))


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


COMMANDS = (export_html, export_items, export_fhir, export_cards)
