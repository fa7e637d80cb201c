"""Item statistics for the class report: which cases and pitfalls separate strong learners
from weak ones, in classical test theory's terms (the figures Moodle's question bank shows).

The "test" is each learner's *first* attempt at each case (later attempts follow feedback).
Items are ``(kind, id)`` pairs with a score from 0 to 1 per learner:

- ``("case", case_id)``: the first attempt's score;
- ``("pitfall", code)``: the share of the learner's first attempts, at cases where the pitfall
  was possible, that avoided it.

A later kind (the decisions of a case) adds its rows to :func:`item_scores`' table. For each
item, within its kind:

- **difficulty**: the mean score (for right/wrong items, the share right);
- **discrimination**: the point-biserial (Pearson) correlation of the item's score with the
  learner's mean score on the *other* items of its kind, with a 95% interval (Fisher's z);
- **upper-lower index**: the item's mean score in the 27% of learners with the highest rest
  score minus that in the 27% with the lowest (Kelley); learners tied at a group's edge share
  its last places;
- **reliability** of each kind's item set: Cronbach's alpha (KR-20 for right/wrong items), from
  the items' pairwise covariances, so a learner who skipped a case still counts.

An item is flagged when its discrimination is negative or below ``NEAR_ZERO`` (Ebel's rule of
thumb calls an index under 0.2 poor), or when every learner scored it alike; no item is judged
with fewer than ``MIN_LEARNERS`` learners.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from markupsafe import Markup

from dystonia_teach.course.chances import attempt_chances
from dystonia_teach.course.reports import case_title, check_frame, pitfall_label
from dystonia_teach.render.item_stats import TOO_FEW, item_stats_html, item_stats_text

#: Learners an item needs before its discrimination is judged.
MIN_LEARNERS = 20
#: A discrimination below this (and not negative) is flagged as near zero.
NEAR_ZERO = 0.2
#: The share of learners in each of the upper and lower groups (Kelley's 27%).
GROUP_SHARE = 0.27
Z_95 = 1.959964
SCORE_COLUMNS = ("learner_id", "kind", "item", "value")
STAT_COLUMNS = ("kind", "item", "label", "learners", "difficulty", "discrimination",
                "low", "high", "upper_lower", "flag")


@dataclass(frozen=True)
class Reliability:
    """Cronbach's alpha of one kind's items (None when it cannot be computed, ``note`` says why)."""

    kind: str
    alpha: float | None
    items: int
    learners: int
    note: str = ""


@dataclass(frozen=True)
class ItemStatistics:
    """The item table (``STAT_COLUMNS``), each kind's reliability, and the class size."""

    table: pd.DataFrame
    reliability: tuple[Reliability, ...]
    learners: int
    min_learners: int = MIN_LEARNERS

    @property
    def too_small(self) -> bool:
        """True when the class is too small to judge any item."""
        return self.learners < self.min_learners

    def reliability_table(self) -> pd.DataFrame:
        """The reliabilities as a table (kind, alpha, items, learners, note)."""
        return pd.DataFrame([vars(r) for r in self.reliability],
                            columns=["kind", "alpha", "items", "learners", "note"])


def first_attempts(frame: pd.DataFrame) -> pd.DataFrame:
    """Each learner's first attempt at each case."""
    ordered = frame.sort_values(["submitted_at", "attempt_id"], kind="stable")
    return ordered.drop_duplicates(["learner_id", "case_id"], keep="first")


def item_scores(frame: pd.DataFrame,
                possible: Mapping[str, frozenset[str]] | None = None) -> pd.DataFrame:
    """One row per (learner, item) with the learner's score on it (``SCORE_COLUMNS``)."""
    first = first_attempts(check_frame(frame))
    cases = pd.DataFrame({"learner_id": first["learner_id"].to_numpy(), "kind": "case",
                          "item": first["case_id"].to_numpy(),
                          "value": first["score"].to_numpy(dtype=float)})
    if first.empty:
        return cases[list(SCORE_COLUMNS)]
    found = attempt_chances(first, possible)
    learners = first["learner_id"].to_numpy()
    chances = pd.DataFrame(found.chance, columns=found.codes).groupby(learners).sum()
    avoided = pd.DataFrame(found.chance & ~found.made, columns=found.codes).groupby(
        learners).sum()
    share = (avoided / chances.where(chances > 0)).stack().dropna()
    pitfalls = pd.DataFrame({"learner_id": share.index.get_level_values(0), "kind": "pitfall",
                             "item": share.index.get_level_values(1),
                             "value": share.to_numpy(dtype=float)})
    return pd.concat([cases, pitfalls], ignore_index=True)[list(SCORE_COLUMNS)]


def item_statistics(frame: pd.DataFrame,
                    possible: Mapping[str, frozenset[str]] | None = None, *,
                    min_learners: int = MIN_LEARNERS) -> ItemStatistics:
    """Item statistics of the class's first attempts (see the module's docstring)."""
    return statistics_of(item_scores(frame, possible), min_learners=min_learners)


def statistics_of(scores: pd.DataFrame, *, min_learners: int = MIN_LEARNERS) -> ItemStatistics:
    """Item statistics of a table of item scores (``SCORE_COLUMNS``), kind by kind."""
    rows, reliability = [], []
    for kind, of_kind in scores.groupby("kind", sort=False):
        grid = of_kind.pivot_table(index="learner_id", columns="item", values="value",
                                   aggfunc="first", sort=True)
        rows += [_item_row(str(kind), str(item), grid, min_learners) for item in grid.columns]
        reliability.append(cronbach_alpha(grid, str(kind)))
    table = pd.DataFrame(rows, columns=list(STAT_COLUMNS))
    return ItemStatistics(table, tuple(reliability), int(scores["learner_id"].nunique()),
                          min_learners)


