"""What student-facing text must never contain: internal ids, authoring notes, file paths.

``student_text_problems(text)`` lists each problem found; tests run it over every rendering a
student can see, and a widget may run it over its own text.
"""

from __future__ import annotations

import re
from functools import cache

from dystonia_teach.core.diagnoses import FEATURES, diagnosis_scripts
from dystonia_teach.core.knowledge import knowledge

_AUTHORING = re.compile(r"\bseed\b|\bspecification\b|§|\bnot in seed\b|\bTODO\b", re.IGNORECASE)
_PATH = re.compile(
    r"(?<![\w.:/])/(?:[\w.-]+/)+[\w.-]+"  # /home/x/file or /tmp/a/b
    r"|[A-Za-z]:\\\\?[\w\\ .-]+"  # C:\Users\...
    r"|\b[\w.-]+\.(?:ya?ml|py|sqlite3?|db|ipynb|json|toml)\b"  # progress.sqlite, case.yaml
)


@cache
def internal_ids() -> frozenset[str]:
    """Identifiers a student must never see: step, claim, finding, diagnosis and feature ids
    written with an underscore (single plain words such as "naproxen" are ordinary English)."""
    kb = knowledge()
    ids = {*kb.steps, *kb.claims, *kb.findings, *diagnosis_scripts(), *FEATURES,
           *(block.id for block in kb.pathway), *(rule.id for rule in kb.rules)}
    return frozenset(i for i in ids if "_" in i)


def student_text_problems(text: str, case_ids: tuple[str, ...] = ()) -> list[str]:
    """Every internal id, case id, authoring note or file path in ``text``."""
    problems = [f"internal id {token!r}" for token in sorted(set(re.findall(r"\w+", text)))
                if token in internal_ids() or token in case_ids]
    problems += [f"authoring note {m.group(0)!r}" for m in _AUTHORING.finditer(text)]
    problems += [f"file path {m.group(0)!r}" for m in _PATH.finditer(text)]
    return problems
