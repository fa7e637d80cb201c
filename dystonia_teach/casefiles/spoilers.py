"""The spoiler check: text a learner reads before submitting must not give the diagnosis away.

A learner sees the title, the summary, the teaser of the case picker (built from the facts and
``patient.occupation``), then each visit's presentation and examination, all before naming a
diagnosis. None of them may name the case's true diagnosis, or imply it:

* it is **named** by its label (split at "," and "or"), its ``names:`` in
  ``knowledge/diagnoses.yaml`` (or a course pack's) and the words of its id, in any word form
  ("radicular" for "radiculopathy", "parkinsonian" for "Parkinson"); abbreviations (``DRD``,
  ``PAD``) count only written in capitals;
* it is **implied** by its ``implying_words:`` there (what gives a diagnosis away without
  naming it: "levodopa" for dopa-responsive dystonia), by "mimic" for any diagnosis but the
  course's own, and, for radiculopathy dystonia, by saying that a spinal lesion causes the
  symptoms ("from an L4-L5 slip", "due to a trapped nerve").

Test reports are not checked: a result may name a finding ("an L5 radiculopathy on EMG").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

from dystonia_teach.core.diagnoses import OTHER, diagnosis_scripts
from dystonia_teach.core.knowledge import on_knowledge_change

#: The fields a learner reads before submitting (``visits`` items by their field).
SHOWN_BEFORE_SUBMITTING = frozenset({
    ("title",), ("summary",), ("patient", "occupation"), ("stages", "presentation"),
    ("stages", "examination"),
})
_VISIT_FIELDS = frozenset({"presentation", "examination"})
#: The diagnosis this course is about: a "mimic" is any other.
COURSE_DIAGNOSIS = "radiculopathy_dystonia"
_MIMIC = ("mimic", "mimicking", "masquerade", "masquerading", "imitator", "look-alike",
          "lookalike")
#: "caused by a disc", "from an L4-L5 slip": a spinal cause stated (radiculopathy dystonia).
SPINAL_CAUSE = re.compile(
    r"\b(?:(?:caused by|due to|secondary to|because of|owing to|from)\s+(?:an?|the|his|her|"
    r"their)?\s*(?:[\w-]+\s+){0,3}?(?:dis[ck]s?|slips?|spondylolisthesis|stenosis|herniation|"
    r"prolapse|compression)"
    r"|(?:caused by|due to|secondary to|because of|owing to)\s+(?:an?|the|his|her|their)?\s*"
    r"(?:[\w-]+\s+){0,3}?(?:nerves?|roots?|spine|spinal\s+\w+|back))\b", re.IGNORECASE)
_CAUSES = ("caused by", "due to", "secondary to", "because of", "owing to")
_LESIONS = ("dis", "slip", "spondylolisthesis", "stenosis", "herniation", "prolapse",
            "compression")
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][sS]\b)?")
#: Endings dropped to compare word forms, longest first ("radiculopathy" and "radicular" are
#: both "radicul"); not "-al", which would make "function" a form of "functional".
_ENDINGS = ("opathies", "opathic", "opathy", "ism", "ian", "ics", "ic", "ar", "ia", "es", "s",
            "y")
_MIN_STEM = 4


@dataclass(frozen=True)
class Spoiler:
    """Where a text gives the diagnosis away (``start``/``end`` in the text) and how."""

    start: int
    end: int
    message: str


@dataclass(frozen=True)
class _Term:
    words: tuple[str, ...]  # compared forms (stems, or an abbreviation as written)
    shown: str
    named: bool  # a name of the diagnosis (True) or a word that implies it


def shown_before_submitting(path: Sequence[str | int]) -> bool:
    """Whether the field at ``path`` is read by learners before they submit."""
    if len(path) == 3 and path[0] == "visits" and isinstance(path[1], int):
        return path[2] in _VISIT_FIELDS
    return tuple(path) in SHOWN_BEFORE_SUBMITTING


def spoilers(text: str, diagnosis: str) -> Iterator[Spoiler]:
    """Each place in ``text`` that names or implies ``diagnosis`` (a diagnosis id)."""
    label = diagnosis_scripts()[diagnosis].label  # first: it brings the knowledge in use
    terms = _terms(diagnosis)
    named = list(_named(text, terms, label)) if terms and (
        _may_hold_a_term(text, diagnosis)) else []
    yield from named
    if diagnosis == COURSE_DIAGNOSIS and _may_give_a_cause(text):
        for match in SPINAL_CAUSE.finditer(text):
            if any(s.start < match.end() and match.start() < s.end for s in named):
                continue  # "because of a trapped nerve": the named words say it already
            yield Spoiler(match.start(), match.end(),
                          f"{match.group(0)!r} gives the cause of the symptoms, which implies "
                          f"the case's diagnosis ({label})")


def _named(text: str, terms: dict[str, tuple[_Term, ...]], label: str) -> Iterator[Spoiler]:
    """Each place in ``text`` where one of ``terms`` is written, in any word form."""
    tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]
    forms = [_form(word) for _, _, word in tokens]
    raw = [word.removesuffix("'s").removesuffix("’s") for _, _, word in tokens]
    after = 0  # tokens before this are inside a spoiler already found
    for i in range(len(tokens)):
        if i < after:
            continue
        for term in terms.get(forms[i], ()) + terms.get(raw[i], ()):
            n = len(term.words)
            window = [raw[j] if term.words[k].isupper() else forms[j]
                      for k, j in enumerate(range(i, min(i + n, len(tokens))))]
            if tuple(window) == term.words:
                start, end = tokens[i][0], tokens[i + n - 1][1]
                how = "names" if term.named else "implies"
                yield Spoiler(start, end,
                              f"{text[start:end]!r} {how} the case's diagnosis ({label})")
                after = i + n
                break


@cache
def _terms(diagnosis: str) -> dict[str, tuple[_Term, ...]]:
    """The diagnosis's names and implying words, by the form of their first word."""
    script = diagnosis_scripts().get(diagnosis)
    if script is None or diagnosis == OTHER:
        return {}
    label = re.sub(r"\s*\([^)]*\)", "", script.label)
    named = [part for part in re.split(r",\s*|\s+or\s+", label)
             if part and not part.startswith("including")]
    named += [*script.names, diagnosis.replace("_", " ")]
    implied = list(script.implying_words)
    if diagnosis != COURSE_DIAGNOSIS:
        implied += _MIMIC
    found: dict[str, list[_Term]] = {}
    for phrase, is_name in [(p, True) for p in named] + [(p, False) for p in implied]:
        words = tuple(word if _abbreviation(word) else _form(word)
                      for word in (m.group(0) for m in _TOKEN.finditer(phrase)))
        if words:
            found.setdefault(words[0], []).append(_Term(words, phrase, is_name))
    return {first: tuple(sorted(terms, key=lambda t: -len(t.words)))  # longest first
            for first, terms in found.items()}


