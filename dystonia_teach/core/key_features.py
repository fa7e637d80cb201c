"""Key-feature questions derived from a case (Page, Bordage & Allen 1995): at each visit, the
decisions a clinician must get right become 2 to 4 questions, each answered from a long menu
(:mod:`dystonia_teach.core.long_menu`) with a stated number of answers allowed. The keys and
the "killer" options come from the engine's own judgement
(:func:`~dystonia_teach.core.decisions.case_decisions`), never from an authored answer::

    items = key_feature_items(load_case("cauda_equina_red_flags"))
    [(i.question, i.allowed, [k.options for k in i.keys]) for i in items]

The questions, in this order (a visit asks those that have keys):

* **diagnosis** — the diagnoses the facts point to most, and any must-not-miss diagnosis they
  point to (asked again at a later visit only when these change);
* **today** — required decisions whose omission is critical and that are urgent orders or not
  tests (the urgent MRI and surgical opinion of a red flag): answers are taken as done today;
* **tests** — the other required decisions that order a test;
* **drug** — where a condition bars a drug (a contraindication): the drug choice, keyed to the
  options of the decision that offers drugs that need no companion step (an NSAID that needs
  gastro-protection is not "safe" on its own); one answer;
* **plan** — the other required decisions (treatment, referral, follow-up).

History and examination are not asked (the stem gives them), nor decisions that exist only
with another step (the aftercare of an operation). Killers are the steps of the question's
menu whose choice the engine judges a critical commission here; a dose slip of a drug's example
dose is not a killer (a long-menu answer has no dose). Pure and deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.decisions import CaseDecisions, HarmfulOption, case_decisions
from dystonia_teach.core.diagnoses import derived_differential, diagnosis_scripts
from dystonia_teach.core.engine import ActionLike, recommended_actions
from dystonia_teach.core.knowledge import knowledge, source_ref
from dystonia_teach.core.long_menu import Menu, menu_ids
from dystonia_teach.core.results import PathwayItem, SourceRef
from dystonia_teach.core.visits import cases_at_visits

Kind = Literal["diagnosis", "today", "tests", "drug", "plan"]
#: Each kind's question, the menu it is answered from and the answers it allows at least.
QUESTIONS: dict[str, tuple[str, Menu, int]] = {
    "diagnosis": ("Which diagnoses must your differential include now?", "diagnoses", 3),
    "today": ("What must be done today?", "steps", 3),
    "tests": ("Which tests would you order now?", "tests", 4),
    "drug": ("Which drug for the pain is safe for this patient?", "drugs", 1),
    "plan": ("What should the plan include at this visit?", "steps", 4),
}
#: The fewest and most questions asked at one visit (Page & Bordage: a few per problem).
FEWEST, MOST = 2, 4
#: The code of a condition that bars a step.
BARRED = "contraindicated"


@dataclass(frozen=True, slots=True)
class Key:
    """One key feature: any of its ``options`` (answer ids) gives it."""

    label: str
    options: tuple[str, ...]
    reason: str
    sources: tuple[SourceRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Killer:
    """An answer that scores the question 0: its choice would harm this patient."""

    option: str
    code: str
    reason: str
    sources: tuple[SourceRef, ...] = ()


@dataclass(frozen=True, slots=True)
class KeyFeatureItem:
    """One key-feature question of a case at a visit (0 = the first)."""

    case_id: str
    visit: int
    week: float
    kind: Kind
    question: str
    menu: Menu
    allowed: int
    keys: tuple[Key, ...]
    killers: tuple[Killer, ...] = ()


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _is_test(step: str) -> bool:
    return knowledge().steps[step].reveals is not None


def _decision_key(item: PathwayItem, menu: Menu) -> Key | None:
    """A decision as a key: any of its options that the menu offers gives it."""
    options = tuple(o for o in item.options if o in menu_ids(menu))
    return Key(_capital(item.decision_label or item.label), options, item.reason,
               item.sources) if options else None


def _killers(harmful: Iterable[HarmfulOption], menu: Menu) -> tuple[Killer, ...]:
    if menu == "diagnoses":
        return ()
    ids = set(menu_ids(menu))
    return tuple(Killer(h.step, h.code, h.reason, h.sources) for h in harmful
                 if h.step in ids and not h.code.startswith("dose_"))


def _item(case: Case, visit: int, kind: Kind, keys: Iterable[Key | None],
          harmful: Iterable[HarmfulOption]) -> KeyFeatureItem | None:
    kept = tuple(k for k in keys if k is not None)
    if not kept:
        return None
    question, menu, allowed = QUESTIONS[kind]
    return KeyFeatureItem(case.id, visit, case.course.symptom_weeks, kind, question, menu,
                          max(allowed, len(kept)), kept, _killers(harmful, menu))


def diagnosis_keys(case: Case) -> tuple[Key, ...]:
    """The diagnoses the facts point to most (ties kept), then any must-not-miss diagnosis they
    point to, at most as many as the question allows."""
    derived = derived_differential(case)
    if not derived:
        return ()
    leading = [e for e in derived if e.support == derived[0].support]
    chosen = list(dict.fromkeys([*leading, *(e for e in derived if e.must_not_miss)]))
    keys = []
    for entry in chosen[:QUESTIONS["diagnosis"][2]]:
        script = diagnosis_scripts()[entry.diagnosis]
        urgent = " It must not be missed." if entry.must_not_miss else ""
        keys.append(Key(entry.label, (entry.diagnosis,),
                        f"The facts for it: {'; '.join(entry.facts_for)}.{urgent}",
                        tuple(source_ref(c) for c in script.evidence)))
    return tuple(keys)


def _drug_choice(found: CaseDecisions) -> tuple[PathwayItem, Key] | None:
    """Where a condition bars a drug: the first decision offering drugs, and its key (its
    drugs without the harmful ones and those that need a companion step)."""
    killers = _killers(found.harmful, "drugs")
    if not any(k.code == BARRED for k in killers):
        return None
    drugs = set(menu_ids("drugs"))
    barred = {k.option for k in killers}
    companions = {step: c for c in found.decisions if c.required and c.only_with
                  for step in c.only_with}
    for decision in found.decisions:
        offered = [o for o in decision.options if o in drugs and o not in barred]
        if decision.only_with or not offered:
            continue
        safe = tuple(o for o in offered if o not in companions)
        notes = [f"{knowledge().steps[o].label} only with {companions[o].label.lower()}: "
                 f"{companions[o].reason}" for o in offered if o in companions]
        if safe:
            return decision, Key(_capital(decision.decision_label), safe,
                                 " ".join([decision.reason, *notes]), decision.sources)
    return None


def visit_items(case: Case, visit: int = 0, earlier: Iterable[ActionLike] = (),
                ask_diagnosis: bool = True) -> tuple[KeyFeatureItem, ...]:
    """The key-feature questions of ``case`` as it stands at ``visit`` (``case`` is the case at
    that visit, as ``case_at_visit`` gives it; ``earlier``: the tests ordered before)."""
    found = case_decisions(case, earlier)
    harmful = found.harmful
    drug_decision, drug = _drug_choice(found) or (None, None)
    asked = [d for d in found.decisions if d.required and not d.only_with
             and d.phase != "assessment" and d is not drug_decision]
    today = [d for d in asked if d.critical_if_empty and (d.urgent_options or not _is_test(d.step))]
    tests = [d for d in asked if d not in today and _is_test(d.step)]
    plan = [d for d in asked if d not in today and not _is_test(d.step)]
    candidates = [
        _item(case, visit, "diagnosis", diagnosis_keys(case) if ask_diagnosis else (), ()),
        _item(case, visit, "today", (_decision_key(d, "steps") for d in today), harmful),
        _item(case, visit, "tests", (_decision_key(d, "tests") for d in tests), harmful),
        _item(case, visit, "drug", (drug,), harmful),
        _item(case, visit, "plan", (_decision_key(d, "steps") for d in plan), harmful),
    ]
    return tuple(i for i in candidates if i is not None)[:MOST]


def key_feature_items(case: Case) -> tuple[KeyFeatureItem, ...]:
    """Every visit's questions in turn. A later visit is derived as if the earlier ones had
    followed the recommended plan; it asks the diagnosis again when its key changed, or when
    it would otherwise ask fewer than :data:`FEWEST` questions."""
    items: list[KeyFeatureItem] = []
    earlier: list[ActionLike] = []
    before: tuple[tuple[str, ...], ...] | None = None
    for visit, at_visit in enumerate(cases_at_visits(case)):
        diagnoses = tuple(k.options for k in diagnosis_keys(at_visit))
        asked = visit_items(at_visit, visit, earlier, ask_diagnosis=diagnoses != before)
        if len(asked) < FEWEST and diagnoses == before:
            asked = visit_items(at_visit, visit, earlier)
        items += asked
        before = diagnoses
        earlier += recommended_actions(at_visit, earlier)
    return tuple(items)
