"""Held-out check: vignettes written from README.md and docs/ alone, never tuned to the engine.

Each batch is a folder of cases (tests/heldout_cases/, tests/heldout_cases_2/) and a file of the
verdicts an instructor expects from the docs (tests/heldout_verdicts.yaml,
tests/heldout_verdicts_2.yaml), written before any plan was scored. For each case:
`case_id: {plans: {name: {steps: [step, step=mg], pitfalls: {code: severity}}}, ranking: [best..
worst], ranking_also: [...]}`; for each plan its pitfall codes with their severities (no others),
and the plans in each ranking chain from best to worst. Each expectation is one verdict; the share
of right verdicts is reported per batch and combined (target: at least 95%) with every miss.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from dystonia_teach import evaluate, load_case
from dystonia_teach.core.kb_model import SEVERITY_ORDER
from dystonia_teach.core.results import Assessment

HERE = Path(__file__).parent
TARGET = 0.95


@dataclass(frozen=True)
class Batch:
    """One batch of held-out cases and its verdicts, with the share first measured on it."""

    name: str
    cases: Path
    verdicts: Path
    #: The share measured on the batch's first run against the engine: a regression guard.
    floor: float


BATCHES = (
    # First run: 85/91 (93.4%). After the judgement of specification v3 (issue 17; the verdicts
    # it changes explicitly say so, with the spec section): 90/90.
    Batch("batch 1", HERE / "heldout_cases", HERE / "heldout_verdicts.yaml", 1.0),
    # First run, after the verdicts were committed: 132/138 (95.7%); after the fixes of issue 8
    # (cautions beside "not indicated", one finding for a routine step instead of an urgent one,
    # critical omissions weighted 2): 135/138 (97.8%); after specification v3 (issue 17):
    # 137/139 (98.6%).
    Batch("batch 2", HERE / "heldout_cases_2", HERE / "heldout_verdicts_2.yaml", 0.98),
)

Result = tuple[bool, str]


def _action(text: str) -> str | dict[str, object]:
    step, _, dose = text.partition("=")
    return {"step": step, "dose_mg_per_day": float(dose)} if dose else step


def _pitfalls(assessment: Assessment) -> dict[str, str]:
    """Each pitfall code raised, with its most severe severity."""
    found: dict[str, str] = {}
    for finding in assessment.findings:
        current = found.get(finding.code)
        if finding.pitfall and (current is None
                                or SEVERITY_ORDER[finding.severity] < SEVERITY_ORDER[current]):
            found[finding.code] = finding.severity
    return found


def _rank_value(assessment: Assessment) -> float:
    return float(getattr(assessment, "points", assessment.score))


def _verdicts(cases: Path, case_id: str, spec: dict[str, Any]) -> list[Result]:
    case = load_case(cases / f"{case_id}.yaml")
    results: list[Result] = []
    assessed = {}
    for name, plan in spec["plans"].items():
        assessment = evaluate(case, [_action(s) for s in plan["steps"]])
        assessed[name] = assessment
        got = _pitfalls(assessment)
        expected: dict[str, str] = dict(plan.get("pitfalls") or {})
        results.append((set(got) == set(expected),
                        f"{case_id}/{name}: pitfalls {sorted(got)}, expected {sorted(expected)}"))
        for code, severity in expected.items():
            results.append((got.get(code) == severity,
                            f"{case_id}/{name}: {code} is {got.get(code)}, expected {severity}"))
    pairs = [pair for key in ("ranking", "ranking_also") for pair in pairwise(spec.get(key, []))]
    for better, worse in pairs:
        a, b = _rank_value(assessed[better]), _rank_value(assessed[worse])
        results.append((a > b, f"{case_id}: {better} ({a:g}) should rank above {worse} ({b:g})"))
    return results


@cache
def _results(batch: Batch) -> tuple[Result, ...]:
    spec = YAML(typ="safe").load(batch.verdicts.read_text("utf-8"))
    assert {p.stem for p in batch.cases.glob("*.yaml")} == set(spec), (
        f"{batch.name}: one verdict entry per case in {batch.cases.name}")
    return tuple(r for case_id in sorted(spec)
                 for r in _verdicts(batch.cases, case_id, spec[case_id]))


def _summary(name: str, results: tuple[Result, ...]) -> tuple[float, str]:
    right = sum(ok for ok, _ in results)
    share = right / len(results)
    misses = "\n".join(f"  {message}" for ok, message in results if not ok)
    return share, f"{name}: {right}/{len(results)} = {share:.1%} right\n{misses}".rstrip()


def _report(batches: tuple[Batch, ...] = BATCHES) -> tuple[float, str]:
    """The combined share, and a report with each batch's share and misses, then the total."""
    per_batch = [_summary(batch.name, _results(batch)) for batch in batches]
    combined = tuple(r for batch in batches for r in _results(batch))
    share, total = _summary("combined", combined)
    text = "\n".join([text for _, text in per_batch] + [total.splitlines()[0]])
    print(f"held-out verdicts\n{text}")
    return share, text


@pytest.mark.parametrize("batch", BATCHES, ids=[b.name.replace(" ", "_") for b in BATCHES])
def test_heldout_share_does_not_fall_below_the_first_measurement(batch: Batch) -> None:
    share, text = _summary(batch.name, _results(batch))
    print(text)
    assert share >= batch.floor, f"{share:.1%} right, below {batch.floor:.0%}:\n{text}"


def test_heldout_vignettes_reach_the_target_share() -> None:
    share, text = _report()
    assert share >= TARGET, f"{share:.1%} right combined, target {TARGET:.0%}:\n{text}"
