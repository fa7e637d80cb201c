"""Shared test helpers: a ``make_case(**facts)`` factory building cases from facts alone."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from dystonia_teach.core.case_model import Case

REPO = Path(__file__).resolve().parent.parent
CASES_DIR = REPO / "cases"
BAD_CASES_DIR = Path(__file__).resolve().parent / "bad_cases"

BASE_FACTS: dict[str, Any] = {
    "schema_version": 2,
    "id": "factory_case",
    "title": "Factory case",
    "summary": "Built from facts by the test factory.",
    "patient": {"age": 60, "sex": "female"},
    "course": {"symptom_weeks": 20, "conservative_care_weeks": 14, "conservative_care": []},
    "red_flags": [],
    "conditions": [],
    "dystonia": {
        "foot": "left",
        "postures": ["inversion"],
        "triggers": ["walking"],
        "relieved_by_rest": True,
    },
    "functional_signs": [],
    "radicular": {"root": "S1", "side": "left", "straight_leg_raise": "negative"},
    "investigations": {
        "imaging": {"lesion": "compressive", "level": "L5-S1", "root": "S1",
                    "concordant": True, "report": "Stenosis compressing left S1."},
        "instability": {"present": False, "report": "Stable."},
        "electrodiagnosis": {"result": "radiculopathy", "root": "S1", "report": "Left S1."},
        "brain_imaging": {"report": "Normal."},
        "dat_scan": {"report": "Normal."},
        "levodopa_response": {"report": "No response."},
        "genetics": {"report": "No variant found."},
        "ankle_brachial_index": {"report": "1.1 on both sides."},
        "copper_studies": {"report": "Normal."},
        "spinal_cord_imaging": {"report": "Normal cord."},
        "blood_tests": {"report": "Normal."},
        "radiographs": {"report": "Normal alignment."},
    },
    "pathology": "stenosis",
    "disabling": True,
    "diagnosis": "radiculopathy_dystonia",
    "stages": {"presentation": "P.", "examination": "E.", "follow_up": "F."},
    "teaching_notes": "T.",
    "evidence": ["lss_root_compression_can_cause_foot_dystonia"],
}


#: The operations an optional surgical decision offers (``recommended_actions(choose=...)``).
PROCEDURES = ("decompressive_laminectomy", "microdiscectomy", "tlif")


def make_case(**facts: Any) -> Case:
    """A case from BASE_FACTS with overrides; ``course__symptom_weeks=3`` sets a nested field."""
    data = copy.deepcopy(BASE_FACTS)
    for key, value in facts.items():
        *parents, leaf = key.split("__")
        target = data
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    return Case.model_validate(data)


@pytest.fixture
def case_factory():
    return make_case


@pytest.fixture(autouse=True)
def _working_copy(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test has its own course working copy: a remembered learner id never reaches the
    tester's home folder, nor one test's id the next test."""
    monkeypatch.setenv("DYSTONIA_TEACH_WORKDIR", str(tmp_path_factory.mktemp("course")))


@pytest.fixture(autouse=True)
def _course_packs_of_this_test(monkeypatch: pytest.MonkeyPatch):
    """A course pack that a test's ``load_case(path)`` brought into use stays in that test."""
    monkeypatch.setattr("dystonia_teach.core.packs._ADDED", [])


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Leaf values of nested facts by dotted path: ``{"patient.age": 60, ...}``."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def bundled_case_paths() -> list[Path]:
    return sorted(CASES_DIR.glob("*.yaml"))


from .store_fixtures import pg_server, pg_url, store, store_url  # noqa: E402, F401
