"""What changed between two judged attempts at the same visit: score and unclipped points,
problems fixed, pitfalls removed, new problems. Engine-agnostic: it reads only the public
fields of :class:`~dystonia_teach.core.results.Assessment` (findings by code and step)::

    change = progress(before, after)
    change.points_delta, change.fixed, change.pitfalls_removed, change.new_problems
"""

from __future__ import annotations

from dataclasses import dataclass

from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.results import Assessment, Finding

#: Finding codes that credit a choice rather than name a problem.
RIGHT_CODES = ("appropriate_step", "acceptable_step", "working_diagnosis_correct")


@dataclass(frozen=True)
class Progress:
    """The later attempt against the earlier one."""

    score_before: float
    score_after: float
    points_before: float
    points_after: float
    fixed: tuple[str, ...]  # summaries of problems the later attempt no longer has
    pitfalls_removed: tuple[str, ...]  # labels of pitfall kinds gone
    new_problems: tuple[str, ...]  # summaries of problems the earlier attempt did not have
    credited: tuple[str, ...]  # right choices added (a step whose problem was fixed: once)
    decisions_made: tuple[str, ...] = ()  # decisions of the pathway now made (when the
    # engine reports them: ``Assessment.decisions``)

    @property
    def points_delta(self) -> float:
        return self.points_after - self.points_before

    @property
    def score_delta(self) -> float:
        return self.score_after - self.score_before


def is_problem(finding: Finding) -> bool:
    return finding.code not in RIGHT_CODES


def _by_key(findings: tuple[Finding, ...], problems: bool) -> dict[tuple[str, str | None],
                                                                     Finding]:
    return {(f.code, f.step): f for f in findings if is_problem(f) == problems}


def _made(assessment: Assessment) -> dict[str, str]:
    """Decision id -> label of the decisions made, when the engine reports them."""
    return {d.decision: d.label for d in getattr(assessment, "decisions", ()) or () if d.made}


def progress(before: Assessment, after: Assessment) -> Progress:
    """How ``after`` differs from ``before`` (two attempts at one case and visit)."""
    kinds = knowledge().findings
    old, new = _by_key(before.findings, True), _by_key(after.findings, True)
    right_old, right_new = _by_key(before.findings, False), _by_key(after.findings, False)
    removed = [code for code in dict.fromkeys(before.pitfalls) if code not in after.pitfalls]
    fixed_steps = {k[1] for k in old if k not in new and k[1] is not None}
    return Progress(
        score_before=before.score, score_after=after.score,
        points_before=before.points, points_after=after.points,
        fixed=tuple(dict.fromkeys(f.summary for k, f in old.items() if k not in new)),
        pitfalls_removed=tuple(kinds[c].label if c in kinds else c for c in removed),
        new_problems=tuple(dict.fromkeys(f.summary for k, f in new.items() if k not in old)),
        credited=tuple(dict.fromkeys(f.summary for k, f in right_new.items()
                                     if k not in right_old and k[1] not in fixed_steps)),
        decisions_made=tuple(label for d, label in _made(after).items()
                             if d not in _made(before)))
