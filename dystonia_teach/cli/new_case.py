"""`dystonia-teach new-case`: write a commented scaffold for a new case."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dystonia_teach.casefiles.authoring import write_new_case
from dystonia_teach.cli._common import EXIT_PROBLEMS, examples


@click.command("new-case", epilog=examples(
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
