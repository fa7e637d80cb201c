"""Rule kinds: small pure functions that turn a rule instance (data) into findings.

A rule instance in ``knowledge/algorithm.yaml`` names its kind, its ``when`` predicates, the
finding code it raises and the steps it concerns. Each kind yields ``(code, step, extra)``
triples; the engine turns them into findings with text and evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.kb_model import Caution, KnowledgeBase, Rule
from dystonia_teach.core.predicates import holds
from dystonia_teach.core.results import Action
from dystonia_teach.core.wording import with_subject

#: (finding code, step id or None, extra detail), optionally + the evidence ids it rests on.
Hit = tuple[str, str | None, str] | tuple[str, str | None, str, tuple[str, ...]]


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

    def label(self, step_id: str) -> str:
        return self.kb.steps[step_id].label


def require_steps(rule: Rule, ctx: Context) -> Iterator[Hit]:
    """Every listed step must be chosen; one finding per missing step (naming a late version
    of it chosen instead, see :func:`late_versions`)."""
    late = "late_versions" in rule.params
    for step in rule.params["steps"]:
        if step not in ctx.chosen:
            yield rule.code, step, _chosen_instead(rule, ctx, step) if late else ""


def require_any(rule: Rule, ctx: Context) -> Iterator[Hit]:
    """At least one listed step must be chosen."""
    steps = rule.params["steps"]
    if not any(step in ctx.chosen for step in steps):
        target = next((step for step in steps if step in ctx.recommended), None)
        late = target and "late_versions" in rule.params
        yield rule.code, target, _chosen_instead(rule, ctx, target) if late else ""


def late_versions(rule: Rule, step: str | None, chosen: Mapping[str, Action]) -> tuple[str, ...]:
    """The chosen steps that are a late version of ``step``, a step ``rule`` requires (a
    routine MRI for the urgent one): the rule's finding on ``step`` names them, so they are
    not judged again (one omission, one finding). From the rule's ``late_versions`` table."""
    table = rule.params.get("late_versions")
    if not table or step is None:
        return ()
    return tuple(s for s in table.get(step, ()) if s in chosen)


def _chosen_instead(rule: Rule, ctx: Context, step: str) -> str:
    late = late_versions(rule, step, ctx.chosen)
    if not late:
        return ""
    steps = ctx.kb.steps
    if len(late) == 1:
        label, plural = steps[late[0]].label, steps[late[0]].plural
    else:
        label, plural = " and ".join(steps[s].label for s in late), True
    return with_subject("{step} was chosen instead: with this red flag the urgent step cannot "
                        "wait.", label, plural)


def aside_codes(rule: Rule) -> frozenset[str]:
    """The codes ``rule`` raises that make a point beside a step's indication (a caution or a
    note on a step this patient may have): the step is still judged recommended, acceptable or
    not indicated. A contraindication (the rule's own code) replaces that verdict instead."""
    if rule.kind == "contraindicated":
        return frozenset((rule.params["warning_code"], rule.params["info_code"]))
    return frozenset()


def forbid_steps(rule: Rule, ctx: Context) -> Iterator[Hit]:
    """None of the listed steps may be chosen; one finding per chosen step."""
    for step in rule.params["steps"]:
        if step in ctx.chosen:
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
    """A chosen procedure must be one that fits the case's pathology (a list: any of them)."""
    procedures, every_step = _procedures(rule)
    fits = procedures.get(ctx.case.pathology, ())
    for step in every_step:
        if step in ctx.chosen and step not in fits:
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
    """Drugs need a daily dose inside their labelled range."""
    for step, action in ctx.chosen.items():
        dose_range = ctx.kb.steps[step].dose
        if dose_range is None:
            continue
        if action.dose_mg_per_day is None:
            yield rule.params["missing_code"], step, f"Labelled range: {dose_range.describe()}."
            continue
        if not dose_range.contains(action.dose_mg_per_day):
            extra = (f"You gave {action.dose_mg_per_day:g} mg/day; labelled range "
                     f"{dose_range.describe()}.")
            if dose_range.seed_figure:
                extra += f" {dose_range.seed_figure}"
            yield rule.code, step, extra
            continue
        if not dose_range.adjustments:
            continue
        lowered = [a for a in dose_range.adjustments if holds(ctx.case, a.when)]
        ceiling = min((a.max_mg_per_day for a in lowered), default=dose_range.max_mg_per_day)
        if action.dose_mg_per_day > ceiling:
            reasons = " ".join(a.reason for a in lowered)
            yield rule.code, step, (f"You gave {action.dose_mg_per_day:g} mg/day; for this "
                                    f"patient at most {ceiling:g} mg/day. {reasons}")


def trigger_steps(rule: Rule, kb: KnowledgeBase,
                  cautions: Mapping[str, tuple[Caution, ...]]) -> frozenset[str] | None:
    """The steps of which one must be chosen for ``rule`` to find anything (given the case's
    cautions), or None when it may find something whatever is chosen (a step left out). The
    engine skips a rule when none of its trigger steps is chosen."""
    params = rule.params
    match rule.kind:
        case "forbid_steps":
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
    return ids
