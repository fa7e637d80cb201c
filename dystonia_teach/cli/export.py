"""`dystonia-teach export`: the group of commands that write the course in other forms."""

from __future__ import annotations

import click


@click.group()
def export() -> None:
    """Write the course's data in other forms (pages, standards, reports)."""
