"""ipywidgets front ends: thin shells over the core (no clinical logic here).

    from dystonia_teach.widgets import case_picker, EvidenceExplorer, case_builder

Each is imported when first used, so a learner's kernel that only works cases never loads
pandas (the evidence explorer's) and stays small.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "CaseBuilder": "case_builder", "case_builder": "case_builder",
    "CasePicker": "picker", "case_picker": "picker",
    "EvidenceExplorer": "evidence_explorer", "styled_evidence": "evidence_explorer",
    "Workbench": "workbench",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
