"""Rule kinds: small pure functions that turn a rule instance (data) into findings.

A rule instance in ``knowledge/algorithm.yaml`` names its kind, its ``when`` predicates, the
finding code it raises and the steps it concerns. Each kind yields ``(code, step, extra)``
triples (optionally with the evidence ids and a severity of its own); the engine turns them into
findings with text and evidence. A required step may be written ``step!urgent``: only an urgent
order of that step satisfies it (a finding about it names the urgent order). Rules see the case
as the clinician knows it (:func:`dystonia_teach.core.predicates.knowable_view`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.kb_model import Caution, DoseRange, KnowledgeBase, Rule, split_option
from dystonia_teach.core.predicates import holds
from dystonia_teach.core.results import Action
from dystonia_teach.core.wording import with_subject

#: (finding code, step id or None, extra detail), optionally + the evidence ids it rests on and
#: a severity of its own (else the rule's, else the code's).
Hit = (tuple[str, str | None, str] | tuple[str, str | None, str, tuple[str, ...]]
       | tuple[str, str | None, str, tuple[str, ...], str])


@dataclass(slots=True)
class Context:
    """What a rule may look at: the case, the knowledge base and the learner's choices (one
    per evaluation; rules add to ``flagged`` and ``raised`` only through the engine)."""

    case: Case
    kb: KnowledgeBase
    chosen: Mapping[str, Action]
    recommended: frozenset[str]
    #: Step id -> the cautions on it this case meets (``cautions.cautions_met``).
    cautions: Mapping[str, tuple[Caution, ...]] = field(default_factory=dict)
    #: Steps already judged wrong by an earlier rule (warning or critical).
    flagged: set[str] = field(default_factory=set)
    #: Finding codes raised by the rules run so far (a rule may give way to one: ``unless_raised``).
    raised: set[str] = field(default_factory=set)
    #: Chosen steps an earlier rule has already judged wrong (one decision, one finding).
    judged: set[str] = field(default_factory=set)

    def label(self, step_id: str) -> str:
        return self.kb.steps[step_id].label


def chosen_as(option: str, chosen: Mapping[str, Action]) -> bool:
    """Whether ``option`` (a step id, or ``step!urgent``) is among the chosen actions."""
    step, priority = split_option(option)
    action = chosen.get(step)
    return action is not None and (priority == "routine" or action.priority == priority)


def require_steps(rule: Rule, ctx: Context) -> Iterator[Hit]:
    """Every listed step must be chosen; one finding per missing step (naming a late version
    of it chosen instead, see :func:`late_versions`)."""
    late = "late_versions" in rule.params
    for option in rule.params["steps"]:
        if not chosen_as(option, ctx.chosen):
            yield rule.code, option, _chosen_instead(rule, ctx, option) if late else ""


def require_any(rule: Rule, ctx: Context) -> Iterator[Hit]:
    """At least one listed step must be chosen (the first one the pathway recommends is named
    when none is)."""
    options = rule.params["steps"]
    if not any(chosen_as(option, ctx.chosen) for option in options):
        target = next((o for o in options if split_option(o)[0] in ctx.recommended), None)
        late = target and "late_versions" in rule.params
        yield rule.code, target, _chosen_instead(rule, ctx, target) if late else ""


def late_versions(rule: Rule, option: str | None, chosen: Mapping[str, Action]
                  ) -> tuple[str, ...]:
    """The chosen steps that are a late version of ``option``, a step ``rule`` requires (a
    routine MRI for the urgent one): the rule's finding names them, so they are not judged
    again (one omission, one finding). From the rule's ``late_versions`` table."""
    table = rule.params.get("late_versions")
    if not table or option is None:
        return ()
    return tuple(s for s in table.get(option, ()) if s in chosen)


def _chosen_instead(rule: Rule, ctx: Context, step: str) -> str:
    late = late_versions(rule, step, ctx.chosen)
    if not late:
        return ""
    steps = ctx.kb.steps
    if late == (split_option(step)[0],):  # the same order, routine instead of urgent
        return with_subject("{step} was ordered routine: with this red flag the order must be "
                            "urgent.", steps[late[0]].label, steps[late[0]].plural)
    if len(late) == 1:
        label, plural = steps[late[0]].label, steps[late[0]].plural
    else:
        label, plural = " and ".join(steps[s].label for s in late), True
    return with_subject("{step} was chosen instead (routine): with this red flag the urgent "
                        "order cannot wait.", label, plural)


