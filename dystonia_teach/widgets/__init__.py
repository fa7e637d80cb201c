"""ipywidgets front ends: thin shells over the core (no clinical logic here).

    from dystonia_teach.widgets import case_picker, EvidenceExplorer, case_builder
"""

from dystonia_teach.widgets.case_builder import CaseBuilder, case_builder
from dystonia_teach.widgets.evidence_explorer import EvidenceExplorer, styled_evidence
from dystonia_teach.widgets.workbench import CasePicker, Workbench, case_picker

__all__ = [
    "CaseBuilder",
    "CasePicker",
    "EvidenceExplorer",
    "Workbench",
    "case_builder",
    "case_picker",
    "styled_evidence",
]
