"""What the instructor verbs share: reading the attempts frame from a store, pseudonymised.

The instructor verbs import pandas, plotly and nbformat only when they run, so that every
``dystonia-teach`` command starts as fast as ``validate`` needs to.
"""

from __future__ import annotations

import secrets
import sys
from typing import TYPE_CHECKING

import click

from dystonia_teach.cli._common import EXIT_PROBLEMS, echo

if TYPE_CHECKING:
    import pandas as pd

    from dystonia_teach.store import RowProblem

SALT_VAR = "DYSTONIA_TEACH_COURSE_SALT"

store_option = click.option(
    "--store", "store_url", metavar="URL",
    help="postgresql://…, sqlite:///path or a file path (default: $DYSTONIA_TEACH_STORE, "
         "else the laptop's progress file).")
real_ids_option = click.option(
    "--real-ids", is_flag=True,
    help="Keep the learners' ids as stored (e.g. hub user names) instead of pseudonyms.")
salt_option = click.option(
    "--salt", envvar=SALT_VAR, metavar="TEXT",
    help=f"Course salt for stable pseudonyms across exports (or ${SALT_VAR}); without it "
         "the pseudonyms are random for this export.")


def pseudonym_salt(real_ids: bool, salt: str | None) -> str | None:
    """The salt for pseudonyms (None: keep real ids); a one-off one, with a note, if none was
    given."""
    if real_ids:
        return None
    if not salt:
        click.echo(f"note: learner ids are pseudonyms with a one-off salt; pass --salt (or "
                   f"${SALT_VAR}) to keep them the same across exports", err=True)
        return secrets.token_hex(16)
    return salt


def read_class(store_url: str | None,
               salt: str | None = None) -> tuple[pd.DataFrame, list[RowProblem]]:
    """Every readable attempt in the store, read-only (learner ids pseudonymised when ``salt``
    is given), and the stored rows that could not be read.

    A store that cannot be opened exits with status 1 and the store's own message.
    """
    from dystonia_teach.store import ProgressStoreError, open_store

    try:
        with open_store(store_url, read_only=True) as store:
            return store.to_frame(salt=salt), store.needing_attention
    except ProgressStoreError as err:
        echo(f"error: {err}", err=True)
        sys.exit(EXIT_PROBLEMS)


def say_attention(problems: list[RowProblem], left_out_of: str) -> None:
    """Print the "rows needing attention" section (nothing when every row was read)."""
    from dystonia_teach.course.attention import attention_text

    if problems:
        echo(attention_text(problems, left_out_of))


def read_frame(store_url: str | None, salt: str | None = None) -> pd.DataFrame:
    """:func:`read_class`'s attempts, after printing its "rows needing attention" (if any)."""
    frame, attention = read_class(store_url, salt)
    say_attention(attention, "this run")
    return frame