def aside_codes(rule: Rule) -> frozenset[str]:
    """The codes ``rule`` raises that make a point beside a step's indication (a caution or a
    note on a step this patient may have): the step is still judged recommended, acceptable or
    not indicated. A contraindication (the rule's own code) replaces that verdict instead."""
    if rule.kind == "contraindicated":
        return frozenset((rule.params["warning_code"], rule.params["info_code"]))
    return frozenset()


def forbid_steps(rule: Rule, ctx: Context) -> Iterator[Hit]:
    """None of the listed steps may be chosen; one finding per chosen step (not one an earlier
    rule has judged wrong: one decision, one finding)."""
    for step in rule.params["steps"]:
        if step in ctx.chosen and step not in ctx.judged:
            yield rule.code, step, ""


def require_with(rule: Rule, ctx: Context) -> Iterator[Hit]:
    """If any of ``if_any`` is chosen (and not already judged wrong: never "add X" beside "do
    not do Y"), one of ``needs_any`` must be chosen too."""
    trigger = next((step for step in rule.params["if_any"]
                    if step in ctx.chosen and step not in ctx.flagged), None)
    if trigger and not any(step in ctx.chosen for step in rule.params["needs_any"]):
        needed = ", ".join(ctx.label(step) for step in rule.params["needs_any"])
        yield rule.code, trigger, f"Needed with it: {needed}."


def procedure_fits_pathology(rule: Rule, ctx: Context) -> Iterator[Hit]:
    """A chosen procedure must be one that fits the case's pathology (a list: any of them);
    one that an earlier rule judged wrong (a fusion with no slip) is not judged again."""
    procedures, every_step = _procedures(rule)
    fits = procedures.get(ctx.case.pathology, ())
    for step in every_step:
        if step in ctx.chosen and step not in fits and step not in ctx.judged:
            pathology = ctx.case.pathology.replace("_", " ")
            names = " or ".join(ctx.label(f) for f in fits)
            extra = f"For {pathology} the procedure is {names}." if fits else ""
            yield rule.code, step, extra


_PROCEDURES: dict[int, tuple[Rule, dict[str, tuple[str, ...]], tuple[str, ...]]] = {}


def _procedures(rule: Rule) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """A procedure rule's table (pathology -> its procedures) and every procedure it names,
    once per rule instance (kept with the rule, so its id cannot be reused)."""
    hit = _PROCEDURES.get(id(rule))
    if hit is None or hit[0] is not rule:
        table = {k: (v,) if isinstance(v, str) else tuple(v)
                 for k, v in rule.params["procedures"].items()}
        every = tuple(dict.fromkeys(s for steps in table.values() for s in steps))
        hit = _PROCEDURES[id(rule)] = (rule, table, every)
    return hit[1], hit[2]


def symptomatic_only(rule: Rule, ctx: Context) -> Iterator[Hit]:
    """Symptomatic treatments chosen while no surgical step is (nor one of ``not_with``, whose
    omission another rule names: injections without a surgical opinion are delayed surgery)."""
    params = rule.params
    if any(step in ctx.chosen for step in (*params["surgical"], *params.get("not_with", ()))):
        return
    for step in rule.params["symptomatic"]:
        if step in ctx.chosen:
            yield rule.code, step, ""


def contraindicated(rule: Rule, ctx: Context) -> Iterator[Hit]:
    """Every chosen step against the cautions its patient meets (``knowledge/cautions.yaml``):
    critical ones raise ``code``, warnings ``warning_code``, notes ``info_code``; a caution is
    resolved when one of its ``unless_any`` steps is chosen too."""
    codes = {"critical": rule.code, "warning": rule.params["warning_code"],
             "info": rule.params["info_code"]}
    for step in ctx.chosen:
        for caution in ctx.cautions.get(step, ()):
            if any(s in ctx.chosen for s in caution.unless_any):
                continue
            extra = caution.text
            if caution.unless_any:
                needed = " or ".join(ctx.label(s) for s in caution.unless_any)
                extra += f" Needed with it: {needed}."
            yield codes[caution.severity], step, extra, caution.evidence


def dose_in_range(rule: Rule, ctx: Context) -> Iterator[Hit]:
    """Drugs need a daily dose (asked for when missing: ``missing_code``, information). Above
    the most this patient may take (the labelled maximum, a ceiling a condition sets, or a
    child's weight-based maximum capped at the adult one) is ``code`` at the rule's severity
    (critical); below the usual range is ``code`` as information (spec v3 §0.4)."""
    case = ctx.case
    for step, action in ctx.chosen.items():
        dose_range = ctx.kb.steps[step].dose
        if dose_range is None:
            continue
        if action.dose_mg_per_day is None:
            yield (rule.params["missing_code"], step,
                   f"Labelled range: {dose_range.describe()}.", (), "info")
            continue
        given = action.dose_mg_per_day
        low, high, why = dose_limits(dose_range, case, None, ctx.kb.predicates)
        cited = (dose_range.source,) + (
            (dose_range.child.source,) if case.patient.child and dose_range.child else ())
        if given > high:
            yield rule.code, step, (f"You gave {given:g} mg/day; for this patient at most "
                                    f"{high:g} mg/day. {why}").rstrip(), cited
        elif low is not None and given < low:
            yield (rule.code, step, f"You gave {given:g} mg/day, below the usual effective "
                   f"dose ({low:g} mg/day or more for this patient). {why}".rstrip(), cited,
                   "info")


