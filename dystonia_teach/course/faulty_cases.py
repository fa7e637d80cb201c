"""Cases that may be faulty: where the class's answer may be right and the case wrong.

A case with a wrong key, a vignette that points elsewhere or a rule that misfires shows in a
class's first attempts in two ways (thresholds in :class:`FaultRules`):

- **strong learners miss it**: of the learners strongest on the *other* cases (the top 27% by
  their mean first-attempt score there, at least ``min_strong`` of them), ``miss_share`` or
  more fell short of the pass mark at their first attempt here;
- **one finding dominates**: one finding was raised in ``dominant_share`` or more of the
  case's first attempts and of the strong learners' there, and in at least twice the share
  of the first attempts at the other cases.

Each flagged case comes with the ``dystonia-teach try`` command that scores the plan the
strong learners most often chose there, so an author can read the feedback it gets.
"""

from __future__ import annotations

import json
import shlex
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.course.item_stats import first_attempts
from dystonia_teach.course.reports import case_title, check_frame, pitfall_label

COLUMNS = ("case_id", "title", "reasons", "command", "strong", "missed")


@dataclass(frozen=True)
class FaultRules:
    """When a case is flagged (see the module's docstring)."""

    pass_mark: float = 0.8
    strong_share: float = 0.27
    min_strong: int = 5
    miss_share: float = 2 / 3
    dominant_share: float = 0.6

    def describe(self) -> str:
        """The rules in one paragraph, for the report."""
        return (f"From each learner's first attempt at each case. A case is flagged when, of "
                f"the learners strongest on the other cases (the top "
                f"{100 * self.strong_share:.0f}% by their mean first score there, at least "
                f"{self.min_strong} of them), {100 * self.miss_share:.0f}% or more fell short "
                f"of the pass mark here; or when one finding was raised in "
                f"{100 * self.dominant_share:.0f}% or more of its first attempts and of the "
                "strong learners' there, twice as often as at the other cases. Either may "
                "mean a wrong key, a vignette that points "
                "elsewhere or a rule that misfires, not a weak class: run the command shown to "
                "see the feedback on the plan the strong learners chose.")


def try_argument(action: Any) -> str:
    """A saved action as ``dystonia-teach try`` takes it: ``step``, ``step=MG`` for a dose,
    ``step!urgent`` for an urgent order."""
    if isinstance(action, str):
        return action
    text = str(action["step"])
    if action.get("dose_mg_per_day") is not None:
        text += f"={float(action['dose_mg_per_day']):g}"
    if action.get("priority") == "urgent":
        text += "!urgent"
    return text


def try_command(case_id: str, actions: Iterable[Any], diagnosis: object = None) -> str:
    """The shell command that scores ``actions`` on the case (quoted for any shell)."""
    words = ["dystonia-teach", "try", case_id, *(try_argument(a) for a in actions)]
    if isinstance(diagnosis, str) and diagnosis in knowledge().diagnoses:
        words += ["--diagnosis", diagnosis]
    return shlex.join(words)


def faulty_cases(frame: pd.DataFrame, rules: FaultRules = FaultRules()) -> pd.DataFrame:
    """One row per case that may be faulty (``COLUMNS``), with its reasons in plain words, the
    ``try`` command to check it, and how many strong learners it had and how many missed."""
    first = first_attempts(check_frame(frame))
    grid = first.pivot_table(index="learner_id", columns="case_id", values="score",
                             aggfunc="first")
    rows = []
    for case_id in grid.columns:
        at_case = first[first["case_id"] == case_id]
        strong = _strong(grid, case_id, rules)
        if len(strong) < rules.min_strong:
            continue
        theirs = at_case[at_case["learner_id"].isin(strong)]
        missed = theirs[theirs["score"] < rules.pass_mark]
        reasons = []
        if len(missed) >= rules.miss_share * len(theirs):
            elsewhere = grid.loc[strong].drop(columns=case_id)
            passed = (elsewhere >= rules.pass_mark).sum().sum() / elsewhere.notna().sum().sum()
            reasons.append(f"{len(missed)} of the {len(theirs)} strongest learners on the "
                           f"other cases fell short of the pass mark at their first attempt "
                           f"here (they reached it at {100 * passed:.0f}% of their other first "
                           f"attempts){_most_raised(missed)}")
        reasons += _dominant(at_case, theirs, first[first["case_id"] != case_id], rules)
        if reasons:
            rows.append((case_id, case_title(case_id), tuple(reasons),
                         _common_plan(case_id, missed if len(missed) else theirs), len(theirs),
                         len(missed)))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _strong(grid: pd.DataFrame, case_id: str, rules: FaultRules) -> list[str]:
    """The learners who took ``case_id`` and are in the top share by their mean first score at
    the other cases (all those tied at the edge)."""
    takers = grid[grid[case_id].notna()].drop(columns=case_id)
    rest = takers.mean(axis=1).dropna()
    if rest.empty:
        return []
    places = max(1, round(rules.strong_share * len(rest)))
    return list(rest.nlargest(places, keep="all").index)


def _common_plan(case_id: str, attempts: pd.DataFrame) -> str:
    """The ``try`` command of the plan (and working diagnosis) most of ``attempts`` chose."""
    plans = Counter(json.dumps([list(actions), diagnosis]) for actions, diagnosis in
                    zip(attempts["actions"], attempts["working_diagnosis"], strict=True))
    actions, diagnosis = json.loads(plans.most_common(1)[0][0])
    return try_command(case_id, actions, diagnosis)


def _most_raised(missed: pd.DataFrame) -> str:
    codes = Counter(code for pitfalls in missed["pitfalls"] for code in set(pitfalls))
    if not codes:
        return ""
    code, n = codes.most_common(1)[0]
    return f'; the finding most often raised on their plans: "{pitfall_label(code)}" ({n} of them)'


def _dominant(at_case: pd.DataFrame, theirs: pd.DataFrame, others: pd.DataFrame,
              rules: FaultRules) -> list[str]:
    def shares(rows: pd.DataFrame) -> pd.Series:
        codes = Counter(code for pitfalls in rows["pitfalls"] for code in set(pitfalls))
        return pd.Series(codes, dtype=float) / max(1, len(rows))

    everyone, strong, elsewhere = shares(at_case), shares(theirs), shares(others)
    return [f'one finding dominates: "{pitfall_label(code)}" was raised in '
            f"{100 * share:.0f}% of the first attempts here, the strong learners' "
            f"{100 * strong.get(code, 0):.0f}% (at the other cases: "
            f"{100 * elsewhere.get(code, 0):.0f}%)"
            for code, share in everyone.sort_values(ascending=False).items()
            if share >= rules.dominant_share and strong.get(code, 0) >= rules.dominant_share
            and share >= 2 * elsewhere.get(code, 0)]
