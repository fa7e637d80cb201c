"""One decision of the recommended pathway in plain words, for every rendering.

    Pain relief (optional): an NSAID in its labelled range (Naproxen 1000 mg/day, Ibuprofen or
    Diclofenac), or Acetaminophen (paracetamol)
    Urgent lumbar MRI: MRI lumbar spine without contrast, urgent, or MRI lumbar spine without
    and with contrast, urgent
"""

from __future__ import annotations

from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.results import PathwayItem

#: Options of one category named together (two or more of them in one decision).
GROUPS = {"nsaid": "an NSAID in its labelled range"}


def _option(item: PathwayItem, step: str) -> str:
    kb = knowledge()
    text = kb.steps[step].label
    if step == item.step and item.dose_mg_per_day:
        text += f" {item.dose_mg_per_day:g} mg/day"
    if step in item.urgent_options:
        text += ", urgent"
    return text


def _joined(parts: list[str], word: str = "or") -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} {word} {parts[-1]}"


def options_text(item: PathwayItem) -> str:
    """The decision's options, the example first: "X 1000 mg/day, or Y or Z"."""
    kb = knowledge()
    pieces: list[str] = []
    grouped: dict[str, list[str]] = {}
    for step in item.options:
        category = kb.steps[step].category
        if category in GROUPS and sum(kb.steps[s].category == category
                                      for s in item.options) > 1:
            if category not in grouped:
                grouped[category] = []
                pieces.append(category)
            grouped[category].append(_option(item, step))
        else:
            pieces.append(step)
    shown = [f"{GROUPS[p]} ({_joined(grouped[p])})" if p in grouped else _option(item, p)
             for p in pieces]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])}, or {shown[-1]}"


def decision_heading(item: PathwayItem) -> str:
    """ "Pain relief (optional)", "Rehabilitation after the operation (with Microdiscectomy)"."""
    label = item.decision_label or item.label
    label = label[0].upper() + label[1:]
    notes = []
    if not item.required:
        notes.append("optional")
    if item.only_with:
        notes.append("with " + _joined([knowledge().steps[s].label for s in item.only_with]))
    if item.critical_if_empty:
        notes.append("must not be missed")
    return label + (f" ({'; '.join(notes)})" if notes else "")


def decision_line(item: PathwayItem) -> str:
    """The decision in one line: its heading, then its options."""
    return f"{decision_heading(item)}: {options_text(item)}"


def satisfied(item: PathwayItem, chosen: dict[str, str]) -> bool:
    """Whether the chosen steps (step id -> priority) satisfy the decision."""
    return any(step in chosen and (step not in item.urgent_options or chosen[step] == "urgent")
               for step in item.options)
