"""Content lints over a case's text: no real patient identifiers, no markup.

Case text is shown to learners; it must be plain text written for teaching, never copied from
a record. These checks run on the raw data so they report even when the model fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

IDENTIFIER_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a date of birth", re.compile(r"\b(d\.?o\.?b\.?|date of birth|born on)\b", re.I)),
    ("a full date", re.compile(
        r"\b(\d{1,2}[/.]\d{1,2}[/.](19|20)\d{2}|(19|20)\d{2}-\d{2}-\d{2})\b")),
    ("a record number", re.compile(
        r"\b(mrn|nhs (no|number)|hospital number|record (no|number)|medical record)\b", re.I)),
    ("a long identifying number", re.compile(r"\b\d{3}[- ]?\d{3}[- ]?\d{4}\b")),
    ("an e-mail address", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")),
    ("a street address", re.compile(
        r"\b\d+\s+[A-Z][a-z]+\s+(Street|St|Road|Rd|Avenue|Ave|Lane|Drive|Close)\b")),
    ("a personal name", re.compile(r"\b(Mr|Mrs|Ms|Miss|Mx)\.?\s+[A-Z][a-z]+")),
    ("a personal name", re.compile(r"\b(patient|name)\s*(name)?\s*:\s*[A-Z][a-z]+", re.I)),
)
MARKUP = re.compile(
    r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9-]*(\s[^>]*)?/?>|\bon[a-z]+\s*=|javascript\s*:", re.I)


Path = tuple[str | int, ...]


def walk_strings(data: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every string value (and mapping key) in ``data`` with its path."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*path, key), str(key)
            yield from walk_strings(value, (*path, key))
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            yield from walk_strings(value, (*path, i))
    elif isinstance(data, str):
        yield path, data


def text_problems(data: Any) -> Iterator[tuple[Path, str, str]]:
    """``(path, code, message)`` for each identifier-like or markup-carrying string."""
    for path, text in walk_strings(data):
        markup = MARKUP.search(text)
        if markup:
            yield path, "markup_in_text", f"text carries markup: {markup.group(0)[:40]!r}"
        for what, pattern in IDENTIFIER_PATTERNS:
            match = pattern.search(text)
            if match:
                yield path, "patient_identifier", f"looks like {what}: {match.group(0)!r}"
                break
