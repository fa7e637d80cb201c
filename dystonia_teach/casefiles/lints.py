"""Content lints over a case's text: no real patient identifiers, no markup, no control characters.

Case text is shown to learners; it must be plain text written for teaching, never copied from
a record. These checks run on the raw data so they report even when the model fails, and
report every place a problem occurs (the loader turns each into the line it is on).

A person's name is a first name followed by a surname, both from the name lists in
``casefiles/names/`` (their provenance is stated there), as well as a title (``Mrs Jones``) or a
``Name:`` label; a date is a numeric date or a date in words (``3 March 2024``, ``March 3``,
``March 2024``).

Every lint runs in linear time: each pattern's repeats are bounded (a scan from one position
stops after a fixed number of characters). For speed, each pattern starts with a character or
a small set of them (``\\b`` is checked just after it), which lets the regex engine skip to
candidates, and is only tried on text that holds one of its *needles* (substrings any match
must contain, looked up in the case-folded text).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from pathlib import Path

_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 and C1, but tab and line breaks
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # U+202E (right-to-left override)...
#: Control characters, which YAML refuses in a file (found before parsing, to name the line).
CONTROL_CHARACTERS = re.compile(f"[{_CONTROLS}]")
#: Characters that can rewrite a terminal or reorder text on screen: the control characters,
#: the carriage return and the Unicode bidirectional controls.
UNSAFE_IN_TEXT = re.compile(f"[\r{_CONTROLS}{_BIDI}]")


@dataclass(frozen=True)
class Lint:
    """A pattern for one kind of problem, tried only on text holding one of its needles; a
    match counts when ``accept`` (if given) takes it."""

    what: str
    pattern: re.Pattern[str]
    needles: tuple[str, ...] = ()  # empty: always tried (the pattern starts with a literal)
    accept: Callable[[re.Match[str]], bool] | None = None

    def finditer(self, text: str, folded: str) -> Iterator[re.Match[str]]:
        if self.needles and not any(needle in folded for needle in self.needles):
            return
        for match in self.pattern.finditer(text):
            if self.accept is None or self.accept(match):
                yield match


def match_span(match: re.Match[str]) -> tuple[int, int]:
    """Where ``match`` and the groups it looked ahead to lie in the text searched."""
    ends = [match.end(g) for g in range(1, (match.re.groups or 0) + 1) if match.start(g) >= 0]
    return match.start(), max([match.end(), *ends])


_NAMES = Path(__file__).with_name("names")


@cache
def name_list(kind: str) -> frozenset[str]:
    """The names in ``names/<kind>.txt`` (``first_names`` or ``surnames``)."""
    lines = (_NAMES / f"{kind}.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _is_person(match: re.Match[str]) -> bool:
    """A first name followed by a surname (``John Patel``), both from the name lists."""
    return (match[0] + match["rest"] in name_list("first_names")
            and match["last"] in name_list("surnames"))


def _month_pattern() -> str:
    """A month's name or abbreviation, each starting with its letter (so that the regex engine
    skips to candidates) and checked not to end another word."""
    names = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December",
             "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sept", "Sep", "Oct", "Nov", "Dec")
    by_letter: dict[str, list[str]] = {}
    for name in sorted(names, key=len, reverse=True):
        by_letter.setdefault(name[0], []).append(name[1:])
    return "(?:" + "|".join(f"{letter}(?<!\\w{letter})(?:{'|'.join(rests)})"
                            for letter, rests in by_letter.items()) + r")\.?"


_MONTH = _month_pattern()
_DAY = r"(?:[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)[0-9]{2}"
_NAME_REST = r"[a-z]{1,30}(?:['’-][A-Z]?[a-z]{1,30})?"


IDENTIFIER_LINTS: tuple[Lint, ...] = (
    Lint("a date of birth", re.compile(
        r"[dDbB](?<!\w[dDbB])(?:(?<=[dD])(?i:\.?o\.?b\.?|ate of birth)|(?<=[bB])(?i:orn on))\b"),
        ("dob", "d.o", "do.b", "birth", "born on")),
    Lint("a full date", re.compile(
        r"\d(?<!\w\d)(?:\d?[/.]\d{1,2}[/.](?:19|20)\d{2}|(?<=1)9\d{2}-\d{2}-\d{2}"
        r"|(?<=2)0\d{2}-\d{2}-\d{2})\b"), ("19", "20")),
    Lint("a record number", re.compile(
        r"\b(?:mrn|nhs (?:no|number)|hospital number|record (?:no|number)|medical record)\b",
        re.I), ("mrn", "nhs n", "hospital number", "record n", "medical record")),
    Lint("a long identifying number", re.compile(r"\d(?<!\w\d)\d{2}[- ]?\d{3}[- ]?\d{4}\b")),
    Lint("an e-mail address", re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}\.[\w.]{1,253}"), ("@",)),
    Lint("a street address", re.compile(
        r"\d(?<!\w\d)\d{0,5}\s{1,3}[A-Z][a-z]{1,40}\s{1,3}"
        r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Drive|Close)\b")),
    Lint("a date in words", re.compile(  # 3 March 2024, 3rd of March
        rf"[0-9](?<![\w.][0-9])[0-9]?(?:st|nd|rd|th)?\s{{1,3}}(?:of\s{{1,3}})?{_MONTH}\b"
        rf"(?:,?\s{{1,3}}{_YEAR}\b)?")),
    Lint("a date in words", re.compile(  # March 3, 2024; March 2024
        rf"{_MONTH}\s{{1,3}}(?:{_DAY}\b(?:,?\s{{1,3}}{_YEAR}\b)?|{_YEAR}\b)")),
    Lint("a personal name", re.compile(r"M(?<!\wM)(?:rs?|s|iss|x)\.?\s{1,3}[A-Z][a-z]{1,30}")),
    Lint("a personal name", re.compile(
        rf"[A-Z](?<![\w'’.-][A-Z])"
        rf"(?=(?P<rest>{_NAME_REST})\s{{1,3}}(?P<last>[A-Z]{_NAME_REST})\b)"),
        accept=_is_person),
    Lint("a personal name", re.compile(
        r"[pPnN](?<!\w[pPnN])(?i:atient|ame)\s{0,3}(?i:name)?\s{0,3}:\s{0,3}(?i:[A-Z][a-z]{1,30})"),
        ("patient", "name")),
)
#: A tag (also ``<a/href=…>``, whose attributes follow a slash), an inline event handler or a
#: script URL.
MARKUP_LINTS: tuple[Lint, ...] = (
    Lint("a tag", re.compile(
        r"<\s{0,8}/?\s{0,8}[a-zA-Z][\w:-]{0,40}(?:[\s/][^<>\uffff]{0,2000})?>"), ("<",)),
    Lint("an event handler", re.compile(r"\bon[a-z]{1,40}\s{0,8}=", re.I), ("=",)),
    Lint("a script URL", re.compile(r"(?:java|vb)script\s{0,8}:", re.I), ("script",)),
)


_SEPARATOR = "\uffff"  # a noncharacter: no word, space or digit, and excluded from the tag lint
_CODES = ("control_character", "markup_in_text", "patient_identifier")


@dataclass(frozen=True)
class TextProblem:
    """A problem in one of the strings checked: which string, what, and where in it."""

    index: int
    code: str
    message: str
    start: int
    end: int


def text_problems(strings: Sequence[str]) -> list[TextProblem]:
    """Every place in ``strings`` (a document's text values and keys) carrying markup or
    something like a patient identifier, and each string carrying control characters (once),
    in order of string and place.

    The strings are scanned together, joined by a character no pattern crosses: a dozen scans
    of one text instead of a dozen for each of a case's hundred strings.
    """
    joined = _SEPARATOR.join(strings)
    folded = joined.casefold()
    starts = list(accumulate((len(text) + 1 for text in strings), initial=0))
    found: dict[tuple[int, str, int], TextProblem] = {}

    def note(start: int, end: int, code: str, message: str) -> None:
        index = bisect_right(starts, start) - 1
        key = (index, code, 0 if code == "control_character" else start)
        found.setdefault(key, TextProblem(index, code, message, start - starts[index],
                                          end - starts[index]))

    for match in UNSAFE_IN_TEXT.finditer(joined):
        note(*match.span(), "control_character",
             f"text carries {describe_character(match.group(0))}")
    for code, lints in (("markup_in_text", MARKUP_LINTS), ("patient_identifier",
                                                           IDENTIFIER_LINTS)):
        for lint in lints:  # in order: the first lint to match a place names its problem
            for match in lint.finditer(joined, folded):
                start, end = match_span(match)
                shown = joined[start:end][:40]
                note(start, end, code, f"text carries markup: {shown!r}"
                     if code == "markup_in_text" else f"looks like {lint.what}: {shown!r}")
    kept: list[TextProblem] = []
    last_end: dict[tuple[int, str], int] = {}
    for problem in sorted(found.values(), key=lambda p: (p.index, p.start, _CODES.index(p.code))):
        key = (problem.index, problem.code)
        if problem.start >= last_end.get(key, 0) or problem.code == "control_character":
            kept.append(problem)  # a place inside one already found is the same problem
            last_end[key] = problem.end
    return kept


def describe_character(char: str) -> str:
    """E.g. ``U+202E (a bidirectional control)`` or ``U+001B (a control character)``."""
    kind = "a bidirectional control" if char >= "\u061c" else "a control character"
    return f"U+{ord(char):04X} ({kind})"


def terminal_safe(text: str) -> str:
    """``text`` with every unsafe character (see :data:`UNSAFE_IN_TEXT`) shown as an escape
    such as ``\\x1b`` or ``\\u202e``, so printing it cannot move the cursor, retitle the window
    or reorder the line."""
    return UNSAFE_IN_TEXT.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)
