"""Who may need help: learners a coordinator may want to contact, each with the reasons in
plain words.

A learner is listed for any of these (thresholds in :class:`HelpRules`):

- **not started**: on the roster with no attempt, or started fewer of the assigned cases than
  were assigned (``--roster``, ``--assignments``);
- **low scores**: their best scores average below ``low_score`` over the cases they tried;
- **a repeated critical pitfall**: the same critical pitfall in ``min_repeats`` or more
  attempts, still in their latest attempt at one of those cases;
- **stuck**: ``stuck_attempts`` or more attempts at a case without reaching the pass mark;
- **falling scores**: over four or more cases, their first-attempt scores at the later half
  average ``fall`` or more below those at the earlier half.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from dystonia_teach.course.assignments import Assignment
from dystonia_teach.course.reports import case_title, check_frame, learners_needing_help

COLUMNS = ("learner_id", "reasons", "kinds")
#: The kinds of reason, in the order a learner's reasons are listed.
KINDS = ("not started", "low scores", "critical pitfall", "stuck", "falling scores")


@dataclass(frozen=True)
class HelpRules:
    """When a learner is listed (see the module's docstring)."""

    pass_mark: float = 0.8
    low_score: float = 0.6
    min_repeats: int = 2
    stuck_attempts: int = 3
    fall: float = 0.15
    min_cases_for_trend: int = 4

    def describe(self) -> str:
        """The rules in one paragraph, for the report."""
        return (f"A learner is listed who has not started (on the roster with no attempt, or "
                f"fewer of the assigned cases than were assigned), whose best scores average "
                f"below {_pct(self.low_score)}, who made the same critical pitfall in "
                f"{self.min_repeats} or more attempts and still in the latest, who made "
                f"{self.stuck_attempts} or more attempts at a case without reaching the pass "
                f"mark ({_pct(self.pass_mark)}), or whose first-attempt scores fell by "
                f"{_pct(self.fall)} or more from their earlier cases to their later ones (over "
                f"{self.min_cases_for_trend} or more cases).")


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%".replace(".0%", "%")


def _titles(case_ids: Sequence[str], shown: int = 2) -> str:
    """The first ``shown`` cases' titles, quoted, and how many more."""
    named = ", ".join(f'"{case_title(c)}"' for c in case_ids[:shown])
    more = len(case_ids) - shown
    return f"{named} and {more} more" if more > 0 else named


def _cases(n: int) -> str:
    return f"{n} case{'' if n == 1 else 's'}"


def who_may_need_help(frame: pd.DataFrame, roster: Iterable[str] = (),
                      assignments: Sequence[Assignment] = (),
                      rules: HelpRules = HelpRules()) -> pd.DataFrame:
    """One row per learner who may need help (``COLUMNS``): their reasons in plain words and
    the kinds of those reasons; most reasons first."""
    check_frame(frame)
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for learner, kind, reason in [*_not_started(frame, roster, assignments),
                                  *_low_scores(frame, rules), *_critical(frame, rules),
                                  *_stuck(frame, rules), *_falling(frame, rules)]:
        found[learner].append((kind, reason))
    rows = [(learner, tuple(r for _, r in listed), tuple(dict.fromkeys(k for k, _ in listed)))
            for learner, listed in found.items()]
    rows.sort(key=lambda row: (-len(row[1]), min(KINDS.index(k) for k in row[2]), row[0]))
    return pd.DataFrame(rows, columns=list(COLUMNS))


Reason = tuple[str, str, str]  # learner, kind, reason


def _not_started(frame: pd.DataFrame, roster: Iterable[str],
                 assignments: Sequence[Assignment]) -> list[Reason]:
    started = frame.groupby("learner_id")["case_id"].agg(set).to_dict()
    assigned = list(dict.fromkeys(c for a in assignments for c in a.cases))
    out = []
    for learner in sorted(set(roster) | (set(started) if assigned else set())):
        tried = started.get(learner, set())
        if not tried:
            of = f" of the {len(assigned)} assigned" if assigned else ""
            out.append((learner, "not started", f"has not started any{of} case"
                                                 f"{'s' if assigned else ''}"))
            continue
        done = [c for c in assigned if c in tried]
        if assigned and len(done) < len(assigned):
            parts = [f"{a.title}: {sum(c in tried for c in a.cases)} of {len(a.cases)}"
                     for a in assignments] if len(assignments) > 1 else []
            out.append((learner, "not started",
                        f"has started {len(done)} of the {len(assigned)} assigned cases"
                        + (f" ({'; '.join(parts)})" if parts else "")))
    return out


def _low_scores(frame: pd.DataFrame, rules: HelpRules) -> list[Reason]:
    bests = frame.groupby(["learner_id", "case_id"])["score"].max().groupby("learner_id")
    means, counts = bests.mean(), bests.size()
    if means.empty:
        return []
    overall = float(means.mean())
    return [(str(learner), "low scores",
             f"best scores average {_pct(mean)} over {counts[learner]} "
             f"case{'' if counts[learner] == 1 else 's'} (the class: {_pct(overall)})")
            for learner, mean in means.items() if mean < rules.low_score]


def _critical(frame: pd.DataFrame, rules: HelpRules) -> list[Reason]:
    table = learners_needing_help(frame, rules.min_repeats)
    out = []
    for row in table.itertuples():
        cases = row.cases.split(", ")
        out.append((row.learner_id, "critical pitfall",
                    f'made the critical pitfall "{row.label}" in {row.times} attempts at '
                    f"{_cases(len(cases))} ({_titles(cases)}), and still in their latest "
                    "attempt at one of them"))
    return out


def _stuck(frame: pd.DataFrame, rules: HelpRules) -> list[Reason]:
    per_case = frame.groupby(["learner_id", "case_id"])["score"].agg(["size", "max"])
    stuck = per_case[(per_case["size"] >= rules.stuck_attempts)
                     & (per_case["max"] < rules.pass_mark)].reset_index()
    return [(str(learner), "stuck",
             f"{rules.stuck_attempts} or more attempts without reaching the pass mark at "
             f"{_cases(len(rows))} ({_titles(list(rows['case_id']))})")
            for learner, rows in stuck.groupby("learner_id", sort=True)]


def _falling(frame: pd.DataFrame, rules: HelpRules) -> list[Reason]:
    firsts = (frame[frame["number"] == 1].sort_values(["submitted_at", "attempt_id"])
              .groupby("learner_id")["score"].agg(list))
    out = []
    for learner, scores in firsts.items():
        if len(scores) < rules.min_cases_for_trend:
            continue
        half = len(scores) // 2
        earlier, later = sum(scores[:half]) / half, sum(scores[-half:]) / half
        if earlier - later >= rules.fall:
            out.append((str(learner), "falling scores",
                        f"first-attempt scores fell from {_pct(earlier)} (first {half} cases) "
                        f"to {_pct(later)} (latest {half})"))
    return out
