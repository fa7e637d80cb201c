"""Neutral one-line case descriptions for the case picker, built from the facts alone.

A teaser names the patient and the complaint, never the case id, title or diagnosis::

    case_teaser(load_case("early_uncomplicated"), 4)
    # 'Case 4 — a 46-year-old postal worker whose right toes curl after a few minutes' walk'
"""

from __future__ import annotations

from dystonia_teach.core.case_model import Case

#: What each posture looks like: one foot's part and verb, then both feet's.
_POSTURE = {
    "inversion": ("foot turns in", "feet turn in"),
    "eversion": ("foot turns out", "feet turn out"),
    "plantar_flexion": ("foot points down", "feet point down"),
    "dorsiflexion": ("foot pulls up", "feet pull up"),
    "toe_clawing": ("toes curl", "toes curl in both feet"),
    "toe_extension": ("toes lift", "toes lift in both feet"),
    "striatal_toe": ("big toe rises", "big toes rise"),
}
#: What brings it on, most telling first.
_TRIGGER = {
    "after_minutes_walking": "after a few minutes' walk",
    "walking_forward_only": "when walking forwards",
    "stairs": "on the stairs",
    "walking": "when walking",
    "running": "when running",
    "standing": "on standing",
}
_PERSON = {"female": "woman", "male": "man", "other": "person"}
_CHILD = {"female": "girl", "male": "boy", "other": "child"}


def _article(age: int) -> str:
    return "an" if str(age).startswith("8") or age in (11, 18) else "a"


def case_teaser(case: Case, number: int | None = None) -> str:
    """E.g. "Case 7 — a 52-year-old postal worker whose left foot turns in when walking"."""
    patient, dystonia = case.patient, case.dystonia
    who = patient.occupation or (_CHILD if patient.age < 18 else _PERSON)[patient.sex]
    one, both = _POSTURE[dystonia.postures[0]]
    complaint = both if dystonia.foot == "both" else f"{dystonia.foot} {one}"
    trigger = next(_TRIGGER[t] for t in _TRIGGER if t in dystonia.triggers)
    text = f"{_article(patient.age)} {patient.age}-year-old {who} whose {complaint} {trigger}"
    return f"Case {number} — {text}" if number is not None else text[0].upper() + text[1:]
