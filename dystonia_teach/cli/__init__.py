"""The ``dystonia-teach`` command: validate, create, preview and document case files.

A thin layer: it parses arguments, calls library functions that return reports, prints them and
maps the outcome to an exit status (0 fine, 1 problems in a case file, 2 usage error or no such
case). Bad case content is always reported as issues, never as a traceback.
"""

from __future__ import annotations

import click

from dystonia_teach.cli._common import examples
from dystonia_teach.cli.codes import codes
from dystonia_teach.cli.export import export
from dystonia_teach.cli.export_delivery import COMMANDS as DELIVERY_EXPORTS
from dystonia_teach.cli.grade import grade
from dystonia_teach.cli.lti import lti
from dystonia_teach.cli.new_case import new_case
from dystonia_teach.cli.release import release
from dystonia_teach.cli.report import report
from dystonia_teach.cli.schema import schema
from dystonia_teach.cli.show import show
from dystonia_teach.cli.store import store
from dystonia_teach.cli.try_plan import try_pathway
from dystonia_teach.cli.validate import validate


@click.group(epilog=examples(
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


for _command in (validate, new_case, show, try_pathway, schema, codes, report, export,
                 release, store, grade, lti):
    cli.add_command(_command)
for _command in DELIVERY_EXPORTS:
    export.add_command(_command)


def main() -> None:
    """Entry point of the ``dystonia-teach`` script and ``python -m dystonia_teach``."""
    cli(prog_name="dystonia-teach")
