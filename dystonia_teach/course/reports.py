"""Class reports: plain functions over a frame of attempts (``store.to_frame()``).

Each function takes the frame and returns a small table; figures and the HTML report are built
from these tables, so the numbers an instructor reads are the numbers the tests check.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

import pandas as pd

from dystonia_teach.casefiles.loader import load_case
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.engine import parse_action, recommended_actions
from dystonia_teach.core.errors import ActionError, DystoniaTeachError
from dystonia_teach.core.knowledge import knowledge, on_knowledge_change
from dystonia_teach.core.results import Action

REQUIRED_COLUMNS = ("attempt_id", "learner_id", "case_id", "number", "submitted_at", "score",
                    "pitfalls", "actions")
#: Attempt numbers from this one on are pooled ("4+") in the pitfall trend.
LAST_NUMBER_BUCKET = 4


class ReportError(DystoniaTeachError, ValueError):
    """The attempts frame cannot be reported on; the message names what is missing."""


def check_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` if it has the attempt columns, else a ReportError naming the missing ones."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ReportError(f"the attempts table lacks the column(s) {', '.join(missing)}; "
                          "pass store.to_frame() of a dystonia_teach store")
    return frame


# -- labels (instructor-facing text instead of ids) ------------------------------------------

@cache
def _case(case_id: str) -> Case | None:
    """The case, read once per process (None when its file is not available here)."""
    try:
        return load_case(case_id)
    except DystoniaTeachError:
        return None


def case_title(case_id: str) -> str:
    """The case's title, or its id when the case file is not available here."""
    case = _case(case_id)
    return case.title if case else case_id


@cache
def recommended_steps(case_id: str) -> tuple[str, ...]:
    """The derived pathway's step ids (empty when the case file is not available here)."""
    case = _case(case_id)
    return tuple(_written(a) for a in recommended_actions(case)) if case else ()


def forget_cases() -> None:
    """Drop the cached cases (after a case file changed, another knowledge came into use, or to
    time a cold report)."""
    _case.cache_clear()
    recommended_steps.cache_clear()


on_knowledge_change(forget_cases)


def step_label(step: str) -> str:
    """A step's label; ``step!urgent`` (an urgent order) reads "<label>, urgent"."""
    bare, _, priority = step.partition("!")
    steps = knowledge().steps
    return (steps[bare].label + (f", {priority}" if priority else "")) if bare in steps else step


def pitfall_label(code: str) -> str:
    findings = knowledge().findings
    return findings[code].label if code in findings else code


def pitfall_severity(code: str) -> str:
    findings = knowledge().findings
    return findings[code].severity if code in findings else "warning"


def _written(action: Action) -> str:
    return f"{action.step}!urgent" if action.urgent else action.step


def step_sequence(actions: Iterable[Any]) -> tuple[str, ...]:
    """The steps of a saved plan as written in ``try`` (``step!urgent`` for an urgent order;
    an id kept as an alias, such as ``urgent_mri``, reads as the order it stands for; an id
    this version does not know is kept as saved)."""
    out = []
    for action in actions:
        try:
            out.append(_written(parse_action(action)))
        except ActionError:
            out.append(action["step"] if isinstance(action, dict) else str(action))
    return tuple(out)


