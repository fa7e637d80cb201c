"""Which pitfalls a case gives a learner the chance to make, found by asking the engine.

An attempt at a case counts as a *chance* to make a pitfall only when the case's facts make
that pitfall possible: no case can test the red-flag work-up of a patient without red flags.
Instead of re-reading the rules' conditions (which would copy the engine's logic and drift from
it), the engine judges a set of probe plans at every visit of the case, and a pitfall is
possible when some probe raises it. The probes are the empty plan, the derived pathway, the
pathway less each of its steps, and every step alone and added to the pathway (a drug also at
ten times its labelled maximum): one deviation at a time from nothing and from the right plan.
The pathway is taken twice: its required decisions alone, and with the example of each
optional decision other than an operation or an injection (an optional analgesic left alone
once the surgical opinion is dropped is only symptomatic treatment).
"""

from __future__ import annotations

from collections.abc import Iterator

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.engine import ActionLike, evaluate, recommended_actions
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.visits import case_at_visit, visit_count

#: A probe drug's dose, as a multiple of its labelled daily maximum (to reach a dose pitfall).
OVERDOSE_FACTOR = 10


def possible_pitfalls(case: Case) -> frozenset[str]:
    """The pitfall codes some plan could make at ``case`` (at any of its visits)."""
    codes: set[str] = set()
    for index in range(visit_count(case)):
        at_visit = case_at_visit(case, index)
        for plan in _probe_plans(at_visit):
            codes.update(evaluate(at_visit, plan).pitfalls)
    return frozenset(codes)


def _probe_plans(case: Case) -> Iterator[list[ActionLike]]:
    """Nothing; the pathway and the pathway less one step; each step alone and added."""
    kb = knowledge()
    pathway: list[ActionLike] = [a.as_data() for a in recommended_actions(case)]
    optional = tuple(s for s, step in kb.steps.items()
                     if step.harm not in ("operation", "injection"))
    fuller = [a.as_data() for a in recommended_actions(case, choose=optional)]
    yield []
    for base in (pathway, fuller):
        yield base
        for index in range(len(base)):
            yield base[:index] + base[index + 1:]
    for step_id, step in kb.steps.items():
        variants: list[ActionLike] = [step_id]
        if step.dose is not None:
            variants.append({"step": step_id,
                             "dose_mg_per_day": step.dose.max_mg_per_day * OVERDOSE_FACTOR})
        for action in variants:
            yield [action]
            yield [*pathway, action]
