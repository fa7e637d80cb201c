"""The engine: derive the recommended pathway from a case's facts and judge a learner's choices.

``evaluate(case, actions)`` is deterministic and pure: it reads the case and the packaged
knowledge base, never the case's own answers (a case holds none).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.errors import ActionError, did_you_mean
from dystonia_teach.core.kb_model import SEVERITY_ORDER, KnowledgeBase, Slot
from dystonia_teach.core.knowledge import knowledge, source_ref
from dystonia_teach.core.predicates import holds
from dystonia_teach.core.results import Action, Assessment, Finding, PathwayItem
from dystonia_teach.core.rules import RULE_KINDS, Context
from dystonia_teach.core.vocabulary import DIAGNOSES

ActionLike = str | Mapping[str, Any] | Action
PENALTY = {"critical": 0.25, "warning": 0.1, "info": 0.0}
_ACTION_KEYS = {"step", "dose_mg_per_day"}


def parse_action(raw: ActionLike, kb: KnowledgeBase | None = None) -> Action:
    """Turn a step id or ``{"step": id, "dose_mg_per_day": n}`` into an Action, checking both."""
    kb = kb or knowledge()
    if isinstance(raw, Action):
        step, dose = raw.step, raw.dose_mg_per_day
    elif isinstance(raw, str):
        step, dose = raw, None
    elif isinstance(raw, Mapping):
        unknown = set(raw) - _ACTION_KEYS
        if unknown:
            name = sorted(unknown)[0]
            hint = did_you_mean(name, _ACTION_KEYS) or "use 'dose_mg_per_day' (mg per day)"
            raise ActionError(f"action {dict(raw)!r}: unknown key {name!r}; {hint}")
        if "step" not in raw:
            raise ActionError(f"action {dict(raw)!r}: missing 'step'")
        step, dose = raw["step"], raw.get("dose_mg_per_day")
    else:
        raise ActionError(f"action {raw!r}: expected a step id or a mapping with 'step'")
    if not isinstance(step, str) or step not in kb.steps:
        hint = did_you_mean(str(step), kb.steps) or "see step_catalogue() for the ids"
        raise ActionError(f"unknown step id {step!r}; {hint}")
    if dose is not None:
        if kb.steps[step].dose is None:
            raise ActionError(f"{step}: a dose was given, but {step} is not a dosed drug")
        if isinstance(dose, bool) or not isinstance(dose, int | float) or not math.isfinite(dose):
            raise ActionError(
                f"{step}: dose_mg_per_day must be a number of mg per day, not {dose!r}")
        if dose <= 0:
            raise ActionError(f"{step}: dose_mg_per_day must be positive, not {dose!r}")
        dose = float(dose)
    return Action(step, dose)


def derive_pathway(
    case: Case, kb: KnowledgeBase | None = None
) -> tuple[list[tuple[Slot, PathwayItem]], set[str]]:
    """The recommended pathway (slots with their display items) and the acceptable steps."""
    kb = kb or knowledge()
    items: list[tuple[Slot, PathwayItem]] = []
    acceptable: set[str] = set()
    seen: set[str] = set()
    for block in kb.pathway:
        if not holds(case, block.when):
            continue
        acceptable.update(block.acceptable)
        for slot in block.slots:
            if slot.step in seen:
                continue
            seen.add(slot.step)
            step = kb.steps[slot.step]
            items.append((slot, PathwayItem(
                step=step.id,
                label=step.label,
                phase=step.phase,
                alternatives=tuple(s for s in slot.any_of if s != step.id),
                dose_mg_per_day=slot.dose_mg_per_day,
                reason=block.reason,
                sources=tuple(source_ref(c) for c in step.evidence),
            )))
    return items, acceptable


def recommended_pathway(case: Case) -> tuple[PathwayItem, ...]:
    """The pathway the algorithm derives for ``case``, in order."""
    return tuple(item for _, item in derive_pathway(case)[0])


def recommended_actions(case: Case) -> list[Action]:
    """The recommended pathway as actions (drugs with their dose), ready for ``evaluate``."""
    return [item.action for item in recommended_pathway(case)]


def _built_once(build: Callable[..., Finding]) -> Callable[..., Finding]:
    """A finding depends only on its arguments and is immutable: build each once. (The cache
    keeps each knowledge base alive, so its id cannot be reused by another.)"""
    cache: dict[tuple[Any, ...], tuple[KnowledgeBase, Finding]] = {}

    @functools.wraps(build)
    def cached(kb: KnowledgeBase, *args: Any, **kwargs: Any) -> Finding:
        key = (id(kb), args, tuple(sorted(kwargs.items())))
        hit = cache.get(key)
        if hit is None:
            if len(cache) >= 100_000:
                cache.clear()
            hit = cache[key] = (kb, build(kb, *args, **kwargs))
        return hit[1]

    return cached


@_built_once
def _finding(kb: KnowledgeBase, code: str, step: str | None, extra: str = "",
             reason: str = "") -> Finding:
    kind = kb.findings[code]
    label = kb.steps[step].label if step else "This plan"
    evidence = kind.evidence or (kb.steps[step].evidence if step else ())
    detail = " ".join(part for part in (reason or kind.why, extra) if part)
    return Finding(
        code=code,
        severity=kind.severity,
        summary=kind.summary.format(step=label),
        step=step,
        detail=detail,
        instead=kind.instead,
        sources=tuple(source_ref(c) for c in evidence),
        pitfall=kind.pitfall,
    )


def evaluate(
    case: Case, actions: Iterable[ActionLike], working_diagnosis: str | None = None, *,
    pathway: tuple[list[tuple[Slot, PathwayItem]], set[str]] | None = None,
) -> Assessment:
    """Judge ``actions`` (step ids or ``{"step", "dose_mg_per_day"}``) for ``case``.

    ``pathway`` is ``derive_pathway(case)``, given by callers judging many plans for one case.

    Raises :class:`ActionError` for an unknown step id or a malformed dose; every clinical
    judgement is returned as a finding.
    """
    kb = knowledge()
    parsed = [parse_action(raw, kb) for raw in actions]
    chosen: dict[str, Action] = {}
    for action in parsed:
        chosen.setdefault(action.step, action)
    if working_diagnosis is not None and working_diagnosis not in DIAGNOSES:
        hint = did_you_mean(working_diagnosis, DIAGNOSES) or f"one of {', '.join(DIAGNOSES)}"
        raise ActionError(f"unknown diagnosis {working_diagnosis!r}; {hint}")

    slots, acceptable = pathway if pathway is not None else derive_pathway(case, kb)
    recommended = frozenset(s for slot, _ in slots for s in slot.any_of)
    ctx = Context(case, kb, chosen, recommended)

    findings: list[Finding] = []
    for rule in kb.rules:
        if holds(case, rule.when):
            findings.extend(_finding(kb, code, step, extra)
                            for code, step, extra in RULE_KINDS[rule.kind](rule, ctx))
    raised = {f.code for f in findings}
    flagged = {f.step for f in findings if f.severity != "info"}

    reasons = {s: item.reason for slot, item in slots for s in slot.any_of}
    for step in chosen:
        if step in flagged:
            continue
        if step in recommended:
            findings.append(_finding(kb, "appropriate_step", step, reason=reasons[step]))
        elif step in acceptable:
            findings.append(_finding(kb, "acceptable_step", step))
        elif not any(f.step == step for f in findings):
            findings.append(_finding(kb, "step_not_indicated", step))

    covered = 0
    for slot, item in slots:
        if any(s in chosen for s in slot.any_of):
            covered += 1
        elif not raised.intersection(slot.reported_by):
            findings.append(_finding(kb, "missing_step", slot.step, reason=item.reason))

    if working_diagnosis is not None:
        code = ("working_diagnosis_correct" if working_diagnosis == case.diagnosis
                else "working_diagnosis_incorrect")
        findings.append(_finding(kb, code, None))

    findings.sort(key=lambda f: SEVERITY_ORDER[f.severity])  # stable: rule order within a level
    coverage = covered / len(slots) if slots else 1.0
    penalty = sum(PENALTY[f.severity] for f in findings if f.code != "missing_step")
    pitfalls = tuple(dict.fromkeys(f.code for f in findings if f.pitfall))
    return Assessment(
        case_id=case.id,
        score=round(max(0.0, min(1.0, coverage - penalty)), 3),
        findings=tuple(findings),
        pitfalls=pitfalls,
        recommended=tuple(item for _, item in slots),
        chosen=tuple(parsed),
        diagnosis=case.diagnosis,
        working_diagnosis=working_diagnosis,
        covered=tuple(s for s in chosen if s in recommended),
    )
