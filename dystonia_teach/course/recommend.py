"""The next case for one learner, from the attempt store's API, in plain Python.

This is what the workbench's "Next case" asks, in a learner's kernel: it reads the attempts the
store shows (the learner's own, and on a laptop's or instructor's store the class's) without
numpy or pandas, so that finishing a case leaves a learner's kernel light. It applies the
learner model of :mod:`dystonia_teach.course.learner_model` (``docs/learner-model.md``) to one
learner; the rules and their figures are defined here once, and the model's vectorised form
for whole classes and simulations (:func:`dystonia_teach.course.next_case.next_case`) uses them
and must choose the same case (a test holds the two equal)::

    with open_store() as store:
        choice = recommend_next_case(store, learner)
    choice.case_id, choice.reason   # "You made “…” in 2 of 3 chances; this case tests it again."
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from operator import itemgetter
from typing import Any

from dystonia_teach.casefiles.loader import list_cases, load_case
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.errors import DystoniaTeachError
from dystonia_teach.core.knowledge import knowledge, on_knowledge_change
from dystonia_teach.core.pitfall_chances import possible_pitfalls
from dystonia_teach.store.base import AttemptStore, validate_learner_id

#: Days until a pitfall is tested again: after a chance in which it was made, then after each
#: further chance in a row without it (the last figure repeats).
REVIEW_DAYS = (1, 2, 4, 8, 16, 30)
#: A second attempt at the same case within this many days is a retry, not a new chance.
RETRY_DAYS = 1.0
#: Learners with chances at a pitfall needed before the class sets its prior.
MIN_PRIOR_LEARNERS = 5
#: The prior's weight, in pretend chances: at least (learners differ a lot) and at most (alike).
PRIOR_WEIGHT = (2.0, 20.0)
SECONDS_A_DAY = 86_400


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


def severity_points(code: str) -> float:
    """A pitfall's severity as scoring.yaml weighs it (critical 25, warning 10, ...)."""
    kb = knowledge()
    kind = kb.findings.get(code)
    return float(kb.scoring.severity_points[kind.severity if kind else "warning"])


def review_after(streak: int) -> float:
    """Days until a pitfall is due again after ``streak`` clean chances in a row."""
    return float(REVIEW_DAYS[min(int(streak), len(REVIEW_DAYS) - 1)])


def beta_prior(made: Sequence[int], chances: Sequence[int]) -> tuple[float, float]:
    """One pitfall's class prior ``(alpha, beta)`` from the learners' counts, by the method of
    moments over learners with chances (see ``learner_model.fit_prior``); ``(1, 1)`` with
    fewer than ``MIN_PRIOR_LEARNERS`` of them."""
    pairs = [(float(k), float(n)) for k, n in zip(made, chances, strict=True) if n > 0]
    if len(pairs) < MIN_PRIOR_LEARNERS:
        return 1.0, 1.0
    low, high = PRIOR_WEIGHT
    mean = (math.fsum(k for k, _ in pairs) + 0.5) / (math.fsum(n for _, n in pairs) + 1.0)
    inverse_n = math.fsum(1 / n for _, n in pairs) / len(pairs)
    spread = (math.fsum((k / n - mean) ** 2 for k, n in pairs) / len(pairs)
              / (mean * (1 - mean)))
    if inverse_n >= 1:  # one chance each: the spread between learners cannot be told
        weight = low
    else:
        rho = (spread - inverse_n) / (1 - inverse_n)
        weight = min(max(1 / rho - 1, low), high) if rho > 0 else high
    return mean * weight, (1 - mean) * weight


@dataclass(frozen=True)
class Recommendation:
    """The case to work next and why, in one sentence; the pitfall it tests with the learner's
    record on it (``made`` of ``chances``) and estimate; ``again``: a case worked before."""

    case_id: str
    reason: str
    pitfall: str | None = None
    made: int = 0
    chances: int = 0
    estimate: float | None = None
    again: bool = False


@dataclass
class LearnerRecord:
    """One learner's record per pitfall code and their latest attempt per case (days since
    1970)."""

    chances: dict[str, int] = field(default_factory=dict)
    made: dict[str, int] = field(default_factory=dict)
    #: Chances in a row without the pitfall, up to the latest chance at it.
    streak: dict[str, int] = field(default_factory=dict)
    last_chance: dict[str, float] = field(default_factory=dict)
    last_attempt: dict[str, float] = field(default_factory=dict)

    def count(self, case_id: str, day: float, chance: Iterable[str],
              made: frozenset[str]) -> None:
        """One attempt (a retry of the same case within ``RETRY_DAYS`` counts no chance)."""
        before = self.last_attempt.get(case_id)
        self.last_attempt[case_id] = max(day, before) if before is not None else day
        if before is not None and day - before < RETRY_DAYS:
            return
        for code in chance:
            self.chances[code] = self.chances.get(code, 0) + 1
            self.last_chance[code] = max(day, self.last_chance.get(code, day))
            if code in made:
                self.made[code] = self.made.get(code, 0) + 1
                self.streak[code] = 0
            else:
                self.streak[code] = self.streak.get(code, 0) + 1


