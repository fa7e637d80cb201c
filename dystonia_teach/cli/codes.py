"""`dystonia-teach codes`: the catalogue of finding and pitfall codes."""

from __future__ import annotations

import click

from dystonia_teach.cli._common import examples
from dystonia_teach.render.codes import codes_catalogue


@click.command(epilog=examples(
    "dystonia-teach codes",
    "dystonia-teach codes --markdown > docs/findings.md",
))
@click.option("--markdown", is_flag=True, help="Print Markdown (the text of docs/findings.md).")
def codes(markdown: bool) -> None:
    """Print every finding and pitfall code: what it means, its severity, what the learner is
    told, and its evidence with levels and verification status."""
    click.echo(codes_catalogue(markdown=markdown), nl=False)
