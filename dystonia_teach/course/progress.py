"""The package's progress bar: one tqdm helper, drawn on stderr so that results on stdout stay
clean for logs and pipes, and off with ``--no-progress`` or ``$DYSTONIA_TEACH_NO_PROGRESS``."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TypeVar

from tqdm import tqdm

NO_PROGRESS_VAR = "DYSTONIA_TEACH_NO_PROGRESS"
T = TypeVar("T")


def progress(items: Iterable[T] | None, what: str, total: int, enabled: bool = True,
             unit: str = "item") -> tqdm:
    """A bar over ``items`` (iterate it), or one advanced by hand (``bar.update()``) when
    ``items`` is None; silent when ``enabled`` is false or ``$DYSTONIA_TEACH_NO_PROGRESS`` is
    set."""
    disable = not enabled or bool(os.environ.get(NO_PROGRESS_VAR))
    return tqdm(items, desc=f"{what:<10}", total=total, file=sys.stderr, disable=disable,
                unit=unit, leave=True)
