"""Can an instructor trust a class's scores? How many of them a re-grading produced.

A learner's own connection writes the score saved with an attempt, so on a class store it could
be any number; ``dystonia-teach grade`` re-scores every attempt with the engine and
``store.to_frame()`` then uses the re-grade (its ``graded`` column says which). Reports and
exports state how many attempts were not re-graded, or were re-graded by another release.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING

from dystonia_teach.core.packs import packs_in_use
from dystonia_teach.store.base import AS_SUBMITTED, graded_label

if TYPE_CHECKING:  # pandas only with a frame: `dystonia-teach grade` does without it
    import pandas as pd

GRADE_COMMAND = "dystonia-teach grade"


def knowledge_version() -> str:
    """A fingerprint of the knowledge files in use: the package's, then each course pack's
    (``kb-`` + 12 hex digits of SHA-256); a grade records the knowledge it was judged with."""
    digest = hashlib.sha256()
    folder = files("dystonia_teach").joinpath("knowledge")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    for pack in packs_in_use()[1:]:
        for path in pack.files():
            digest.update(f"{pack.name}/{path.name}".encode() + b"\0" + path.read_bytes()
                          + b"\0")
    return f"kb-{digest.hexdigest()[:12]}"


def current_label() -> str:
    """The ``graded`` value a re-grading by this release and knowledge base writes."""
    from dystonia_teach import __version__

    return graded_label(__version__, knowledge_version())


@dataclass(frozen=True)
class GradingStatus:
    """Where a frame's scores come from: ``as_submitted`` attempts were never re-graded,
    ``earlier`` were re-graded by another release or knowledge base than ``current``."""

    attempts: int
    as_submitted: int
    earlier: int
    current: str

    @property
    def trusted(self) -> bool:
        """Every score is a re-grade by this release."""
        return self.as_submitted == 0 and self.earlier == 0

    def note(self) -> str:
        """One or two sentences for a report or an export's message ("" with no attempts)."""
        if not self.attempts:
            return ""
        total = f"{self.attempts} attempt{'s' if self.attempts > 1 else ''}"
        if self.as_submitted == self.attempts:
            none = f"None of {total} has" if self.attempts > 1 else "The 1 attempt has not"
            return (f"{none} been re-graded: scores are as saved at submission, which a "
                    f"learner's own connection could set. Run `{GRADE_COMMAND}` first.")
        if self.as_submitted:
            return (f"{self.as_submitted} of {total} {'was' if self.as_submitted == 1 else 'were'}"
                    " not re-graded: their scores are as saved at submission, which a learner's "
                    f"own connection could set. Run `{GRADE_COMMAND}` first.")
        every = f"All {total} were" if self.attempts > 1 else "The 1 attempt was"
        if self.earlier:
            return (f"{every} re-graded, {self.earlier} by another release than this one "
                    f"({self.current}). Run `{GRADE_COMMAND}` again for scores by this release.")
        return f"{every} re-graded ({self.current})."


def grading_status(frame: pd.DataFrame) -> GradingStatus:
    """Count the frame's attempts by where their scores come from; a frame without a
    ``graded`` column (not from ``store.to_frame()``) counts as not re-graded."""
    current = current_label()
    if "graded" not in frame.columns:
        return GradingStatus(len(frame), len(frame), 0, current)
    graded = frame["graded"].fillna(AS_SUBMITTED)
    as_submitted = int((graded == AS_SUBMITTED).sum())
    earlier = int(((graded != AS_SUBMITTED) & (graded != current)).sum())
    return GradingStatus(len(frame), as_submitted, earlier, current)


def not_regraded(frame: pd.DataFrame) -> pd.Series:
    """True for each attempt whose score is as submitted (not re-graded)."""
    import pandas as pd

    if "graded" not in frame.columns:
        return pd.Series(True, index=frame.index)
    return frame["graded"].fillna(AS_SUBMITTED) == AS_SUBMITTED


def changed_cases(frame: pd.DataFrame) -> dict[str, int]:
    """Per case changed since its attempts were re-graded: how many attempts were graded on an
    earlier version (their ``case_digest`` is not the current case's). Cases whose file is not
    available here, and grades that recorded no digest, are not counted."""
    from dystonia_teach.casefiles.digest import case_digest
    from dystonia_teach.casefiles.loader import load_case
    from dystonia_teach.core.errors import DystoniaTeachError

    if "case_digest" not in frame.columns:
        return {}
    graded = frame[frame["case_digest"].notna()]
    found = {}
    for case_id, digests in graded.groupby("case_id", sort=True)["case_digest"]:
        try:
            current = case_digest(load_case(str(case_id)))
        except DystoniaTeachError:
            continue
        stale = int((digests != current).sum())
        if stale:
            found[str(case_id)] = stale
    return found


def case_change_notes(frame: pd.DataFrame) -> list[str]:
    """One sentence per case changed after its attempts were graded."""
    return [f"{n} attempt{'s were' if n > 1 else ' was'} graded on an earlier version of case "
            f"{case_id}: run {GRADE_COMMAND}" for case_id, n in changed_cases(frame).items()]
