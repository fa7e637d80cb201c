"""`dystonia-teach show`: the instructor's preview of a case."""

from __future__ import annotations

import click

from dystonia_teach.cli._common import echo, examples, load
from dystonia_teach.render.text import preview_text


@click.command(epilog=examples(
    "dystonia-teach show early_uncomplicated",
    "dystonia-teach show cases/my_case.yaml",
))
@click.argument("case")
def show(case: str) -> None:
    """Preview a case (by id or file path) as an instructor: every stage, the facts, the
    results, the recommended pathway derived from the facts, and the evidence it cites."""
    echo(preview_text(load(case)))