def _item_row(kind: str, item: str, grid: pd.DataFrame, min_learners: int) -> dict:
    values = grid.to_numpy(dtype=float)
    column = grid.columns.get_loc(item)
    others = np.delete(values, column, axis=1)
    has_rest = (~np.isnan(others)).any(axis=1) if others.shape[1] else np.zeros(len(grid), bool)
    score = values[:, column]
    taken = ~np.isnan(score)
    both = taken & has_rest
    x = score[both]
    rest = np.nanmean(others[both], axis=1) if both.any() else np.zeros(0)
    r, low, high = point_biserial(x, rest)
    row = {"kind": kind, "item": item, "label": _label(kind, item),
           "learners": int(taken.sum()),
           "difficulty": round(float(score[taken].mean()), 3) if taken.any() else math.nan,
           "discrimination": _rounded(r), "low": _rounded(low), "high": _rounded(high),
           "upper_lower": _rounded(upper_lower(x, rest))}
    row["flag"] = _flag(row, x, len(x), min_learners)
    return row


def point_biserial(x: np.ndarray, rest: np.ndarray) -> tuple[float, float, float]:
    """Pearson's r of item scores with rest scores and its 95% interval (Fisher's z; NaN when
    either does not vary or there are fewer than four learners for the interval)."""
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(rest) == 0:
        return math.nan, math.nan, math.nan
    r = float(np.corrcoef(x, rest)[0, 1])
    if len(x) < 4:
        return r, math.nan, math.nan
    z, half = math.atanh(max(-0.999999, min(0.999999, r))), Z_95 / math.sqrt(len(x) - 3)
    return r, math.tanh(z - half), math.tanh(z + half)


def upper_lower(x: np.ndarray, rest: np.ndarray, share: float = GROUP_SHARE) -> float:
    """Mean item score of the upper group by rest score minus that of the lower group; each
    group holds ``round(share * n)`` places (at least one), learners tied at its edge sharing
    the last places equally."""
    if len(x) < 2:
        return math.nan
    places = max(1, round(share * len(x)))
    return _group_mean(x, rest, places) - _group_mean(x, -rest, places)


def _group_mean(x: np.ndarray, rank: np.ndarray, places: int) -> float:
    """Mean of ``x`` over the ``places`` highest ``rank``s, ties at the edge sharing."""
    edge = np.sort(rank)[::-1][places - 1]
    above = rank > edge
    tied = rank == edge
    share = (places - above.sum()) / tied.sum()
    return float((x[above].sum() + share * x[tied].sum()) / places)


def cronbach_alpha(grid: pd.DataFrame, kind: str = "case") -> Reliability:
    """Cronbach's alpha of a learners x items grid (NaN: not taken), from pairwise covariances:
    alpha = k/(k-1) · (1 - Σ item variances / variance of the total)."""
    complete = int(grid.notna().all(axis=1).sum())
    items = grid.loc[:, grid.notna().sum() >= 2]
    k = items.shape[1]
    if k < 2:
        return Reliability(kind, None, k, complete, "needs two items taken by two learners")
    cov = items.cov(min_periods=2).to_numpy()
    total = cov.sum()
    if np.isnan(cov).any():
        return Reliability(kind, None, k, complete,
                           "some pairs of items were never taken by the same learners")
    if total <= 0:
        return Reliability(kind, None, k, complete, "the learners' totals do not vary")
    alpha = k / (k - 1) * (1 - np.trace(cov) / total)
    return Reliability(kind, round(float(alpha), 3), k, complete)


def _flag(row: dict, x: np.ndarray, n: int, min_learners: int) -> str:
    """The item's flag in words with the counts behind it, or "" when it discriminates."""
    if n < min_learners:
        return f"{TOO_FEW} ({n}; {min_learners} needed)"
    if np.ptp(x) == 0:
        return f"no spread: all {n} learners scored {x[0]:.2f}, so it cannot separate them"
    r = row["discrimination"]
    if math.isnan(r) or r >= NEAR_ZERO:
        return ""
    what = "negative discrimination" if r < 0 else "near-zero discrimination"
    interval = f"95% interval {row['low']:+.2f} to {row['high']:+.2f}"
    chance = ("the interval includes 0, so this may be chance" if row["low"] <= 0 <= row["high"]
              else "the interval excludes 0")
    return (f"{what}: r = {r:+.2f} ({interval}, {n} learners; upper group minus lower group "
            f"{row['upper_lower']:+.2f}); {chance}")


def _label(kind: str, item: str) -> str:
    if kind == "case":
        return case_title(item)
    if kind == "pitfall":
        return f"Avoids: {pitfall_label(item)}"
    return item


def _rounded(value: float) -> float:
    """Three decimals (and 0.0, never -0.0, so that no sign is shown on nothing)."""
    return value if math.isnan(value) else round(value, 3) + 0.0


def item_stats_section(frame: pd.DataFrame) -> dict[str, object]:
    """The class report's section (heading, intro, text, table) for ``dashboard.report_html``."""
    stats = item_statistics(frame)
    parts = (stats.table, stats.reliability_table(), stats.learners, stats.min_learners)
    return {"heading": "Item statistics: which cases and pitfalls separate learners",
            "intro": "From each learner's first attempt at each case. Difficulty is the mean "
                     "score (the share right); discrimination correlates an item with the "
                     "learner's other items of its kind.",
            "text": item_stats_text(*parts), "table": Markup(item_stats_html(*parts))}