@cache
def _needles(diagnosis: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The start of the longest word of each of the diagnosis's terms, in lower case and as
    abbreviations written in capitals: text holding none of them holds no term, and is not
    split into words at all (most text)."""
    longest = {max(term.words, key=len) for terms in _terms(diagnosis).values() for term in terms}
    return (tuple(sorted(w for w in longest if not _abbreviation(w))),
            tuple(sorted(w for w in longest if _abbreviation(w))))


@on_knowledge_change
def _forget_terms() -> None:
    _terms.cache_clear()
    _needles.cache_clear()


def _may_give_a_cause(text: str) -> bool:
    """Whether ``text`` may match :data:`SPINAL_CAUSE` (most text cannot: no causal words)."""
    folded = text.casefold()
    return any(cause in folded for cause in _CAUSES) or (
        "from" in folded and any(lesion in folded for lesion in _LESIONS))


def _may_hold_a_term(text: str, diagnosis: str) -> bool:
    words, abbreviations = _needles(diagnosis)
    folded = text.casefold()
    return any(w in folded for w in words) or any(a in text for a in abbreviations)


def _abbreviation(word: str) -> bool:
    """``DRD``, ``DYT5``, ``SLC2A1``: written in capitals (and digits), compared as written."""
    return len(word) <= 6 and word.isupper()


def _form(word: str) -> str:
    """A word's form for comparison: lower case, without a possessive or a common ending."""
    word = word.lower().removesuffix("'s").removesuffix("’s")
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return word
