"""Long-menu answers: the vocabulary a key-feature question is answered from, searched by typing.

A long menu shows no options up front; the learner types and picks from the matches, which
cues less than a short list of options (Cerutti 2019). Four menus, by what a question asks:

* ``diagnoses``: every diagnosis the course knows (searched by
  :func:`~dystonia_teach.core.diagnoses.search_diagnoses`);
* ``tests``: every step that gives a result;
* ``drugs``: every drug that is not a test;
* ``steps``: every step of a plan, tests included (not the history and examination, which the
  question's stem already gives, nor the alias ids kept loading for old records).

``search_menu("tests", "mri")`` lists the matches as (label, id), most relevant first; the order
depends on the words typed, never on a case.
"""

from __future__ import annotations

import difflib
import re
from typing import Literal, get_args

from dystonia_teach.core.diagnoses import diagnosis_scripts, search_diagnoses
from dystonia_teach.core.kb_model import Step
from dystonia_teach.core.knowledge import knowledge

Menu = Literal["diagnoses", "tests", "drugs", "steps"]
MENUS: tuple[str, ...] = get_args(Menu)
#: Matches are offered from this many typed characters on.
MIN_QUERY = 2


def _in_menu(step: Step, menu: Menu) -> bool:
    if step.alias_of or step.phase == "assessment":
        return False
    if menu == "tests":
        return step.reveals is not None
    if menu == "drugs":
        return step.harm == "drug" and step.reveals is None
    return True


def menu_ids(menu: Menu) -> tuple[str, ...]:
    """Every answer of ``menu`` (diagnosis or step ids), in the knowledge base's order."""
    if menu == "diagnoses":
        return tuple(diagnosis_scripts())
    return tuple(s.id for s in knowledge().steps.values() if _in_menu(s, menu))


def answer_label(menu: Menu, answer: str) -> str:
    """The label a learner reads for an answer id of ``menu``."""
    if menu == "diagnoses":
        return diagnosis_scripts()[answer].label
    return knowledge().steps[answer].label


def _words(text: str) -> list[str]:
    """Lower-case words; a hyphenated word also gives its parts ("flexion-extension")."""
    words = re.findall(r"[\w'-]+", text.lower())
    return [*words, *(part for w in words if "-" in w for part in w.split("-") if part)]


def _relevance(step: Step, word: str) -> float:
    """How well one typed word matches a step: a word of its label (its first word best), its
    category ("nsaid"), a close misspelling of a label word, its description; 0: no match."""
    label = _words(step.label)
    if word in label:
        return 7.0 if label[0] == word else 6.0
    if any(t.startswith(word) for t in label):
        return 5.0 if label[0].startswith(word) else 4.0
    if any(t.startswith(word) for t in step.category.split("_")):
        return 3.0
    if len(word) > 4 and difflib.get_close_matches(word, label, n=1, cutoff=0.85):
        return 2.0
    return 1.0 if word in step.description.lower() else 0.0


def search_menu(menu: Menu, text: str, limit: int = 0) -> list[tuple[str, str]]:
    """(label, id) of the answers of ``menu`` matching every word of ``text``, most relevant
    first (of equally relevant ones the shorter label, then alphabetically); nothing for fewer
    than :data:`MIN_QUERY` characters; ``limit`` 0: all matches."""
    if len(text.strip()) < MIN_QUERY:
        return []
    if menu == "diagnoses":
        return [(d.label, d.id) for d in search_diagnoses(text, limit=limit)]
    words = text.lower().split()
    steps = knowledge().steps
    scored = []
    for step_id in menu_ids(menu):
        step = steps[step_id]
        scores = [_relevance(step, w) for w in words]
        if all(scores):
            scored.append((-sum(scores), len(step.label), step.label.casefold(), step_id))
    found = [(steps[step_id].label, step_id) for *_, step_id in sorted(scored)]
    return found[:limit] if limit else found
