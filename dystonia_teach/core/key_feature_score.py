"""Scoring a key-feature question as Page & Bordage do: the share of its keys given, and 0
when more answers are given than allowed or any answer is a killer option. A case scores the
mean of its questions.

    score_item(item, ["acetaminophen"]).score     # 1.0 where acetaminophen is the key
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dystonia_teach.core.key_features import Key, KeyFeatureItem, Killer


@dataclass(frozen=True, slots=True)
class ItemScore:
    """One question answered: what was given, which keys and killers it holds, its score."""

    item: KeyFeatureItem
    answers: tuple[str, ...]
    keys_given: tuple[Key, ...]
    killers_given: tuple[Killer, ...]
    score: float

    @property
    def too_many(self) -> bool:
        return len(self.answers) > self.item.allowed

    @property
    def keys_missed(self) -> tuple[Key, ...]:
        return tuple(k for k in self.item.keys if k not in self.keys_given)


def score_item(item: KeyFeatureItem, answers: Sequence[str]) -> ItemScore:
    """``answers`` (answer ids of the item's menu; a repeat counts once) scored: keys given /
    keys, or 0 for more answers than allowed or any killer."""
    given = tuple(dict.fromkeys(answers))
    keys = tuple(k for k in item.keys if set(k.options) & set(given))
    killers = tuple(k for k in item.killers if k.option in given)
    spoilt = len(given) > item.allowed or bool(killers)
    return ItemScore(item, given, keys, killers,
                     0.0 if spoilt else len(keys) / len(item.keys))


def mean_score(scores: Iterable[ItemScore]) -> float | None:
    """The mean of the questions' scores (a case's score); None for no question."""
    values = [s.score for s in scores]
    return sum(values) / len(values) if values else None
