"""Chances at pitfalls in a frame of attempts (``store.to_frame()``), as boolean matrices.

An attempt is a *chance* at a pitfall when its case's facts make that pitfall possible
(:func:`~dystonia_teach.core.pitfall_chances.possible_pitfalls`), or when the attempt made it
anyway. The learner model and the item statistics both count from these matrices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from dystonia_teach.casefiles.loader import load_case
from dystonia_teach.core.errors import DystoniaTeachError
from dystonia_teach.core.knowledge import knowledge, on_knowledge_change
from dystonia_teach.core.pitfall_chances import possible_pitfalls

EPOCH = pd.Timestamp(0, tz="UTC")


@cache
def possible_at(case_id: str) -> frozenset[str] | None:
    """The pitfalls ``case_id`` makes possible (read once per process), or None when its case
    file is not available here."""
    try:
        return possible_pitfalls(load_case(case_id))
    except DystoniaTeachError:
        return None


on_knowledge_change(possible_at.cache_clear)


def pitfall_codes(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The knowledge base's pitfall codes in file order, then any other codes in ``extra`` (a
    code saved by an older release), sorted."""
    known = tuple(code for code, kind in knowledge().findings.items() if kind.pitfall)
    return known + tuple(sorted(set(extra) - set(known)))


def possible_table(frame: pd.DataFrame, case_ids: Iterable[str] = ()
                   ) -> dict[str, frozenset[str]]:
    """Case id -> the pitfalls it makes possible, for the frame's cases and ``case_ids``.

    A case whose file is not available here falls back to the pitfalls some attempt at it made
    (the only chances the frame can show)."""
    ids = dict.fromkeys([*frame["case_id"].unique().tolist(), *case_ids])
    table: dict[str, frozenset[str]] = {}
    for case_id in ids:
        found = possible_at(str(case_id))
        if found is None:
            made = frame.loc[frame["case_id"] == case_id, "pitfalls"]
            found = frozenset(code for codes in made for code in codes)
        table[str(case_id)] = found
    return table


@dataclass(frozen=True)
class AttemptChances:
    """The frame's attempts (rows, in frame order) against the pitfall codes (columns)."""

    codes: tuple[str, ...]
    #: Days since 1970 of each attempt (UTC), for spacing.
    day: np.ndarray
    #: True where the pitfall was possible at the attempt's case, or made.
    chance: np.ndarray
    #: True where the attempt made the pitfall.
    made: np.ndarray


def attempt_chances(frame: pd.DataFrame,
                    possible: Mapping[str, frozenset[str]] | None = None) -> AttemptChances:
    """The chance and made matrices of ``frame`` (``possible``: ``possible_table(frame)``)."""
    if possible is None:
        possible = possible_table(frame)
    pitfalls = frame["pitfalls"]
    keys, unique = pd.factorize(pitfalls.map(tuple), sort=False)
    codes = pitfall_codes(code for codes in unique for code in codes)
    column = {code: n for n, code in enumerate(codes)}
    made_rows = np.zeros((len(unique), len(codes)), dtype=bool)
    for row, found in enumerate(unique):
        made_rows[row, [column[c] for c in found]] = True
    case_keys, case_ids = pd.factorize(frame["case_id"], sort=False)
    possible_rows = np.zeros((len(case_ids), len(codes)), dtype=bool)
    for row, case_id in enumerate(case_ids):
        possible_rows[row, [column[c] for c in possible.get(case_id, ()) if c in column]] = True
    made = made_rows[keys] if len(frame) else np.zeros((0, len(codes)), dtype=bool)
    chance = (possible_rows[case_keys] | made) if len(frame) else made.copy()
    return AttemptChances(codes, attempt_days(frame), chance, made)


def attempt_days(frame: pd.DataFrame) -> np.ndarray:
    """Each attempt's time as days since 1970 (UTC), from ``submitted_at``."""
    if not len(frame):
        return np.zeros(0)
    stamps = pd.to_datetime(frame["submitted_at"], utc=True, format="ISO8601")
    return ((stamps - EPOCH) / pd.Timedelta(days=1)).to_numpy(dtype=float)
