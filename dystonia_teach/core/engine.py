"""The engine: derive the recommended pathway from a case's facts and judge a learner's choices.

``evaluate(case, actions)`` is deterministic and pure: it reads the case and the packaged
knowledge base, never the case's own answers (a case holds none). The pathway is a list of
*decisions* (spec v3 §0.1), each required or optional now, with the options that satisfy it;
decisions, rules and cautions read only what the clinician can know (§0.2): the history and
examination, the stated preference, and the results of tests ordered in this plan, at an earlier
visit (``earlier``) or before the visit (the report the patient brings).
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from typing import Any, TypeVar

from dystonia_teach.core.case_model import Case, Patient
from dystonia_teach.core.cautions import cautions_met, contraindicated_steps
from dystonia_teach.core.errors import ActionError, did_you_mean
from dystonia_teach.core.kb_model import (
    SEVERITY_ORDER,
    Caution,
    Decision,
    KnowledgeBase,
    Rule,
    split_option,
)
from dystonia_teach.core.knowledge import knowledge, source_ref
from dystonia_teach.core.predicates import holds, knowable_view, result_kinds
from dystonia_teach.core.results import (
    Action,
    Assessment,
    Cost,
    DecisionCredit,
    Finding,
    PathwayItem,
)
from dystonia_teach.core.rules import (
    RULE_KINDS,
    Context,
    aside_codes,
    dose_limits,
    late_versions,
    trigger_steps,
)
from dystonia_teach.core.vocabulary import PRIORITIES
from dystonia_teach.core.wording import with_subject

ActionLike = str | Mapping[str, Any] | Action
_ACTION_KEYS = ("step", "dose_mg_per_day", "priority")
_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 60


def parse_action(raw: ActionLike, kb: KnowledgeBase | None = None) -> Action:
    """Turn a step id (``step!urgent`` for an urgent order) or ``{"step": id,
    "dose_mg_per_day": n, "priority": "urgent"}`` into an Action, checking each part.

    Raises :class:`ActionError` for anything else: an unknown step, key or priority, or a dose
    that is not a positive, finite number of mg a day (also one too large for a float, 10**400).
    """
    kb = kb or knowledge()
    if isinstance(raw, Action):
        step, dose, priority = raw.step, raw.dose_mg_per_day, raw.priority
    elif isinstance(raw, str):
        step, sep, priority = raw.partition("!")
        dose, priority = None, priority if sep else "routine"
    elif isinstance(raw, Mapping):
        unknown = [key for key in raw if key not in _ACTION_KEYS]
        if unknown:
            key = unknown[0]
            hint = (did_you_mean(key, _ACTION_KEYS) if isinstance(key, str) else "") or (
                "use 'dose_mg_per_day' (mg per day) or 'priority'")
            raise ActionError(f"action {_shown(raw)}: unknown key {_shown(key)}; {hint}")
        if "step" not in raw:
            raise ActionError(f"action {_shown(raw)}: missing 'step'")
        step, dose = raw["step"], raw.get("dose_mg_per_day")
        priority = raw.get("priority", "routine")
    else:
        raise ActionError(f"action {_shown(raw)}: expected a step id or a mapping with 'step'")
    if priority not in PRIORITIES:
        raise ActionError(f"action {_shown(raw)}: priority {_shown(priority)} is not one of "
                          f"{', '.join(PRIORITIES)} (write step!urgent for an urgent order)")
    if not isinstance(step, str) or step not in kb.steps:
        hint = (did_you_mean(step, kb.steps) if isinstance(step, str) else "") or (
            "see step_catalogue() for the ids")
        raise ActionError(f"unknown step id {_shown(step)}; {hint}")
    alias = kb.steps[step].alias_of
    if alias is not None:  # an id kept loading as another order (urgent_mri)
        step, priority = split_option(alias)
    if dose is not None:
        if kb.steps[step].dose is None:
            raise ActionError(f"{step}: a dose was given, but {step} is not a dosed drug")
        dose = _dose(step, dose)
    return Action(step, dose, priority)


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


# --- Deriving the decisions ------------------------------------------------------------------

@dataclass(frozen=True)
class _Check:
    """One applicable decision, ready for ``evaluate``."""

    id: str
    label: str
    #: (step, priority) pairs that satisfy it ("routine": any priority does).
    options: tuple[tuple[str, str], ...]
    #: Their steps (a plan naming none of them leaves the decision unmade).
    steps: frozenset[str]
    required: bool
    select_one: bool
    only_with: tuple[str, ...]
    reported_by: frozenset[str]
    missing: Finding
    #: A companion (the step resolving a caution): a caution on its trigger does not drop it.
    companion: bool = False


@dataclass(frozen=True)
class _CaseFacts:
    """Everything ``evaluate`` derives from the case and the results known (cached)."""

    view: Case
    items: tuple[PathwayItem, ...]
    checks: tuple[_Check, ...]
    recommended: frozenset[str]
    acceptable: frozenset[str]
    #: (rule, its kind, its unless_raised codes, its trigger steps: see rules.trigger_steps,
    #: its codes that leave the step's own verdict standing: rules.aside_codes, and whether it
    #: names late versions of the steps it requires: rules.late_versions)
    rules: tuple[tuple[Rule, Any, frozenset[str], frozenset[str] | None, frozenset[str], bool],
                 ...]
    cautions: Mapping[str, tuple[Caution, ...]]
    #: Steps neither recommended nor acceptable, and not harmless: judged wrong from the start.
    wrong_from_start: frozenset[str]
    #: Step -> the finding a chosen step gets when no rule judged it (appropriate, acceptable,
    #: or not indicated), and whether that finding is the not-indicated one.
    verdicts: Mapping[str, tuple[Finding, bool]]
    #: A step that resolves a caution (``unless_any``) -> the steps whose caution it resolves.
    remedies: Mapping[str, frozenset[str]]
    #: A step offered only by decisions that exist with another step (aftercare with an
    #: operation, gastro-protection with an NSAID) -> those steps, and its verdict without them.
    conditional: Mapping[str, tuple[frozenset[str], Finding]]
    #: (step, priority) pairs that satisfy a required decision ("routine": any priority).
    must_options: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class _Tables:
    """What ``evaluate`` looks up in the knowledge base on every call, built once per base."""

    plain: Mapping[str, Action]  # step id (or alias) -> the action of choosing it, no dose
    weight: Mapping[str, float]  # step id -> the weight of its harm class
    reveals: Mapping[str, str]  # test step id -> the kind of result it reveals
    risky: frozenset[str]  # steps whose harm class is risky (safety "caution" on a warning)
    commission: frozenset[str]  # finding codes that judge a step chosen
    omission: frozenset[str]  # finding codes that name something left out
    labels: Mapping[str, str]  # finding code -> its short label
    rubric: str  # the rubric template with its whitespace already collapsed
    #: (finding code, step) -> how its cost is named, filled as costs are named
    cost_names: dict[tuple[str, str | None], str] = field(default_factory=dict)


_FACTS: dict[tuple[int, frozenset[str], frozenset[str]], tuple[Case, _CaseFacts]] = {}
_FACTS_KEPT = 4096
#: Patient id -> (the patient, the derivations so far for cases of that patient object (a case
#: and its visits share it), each with the predicate values it read), the latest few kept.
_READINGS: dict[int, tuple[Patient, list[tuple[dict[str, bool], _CaseFacts]]]] = {}
_READINGS_PER_PATIENT = 16
#: The same for the pathway alone (recommended_pathway), which needs no verdicts.
_PATHWAYS: dict[int, tuple[Patient, list[tuple[dict[str, bool], tuple[PathwayItem, ...]]]]] = {}
_T = TypeVar("_T")
_TABLES: dict[int, tuple[KnowledgeBase, _Tables]] = {}
_KINDS: dict[int, tuple[Case, frozenset[str]]] = {}
#: The knowledge base the caches above (and the shared findings) were built from.
_BASE: list[KnowledgeBase | None] = [None]


def _tables(kb: KnowledgeBase) -> _Tables:
    """The per-base lookups, cached by identity (the entry holds the base). Another base (the
    packs in use changed) also drops every derivation and finding cached from the last one."""
    hit = _TABLES.get(id(kb))
    if hit is not None and hit[0] is kb:
        return hit[1]
    _FACTS.clear()
    _READINGS.clear()
    _PATHWAYS.clear()
    _shared_finding.cache_clear()
    _BASE[0] = kb
    harms = {h.id: h for h in kb.scoring.harm_classes}
    plain = {step: Action(step) for step in kb.steps}
    for step, s in kb.steps.items():
        if s.alias_of:
            target, priority = split_option(s.alias_of)
            plain[step] = Action(target, None, priority)
    tables = _Tables(
        plain=plain,
        weight={step: harms[s.harm].weight for step, s in kb.steps.items()},
        reveals={step: s.reveals for step, s in kb.steps.items() if s.reveals},
        risky=frozenset(step for step, s in kb.steps.items() if harms[s.harm].risky),
        commission=frozenset(code for code, f in kb.findings.items() if f.commission),
        omission=frozenset(code for code, f in kb.findings.items() if f.omission),
        labels={code: f.label for code, f in kb.findings.items()},
        rubric=" ".join(kb.scoring.rubric.split()),  # the fields hold no whitespace
    )
    _TABLES.clear()
    _TABLES[id(kb)] = (kb, tables)
    return tables


def _present(case: Case) -> frozenset[str]:
    """The kinds of result ``case`` gives, cached by identity."""
    hit = _KINDS.get(id(case))
    if hit is not None and hit[0] is case:
        return hit[1]
    kinds = result_kinds(case)
    if len(_KINDS) >= _FACTS_KEPT:
        _KINDS.clear()
    _KINDS[id(case)] = (case, kinds)
    return kinds


def _caution_rank(cautions: tuple[Caution, ...]) -> int:
    """How much an option's cautions count against showing it as the example: none, a note,
    one resolved by a companion step, a warning (a critical one bars the option)."""
    rank = 0
    for caution in cautions:
        if caution.unless_any:
            rank = max(rank, 2)
        elif caution.severity == "warning":
            rank = max(rank, 3)
        elif caution.severity == "info":
            rank = max(rank, 1)
    return rank


def _example_dose(kb: KnowledgeBase, step: str, view: Case, given: float | None,
                  memo: dict[str, bool] | None = None) -> float | None:
    """The example's daily dose: the decision's (when it is still allowed for this patient),
    else the step's usual example, each kept within this patient's limits (by weight for a
    child)."""
    dose_range = kb.steps[step].dose
    if dose_range is None:
        return None
    low, high, _ = dose_limits(dose_range, view, memo, kb.predicates)
    dose = given or dose_range.example_mg_per_day or high
    if view.patient.child and dose_range.child and view.patient.weight_kg:
        middle = ((low or high / 2) + high) / 2
        dose = max(100.0, math.floor(middle / 100) * 100)
    return min(dose, high)


def _derive(view: Case, kb: KnowledgeBase, met: Mapping[str, tuple[Caution, ...]],
            memo: dict[str, bool] | None = None
            ) -> tuple[list[tuple[Decision | Caution, bool, tuple[str, ...], PathwayItem]],
                       set[str], set[str]]:
    """The decisions that apply to ``view``: (decision or caution, required, options, item),
    with the steps of required decisions and those of optional ones."""
    barred = contraindicated_steps(met)
    derived: list[tuple[Decision | Caution, bool, tuple[str, ...], PathwayItem]] = []
    seen: dict[frozenset[str], int] = {}
    for decision in kb.pathway:
        if not holds(view, decision.when, memo, kb.predicates):
            continue
        options = tuple(o for o in decision.options if split_option(o)[0] not in barred)
        if not options:
            continue
        required = decision.required == "must" or (
            decision.required == "must-unless-documented"
            and not holds(view, decision.documented_by, memo, kb.predicates))
        key = frozenset(options)
        if key in seen:  # the same choice asked for twice (follow-up): once, the stronger
            index = seen[key]
            first = derived[index]
            if required and not first[1]:
                derived[index] = (first[0], True, first[2],
                                  _item(kb, decision, True, options, met, view, memo))
            continue
        seen[key] = len(derived)
        derived.append((decision, required, options,
                        _item(kb, decision, required, options, met, view, memo)))
    derived = _without_redundant_options(derived)
    derived.extend(_companions(kb, met, derived))
    must = {split_option(o)[0] for _, required, options, _ in derived if required
            for o in options}
    could = {split_option(o)[0] for _, required, options, _ in derived if not required
             for o in options} - must
    return derived, must, could


def _without_redundant_options(
        derived: list[tuple[Decision | Caution, bool, tuple[str, ...], PathwayItem]]
        ) -> list[tuple[Decision | Caution, bool, tuple[str, ...], PathwayItem]]:
    """The derived decisions less each optional one whose options another decision already
    offers ("advice (optional)" beside "advice and exercise (optional)"): the same steps stay
    acceptable, and the learner reads each choice once."""
    sets = [frozenset(options) for _, _, options, _ in derived]
    return [entry for i, entry in enumerate(derived)
            if entry[1] or not any(j != i and sets[i] < sets[j] for j in range(len(sets)))]


def _item(kb: KnowledgeBase, decision: Decision, required: bool, options: tuple[str, ...],
          met: Mapping[str, tuple[Caution, ...]], view: Case,
          memo: dict[str, bool] | None = None) -> PathwayItem:
    steps = tuple(dict.fromkeys(split_option(o)[0] for o in options))
    example = decision.example
    if example is not None and example.step in steps and _caution_rank(
            met.get(example.step, ())) <= min(_caution_rank(met.get(s, ())) for s in steps):
        first, given = example.step, example.dose_mg_per_day
    else:
        first = min(steps, key=lambda s: (_caution_rank(met.get(s, ())), steps.index(s)))
        given = example.dose_mg_per_day if example and example.step == first else None
    priority = next((split_option(o)[1] for o in options if split_option(o)[0] == first),
                    "routine")
    if example is not None and example.step == first and example.priority != "routine":
        priority = example.priority
    step = kb.steps[first]
    return PathwayItem(
        step=first, label=step.label, phase=step.phase,
        alternatives=tuple(s for s in steps if s != first),
        dose_mg_per_day=_example_dose(kb, first, view, given, memo),
        reason=decision.reason,
        sources=tuple(source_ref(c) for c in decision.evidence or step.evidence),
        decision=decision.id, decision_label=decision.label, required=required,
        select=decision.select, priority=priority,
        critical_if_empty=required and decision.if_empty == "critical",
        only_with=decision.only_with,
        urgent_options=tuple(split_option(o)[0] for o in options
                             if split_option(o)[1] == "urgent"))


def _companions(kb: KnowledgeBase, met: Mapping[str, tuple[Caution, ...]],
                derived: list[tuple[Decision | Caution, bool, tuple[str, ...], PathwayItem]]
                ) -> list[tuple[Decision | Caution, bool, tuple[str, ...], PathwayItem]]:
    """Decisions for the steps that resolve a caution on an option (a periprocedural plan
    before an elective operation on an anticoagulant, gastro-protection beside an NSAID at 65
    or over): each is required only with a step its caution is about."""
    offered = {split_option(o)[0] for _, _, options, _ in derived for o in options}
    extra: dict[str, tuple[Caution, tuple[str, ...]]] = {}
    for step in offered:
        for caution in met.get(step, ()):
            if not caution.unless_any or caution.unless_any[0] in offered:
                continue
            key = caution.unless_any[0]
            triggers = tuple(s for s in caution.steps if s in offered)
            if key in extra:  # a second caution resolved by the same step widens its trigger
                first, before = extra[key]
                extra[key] = (first, tuple(dict.fromkeys((*before, *triggers))))
            else:
                extra[key] = (caution, triggers)
    out = []
    for key, (caution, triggers) in sorted(extra.items()):
        step = kb.steps[key]
        with_labels = " or ".join(kb.steps[s].label for s in triggers)
        item = PathwayItem(
            step=key, label=step.label, phase=step.phase, alternatives=caution.unless_any[1:],
            dose_mg_per_day=None, reason=caution.text,
            sources=tuple(source_ref(c) for c in step.evidence),
            decision=caution.id, decision_label=f"{step.label.lower()} with {with_labels}",
            required=True, only_with=triggers)
        out.append((caution, True, caution.unless_any, item))
    return out


def _case_facts(case: Case, kb: KnowledgeBase, known: frozenset[str] = frozenset(),
                earlier: frozenset[str] = frozenset()) -> _CaseFacts:
    """The derivation for ``case`` with the results of ``known`` kinds revealed now and of
    ``earlier`` kinds at an earlier visit, cached by the case's identity (the entries hold the
    case, so its id cannot be reused while cached)."""
    key = (id(case), known, earlier)
    hit = _FACTS.get(key)
    if hit is not None and hit[0] is case:
        return hit[1]
    view = knowable_view(case, known, earlier)
    facts = _reused(_READINGS, view, kb, lambda read: _derive_facts(view, kb, read))
    facts = replace(facts, view=view) if facts.view is not view else facts
    if len(_FACTS) >= _FACTS_KEPT:
        _FACTS.clear()
    _FACTS[key] = (case, facts)
    return facts


def _reused(store: dict[int, tuple[Patient, list[tuple[dict[str, bool], _T]]]], view: Case,
            kb: KnowledgeBase, derive: Callable[[dict[str, bool]], _T]) -> _T:
    """``derive(read)`` for ``view``, or an earlier derivation whose predicates all read the same
    here. A derivation reads the case only through predicates, and the patient: results that
    leave every predicate it read unchanged (a normal test, a test no decision looks at), or a
    later visit of the same case (which shares its patient object) that changes none of them,
    reuse it. ``store`` keeps the latest few per patient."""
    patient = view.patient
    entry = store.get(id(patient))
    if entry is None or entry[0] is not patient:
        if len(store) >= _FACTS_KEPT:
            store.clear()
        entry = store[id(patient)] = (patient, [])
    predicates, readings = kb.predicates, entry[1]
    for read, derived in readings:
        if all(predicates[name](view) == value for name, value in read.items()):
            return derived
    read = {}
    derived = derive(read)
    if len(readings) >= _READINGS_PER_PATIENT:
        del readings[0]
    readings.append((read, derived))
    return derived


def _pathway_items(case: Case, kb: KnowledgeBase, known: frozenset[str],
                   earlier: frozenset[str]) -> tuple[PathwayItem, ...]:
    """The decisions of :func:`_case_facts`, derived without the verdicts and rules that only
    scoring needs (validating a case bank derives every case's pathway, and nothing else)."""
    hit = _FACTS.get((id(case), known, earlier))
    if hit is not None and hit[0] is case:
        return hit[1].items
    view = knowable_view(case, known, earlier)

    def derive(read: dict[str, bool]) -> tuple[PathwayItem, ...]:
        derived, _, _ = _derive(view, kb, cautions_met(view, kb, read), read)
        return tuple(item for _, _, _, item in derived)

    return _reused(_PATHWAYS, view, kb, derive)


def _derive_facts(view: Case, kb: KnowledgeBase, memo: dict[str, bool]) -> _CaseFacts:
    """Everything ``evaluate`` needs about ``view``; ``memo`` collects the predicate values
    read."""
    met = cautions_met(view, kb, memo)
    derived, must, could = _derive(view, kb, met, memo)
    harms = {h.id: h for h in kb.scoring.harm_classes}
    reasons: dict[str, str] = {}
    for _, required, options, item in derived:
        for option in options:
            step = split_option(option)[0]
            if required or step not in reasons:
                reasons.setdefault(step, item.reason)
    verdicts: dict[str, tuple[Finding, bool]] = {}
    unconditional = {split_option(o)[0] for _, _, options, item in derived if not item.only_with
                     for o in options}
    triggers: dict[str, set[str]] = {}
    for _, _, options, item in derived:
        for option in options if item.only_with else ():
            triggers.setdefault(split_option(option)[0], set()).update(item.only_with)
    conditional: dict[str, tuple[frozenset[str], Finding]] = {}
    for step in kb.steps:
        harm = harms[kb.steps[step].harm]
        not_indicated = _finding(kb, kb.scoring.not_indicated_codes[harm.not_indicated], step,
                                 reason=harm.not_indicated_reason, severity=harm.not_indicated,
                                 evidence=kb.steps[step].evidence)  # what the step is for
        if step in must:
            verdicts[step] = (_finding(kb, "appropriate_step", step, reason=reasons[step]), False)
        elif step in could:
            verdicts[step] = (_finding(kb, "acceptable_step", step), False)
        else:
            verdicts[step] = (not_indicated, True)
        if step in triggers and step not in unconditional:
            conditional[step] = (frozenset(triggers[step]), not_indicated)
    checks = []
    for source, required, options, item in derived:
        companion = isinstance(source, Caution)
        severity = "warning" if companion else source.if_empty  # type: ignore[union-attr]
        checks.append(_Check(
            id=item.decision, label=item.decision_label,
            options=tuple(split_option(o) for o in options),
            steps=frozenset(split_option(o)[0] for o in options), required=required,
            select_one=not companion and source.select != "one-or-more",  # type: ignore[union-attr]
            only_with=item.only_with,
            reported_by=frozenset(() if companion else source.reported_by),  # type: ignore[union-attr]
            missing=_finding(kb, "missing_step", item.step, reason=item.reason,
                             severity=severity if required else "info",
                             evidence=() if companion else source.evidence),  # type: ignore[union-attr]
            companion=companion))
    facts = _CaseFacts(
        view=view,
        items=tuple(item for _, _, _, item in derived),
        checks=tuple(checks),
        recommended=frozenset(must),
        acceptable=frozenset(could),
        rules=tuple((r, RULE_KINDS[r.kind], frozenset(r.params.get("unless_raised", ())),
                     trigger_steps(r, kb, met), aside_codes(r), "late_versions" in r.params)
                    for r in kb.rules if holds(view, r.when, memo, kb.predicates)),
        cautions=met,
        wrong_from_start=frozenset(
            s for s in kb.steps if s not in must and s not in could
            and harms[kb.steps[s].harm].not_indicated != "info"),
        verdicts=verdicts,
        remedies=_remedies(kb, met, verdicts),
        conditional=conditional,
        must_options=frozenset(split_option(o) for _, required, options, _ in derived
                               if required for o in options),
    )
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


def _kinds_of(steps: Iterable[str], reveals: Mapping[str, str], present: frozenset[str]
              ) -> frozenset[str]:
    return frozenset(reveals[s] for s in steps if s in reveals).intersection(present)


def _earlier_kinds(earlier: Iterable[ActionLike], kb: KnowledgeBase, tables: _Tables,
                   present: frozenset[str]) -> frozenset[str]:
    """The kinds of result the tests ordered at earlier visits revealed."""
    plain = tables.plain
    steps = [(plain[raw] if type(raw) is str and raw in plain else parse_action(raw, kb)).step
             for raw in earlier]
    return _kinds_of(steps, tables.reveals, present)


def _pathway(case: Case, earlier: Iterable[ActionLike], kb: KnowledgeBase
             ) -> tuple[tuple[PathwayItem, ...], frozenset[str], frozenset[str]]:
    """The pathway as the recommended plan would find it, with the kinds of result it knows
    now and from earlier visits: the tests its required decisions order are taken as done,
    and the decisions their results bring are added (repeated until nothing new is
    revealed)."""
    tables = _tables(kb)
    present = _present(case)
    before = _earlier_kinds(earlier, kb, tables, present)
    known: frozenset[str] = frozenset()
    items = _pathway_items(case, kb, known, before)
    for _ in range(len(present) + 1):
        ordered = [item.step for item in items if item.required and not item.only_with]
        found = known | _kinds_of(ordered, tables.reveals, present)
        if found == known:
            break
        known = found
        items = _pathway_items(case, kb, known, before)
    return items, known, before


def pathway_facts(case: Case, earlier: Iterable[ActionLike] = (),
                  kb: KnowledgeBase | None = None) -> _CaseFacts:
    """The whole derivation (verdicts and rules too) as the recommended plan finds it."""
    kb = kb or knowledge()
    _, known, before = _pathway(case, earlier, kb)
    return _case_facts(case, kb, known, before)


def recommended_pathway(case: Case, earlier: Iterable[ActionLike] = ()
                        ) -> tuple[PathwayItem, ...]:
    """The decisions the algorithm derives for ``case``, in order: each with its example and
    options, required or optional (``earlier``: tests ordered at earlier visits)."""
    return _pathway(case, earlier, knowledge())[0]


def recommended_actions(case: Case, earlier: Iterable[ActionLike] = (),
                        choose: Iterable[str] = ()) -> list[Action]:
    """A complete plan for ``case``: the example of every required decision, ready for
    ``evaluate``. ``choose`` names steps to take where an optional decision offers them (the
    operation of a shared decision, say); a decision that exists only with another step (the
    aftercare of that operation) joins when that step is in the plan."""
    items = recommended_pathway(case, earlier)
    wanted = tuple(choose)
    plan: dict[str, Action] = {}
    for item in items:
        if item.required and not item.only_with:
            plan.setdefault(item.step, item.action)
        elif not item.required and not item.only_with:
            taken = next((s for s in item.options if s in wanted), None)
            if taken is not None:
                dose = item.dose_mg_per_day if taken == item.step else None
                priority = "urgent" if taken in item.urgent_options else "routine"
                plan.setdefault(taken, Action(taken, dose, priority))
    for item in items:
        if item.required and item.only_with and plan.keys() & set(item.only_with):
            plan.setdefault(item.step, item.action)
    return list(plan.values())


def _finding(kb: KnowledgeBase, code: str, step: str | None, extra: str = "",
             reason: str = "", severity: str | None = None,
             evidence: tuple[str, ...] = (), instead: str = "") -> Finding:
    if _BASE[0] is kb:  # findings of the knowledge in use are shared values
        return _shared_finding(code, step, extra, reason, severity, evidence, instead)
    return _build_finding(kb, code, step, extra, reason, severity, evidence, instead)


@lru_cache(maxsize=8192)
def _shared_finding(code: str, step: str | None, extra: str, reason: str,
                    severity: str | None, evidence: tuple[str, ...],
                    instead: str = "", priority: str = "") -> Finding:
    """A finding of the knowledge the caches hold (called only once ``_tables`` built them)."""
    kb = _BASE[0]
    assert kb is not None
    return _build_finding(kb, code, step, extra, reason, severity, evidence, instead, priority)


def _build_finding(kb: KnowledgeBase, code: str, step: str | None, extra: str, reason: str,
                   severity: str | None, evidence: tuple[str, ...],
                   instead: str = "", priority: str = "") -> Finding:
    """A finding with its text; ``priority`` ("urgent") names the order it is about."""
    kind = kb.findings[code]
    evidence = evidence or kind.evidence or (kb.steps[step].evidence if step else ())
    detail = " ".join(part for part in (reason or kind.why, extra) if part)
    label = (kb.steps[step].label + (f" ({priority})" if priority else "")) if step else ""
    return Finding(
        code=code,
        severity=severity or kind.severity,
        summary=(with_subject(kind.summary, label, kb.steps[step].plural)
                 if step else with_subject(kind.summary, "This plan")),
        step=step,
        detail=detail,
        instead=instead or kind.instead,
        sources=tuple(source_ref(c) for c in evidence),
        pitfall=kind.pitfall,
    )


# --- Judging a plan ----------------------------------------------------------------------------

def evaluate(
    case: Case, actions: Iterable[ActionLike], working_diagnosis: str | None = None,
    *, earlier: Iterable[ActionLike] = (),
) -> Assessment:
    """Judge ``actions`` (step ids, ``step!urgent``, or ``{"step", "dose_mg_per_day",
    "priority"}``) for ``case``; ``earlier`` are the tests ordered at earlier visits, whose
    results are known now.

    What depends on the case and the results known (the decisions, the rules that apply, the
    cautions) is derived once and reused for every plan judged on it.

    Raises :class:`ActionError` for actions that are not a list, an unknown step id or
    diagnosis, or a malformed dose or priority (see :func:`parse_action`); every clinical
    judgement is returned as a finding.
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
    if working_diagnosis is not None and (not isinstance(working_diagnosis, str)
                                          or working_diagnosis not in kb.diagnoses):
        hint = (did_you_mean(working_diagnosis, kb.diagnoses)
                if isinstance(working_diagnosis, str) else "") or (
            f"one of {', '.join(kb.diagnoses)}")
        raise ActionError(f"unknown diagnosis {_shown(working_diagnosis)}; {hint}")

    present = _present(case)
    before = _earlier_kinds(earlier, kb, tables, present) if earlier else frozenset()
    facts = _case_facts(case, kb, _kinds_of(chosen, tables.reveals, present), before)
    ctx = Context(facts.view, kb, chosen, facts.recommended, facts.cautions)
    # A step that is neither recommended nor acceptable counts as judged wrong from the start
    # (unless harmless), so no rule asks for its companions ("add rehabilitation" beside an
    # operation that is not indicated).
    flagged = ctx.flagged
    remedied = {s for s, triggers in facts.remedies.items()  # a caution's own advice, chosen
                if s in chosen and not triggers.isdisjoint(chosen)}
    flagged.update(facts.wrong_from_start.intersection(chosen).difference(remedied))
    by_rules = ctx.judged  # steps a rule judged wrong: their own verdict is replaced
    judged: set[str | None] = set()  # steps a rule said something about (not a caution)
    findings: list[Finding] = []
    raised = ctx.raised
    finding = _shared_finding if _BASE[0] is kb else partial(_build_finding, kb)
    for rule, kind, unless_raised, trigger, aside, has_late in facts.rules:
        if trigger is not None and trigger.isdisjoint(chosen):
            continue  # none of the steps it judges was chosen: it cannot find anything
        if unless_raised and not unless_raised.isdisjoint(raised):
            continue  # one omission, one finding: a more specific rule has named it
        for code, option, extra, *rest in kind(rule, ctx):
            cited = rest[0] if rest else ()
            step, _, priority = option.partition("!") if option else (option, "", "")
            found = finding(code, step, f"{extra} {rule.note}" if extra and rule.note
                            else extra or rule.note, "",
                            rest[1] if len(rest) > 1 else rule.severity,
                            cited or rule.evidence, rule.instead, priority)
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
            if has_late:  # the finding names the late (routine) version too: one finding
                by_rules.update(s for s in _late(rule, step, chosen)
                                if (s, "routine") not in facts.must_options
                                and (s, chosen[s].priority) not in facts.must_options)

    for step in chosen:
        if step in by_rules:
            continue
        verdict, not_indicated = facts.verdicts[step]
        if step in facts.conditional:  # offered only with a step not chosen
            with_steps, alone = facts.conditional[step]
            if with_steps.isdisjoint(chosen):
                verdict, not_indicated = alone, True
        if not_indicated and step in remedied:
            verdict, not_indicated = _finding(kb, "acceptable_step", step), False
        if not (not_indicated and step in judged):
            findings.append(verdict)

    credits = _decisions(kb, facts, chosen, flagged, by_rules, raised, findings)
    if working_diagnosis is not None:
        from dystonia_teach.core.diagnoses import acceptable_leads  # only with a diagnosis

        code = ("working_diagnosis_correct" if working_diagnosis == case.diagnosis
                or working_diagnosis in acceptable_leads(case) else "working_diagnosis_incorrect")
        findings.append(_finding(kb, code, None))

    findings.sort(key=_severity_rank)  # stable: rule order within a level
    pitfalls = tuple(dict.fromkeys(f.code for f in findings if f.pitfall))
    points, score, costs, rubric, safety = _score(kb, tables, findings, chosen, credits)
    return Assessment(
        case_id=case.id,
        score=score,
        findings=tuple(findings),
        pitfalls=pitfalls,
        recommended=facts.items,
        chosen=tuple(parsed),
        diagnosis=case.diagnosis,
        working_diagnosis=working_diagnosis,
        covered=tuple(s for s in chosen if s in facts.recommended),
        points=points,
        safety=safety,
        rubric=rubric,
        decisions=credits,
        costs=costs,
    )


def _late(rule: Rule, step: str, chosen: Mapping[str, Action]) -> tuple[str, ...]:
    """The late versions a rule's finding on ``step`` names (the table is keyed by option)."""
    table = rule.params.get("late_versions", {})
    return tuple(s for option in table if split_option(option)[0] == step
                 for s in late_versions(rule, option, chosen))


def _decisions(kb: KnowledgeBase, facts: _CaseFacts, chosen: Mapping[str, Action],
               flagged: set[str], by_rules: set[str], raised: set[str],
               findings: list[Finding]) -> tuple[DecisionCredit, ...]:
    """Each required decision made or not (a missing one is a finding unless a rule named it),
    and a second option of a one-option decision named."""
    counted: list[tuple[_Check, tuple[str, ...]]] = []
    judged_wrong: set[str] | None = None  # for companions: wrong by a rule, not a caution
    for check in facts.checks:
        wrong = flagged
        if check.companion:
            if judged_wrong is None:
                judged_wrong = by_rules.union(facts.wrong_from_start)
            wrong = judged_wrong
        if check.only_with and not any(s in chosen and s not in wrong
                                       for s in check.only_with):
            continue
        hits = () if check.steps.isdisjoint(chosen) else tuple(dict.fromkeys(
            step for step, priority in check.options if step in chosen
            and (priority == "routine" or chosen[step].priority == priority)))
        if check.select_one and len(hits) > 1:
            for step in hits[1:]:
                if step not in by_rules:
                    findings.append(_finding(kb, "too_many_options", step,
                                             extra=f"One {check.label} is chosen."))
        if not check.required:
            continue
        counted.append((check, hits))
        if not hits and check.reported_by.isdisjoint(raised):
            findings.append(check.missing)
    share = round(kb.scoring.coverage_points / len(counted), 1) if counted else 0.0
    return tuple(_credit(check.id, check.label, share, hits) for check, hits in counted)


@lru_cache(maxsize=16384)
def _credit(decision: str, label: str, share: float, hits: tuple[str, ...]) -> DecisionCredit:
    """One decision's credit (plans share them often; building one costs more than this)."""
    return DecisionCredit(decision, label, bool(hits), share if hits else 0.0, hits)


@lru_cache(maxsize=16384)
def _cost(code: str, step: str | None, severity: str, summary: str, points: float,
          share: float) -> Cost:
    """One finding's cost (plans share them often; building one costs more than this)."""
    return Cost(code, step, severity, summary, points, share)


def _severity_rank(finding: Finding) -> int:
    return SEVERITY_ORDER[finding.severity]


def _score(kb: KnowledgeBase, tables: _Tables, findings: list[Finding],
           chosen: Mapping[str, Action], credits: tuple[DecisionCredit, ...]
           ) -> tuple[float, float, tuple[Cost, ...], str, str]:
    """The unclipped points, the score (0-1), the costs, the rubric sentence and the safety
    verdict (scoring.yaml, docs/scoring.md)."""
    rules = kb.scoring
    severity_points, weight = rules.severity_points, tables.weight
    omission = rules.omission_weights
    made = sum(c.made for c in credits)
    coverage = rules.coverage_points * (made / len(credits) if credits else 1.0)
    costs: list[Cost] = []
    remaining = coverage / rules.coverage_points
    caution = False
    for f in findings:
        if f.severity == "warning" and not caution and (
                f.code == "caution" or (f.step in chosen and f.code in tables.commission
                                        and f.step in tables.risky)):
            caution = True
        points = severity_points[f.severity]
        if not points or (f.code == "missing_step" and f.severity != "critical"):
            continue  # a missed decision already costs its share of the coverage
        points *= (weight[f.step] if f.step in chosen and f.code not in tables.omission
                   else omission.get(f.severity, 1.0))
        share = min(rules.max_share_per_finding, points / rules.coverage_points)
        remaining *= 1 - share
        costs.append(_cost(f.code, f.step, f.severity, f.summary, points, share))
    worst = findings[0].severity if findings else "info"  # findings are sorted, worst first
    safety = "unsafe" if worst == "critical" else "caution" if caution else "safe"
    penalty = sum(c.points for c in costs)
    points = round(coverage - penalty, 1)
    score = round(remaining, 3)
    rubric = _rubric(tables.rubric, round(score * 100), made, len(credits),
                     _costs_text(kb, tables, costs, missed=made < len(credits)), safety,
                     rules.safety_reasons[safety])
    return points, score, tuple(costs), rubric, safety


def _costs_text(kb: KnowledgeBase, tables: _Tables, costs: list[Cost], missed: bool) -> str:
    """What cost points, worst first (a step chosen before a step left out) and at most three
    named: "Naproxen (a step given despite a contraindication); ...", or "nothing cost
    points" ("nothing else cost points" when a required decision was missed)."""
    if not costs:
        return "nothing else cost points" if missed else "nothing cost points"
    omission = tables.omission
    ranked = sorted((-c.points, c.code in omission, i) for i, c in enumerate(costs))
    named = list(dict.fromkeys(_cost_text(kb, tables, costs[i].code, costs[i].step)
                               for _, _, i in ranked))
    more = len(named) - 3
    shown = "; ".join(named[:3]) + (f"; and {more} more" if more > 0 else "")
    return f"cost points: {shown}"


def _cost_text(kb: KnowledgeBase, tables: _Tables, code: str, step: str | None) -> str:
    """How a cost is named: "Naproxen (a step given despite a contraindication)"."""
    name = tables.cost_names.get((code, step))
    if name is None:
        label = tables.labels[code]
        name = f"{kb.steps[step].label} ({label[0].lower()}{label[1:]})" if step else label
        tables.cost_names[code, step] = name
    return name


@lru_cache(maxsize=4096)
def _rubric(template: str, score: int, made: int, required: int, costs: str, safety: str,
            reason: str) -> str:
    """The rubric sentence (plans share their figures often; formatting costs more than this)."""
    return template.format(score=score, made=made, required=required, costs=costs,
                           safety=safety, safety_reason=reason)
