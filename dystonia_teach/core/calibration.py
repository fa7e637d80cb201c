"""Calibration across attempts: how often a learner was right at each certainty level.

Read from saved reasoning records (``ReasoningSession.record()``, as the store keeps them):
each record is one submission, and its last visit's ``certainty_marks`` are what that
submission marked. A resubmission of a visit (its ``attempts`` above 1) follows feedback on the
same work, so it is left out and counted apart. Plain Python over plain data: no engine, no
store, no plotting::

    table = calibration(attempt.record for attempt in store.attempts(learner))
    table.level("high").share_right, table.level("high").verdict
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dystonia_teach.core.certainty import LEVELS, best_certainty, cbm_mark

#: Fewer responses than this at a level: too few to say whether it was well used.
MIN_RESPONSES = 5


@dataclass(frozen=True)
class LevelRecord:
    """The responses given at one certainty level, how many were right, their marks."""

    certainty: str
    responses: int
    right: int
    marks: int

    @property
    def share_right(self) -> float | None:
        return self.right / self.responses if self.responses else None

    @property
    def mean_mark(self) -> float | None:
        return self.marks / self.responses if self.responses else None

    @property
    def verdict(self) -> str:
        """"well used", "too sure" or "not sure enough" (against CBM's thresholds), or
        "too few to judge"."""
        share = self.share_right
        if share is None or self.responses < MIN_RESPONSES:
            return "too few to judge"
        best = LEVELS.index(best_certainty(share))
        used = LEVELS.index(self.certainty)
        return "well used" if best == used else "too sure" if best < used else "not sure enough"


@dataclass(frozen=True)
class Calibration:
    """One row per certainty level (least sure first), with what was counted."""

    levels: tuple[LevelRecord, ...]
    submissions: int  # submissions counted (with at least one certainty said)
    resubmissions: int  # resubmissions of a visit left out

    def level(self, certainty: str) -> LevelRecord:
        return self.levels[LEVELS.index(certainty)]

    @property
    def responses(self) -> int:
        return sum(row.responses for row in self.levels)

    @property
    def marks(self) -> int:
        return sum(row.marks for row in self.levels)


def submitted_marks(record: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], bool]:
    """The certainty marks of the submission ``record`` was saved with (its last visit), and
    whether it was a resubmission of that visit."""
    visits = record.get("visits") or []
    last = visits[-1] if visits else {}
    return list(last.get("certainty_marks") or []), (last.get("attempts") or 1) > 1


def calibration(records: Iterable[Mapping[str, Any] | None]) -> Calibration:
    """Tally the certainty marks of saved submissions (``None``: an attempt saved without its
    reasoning, skipped)."""
    counts = {level: [0, 0, 0] for level in LEVELS}
    submissions = resubmissions = 0
    for record in records:
        marks, again = submitted_marks(record or {})
        if not marks:
            continue
        if again:
            resubmissions += 1
            continue
        submissions += 1
        for mark in marks:
            row = counts[mark["certainty"]]
            row[0] += 1
            row[1] += bool(mark["right"])
            row[2] += cbm_mark(mark["certainty"], bool(mark["right"]))
    return Calibration(tuple(LevelRecord(level, *counts[level]) for level in LEVELS),
                       submissions, resubmissions)
