"""dystonia_teach: evidence-honest teaching of walking foot dystonia from lumbar radiculopathy.

The public API (instructors' scripts and graders rely on these names)::

    from dystonia_teach import load_case, list_cases, evaluate, step_catalogue, evidence_table
    case = load_case("early_uncomplicated")
    actions = ["history_red_flags", {"step": "naproxen", "dose_mg_per_day": 1000}]
    assessment = evaluate(case, actions)
"""

from __future__ import annotations

from dystonia_teach.casefiles.loader import (
    list_cases,
    load_case,
    validate_file,
    validate_paths,
    validate_text,
)
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.decisions import case_decisions
from dystonia_teach.core.engine import evaluate, recommended_actions, recommended_pathway
from dystonia_teach.core.errors import (
    ActionError,
    CaseInvalidError,
    CaseNotFoundError,
    DystoniaTeachError,
    Issue,
    KnowledgeBaseError,
)
from dystonia_teach.core.evidence import evidence_table, step_catalogue
from dystonia_teach.core.results import Action, Assessment, Finding, PathwayItem, SourceRef

__version__ = "0.1.0"

__all__ = [
    "Action",
    "ActionError",
    "Assessment",
    "Case",
    "CaseInvalidError",
    "CaseNotFoundError",
    "DystoniaTeachError",
    "Finding",
    "Issue",
    "KnowledgeBaseError",
    "PathwayItem",
    "SourceRef",
    "__version__",
    "case_decisions",
    "evaluate",
    "evidence_table",
    "list_cases",
    "load_case",
    "recommended_actions",
    "recommended_pathway",
    "step_catalogue",
    "validate_file",
    "validate_paths",
    "validate_text",
]
