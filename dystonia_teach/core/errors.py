"""Errors and authoring issues.

Three kinds of "wrong" are kept apart:

* **Exceptions** mean the caller cannot continue::

      DystoniaTeachError
      ├── CaseNotFoundError      no case file or bundled case has that id
      ├── CaseInvalidError       a case file has issues (carries every Issue)
      ├── KnowledgeBaseError     the knowledge packs in use are inconsistent (carries no
      │                          Issue list; its message lists every one)
      └── ActionError            an action names an unknown step or a malformed dose

* **Issues** are problems in authored content (a case file, a knowledge pack). They are
  collected, all of a file's at once, each with a file, line, dotted field path, a stable code
  and a hint.
* **Findings** (see :mod:`dystonia_teach.core.engine`) are judgements on a learner's choices: normal
  output, never raised.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: The closed catalogue of issue codes, with what each means. docs/authoring.md documents the
#: same table; a test keeps the two equal.
ISSUE_CODES: dict[str, str] = {
    "empty_file": "The file is empty or holds only comments.",
    "binary_file": "The file is not UTF-8 text (a binary file or a wrong encoding).",
    "unreadable_file": "The file cannot be read: permission denied, a broken symbolic link or a "
                       "loop of links (or a folder that cannot be listed).",
    "not_a_file": "The entry is not a regular file: a folder, a named pipe (FIFO) or a device.",
    "file_too_large": "The file is larger than a case file can reasonably be.",
    "yaml_syntax": "The YAML cannot be parsed (a colon inside text, an unclosed quote or bracket, "
                   "uneven indentation); the message says what and how to fix it.",
    "tab_indent": "A tab character is used for indentation; YAML needs spaces.",
    "duplicate_key": "The same key appears twice in one mapping (also keys that read the same, "
                     "such as ~ and null, or 1 and 0x1).",
    "yaml_tag": "A YAML tag (!!python/..., !something) is used; case files hold plain data only.",
    "yaml_alias": "An anchor or alias (&name, *name) is used; write the values out instead.",
    "yaml_value": "A value cannot be read as its tag or form says: !!int forty-six, !!map male, "
                  "an impossible date such as 2030-13-45, a number of over 100 digits, or a list "
                  "used as a key.",
    "control_character": "Text carries a control character or a bidirectional override (such as "
                         "an escape sequence or U+202E) that could change what is displayed.",
    "not_a_mapping": "The top level of the file must be a mapping of field: value.",
    "unknown_field": "A field that the case format does not have (often a misspelling).",
    "missing_field": "A required field is absent.",
    "wrong_type": "A value has the wrong type (text where a number is expected, ...).",
    "invalid_value": "A value is not one of the allowed identifiers or is out of range.",
    "unknown_step": "A step id that is not in the step catalogue.",
    "unknown_evidence": "An evidence id that is not in the evidence catalogue.",
    "schema_too_new": "The file declares a schema_version newer than this dystonia_teach.",
    "schema_unknown": "The schema_version is missing or not a known version.",
    "id_mismatch": "The case id differs from the file name.",
    "duplicate_case_id": "Two case files share one id.",
    "inconsistent_facts": "Facts contradict each other (e.g. more weeks of care than of symptoms).",
    "duplicate_condition": "A condition is listed twice in conditions (both lines are named).",
    "missing_result": "The derived pathway orders a test whose result the case does not give.",
    "missing_weight": "A child's case (under 18) whose pathway offers a dosed drug gives no "
                      "patient.weight_kg: children are dosed by weight.",
    "patient_identifier": "Text looks like a real patient identifier (name, date of birth, ...).",
    "markup_in_text": "Text carries HTML markup or script; case text must be plain.",
    "spoiler": "Text a learner sees before submitting (title, summary, teaser, presentation, "
               "examination) names or implies the case's true diagnosis.",
    "duplicate_id": "A knowledge pack defines an id that is already defined (the message names "
                    "both places); an override says so with `overrides: <id>`.",
    "override_of_nothing": "A knowledge pack's `overrides:` names an id that no earlier pack "
                           "defines.",
    "unknown_reference": "A knowledge pack refers to a finding code, source, decision or "
                         "feature that does not exist.",
    "unknown_predicate": "A knowledge pack's `when:` (or a feature) names a predicate that does "
                         "not exist.",
    "hidden_predicate": "A knowledge pack keys a decision, rule, caution or feature to the "
                        "hidden true diagnosis (diagnosis_<id>): no hindsight.",
    "no_evidence": "A knowledge pack's step, rule or caution cites no evidence claim (or a "
                   "claim marked verified cites no source).",
}


@dataclass(frozen=True, order=True)
class Issue:
    """One located problem in an authored file (``column``, 1-based, where it is known)."""

    file: str
    line: int | None
    field: str
    code: str
    message: str
    hint: str = ""
    column: int | None = None

    def __post_init__(self) -> None:
        if self.code not in ISSUE_CODES:
            raise ValueError(f"unknown issue code {self.code!r}")

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.line and self.column:
            where += f":{self.column}"
        text = f"{where}: {self.field or '<file>'}: {self.code}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class DystoniaTeachError(Exception):
    """Base of every error this package raises on purpose."""


class CaseNotFoundError(DystoniaTeachError, LookupError):
    """No case file or bundled case matches the request."""


class CaseInvalidError(DystoniaTeachError, ValueError):
    """A case file has issues; ``issues`` holds every one of them."""

    def __init__(self, path: Path | str, issues: Iterable[Issue]) -> None:
        self.path = str(path)
        self.issues = tuple(issues)
        lines = "\n".join(f"  {issue}" for issue in self.issues)
        super().__init__(f"{self.path} has {len(self.issues)} problem(s):\n{lines}")


class KnowledgeBaseError(DystoniaTeachError, RuntimeError):
    """The knowledge packs in use are inconsistent: a course pack with problems (each named
    at its file and line in the message; ``dystonia-teach validate`` lists them too), or a
    packaging bug in the package's own."""


class ActionError(DystoniaTeachError, ValueError):
    """A learner action is malformed: unknown step id, or a dose that is not mg per day."""


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    """A short "did you mean" hint naming the closest choices, or an empty string: the choices
    the word begins (an id typed in part) first, then the most similar ones."""
    import difflib  # only needed when something is misspelt

    word, choices = str(word), list(choices)
    begun = sorted((c for c in choices if word and c.startswith(word)), key=len)
    similar = difflib.get_close_matches(word, choices, n=n, cutoff=0.6)
    close = list(dict.fromkeys([*begun, *similar]))[:n]
    return "did you mean " + " or ".join(repr(c) for c in close) + "?" if close else ""