def with_paths(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``path`` column (each plan's step ids), computed once for a report."""
    if "path" in frame.columns:
        return frame
    return frame.assign(path=frame["actions"].map(step_sequence))


def _paths(frame: pd.DataFrame) -> pd.Series:
    return frame["path"] if "path" in frame.columns else frame["actions"].map(step_sequence)


# -- tables ----------------------------------------------------------------------------------

def case_overview(frame: pd.DataFrame, pass_mark: float = 0.8) -> pd.DataFrame:
    """Per case: attempts, learners, mean/median score, mean first and best score per learner,
    and how many learners reached ``pass_mark`` at least once."""
    check_frame(frame)
    columns = ["case_id", "title", "attempts", "learners", "mean_score", "median_score",
               "mean_first_score", "mean_best_score", "learners_passed"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    by_case = frame.groupby("case_id", sort=True)
    per_learner = frame.sort_values("attempt_id").groupby(["case_id", "learner_id"])["score"]
    firsts = per_learner.first().groupby("case_id").mean()
    bests = per_learner.max()
    table = pd.DataFrame({
        "attempts": by_case.size(),
        "learners": by_case["learner_id"].nunique(),
        "mean_score": by_case["score"].mean().round(3),
        "median_score": by_case["score"].median().round(3),
        "mean_first_score": firsts.round(3),
        "mean_best_score": bests.groupby("case_id").mean().round(3),
        "learners_passed": (bests >= pass_mark).groupby("case_id").sum().astype(int),
    }).reset_index()
    table.insert(1, "title", table["case_id"].map(case_title))
    return table[columns]


def _exploded(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (attempt, pitfall code)."""
    rows = frame[["attempt_id", "learner_id", "case_id", "number", "pitfalls"]]
    out = rows.explode("pitfalls").dropna(subset=["pitfalls"])
    return out.rename(columns={"pitfalls": "pitfall"})


def pitfall_frequency(frame: pd.DataFrame) -> pd.DataFrame:
    """Which pitfalls, in which cases, how often: one row per (pitfall, case) with the attempts
    that made it, their share of the case's attempts, and how many learners made it."""
    check_frame(frame)
    columns = ["pitfall", "label", "severity", "case_id", "attempts", "share", "learners"]
    hits = _exploded(frame)
    if hits.empty:
        return pd.DataFrame(columns=columns)
    grouped = hits.groupby(["pitfall", "case_id"])
    table = pd.DataFrame({"attempts": grouped["attempt_id"].nunique(),
                          "learners": grouped["learner_id"].nunique()}).reset_index()
    totals = frame.groupby("case_id").size()
    table["share"] = (table["attempts"] / table["case_id"].map(totals)).round(3)
    table["label"] = table["pitfall"].map(pitfall_label)
    table["severity"] = table["pitfall"].map(pitfall_severity)
    return table.sort_values(["attempts", "pitfall", "case_id"], ascending=[False, True, True],
                             ignore_index=True)[columns]


def pitfall_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """Per pitfall across the class: attempts, share of all attempts, learners, cases."""
    per_case = pitfall_frequency(frame)
    columns = ["pitfall", "label", "severity", "attempts", "share", "learners", "cases"]
    if per_case.empty:
        return pd.DataFrame(columns=columns)
    hits = _exploded(frame)
    grouped = hits.groupby("pitfall")
    table = pd.DataFrame({"attempts": grouped["attempt_id"].nunique(),
                          "learners": grouped["learner_id"].nunique(),
                          "cases": grouped["case_id"].nunique()}).reset_index()
    table["share"] = (table["attempts"] / len(frame)).round(3)
    table["label"] = table["pitfall"].map(pitfall_label)
    table["severity"] = table["pitfall"].map(pitfall_severity)
    return table.sort_values(["attempts", "pitfall"], ascending=[False, True],
                             ignore_index=True)[columns]


def number_bucket(number: int) -> str:
    """"1", "2", "3" or "4+": the attempt number as the trend groups it."""
    return f"{LAST_NUMBER_BUCKET}+" if number >= LAST_NUMBER_BUCKET else str(int(number))


def pitfall_trend(frame: pd.DataFrame) -> pd.DataFrame:
    """How pitfalls change over attempts: share of attempts with each pitfall, by the
    learner's attempt number at that case (rows: pitfalls; columns: "1", "2", "3", "4+")."""
    check_frame(frame)
    if frame.empty:
        return pd.DataFrame()
    buckets = frame["number"].map(number_bucket)
    totals = buckets.value_counts()
    hits = _exploded(frame)
    hits = hits.assign(bucket=hits["number"].map(number_bucket))
    counts = hits.groupby(["pitfall", "bucket"]).size().unstack(fill_value=0)
    order = sorted(totals.index, key=lambda b: int(b.rstrip("+")))
    counts = counts.reindex(columns=order, fill_value=0)
    share = (counts / totals.reindex(order)).round(3)
    share.columns.name = "attempt"
    share.index.name = "pitfall"
    return share.loc[share.sum(axis=1).sort_values(ascending=False, kind="stable").index]


def attempts_by_number(frame: pd.DataFrame) -> pd.Series:
    """How many attempts each attempt-number bucket holds (the trend's denominators)."""
    counts = frame["number"].map(number_bucket).value_counts()
    return counts.reindex(sorted(counts.index, key=lambda b: int(b.rstrip("+"))))


def common_paths(frame: pd.DataFrame, case_id: str, top: int = 5) -> pd.DataFrame:
    """The ``top`` most common step sequences at one case, with how many attempts and learners
    took each, their mean score, and whether the sequence is the recommended pathway."""
    check_frame(frame)
    at_case = frame[frame["case_id"] == case_id]
    columns = ["path", "attempts", "learners", "mean_score", "recommended"]
    if at_case.empty:
        return pd.DataFrame(columns=columns)
    grouped = with_paths(at_case).groupby("path", sort=False)
    table = pd.DataFrame({"attempts": grouped.size(),
                          "learners": grouped["learner_id"].nunique(),
                          "mean_score": grouped["score"].mean().round(3)}).reset_index()
    table["recommended"] = table["path"] == recommended_steps(case_id)
    table = table.sort_values(["attempts", "mean_score"], ascending=[False, False],
                              kind="stable", ignore_index=True)
    return table.head(top)[columns]


def path_agreement(frame: pd.DataFrame) -> pd.DataFrame:
    """Per case: share of attempts whose steps are exactly the recommended pathway (in order),
    and share that contain every recommended step (in any order)."""
    check_frame(frame)
    rows = []
    for case_id, at_case in frame.groupby("case_id", sort=True):
        wanted = recommended_steps(str(case_id))
        paths = _paths(at_case)
        rows.append({"case_id": case_id,
                     "exact": round(float((paths == wanted).mean()), 3),
                     "all_steps": round(float(paths.map(lambda p, w=set(wanted):
                                                        w <= set(p)).mean()), 3)})
    return pd.DataFrame(rows, columns=["case_id", "exact", "all_steps"])


def position_bucket(position: int, last: int) -> str:
    """"1", "2", … or "12+": a step's place in a plan as the path grid groups it."""
    return f"{last}+" if position >= last else str(position)


def step_positions(frame: pd.DataFrame, case_id: str, min_share: float = 0.1,
                   last: int = 12) -> pd.DataFrame:
    """Where the learners put each step at one case, for a grid of steps by position.

    One row per (step, position): ``attempts`` that chose the step at that place in their plan
    (``position`` "1" = first; places from ``last`` on are pooled as "12+") and whether the
    recommended pathway has the step there (``recommended``). Steps chosen in fewer than
    ``min_share`` of the attempts are pooled as "other" unless the pathway has them.
    """
    check_frame(frame)
    paths = _paths(frame[frame["case_id"] == case_id])
    columns = ["step", "position", "attempts", "recommended"]
    if paths.empty:
        return pd.DataFrame(columns=columns)
    wanted = recommended_steps(case_id)
    chosen = Counter(step for path in paths for step in set(path))
    kept = {s for s, n in chosen.items() if n >= min_share * len(paths)} | set(wanted)
    counts = Counter((step if step in kept else "other", position_bucket(i, last))
                     for path in paths for i, step in enumerate(path, 1))
    on_path = {(step, position_bucket(i, last)) for i, step in enumerate(wanted, 1)}
    rows = [(step, position, counts.get((step, position), 0), (step, position) in on_path)
            for step, position in sorted(set(counts) | on_path)]
    return pd.DataFrame(rows, columns=columns)


def learners_needing_help(frame: pd.DataFrame, min_repeats: int = 2) -> pd.DataFrame:
    """Learners who keep making a critical pitfall: in ``min_repeats`` or more attempts, and
    still in their most recent attempt at one of those cases (so not yet learnt).

    One row per (learner, pitfall): how often, at which cases. Sorted most repeats first.
    """
    check_frame(frame)
    columns = ["learner_id", "pitfall", "label", "times", "cases"]
    hits = _exploded(frame)
    hits = hits[hits["pitfall"].map(pitfall_severity) == "critical"]
    if hits.empty:
        return pd.DataFrame(columns=columns)
    latest = frame.sort_values("attempt_id").groupby(["learner_id", "case_id"])["attempt_id"].last()
    hits = hits.assign(latest=hits["attempt_id"].to_numpy()
                       == latest.reindex(pd.MultiIndex.from_frame(
                           hits[["learner_id", "case_id"]])).to_numpy())
    grouped = hits.groupby(["learner_id", "pitfall"])
    table = pd.DataFrame({"times": grouped["attempt_id"].nunique(),
                          "still_in_latest": grouped["latest"].any()})
    table = table[(table["times"] >= min_repeats) & table["still_in_latest"]]
    where = (hits.drop_duplicates(["learner_id", "pitfall", "case_id"])
             .sort_values("case_id").groupby(["learner_id", "pitfall"])["case_id"]
             .agg(", ".join))
    table = table.assign(cases=where.reindex(table.index)).reset_index()
    table["label"] = table["pitfall"].map(pitfall_label)
    return table.sort_values(["times", "learner_id", "pitfall"], ascending=[False, True, True],
                             ignore_index=True)[columns]
