"""Held-out check: vignettes written from README.md and docs/ alone, never tuned to the engine.

Each batch is a folder of cases (tests/heldout_cases/, tests/heldout_cases_2/, ...) and a file of
the verdicts an instructor expects from the docs (tests/heldout_verdicts.yaml, ...), written before
any plan was scored. For each case: `case_id: {plans: {name: {steps: [step, step=mg,
step!urgent], pitfalls: {code: severity}, safety: safe|caution|unsafe}}, ranking: [best..worst],
ranking_also: [...]}`. A plan's `pitfalls` are its pitfall codes with their severities (no
others); its `safety` is the expected safety verdict; a plan gives either or both. The plans in
each ranking chain from best to worst. Each expectation is one verdict; the share of right
verdicts is reported per batch and combined (target: at least 95%) with every miss.
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
SAFETY = ("safe", "caution", "unsafe")
PRIORITIES = ("routine", "urgent")
PLAN_KEYS = {"steps", "pitfalls", "safety"}
CASE_KEYS = {"plans", "ranking", "ranking_also"}


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
    # Written blind for issue 17 (the version-3 principles), committed before any scoring. First
    # run: 219/228 (96.1%): the Wilson screen was required only in isolated dystonia, so it was
    # low-value in a 14-year-old with root signs and its omission safe in a 9-year-old with an
    # extensor plantar. After keying it to any young-onset dystonia nothing else explains (and
    # acceptable beside root signs): 228/228. One case file gained the blood-test result the v3
    # pathway orders (validate requires it); no verdict changed.
    Batch("batch 3", HERE / "heldout_cases_3", HERE / "heldout_verdicts_3.yaml", 0.96),
)

Result = tuple[bool, str]


def _action(text: str) -> str | dict[str, object]:
    """A plan step as `evaluate` takes it: `step`, `step=mg` (daily dose) or `step!urgent`."""
    order, _, dose = text.partition("=")
    step, _, priority = order.partition("!")
    if priority and priority not in PRIORITIES:
        raise ValueError(f"{text!r}: unknown priority {priority!r} (write step!urgent)")
    action: dict[str, object] = {"step": step}
    if dose:
        action["dose_mg_per_day"] = float(dose)
    if priority == "urgent":
        action["priority"] = "urgent"
    return action if len(action) > 1 else step


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


def _check_spec(where: str, spec: dict[str, Any]) -> None:
    """Refuse a malformed verdict entry (a misspelt key would silently drop its verdicts)."""
    if unknown := set(spec) - CASE_KEYS:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(CASE_KEYS)})")
    for name, plan in spec["plans"].items():
        at = f"{where}/{name}"
        if unknown := set(plan) - PLAN_KEYS:
            raise ValueError(f"{at}: unknown keys {sorted(unknown)} (allowed: {sorted(PLAN_KEYS)})")
        if not plan.get("steps") or not {"pitfalls", "safety"} & set(plan):
            raise ValueError(f"{at}: give steps and at least one of pitfalls, safety")
        for code, severity in (plan.get("pitfalls") or {}).items():
            if severity not in SEVERITY_ORDER:
                raise ValueError(f"{at}: {code}: unknown severity {severity!r}")
        if "safety" in plan and plan["safety"] not in SAFETY:
            raise ValueError(f"{at}: safety {plan['safety']!r} is not one of {SAFETY}")
        for step in plan["steps"]:
            _action(step)
    for key in ("ranking", "ranking_also"):
        if unknown := set(spec.get(key, [])) - set(spec["plans"]):
            raise ValueError(f"{where}: {key} names no plan {sorted(unknown)}")


def _load(batch: Batch) -> dict[str, Any]:
    spec = YAML(typ="safe").load(batch.verdicts.read_text("utf-8"))
    for case_id, entry in spec.items():
        _check_spec(f"{batch.verdicts.name}: {case_id}", entry)
    return spec


def _pitfall_results(where: str, got: dict[str, str], expected: dict[str, str]) -> list[Result]:
    """One verdict for the set of pitfall codes, then one per expected code's severity."""
    results = [(set(got) == set(expected),
                f"{where}: pitfalls {sorted(got)}, expected {sorted(expected)}")]
    results += [(got.get(code) == severity,
                 f"{where}: {code} is {got.get(code)}, expected {severity}")
                for code, severity in expected.items()]
    return results


def _verdicts(cases: Path, case_id: str, spec: dict[str, Any]) -> list[Result]:
    case = load_case(cases / f"{case_id}.yaml")
    results: list[Result] = []
    assessed = {}
    for name, plan in spec["plans"].items():
        assessment = evaluate(case, [_action(s) for s in plan["steps"]])
        assessed[name] = assessment
        if "pitfalls" in plan:
            results += _pitfall_results(f"{case_id}/{name}", _pitfalls(assessment),
                                        dict(plan["pitfalls"] or {}))
        if "safety" in plan:
            results.append((assessment.safety == plan["safety"],
                            f"{case_id}/{name}: safety {assessment.safety}, "
                            f"expected {plan['safety']}"))
    pairs = [pair for key in ("ranking", "ranking_also") for pair in pairwise(spec.get(key, []))]
    for better, worse in pairs:
        a, b = _rank_value(assessed[better]), _rank_value(assessed[worse])
        results.append((a > b, f"{case_id}: {better} ({a:g}) should rank above {worse} ({b:g})"))
    return results


@cache
def _results(batch: Batch) -> tuple[Result, ...]:
    spec = _load(batch)
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


@pytest.mark.parametrize(("text", "action"), [
    ("neuro_exam", "neuro_exam"),
    ("naproxen=1000", {"step": "naproxen", "dose_mg_per_day": 1000.0}),
    ("mri_lumbar_noncontrast!urgent", {"step": "mri_lumbar_noncontrast", "priority": "urgent"}),
    ("ct_myelography!routine", "ct_myelography"),
])
def test_a_plan_step_reads_as_an_action(text: str, action: str | dict[str, object]) -> None:
    assert _action(text) == action


def test_an_unknown_priority_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'stat'"):
        _action("urgent_surgical_referral!stat")


@pytest.mark.parametrize(("plan", "message"), [
    ({"steps": ["neuro_exam"], "saftey": "safe"}, "unknown keys \\['saftey'\\]"),
    ({"steps": ["neuro_exam"]}, "at least one of pitfalls, safety"),
    ({"steps": ["neuro_exam"], "safety": "fine"}, "safety 'fine'"),
    ({"steps": ["neuro_exam"], "pitfalls": {"low_value_care": "minor"}}, "unknown severity"),
])
def test_a_malformed_verdict_is_refused(plan: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _check_spec("case", {"plans": {"plan": plan}})


@pytest.mark.parametrize("batch", BATCHES, ids=[b.name.replace(" ", "_") for b in BATCHES])
def test_every_verdict_file_is_well_formed(batch: Batch) -> None:
    assert _load(batch)


@pytest.mark.parametrize("batch", BATCHES, ids=[b.name.replace(" ", "_") for b in BATCHES])
def test_heldout_share_does_not_fall_below_the_first_measurement(batch: Batch) -> None:
    share, text = _summary(batch.name, _results(batch))
    print(text)
    assert share >= batch.floor, f"{share:.1%} right, below {batch.floor:.0%}:\n{text}"


def test_heldout_vignettes_reach_the_target_share() -> None:
    share, text = _report()
    assert share >= TARGET, f"{share:.1%} right combined, target {TARGET:.0%}:\n{text}"
