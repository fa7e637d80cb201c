"""Content lints over a case's text: no real patient identifiers, no markup, no control characters.

Case text is shown to learners; it must be plain text written for teaching, never copied from
a record. These checks run on the raw data so they report even when the model fails.

Every lint runs in linear time: each pattern's repeats are bounded (a scan from one position
stops after a fixed number of characters). For speed, each pattern starts with a character or
a small set of them (``\\b`` is checked just after it), which lets the regex engine skip to
candidates, and is only tried on text that holds one of its *needles* (substrings any match
must contain, looked up in the case-folded text).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate

_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 and C1, but tab and line breaks
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # U+202E (right-to-left override)...
#: Control characters, which YAML refuses in a file (found before parsing, to name the line).
CONTROL_CHARACTERS = re.compile(f"[{_CONTROLS}]")
#: Characters that can rewrite a terminal or reorder text on screen: the control characters,
#: the carriage return and the Unicode bidirectional controls.
UNSAFE_IN_TEXT = re.compile(f"[\r{_CONTROLS}{_BIDI}]")


@dataclass(frozen=True)
class Lint:
    """A pattern for one kind of problem, tried only on text holding one of its needles."""

    what: str
    pattern: re.Pattern[str]
    needles: tuple[str, ...] = ()  # empty: always tried (the pattern starts with a literal)

    def finditer(self, text: str, folded: str) -> Iterator[re.Match[str]]:
        if self.needles and not any(needle in folded for needle in self.needles):
            return iter(())
        return self.pattern.finditer(text)


IDENTIFIER_LINTS: tuple[Lint, ...] = (
    Lint("a date of birth", re.compile(
        r"[dDbB](?<!\w[dDbB])(?:(?<=[dD])(?i:\.?o\.?b\.?|ate of birth)|(?<=[bB])(?i:orn on))\b"),
        ("dob", "d.o", "do.b", "birth", "born on")),
    Lint("a full date", re.compile(
        r"\d(?<!\w\d)(?:\d?[/.]\d{1,2}[/.](?:19|20)\d{2}|(?<=1)9\d{2}-\d{2}-\d{2}"
        r"|(?<=2)0\d{2}-\d{2}-\d{2})\b"), ("19", "20")),
    Lint("a record number", re.compile(
        r"\b(?:mrn|nhs (?:no|number)|hospital number|record (?:no|number)|medical record)\b",
        re.I), ("mrn", "nhs", "hospital", "record")),
    Lint("a long identifying number", re.compile(r"\d(?<!\w\d)\d{2}[- ]?\d{3}[- ]?\d{4}\b")),
    Lint("an e-mail address", re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}\.[\w.]{1,253}"), ("@",)),
    Lint("a street address", re.compile(
        r"\d(?<!\w\d)\d{0,5}\s{1,3}[A-Z][a-z]{1,40}\s{1,3}"
        r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Drive|Close)\b")),
    Lint("a personal name", re.compile(r"M(?<!\wM)(?:rs?|s|iss|x)\.?\s{1,3}[A-Z][a-z]")),
    Lint("a personal name", re.compile(
        r"[pPnN](?<!\w[pPnN])(?i:atient|ame)\s{0,3}(?i:name)?\s{0,3}:\s{0,3}(?i:[A-Z][a-z])"),
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


Path = tuple[str | int, ...]
_SEPARATOR = "\uffff"  # a noncharacter: no word, space or digit, and excluded from the tag lint
_CODES = ("control_character", "markup_in_text", "patient_identifier")


def text_problems(strings: Sequence[tuple[Path, str]]) -> Iterator[tuple[Path, str, str]]:
    """``(path, code, message)`` for each of ``strings`` (a document's text values and keys,
    each with its path) carrying control characters, markup or something like a patient
    identifier (at most one of each per string).

    The strings are scanned together, joined by a character no pattern crosses: a dozen scans
    of one text instead of a dozen for each of a case's hundred strings.
    """
    joined = _SEPARATOR.join(text for _, text in strings)
    folded = joined.casefold()
    starts = list(accumulate((len(text) + 1 for _, text in strings), initial=0))
    found: dict[tuple[int, str], str] = {}

    def note(match: re.Match[str], code: str, message: str) -> None:
        found.setdefault((bisect_right(starts, match.start()) - 1, code), message)

    for match in UNSAFE_IN_TEXT.finditer(joined):
        note(match, "control_character", f"text carries {describe_character(match.group(0))}")
    for code, lints in (("markup_in_text", MARKUP_LINTS), ("patient_identifier",
                                                           IDENTIFIER_LINTS)):
        for lint in lints:  # in order: the first lint to match a string names its problem
            for match in lint.finditer(joined, folded):
                note(match, code, f"text carries markup: {match.group(0)[:40]!r}"
                     if code == "markup_in_text" else f"looks like {lint.what}: {match.group(0)!r}")
    for i, code in sorted(found, key=lambda key: (key[0], _CODES.index(key[1]))):
        yield strings[i][0], code, found[i, code]


def describe_character(char: str) -> str:
    """E.g. ``U+202E (a bidirectional control)`` or ``U+001B (a control character)``."""
    kind = "a bidirectional control" if char >= "\u061c" else "a control character"
    return f"U+{ord(char):04X} ({kind})"


def terminal_safe(text: str) -> str:
    """``text`` with every unsafe character (see :data:`UNSAFE_IN_TEXT`) shown as an escape
    such as ``\\x1b`` or ``\\u202e``, so printing it cannot move the cursor, retitle the window
    or reorder the line."""
    return UNSAFE_IN_TEXT.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)
