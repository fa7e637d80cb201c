"""Diagnoses: what a case's ``diagnosis:``, a learner's differential and ``try --diagnosis``
name (one vocabulary), their illness scripts, and the differential derived from facts.

The diagnoses are data (``knowledge/diagnoses.yaml``, and a course pack's ``diagnoses:``); the
facts they point to are the named features (:func:`features`): the knowable predicates that
carry a plain description, and the signs and features a course pack adds.
``derived_differential(case)`` ranks every diagnosis by the features of the case that point
towards it minus those that point away, so it follows the facts, never an authored answer::

    from dystonia_teach.core.diagnoses import derived_differential, search_diagnoses
    [d.id for d in search_diagnoses("parkin")]        # ['parkinsonism_foot_dystonia']
    derived_differential(case)[0].diagnosis           # the leading diagnosis the facts support
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.kb_model import DiagnosisScript, KnowledgeBase
from dystonia_teach.core.knowledge import feature_text, knowledge, on_knowledge_change

Feature = Callable[[Case], bool]
OTHER = "other"
_FEATURES: list[dict[str, tuple[str, Feature]]] = []


@on_knowledge_change
def _forget_features() -> None:
    _FEATURES.clear()


def features(kb: KnowledgeBase | None = None) -> dict[str, tuple[str, Feature]]:
    """Facts a script can point to: name -> (plain description, test on the case). They are the
    knowable predicates with a plain description, and a course pack's signs and features (one
    place for each fact)."""
    if kb is not None:
        return {name: (text, kb.predicates[name]) for name, text in feature_text(kb).items()}
    current = knowledge()  # first: a change of knowledge empties the cache
    if not _FEATURES:
        _FEATURES.append(features(current))
    return _FEATURES[0]


def diagnosis_scripts() -> dict[str, DiagnosisScript]:
    """Every diagnosis of the knowledge in use, by id (the package's first)."""
    return knowledge().diagnoses


def _words(text: str) -> list[str]:
    """Lower-case words of ``text``; a hyphenated word also gives its parts ("post-traumatic":
    "post-traumatic", "post", "traumatic")."""
    words = re.findall(r"[\w'-]+", text.lower())
    return [*words, *(part for w in words if "-" in w for part in w.split("-") if part)]


def _relevance(d: DiagnosisScript, word: str) -> float:
    """How well one query word matches a diagnosis: a word of its label (the label's first
    word best), an abbreviation or other name, a close misspelling, its script; 0: no match."""
    label, names = _words(d.label), _words(" ".join(d.names))
    if word in label:
        return 7.0 if label[0] == word else 6.0
    if any(t.startswith(word) for t in label):
        return 5.0 if label[0].startswith(word) else 4.0
    if word in names:
        return 4.5  # an abbreviation or another name, written out ("ces", "crps")
    if any(t.startswith(word) for t in names):
        return 3.0
    if len(word) > 4 and difflib.get_close_matches(word, [*label, *names], n=1, cutoff=0.85):
        return 2.0
    return 1.0 if word in d.script.lower() else 0.0


def search_diagnoses(text: str, limit: int = 8) -> list[DiagnosisScript]:
    """Diagnoses matching every word of ``text``, most relevant first: a word of the label
    (best when it starts the label), then abbreviations and other names (``names:`` in
    diagnoses.yaml), close misspellings, and words of the script; of equally relevant ones the
    shorter label first (the words cover more of it), then alphabetically (a course pack's
    diagnoses are searched as the package's are). The order depends
    on the words typed, never on a case. An empty
    query lists them all; a query matching nothing offers "Another diagnosis"."""
    scripts = list(diagnosis_scripts().values())
    words = text.lower().split()
    if not words:
        return scripts[:limit] if limit else scripts
    scored = []
    for d in scripts:
        scores = [_relevance(d, w) for w in words]
        if all(scores):
            scored.append((-sum(scores), len(d.label), d.label.casefold(), d))
    ranked = [d for *_, d in sorted(scored, key=lambda item: item[:3])]
    if not ranked and OTHER in diagnosis_scripts():
        ranked = [diagnosis_scripts()[OTHER]]  # not in the list: "Another diagnosis"
    return ranked[:limit] if limit else ranked


def diagnosis_label(diagnosis_id: str) -> str:
    return diagnosis_scripts()[diagnosis_id].label


@dataclass(frozen=True)
class DifferentialEntry:
    """One diagnosis of a derived differential, with the facts for and against it."""

    diagnosis: str
    label: str
    support: int
    facts_for: tuple[str, ...]
    facts_against: tuple[str, ...]
    must_not_miss: bool
    script: str


def _entry(case: Case, d: DiagnosisScript) -> DifferentialEntry:
    facts = features()
    present_for = tuple(facts[f][0] for f in d.for_ if facts[f][1](case))
    present_against = tuple(facts[f][0] for f in d.against if facts[f][1](case))
    return DifferentialEntry(d.id, d.label, len(present_for) - len(present_against),
                             present_for, present_against, d.must_not_miss, d.script)


def derived_differential(case: Case) -> list[DifferentialEntry]:
    """Diagnoses the case's facts point to, best supported first (ties keep the data order)."""
    entries = [_entry(case, d) for d in diagnosis_scripts().values()]
    return sorted((e for e in entries if e.facts_for and e.support > 0),
                  key=lambda e: -e.support)


def acceptable_leads(case: Case) -> frozenset[str]:
    """The diagnoses a learner may lead with: the case's own, and a must-not-miss diagnosis its
    facts establish (cauda equina syndrome from a disc leads, whatever the disc also causes:
    it is what must be acted on today)."""
    return frozenset({case.diagnosis, *(e.diagnosis for e in derived_differential(case)
                                        if e.must_not_miss)})


def explain(case: Case, diagnosis_id: str) -> DifferentialEntry:
    """The facts of ``case`` for and against one diagnosis (any diagnosis, supported or not)."""
    return _entry(case, diagnosis_scripts()[diagnosis_id])