#: An attempt as the model reads it: (attempt id, learner, case, day, pitfalls made).
Row = tuple[int, str, str, float, tuple[str, ...]]


def store_rows(store: AttemptStore, learner: str | None = None) -> list[Row]:
    """The store's visible attempts (a learner's, or all), with re-graded pitfalls where the
    store shows a re-grade; no reasoning records are read."""
    grades = store.grades()
    attempts = (store.attempts(learner) if learner is not None
                else store.all_attempts(records=False))
    rows = []
    for a in attempts:
        grade = grades.get(a.id)
        rows.append((a.id, a.learner_id, a.case_id, day_of(a.submitted_at),
                     tuple(grade.pitfalls if grade else a.pitfalls)))
    return rows


def day_of(stamp: str | datetime) -> float:
    """A time as days since 1970 (UTC; a time without a zone is read as UTC)."""
    when = datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp() / SECONDS_A_DAY


def learner_record(rows: Iterable[Row], possible: Mapping[str, frozenset[str]]
                   ) -> LearnerRecord:
    """One learner's record from their attempts, counted in time order."""
    record = LearnerRecord()
    for _, _, case_id, day, pitfalls in sorted(rows, key=lambda r: (r[3], r[0])):
        made = frozenset(pitfalls)
        record.count(case_id, day, possible.get(case_id, frozenset()) | made, made)
    return record


def class_counts(rows: Iterable[Row], possible: Mapping[str, frozenset[str]]
                 ) -> dict[str, tuple[dict[str, int], dict[str, int]]]:
    """Per learner, (times made, chances) per pitfall code: what the class prior needs, the
    same counts as :class:`LearnerRecord`'s, summed case by case (fast on a whole class)."""
    by_pair: dict[tuple[str, str], list[tuple[float, int, tuple[str, ...]]]] = {}
    for attempt_id, learner, case_id, day, pitfalls in rows:
        by_pair.setdefault((learner, case_id), []).append((day, attempt_id, pitfalls))
    counted: dict[str, tuple[dict[str, int], dict[str, int]]] = {}
    for (learner, case_id), attempts in by_pair.items():
        made, chances = counted.setdefault(learner, ({}, {}))
        here = possible.get(case_id, frozenset())
        attempts.sort(key=itemgetter(0, 1))
        last = None
        for day, _, pitfalls in attempts:
            retry = last is not None and day - last < RETRY_DAYS
            last = day
            if retry:
                continue
            for code in here.union(pitfalls):
                chances[code] = chances.get(code, 0) + 1
            for code in set(pitfalls):
                made[code] = made.get(code, 0) + 1
    return counted


def recommend_next_case(store: AttemptStore, learner: str,
                        cases: Sequence[str | Case] | None = None, *,
                        now: datetime | None = None, prior: Any = None) -> Recommendation:
    """The case ``learner`` should work next among ``cases`` (ids or cases; default: every
    available case), from the attempts in ``store`` (only its public API).

    ``prior``: the class's prior, computed once by whoever sees the class
    (``learner_model.class_prior``, or its ``as_dict()``); then only the learner's own
    attempts are read. Without it the prior comes from every attempt the store shows: the
    class on a laptop's or an instructor's store, only the learner's own on a learner's
    PostgreSQL connection (the prior then has no opinion). An unknown case id is an error
    naming it.
    """
    validate_learner_id(learner)
    if cases is None:
        cases = [c for c in list_cases() if possible_at(c) is not None]
    ids = [c.id if isinstance(c, Case) else str(c) for c in cases]
    if not ids:
        raise ValueError("no cases to choose the next one from")
    given = {c.id: possible_pitfalls(c) for c in cases if isinstance(c, Case)}
    for case_id in ids:
        if case_id not in given and possible_at(case_id) is None:
            load_case(case_id)  # raises the error that names the case and its problem
    rows = store_rows(store, learner if prior is not None else None)
    return recommend_from_rows(rows, learner, ids, {**possible_table(rows, ids), **given},
                               day_of(now or datetime.now(UTC)), prior)


def recommend_from_rows(rows: Sequence[Row], learner: str, cases: Sequence[str],
                        possible: Mapping[str, frozenset[str]], today: float,
                        prior: Any = None) -> Recommendation:
    """The choice from attempts as rows (``today`` in days since 1970); ``prior`` as for
    :func:`recommend_next_case`, else learnt from every learner in ``rows``."""
    codes = pitfall_codes(code for row in rows for code in row[4])
    if prior is not None:
        plain = prior.as_dict() if hasattr(prior, "as_dict") else prior
        beta = {c: (float(v["alpha"]), float(v["beta"]), int(v["learners"]))
                for c, v in plain.items()}
    else:
        beta = class_beta(class_counts(rows, possible).values(), codes)
    return choose_for(learner_record((r for r in rows if r[1] == learner), possible), cases,
                      possible, codes, beta, today)


