"""What student-facing text must never contain: internal ids, authoring notes, file paths,
and the history of the course's own drafts.

``student_text_problems(text)`` lists each problem found; tests run it over every rendering a
student can see, and a widget may run it over its own text. ``without_draft_history(text)``
drops the sentences about earlier drafts of the course (they belong in the instructor view).
"""

from __future__ import annotations

import re
from functools import cache

from dystonia_teach.core.diagnoses import diagnosis_scripts, features
from dystonia_teach.core.kb_model import Claim
from dystonia_teach.core.knowledge import knowledge, on_knowledge_change

_AUTHORING = re.compile(r"\bseed\b|\bspecification\b|§|\bnot in seed\b|\bTODO\b", re.IGNORECASE)
#: A sentence about the course's own earlier drafts, not about the patient or the evidence.
DRAFT_HISTORY = re.compile(r"unreviewed draft|\bthat draft\b|\boriginal (?:ranges|teaching notes|"
                           r"figures?|wording)\b|\bthe seed'?s?\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")
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
    ids = {*kb.steps, *kb.claims, *kb.findings, *diagnosis_scripts(), *features(),
           *(block.id for block in kb.pathway), *(rule.id for rule in kb.rules)}
    return frozenset(i for i in ids if "_" in i)


on_knowledge_change(internal_ids.cache_clear)  # a course pack's ids count too


def without_draft_history(text: str) -> str:
    """``text`` without its sentences about the course's earlier drafts (whitespace
    normalised)."""
    sentences = _SENTENCE.split(" ".join(text.split()))
    return " ".join(s for s in sentences if not DRAFT_HISTORY.search(s))


def student_claim_text(claim: Claim) -> str:
    """What a claim tells a student: for a statement of the course's first draft, what the
    sources say instead (its correction); otherwise the claim; never the draft's history."""
    if claim.seed_claim and claim.seed_correction:
        return without_draft_history(claim.seed_correction)
    return without_draft_history(claim.claim)


def student_text_problems(text: str, case_ids: tuple[str, ...] = ()) -> list[str]:
    """Every internal id, case id, authoring note, draft history or file path in ``text``."""
    problems = [f"internal id {token!r}" for token in sorted(set(re.findall(r"\w+", text)))
                if token in internal_ids() or token in case_ids]
    problems += [f"authoring note {m.group(0)!r}" for m in _AUTHORING.finditer(text)]
    problems += [f"draft history {m.group(0)!r}" for m in DRAFT_HISTORY.finditer(text)]
    problems += [f"file path {m.group(0)!r}" for m in _PATH.finditer(text)]
    return problems
