"""The engine: derive the recommended pathway from a case's facts and judge a learner's choices.

``evaluate(case, actions)`` is deterministic and pure: it reads the case and the packaged
knowledge base, never the case's own answers (a case holds none).
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.cautions import cautions_met, contraindicated_steps
from dystonia_teach.core.errors import ActionError, did_you_mean
from dystonia_teach.core.kb_model import (
    SEVERITY_ORDER,
    Caution,
    KnowledgeBase,
    Rule,
    Slot,
)
from dystonia_teach.core.knowledge import knowledge, source_ref
from dystonia_teach.core.predicates import holds
from dystonia_teach.core.results import Action, Assessment, Finding, PathwayItem
from dystonia_teach.core.rules import (
    RULE_KINDS,
    Context,
    aside_codes,
    late_versions,
    trigger_steps,
)
from dystonia_teach.core.vocabulary import DIAGNOSES
from dystonia_teach.core.wording import with_subject

ActionLike = str | Mapping[str, Any] | Action
_ACTION_KEYS = ("step", "dose_mg_per_day")
_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 60


def parse_action(raw: ActionLike, kb: KnowledgeBase | None = None) -> Action:
    """Turn a step id or ``{"step": id, "dose_mg_per_day": n}`` into an Action, checking both.

    Raises :class:`ActionError` for anything else: an unknown step, an unknown key, or a dose
    that is not a positive, finite number of mg a day (also one too large for a float, 10**400).
    """
    kb = kb or knowledge()
    if isinstance(raw, Action):
        step, dose = raw.step, raw.dose_mg_per_day
    elif isinstance(raw, str):
        step, dose = raw, None
    elif isinstance(raw, Mapping):
        unknown = [key for key in raw if key not in _ACTION_KEYS]
        if unknown:
            key = unknown[0]
            hint = (did_you_mean(key, _ACTION_KEYS) if isinstance(key, str) else "") or (
                "use 'dose_mg_per_day' (mg per day)")
            raise ActionError(f"action {_shown(raw)}: unknown key {_shown(key)}; {hint}")
        if "step" not in raw:
            raise ActionError(f"action {_shown(raw)}: missing 'step'")
        step, dose = raw["step"], raw.get("dose_mg_per_day")
    else:
        raise ActionError(f"action {_shown(raw)}: expected a step id or a mapping with 'step'")
    if not isinstance(step, str) or step not in kb.steps:
        hint = (did_you_mean(step, kb.steps) if isinstance(step, str) else "") or (
            "see step_catalogue() for the ids")
        raise ActionError(f"unknown step id {_shown(step)}; {hint}")
    if dose is not None:
        if kb.steps[step].dose is None:
            raise ActionError(f"{step}: a dose was given, but {step} is not a dosed drug")
        dose = _dose(step, dose)
    return Action(step, dose)


def _dose(step: str, dose: object) -> float:
    """A dose as a positive, finite float, or an :class:`ActionError` naming the problem."""
    if isinstance(dose, bool) or not isinstance(dose, int | float):
        raise ActionError(f"{step}: dose_mg_per_day must be a number of mg per day, "
                          f"not {_shown(dose)}")
    try:
        value = float(dose)
    except OverflowError:  # an int beyond a float's range
        value = math.inf
    if not math.isfinite(value):
        raise ActionError(f"{step}: dose_mg_per_day must be a number of mg per day, "
                          f"not {_shown(dose)} (not finite, or too large)")
    if value <= 0:
        raise ActionError(f"{step}: dose_mg_per_day must be positive, not {_shown(dose)}")
    return value


def _shown(value: object) -> str:
    """A short repr for messages; never fails (a huge int or a deep structure is cut)."""
    try:
        return _SHORT_REPR.repr(value)
    except (ValueError, RecursionError):
        return f"<{type(value).__name__}>"


def derive_pathway(
    case: Case, kb: KnowledgeBase | None = None
) -> tuple[list[tuple[Slot, PathwayItem]], set[str]]:
    """The recommended pathway (slots with their display items) and the acceptable steps."""
    kb = kb or knowledge()
    return _derive(case, kb, cautions_met(case, kb))


def _derive(case: Case, kb: KnowledgeBase, met: Mapping[str, tuple[Caution, ...]]
            ) -> tuple[list[tuple[Slot, PathwayItem]], set[str]]:
    items: list[tuple[Slot, PathwayItem]] = []
    acceptable: set[str] = set()
    seen: set[str] = set()
    barred = contraindicated_steps(met)
    for block in kb.pathway:
        if not holds(case, block.when):
            continue
        if not barred.issuperset(block.if_contraindicated) or barred.intersection(
                block.unless_contraindicated):
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
    items.extend(_companions(kb, met, items, seen))
    return items, acceptable


def _companions(kb: KnowledgeBase, met: Mapping[str, tuple[Caution, ...]],
                items: list[tuple[Slot, PathwayItem]],
                seen: set[str]) -> list[tuple[Slot, PathwayItem]]:
    """Slots for the steps that resolve a caution on a recommended step (a periprocedural
    plan before an elective operation on an anticoagulant, gastro-protection for an NSAID).
    Each counts only with a step its caution is about (a :class:`_CompanionSlot`)."""
    extra: dict[str, tuple[Slot, PathwayItem]] = {}
    for slot, _ in items:
        for caution in met.get(slot.step, ()):
            if not caution.unless_any or caution.unless_any[0] in seen:
                continue
            key = caution.unless_any[0]
            if key in extra:  # a second caution resolved by the same step widens its trigger
                companion, item = extra[key]
                only_with = tuple(dict.fromkeys((*companion.only_with, *caution.steps)))
                extra[key] = (_CompanionSlot(any_of=companion.any_of, only_with=only_with),
                              item)
                continue
            companion = _CompanionSlot(any_of=caution.unless_any, only_with=caution.steps)
            step = kb.steps[companion.step]
            extra[key] = (companion, PathwayItem(
                step=step.id, label=step.label, phase=step.phase,
                alternatives=caution.unless_any[1:], dose_mg_per_day=None,
                reason=caution.text, sources=tuple(source_ref(c) for c in step.evidence)))
    seen.update(extra)
    return list(extra.values())


class _CompanionSlot(Slot):
    """A slot for the step that resolves a caution: it counts whenever one of ``only_with`` is
    chosen and no rule judged that step wrong (the caution it resolves is no such judgement:
    "add the periprocedural plan" is the caution's own advice)."""


@dataclass(frozen=True)
class _SlotCheck:
    """One slot of the derived pathway, ready for ``evaluate`` (sets, and its missing finding)."""

    any_of: frozenset[str]
    only_with: tuple[str, ...]
    reported_by: frozenset[str]
    missing: Finding
    #: A companion slot (see ``_CompanionSlot``): a caution on its trigger does not drop it.
    companion: bool = False


@dataclass(frozen=True)
class _CaseFacts:
    """Everything ``evaluate`` derives from the case alone (kept for the case's lifetime)."""

    slots: list[tuple[Slot, PathwayItem]]
    acceptable: set[str]
    recommended: frozenset[str]
    #: (rule, its kind, its unless_raised codes, its trigger steps: see rules.trigger_steps,
    #: its codes that leave the step's own verdict standing: rules.aside_codes, and whether it
    #: names late versions of the steps it requires: rules.late_versions)
    rules: tuple[tuple[Rule, Any, frozenset[str], frozenset[str] | None, frozenset[str], bool],
                 ...]
    cautions: Mapping[str, tuple[Caution, ...]]
    pathway: tuple[PathwayItem, ...]
    checks: tuple[_SlotCheck, ...]
    #: Steps neither recommended nor acceptable, and not harmless: judged wrong from the start.
    wrong_from_start: frozenset[str]
    #: Step -> the finding a chosen step gets when no rule judged it (appropriate, acceptable,
    #: or not indicated), and whether that finding is the not-indicated one.
    verdicts: Mapping[str, tuple[Finding, bool]]
    #: A step that resolves a caution (``unless_any``) -> the steps whose caution it resolves:
    #: chosen with one of them it is the caution's own advice, never "not indicated".
    remedies: Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class _Tables:
    """What ``evaluate`` looks up in the knowledge base on every call, built once per base."""

    plain: Mapping[str, Action]  # step id -> the action of choosing it with no dose
    weight: Mapping[str, float]  # step id -> the weight of its harm class
    rubric: str  # the rubric template with its whitespace already collapsed


_FACTS: dict[int, tuple[Case, _CaseFacts]] = {}
_FACTS_KEPT = 256
_TABLES: dict[int, tuple[KnowledgeBase, _Tables]] = {}


def _tables(kb: KnowledgeBase) -> _Tables:
    """The per-base lookups, cached by identity (the entry holds the base)."""
    hit = _TABLES.get(id(kb))
    if hit is not None and hit[0] is kb:
        return hit[1]
    harms = {h.id: h for h in kb.scoring.harm_classes}
    tables = _Tables(
        plain={step: Action(step) for step in kb.steps},
        weight={step: harms[s.harm].weight for step, s in kb.steps.items()},
        rubric=" ".join(kb.scoring.rubric.split()),  # the fields hold no whitespace
    )
    _TABLES.clear()
    _TABLES[id(kb)] = (kb, tables)
    return tables


def _case_facts(case: Case, kb: KnowledgeBase) -> _CaseFacts:
    """The derivation for ``case``, cached by identity (hashing a case costs more than this);
    the entry holds the case, so its id cannot be reused while cached."""
    hit = _FACTS.get(id(case))
    if hit is not None and hit[0] is case:
        return hit[1]
    met = cautions_met(case, kb)
    slots, acceptable = _derive(case, kb, met)
    recommended = frozenset(s for slot, _ in slots for s in slot.any_of)
    harms = {h.id: h for h in kb.scoring.harm_classes}
    reasons = {s: item.reason for slot, item in slots for s in slot.any_of}
    verdicts: dict[str, tuple[Finding, bool]] = {}
    for step in kb.steps:
        if step in recommended:
            verdicts[step] = (_finding(kb, "appropriate_step", step, reason=reasons[step]), False)
        elif step in acceptable:
            verdicts[step] = (_finding(kb, "acceptable_step", step), False)
        else:
            severity = harms[kb.steps[step].harm].not_indicated
            verdicts[step] = (_finding(kb, kb.scoring.not_indicated_codes[severity], step,
                                       severity=severity), True)
    facts = _CaseFacts(
        slots=slots,
        acceptable=acceptable,
        recommended=recommended,
        rules=tuple((r, RULE_KINDS[r.kind], frozenset(r.params.get("unless_raised", ())),
                     trigger_steps(r, kb, met), aside_codes(r), "late_versions" in r.params)
                    for r in kb.rules if holds(case, r.when)),
        cautions=met,
        pathway=tuple(item for _, item in slots),
        checks=tuple(_SlotCheck(frozenset(slot.any_of), slot.only_with,
                                frozenset(slot.reported_by),
                                _finding(kb, "missing_step", slot.step, reason=item.reason),
                                isinstance(slot, _CompanionSlot))
                     for slot, item in slots),
        wrong_from_start=frozenset(
            s for s in kb.steps if s not in recommended and s not in acceptable
            and harms[kb.steps[s].harm].not_indicated != "info"),
        verdicts=verdicts,
        remedies=_remedies(kb, met, verdicts),
    )
    if len(_FACTS) >= _FACTS_KEPT:
        _FACTS.clear()
    _FACTS[id(case)] = (case, facts)
    return facts


def _remedies(kb: KnowledgeBase, met: Mapping[str, tuple[Caution, ...]],
              verdicts: Mapping[str, tuple[Finding, bool]]) -> dict[str, frozenset[str]]:
    """The steps that resolve a caution met by this patient and would otherwise be judged not
    indicated (gastro-protection beside an acceptable NSAID, the periprocedural plan beside an
    acceptable injection), each with the steps whose caution it resolves."""
    found: dict[str, set[str]] = {}
    for step, cautions in met.items():
        for caution in cautions:
            for remedy in caution.unless_any:
                if remedy in kb.steps and verdicts[remedy][1]:
                    found.setdefault(remedy, set()).add(step)
    return {remedy: frozenset(steps) for remedy, steps in found.items()}


def recommended_pathway(case: Case) -> tuple[PathwayItem, ...]:
    """The pathway the algorithm derives for ``case``, in order."""
    return tuple(item for _, item in derive_pathway(case)[0])


def recommended_actions(case: Case) -> list[Action]:
    """The recommended pathway as actions (drugs with their dose), ready for ``evaluate``."""
    return [item.action for item in recommended_pathway(case)]


def _finding(kb: KnowledgeBase, code: str, step: str | None, extra: str = "",
             reason: str = "", severity: str | None = None,
             evidence: tuple[str, ...] = (), instead: str = "") -> Finding:
    if kb is knowledge():  # the packaged knowledge never changes: findings are shared values
        return _packaged_finding(code, step, extra, reason, severity, evidence, instead)
    return _build_finding(kb, code, step, extra, reason, severity, evidence, instead)


@lru_cache(maxsize=8192)
def _packaged_finding(code: str, step: str | None, extra: str, reason: str,
                      severity: str | None, evidence: tuple[str, ...],
                      instead: str = "") -> Finding:
    return _build_finding(knowledge(), code, step, extra, reason, severity, evidence, instead)


def _build_finding(kb: KnowledgeBase, code: str, step: str | None, extra: str, reason: str,
                   severity: str | None, evidence: tuple[str, ...],
                   instead: str = "") -> Finding:
    kind = kb.findings[code]
    evidence = evidence or kind.evidence or (kb.steps[step].evidence if step else ())
    detail = " ".join(part for part in (reason or kind.why, extra) if part)
    return Finding(
        code=code,
        severity=severity or kind.severity,
        summary=(with_subject(kind.summary, kb.steps[step].label, kb.steps[step].plural)
                 if step else with_subject(kind.summary, "This plan")),
        step=step,
        detail=detail,
        instead=instead or kind.instead,
        sources=tuple(source_ref(c) for c in evidence),
        pitfall=kind.pitfall,
    )


def evaluate(
    case: Case, actions: Iterable[ActionLike], working_diagnosis: str | None = None,
) -> Assessment:
    """Judge ``actions`` (step ids or ``{"step", "dose_mg_per_day"}``) for ``case``.

    What depends on the case alone (the derived pathway, the rules that apply, the cautions) is
    derived once per case object and reused for every plan judged on it.

    Raises :class:`ActionError` for actions that are not a list, an unknown step id or
    diagnosis, or a malformed dose (see :func:`parse_action`); every clinical judgement is
    returned as a finding.
    """
    kb = knowledge()
    if type(actions) is not list and (  # a list is the usual case; the ABC checks cost more
            isinstance(actions, str | Mapping) or not isinstance(actions, Iterable)):
        raise ActionError(f"actions must be a list of steps, not {_shown(actions)}")
    tables = _tables(kb)
    plain = tables.plain
    parsed = [plain[raw] if type(raw) is str and raw in plain else parse_action(raw, kb)
              for raw in actions]
    chosen: dict[str, Action] = {}
    for action in parsed:
        chosen.setdefault(action.step, action)
    if working_diagnosis is not None and working_diagnosis not in DIAGNOSES:
        hint = (did_you_mean(working_diagnosis, DIAGNOSES)
                if isinstance(working_diagnosis, str) else "") or f"one of {', '.join(DIAGNOSES)}"
        raise ActionError(f"unknown diagnosis {_shown(working_diagnosis)}; {hint}")

    facts = _case_facts(case, kb)
    ctx = Context(case, kb, chosen, facts.recommended, facts.cautions)
    # A step that is neither recommended nor acceptable counts as judged wrong from the start
    # (unless harmless), so no rule asks for its companions ("add rehabilitation" beside an
    # operation that is not indicated).
    flagged = ctx.flagged
    remedied = {s for s, triggers in facts.remedies.items()  # a caution's own advice, chosen
                if s in chosen and not triggers.isdisjoint(chosen)}
    flagged.update(facts.wrong_from_start.intersection(chosen).difference(remedied))
    by_rules: set[str] = set()  # steps a rule judged wrong: their own verdict is replaced
    judged: set[str | None] = set()  # steps a rule said something about (not a caution)
    findings: list[Finding] = []
    raised = ctx.raised
    finding = _packaged_finding if kb is knowledge() else partial(_build_finding, kb)
    for rule, kind, unless_raised, trigger, aside, has_late in facts.rules:
        if trigger is not None and trigger.isdisjoint(chosen):
            continue  # none of the steps it judges was chosen: it cannot find anything
        if unless_raised and not unless_raised.isdisjoint(raised):
            continue  # one omission, one finding: a more specific rule has named it
        for code, step, extra, *cited in kind(rule, ctx):
            found = finding(code, step, f"{extra} {rule.note}" if extra and rule.note
                            else extra or rule.note, "", rule.severity,
                            (cited[0] if cited else ()) or rule.evidence, rule.instead)
            findings.append(found)
            raised.add(code)
            if code in aside:  # a caution is a point beside the step's own verdict
                if found.severity != "info":
                    flagged.add(step)
                continue
            judged.add(step)
            if found.severity != "info" and step in chosen:
                flagged.add(step)
                by_rules.add(step)
            if has_late and step not in chosen:  # the finding names the late version too
                by_rules.update(s for s in late_versions(rule, step, chosen)
                                if s not in facts.recommended)

    for step in chosen:
        if step in by_rules:
            continue
        verdict, not_indicated = facts.verdicts[step]
        if not_indicated and step in remedied:
            verdict, not_indicated = _finding(kb, "acceptable_step", step), False
        if not (not_indicated and step in judged):
            findings.append(verdict)

    covered = slots = 0
    judged_wrong: set[str] | None = None  # for companion slots: wrong by a rule, not a caution
    for check in facts.checks:
        wrong = flagged
        if check.companion:
            if judged_wrong is None:
                judged_wrong = by_rules.union(facts.wrong_from_start)
            wrong = judged_wrong
        if check.only_with and not any(s in chosen and s not in wrong
                                       for s in check.only_with):
            continue
        slots += 1
        if not check.any_of.isdisjoint(chosen):
            covered += 1
        elif check.reported_by.isdisjoint(raised):
            findings.append(check.missing)

    if working_diagnosis is not None:
        code = ("working_diagnosis_correct" if working_diagnosis == case.diagnosis
                else "working_diagnosis_incorrect")
        findings.append(_finding(kb, code, None))

    findings.sort(key=_severity_rank)  # stable: rule order within a level
    pitfalls = tuple(dict.fromkeys(f.code for f in findings if f.pitfall))
    points, rubric, safety = _score(kb, tables, findings, chosen, covered, slots)
    return Assessment(
        case_id=case.id,
        score=round(max(0.0, min(1.0, points / kb.scoring.coverage_points)), 3),
        findings=tuple(findings),
        pitfalls=pitfalls,
        recommended=facts.pathway,
        chosen=tuple(parsed),
        diagnosis=case.diagnosis,
        working_diagnosis=working_diagnosis,
        covered=tuple(s for s in chosen if s in facts.recommended),
        points=points,
        safety=safety,
        rubric=rubric,
    )


def _severity_rank(finding: Finding) -> int:
    return SEVERITY_ORDER[finding.severity]


def _score(kb: KnowledgeBase, tables: _Tables, findings: list[Finding],
           chosen: Mapping[str, Action], covered: int, slots: int) -> tuple[float, str, str]:
    """The unclipped points, the rubric sentence and the safety verdict (scoring.yaml)."""
    rules = kb.scoring
    severity_points, weight = rules.severity_points, tables.weight
    omission = rules.omission_weights
    coverage = rules.coverage_points * (covered / slots if slots else 1.0)
    penalty = 0.0
    for f in findings:
        points = severity_points[f.severity]
        if not points or f.code == "missing_step":  # a missed slot already costs its share
            continue  # of coverage
        penalty += points * (weight[f.step] if f.step in chosen
                             else omission.get(f.severity, 1.0))
    worst = findings[0].severity if findings else "info"  # findings are sorted, worst first
    safety = "unsafe" if worst == "critical" else "caution" if worst == "warning" else "safe"
    points = round(coverage - penalty, 1)
    score = round(max(0.0, min(rules.coverage_points, points)) / rules.coverage_points * 100)
    rubric = _rubric(tables.rubric, score, covered, slots, f"{coverage:.0f}", f"{penalty:.0f}",
                     safety)
    return points, rubric, safety


@lru_cache(maxsize=4096)
def _rubric(template: str, score: int, covered: int, slots: int, coverage: str, penalty: str,
            safety: str) -> str:
    """The rubric sentence (plans share their figures often; formatting costs more than this)."""
    return template.format(score=score, covered=covered, slots=slots, coverage=coverage,
                           penalty=penalty, safety=safety)