def possible_table(rows: Iterable[Row], case_ids: Iterable[str]) -> dict[str, frozenset[str]]:
    """Case id -> the pitfalls it makes possible, for the rows' cases and ``case_ids``; a case
    whose file is not available here falls back to the pitfalls its attempts made."""
    rows = list(rows)
    table = {}
    for case_id in dict.fromkeys([*(r[2] for r in rows), *case_ids]):
        found = possible_at(case_id)
        table[case_id] = found if found is not None else frozenset(
            code for r in rows if r[2] == case_id for code in r[4])
    return table


def class_beta(counts: Iterable[tuple[Mapping[str, int], Mapping[str, int]]],
               codes: Sequence[str]) -> dict[str, tuple[float, float, int]]:
    """Per code, the class prior ``(alpha, beta, learners with chances)`` from each learner's
    (times made, chances)."""
    counts = list(counts)
    beta = {}
    for code in codes:
        chances = [n.get(code, 0) for _, n in counts]
        alpha_beta = beta_prior([k.get(code, 0) for k, _ in counts], chances)
        beta[code] = (*alpha_beta, sum(n > 0 for n in chances))
    return beta


def choose_for(record: LearnerRecord, cases: Sequence[str],
               possible: Mapping[str, frozenset[str]], codes: Sequence[str],
               beta: Mapping[str, tuple[float, float, int]], today: float) -> Recommendation:
    """The choice for one learner: among cases new to them, or rested a day when the pitfall
    is due, the case whose riskiest possible pitfall (severity x estimated chance) is the
    riskiest; ties to a new case, then to the most risk in all, then to the earlier case."""
    def estimate(code: str) -> float:
        alpha, b, _ = beta.get(code, (1.0, 1.0, 0))
        return (alpha + record.made.get(code, 0)) / (alpha + b + record.chances.get(code, 0))

    risk = {code: severity_points(code) * estimate(code) for code in codes}
    due = {code: code not in record.last_chance
           or today >= record.last_chance[code] + review_after(record.streak.get(code, 0))
           for code in codes}
    best: tuple[tuple[float, bool, float, int], str, str] | None = None
    for k, case_id in enumerate(cases):
        last = record.last_attempt.get(case_id)
        unseen = last is None
        if not unseen and today - last < RETRY_DAYS:
            continue
        open_codes = [c for c in codes if c in possible.get(case_id, ()) and (unseen or due[c])]
        if not open_codes:
            continue
        top = max(risk[c] for c in open_codes)
        if top <= 0:
            continue
        key = (top, unseen, sum(risk[c] for c in open_codes), -k)
        if best is None or key > best[0]:
            best = (key, case_id, next(c for c in open_codes if risk[c] == top))
    if best is None:
        return longest_ago(cases, [record.last_attempt.get(c) for c in cases], today)
    _, case_id, code = best
    last = record.last_attempt.get(case_id)
    days_ago = None if last is None else int(today - last)
    alpha, b, learners = beta.get(code, (1.0, 1.0, 0))
    made, chances = record.made.get(code, 0), record.chances.get(code, 0)
    return Recommendation(
        case_id=case_id,
        reason=reason(code, made, chances, days_ago,
                      alpha / (alpha + b) if learners >= MIN_PRIOR_LEARNERS else None),
        pitfall=code, made=made, chances=chances, estimate=round(estimate(code), 3),
        again=days_ago is not None)


def reason(code: str, made: int, chances: int, days_ago: int | None,
           class_rate: float | None) -> str:
    """The choice in one sentence."""
    findings = knowledge().findings
    label = f"“{findings[code].label}”" if code in findings else f"“{code}”"
    case = ("this case" if days_ago is None else
            f"this case, which you worked {days_text(days_ago)},")
    if made:
        return (f"You made {label} in {made} of {chances} chance{_s(chances)}; "
                f"{case} tests it again.")
    if chances:
        return (f"You avoided {label} in all {chances} chance{_s(chances)} so far; "
                f"{case} tests it again.")
    if class_rate is not None:
        return (f"This case tests {label}, which you have not met yet; learners in your class "
                f"made it in {round(100 * class_rate)}% of their chances.")
    severity = findings[code].severity if code in findings else "warning"
    kind = "a critical pitfall" if severity == "critical" else "a pitfall"
    return f"This case tests {label}, {kind} you have not met yet."


def longest_ago(cases: Sequence[str], last_attempt: Sequence[float | None],
                today: float) -> Recommendation:
    """When nothing is new or due: the case worked longest ago (the first case when none)."""
    worked = [(day, k) for k, day in enumerate(last_attempt) if day is not None]
    k = min(worked)[1] if worked else 0
    ago = None if last_attempt[k] is None else int(today - last_attempt[k])
    when = f" ({days_text(ago)})" if ago is not None else ""
    return Recommendation(cases[k], "No pitfall is due yet; this is the case you worked "
                                    f"longest ago{when}.", again=ago is not None)


def days_text(days: int) -> str:
    return "today" if days <= 0 else "yesterday" if days == 1 else f"{days} days ago"


def _s(n: int) -> str:
    return "" if n == 1 else "s"
