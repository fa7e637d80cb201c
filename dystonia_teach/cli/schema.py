"""`dystonia-teach schema`: the case-file reference in Markdown."""

from __future__ import annotations

import click

from dystonia_teach.casefiles.authoring import schema_reference
from dystonia_teach.cli._common import examples


@click.command(epilog=examples(
    "dystonia-teach schema",
    "dystonia-teach schema > case-reference.md",
))
def schema() -> None:
    """Print the case-file reference (Markdown), generated from the case model: every field
    with its type, whether it is required, its allowed values, then the step ids, evidence ids
    and issue codes."""
    click.echo(schema_reference(), nl=False)