def dose_limits(dose_range: DoseRange, case: Case, memo: dict[str, bool] | None = None,
                table: Mapping[str, Callable[[Case], bool]] | None = None
                ) -> tuple[float | None, float, str]:
    """(usual minimum, maximum, why) of a drug's daily dose for this patient: a child with a
    stated weight by mg/kg/day capped at the adult maximum, else the labelled adult range;
    a condition's ceiling lowers the maximum (``memo``: see :func:`holds`)."""
    low, high = dose_range.min_mg_per_day, dose_range.max_mg_per_day
    reasons = [f"Labelled range: {dose_range.describe()}."]
    child, weight = dose_range.child, case.patient.weight_kg
    if case.patient.child and child is not None and weight is not None:
        low = child.min_mg_per_kg_day * weight if child.min_mg_per_kg_day else None
        high = min(high, child.max_mg_per_kg_day * weight)
        status = "" if child.status == "verified" else f", {child.status.replace('_', ' ')}"
        span = (f"{child.min_mg_per_kg_day:g}-" if child.min_mg_per_kg_day else "up to ")
        reasons = [f"A child is dosed by weight: {span}{child.max_mg_per_kg_day:g} mg/kg/day "
                   f"for {weight:g} kg, capped at the adult maximum "
                   f"({dose_range.max_mg_per_day:g} mg/day{status})."]
    elif case.patient.child and child is not None:
        reasons.append("A child is dosed by weight, and this case gives none: the adult range "
                       "is the most that can be checked.")
    for adjustment in dose_range.adjustments:
        if adjustment.max_mg_per_day < high and holds(case, adjustment.when, memo, table):
            high = adjustment.max_mg_per_day
            reasons.append(adjustment.reason)
    if dose_range.seed_figure and not case.patient.child:
        reasons.append(dose_range.seed_figure)
    return low, high, " ".join(reasons)


def at_most_one(rule: Rule, ctx: Context) -> Iterator[Hit]:
    """At most one of ``steps`` (one NSAID at a time): each one after the first is named."""
    chosen = [step for step in rule.params["steps"] if step in ctx.chosen]
    for step in chosen[1:]:
        yield rule.code, step, f"Chosen with {ctx.label(chosen[0])}."


def trigger_steps(rule: Rule, kb: KnowledgeBase,
                  cautions: Mapping[str, tuple[Caution, ...]]) -> frozenset[str] | None:
    """The steps of which one must be chosen for ``rule`` to find anything (given the case's
    cautions), or None when it may find something whatever is chosen (a step left out). The
    engine skips a rule when none of its trigger steps is chosen."""
    params = rule.params
    match rule.kind:
        case "forbid_steps" | "at_most_one":
            return frozenset(params["steps"])
        case "require_with":
            return frozenset(params["if_any"])
        case "procedure_fits_pathology":
            return frozenset(_procedures(rule)[1])
        case "symptomatic_only":
            return frozenset(params["symptomatic"])
        case "contraindicated":
            return frozenset(cautions)
        case "dose_in_range":
            return frozenset(step_id for step_id, step in kb.steps.items() if step.dose)
    return None


RuleKind = Callable[[Rule, Context], Iterator[Hit]]
RULE_KINDS: dict[str, RuleKind] = {
    f.__name__: f
    for f in (
        require_steps,
        require_any,
        forbid_steps,
        require_with,
        procedure_fits_pathology,
        symptomatic_only,
        contraindicated,
        dose_in_range,
        at_most_one,
    )
}
_STEP_PARAMS = ("steps", "if_any", "needs_any", "surgical", "symptomatic", "not_with")


def rule_step_ids(rule: Rule) -> list[str]:
    """Every step id a rule instance names (checked against the catalogue at load time)."""
    ids = [step for key in _STEP_PARAMS for step in rule.params.get(key, ())]
    for value in rule.params.get("procedures", {}).values():
        ids.extend([value] if isinstance(value, str) else value)
    for step, late in rule.params.get("late_versions", {}).items():
        ids.extend([step, *late])
    return [split_option(i)[0] for i in ids]
